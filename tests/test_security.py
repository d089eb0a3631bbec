"""Request tests for the security baseline: headers, error pages, request size, access rule."""

from __future__ import annotations

import re

import pytest

from payclaims.auth.access import public
from payclaims.auth.models import Role
from tests.helpers import sign_in

BASELINE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _boom() -> str:
    raise RuntimeError("something broke inside")


@pytest.fixture
def failing_app(make_app):
    """An app with a page that raises, answering as it would in production."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    app.add_url_rule("/boom", "boom", public(_boom))
    return app


@pytest.mark.parametrize(
    ("path", "status"),
    [("/sign-in", 200), ("/", 302), ("/no-such-page", 404), ("/expert", 302)],
)
def test_security_headers_on_every_kind_of_response(client, path, status):
    response = client.get(path)

    assert response.status_code == status
    for name, value in BASELINE_HEADERS.items():
        assert response.headers[name] == value
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_inline_script_carries_this_responses_nonce(client):
    first, second = client.get("/sign-in"), client.get("/sign-in")

    nonces = []
    for response in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        html = response.get_data(as_text=True)
        assert f'<script nonce="{nonce}">' in html
        assert len(re.findall(r"<script(?![^>]*(nonce=|type=\"module\" src=))", html)) == 0
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_hsts_is_sent_over_https(client):
    response = client.get("/sign-in", base_url="https://localhost")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_proxy_headers_are_trusted_only_when_configured(make_app):
    untrusted = make_app().test_client()
    trusted = make_app(PROXY_COUNT=1).test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}

    assert "Strict-Transport-Security" not in untrusted.get("/sign-in", headers=headers).headers
    assert "Strict-Transport-Security" in trusted.get("/sign-in", headers=headers).headers


def test_static_files_can_be_cached(client):
    response = client.get("/static/css/payclaims.css")

    response.close()
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


def test_not_found_page_is_plain_english(client):
    response = client.get("/no-such-page/999999")

    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_forbidden_page_for_wrong_role(client, make_user):
    sign_in(client, make_user(roles=(Role.EXPERT,)))

    response = client.get("/admin/people")

    assert response.status_code == 403
    assert "You cannot see this page" in response.get_data(as_text=True)


def test_server_error_page_gives_reference_and_hides_details(failing_app, caplog):
    response = failing_app.test_client().get("/boom")

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    reference = re.search(r"<strong>([0-9A-F]{8})</strong>", html).group(1)
    assert "something broke inside" not in html and "Traceback" not in html
    assert reference in caplog.text and "something broke inside" in caplog.text


def test_request_body_over_the_cap_is_refused(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()

    response = client.post("/sign-in", data={"email": "a@example.org", "password": "x" * 2048})

    assert response.status_code == 413
    assert "too big" in response.get_data(as_text=True)


def test_endpoint_without_access_rule_is_refused(make_app):
    app = make_app()
    app.add_url_rule("/forgotten", "forgotten", lambda: "should never be seen")

    response = app.test_client().get("/forgotten")

    assert response.status_code == 403
    assert "should never be seen" not in response.get_data(as_text=True)


def test_signed_out_person_is_sent_to_sign_in_with_next(client):
    response = client.get("/account")

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=%2Faccount"


def test_text_typed_by_people_is_shown_as_text(client, make_user):
    sign_in(client, make_user(name='<img src=x onerror="alert(1)">'))

    html = client.get("/account").get_data(as_text=True)

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_flashed_messages_show_as_escaped_paragraphs(app):
    from flask import flash, render_template_string

    with app.test_request_context():
        flash("Saved <b>ok</b>", "success")
        html = render_template_string(
            '{% from "_macros/messages.html" import flashed_messages %}{{ flashed_messages() }}'
        )

    assert '<p class="nhsuk-body nhsuk-u-margin-bottom-0">Saved &lt;b&gt;ok&lt;/b&gt;</p>' in html
