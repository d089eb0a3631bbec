"""Sign-up pages: signing up, "My roles", withdrawing, and the coordinator's review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from payclaims.auth.models import Role, User
from payclaims.database import utc_now
from payclaims.extensions import db
from payclaims.roles.models import RoleDescription, RoleStatus, RoleVersion, SignUp, SignUpStatus
from payclaims.signups import services
from tests.helpers import (
    ROLE_DEFAULTS,
    count_queries,
    error_summary,
    events,
    field_error,
    has_class,
    html,
    load_role,
    page_text,
    sign_in,
    text_of,
    textarea_text,
)

TODAY = date.today()
HOSTILE = '<script>alert("hi")</script><b>bold</b>'
ESCAPED = "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    """The coordinator who runs the roles these tests make."""
    return make_user(name="Cora Coordinator", email="cora@example.org", roles=(Role.COORDINATOR,))


@pytest.fixture
def expert(make_user: Callable[..., User]) -> User:
    """An expert by experience."""
    return make_user(name="Eli Expert", email="eli@example.org")


@pytest.fixture
def role(make_role: Callable[..., RoleDescription], coordinator: User) -> RoleDescription:
    """An open role with three places, run by ``coordinator``."""
    return make_role(coordinator=coordinator, title="Interview panel member", places=3)


# Helpers -----------------------------------------------------------------------------------


def _summary_errors(response: TestResponse) -> list[str]:
    page = html(response)
    (summary,) = [div for div in page.iter("div") if has_class(div, "nhsuk-error-summary")]
    return [text_of(item) for item in summary.iter("li")]


def _radio_values(response: TestResponse, name: str) -> list[str]:
    return [
        radio.get("value", "")
        for radio in html(response).iter("input")
        if radio.get("type") == "radio" and radio.get("name") == name
    ]


def _links(response: TestResponse) -> dict[str, str]:
    main = html(response).find(".//main")
    assert main is not None
    return {text_of(link): link.get("href", "") for link in main.iter("a")}


def _sign_up_row(app: Flask, sign_up_id: int) -> SignUp:
    with app.app_context():
        sign_up = db.session.get(SignUp, sign_up_id)
        assert sign_up is not None
        db.session.expunge(sign_up)
        return sign_up


def _sign_ups(app: Flask) -> list[SignUp]:
    with app.app_context():
        rows = list(db.session.scalars(select(SignUp).order_by(SignUp.id)))
        db.session.expunge_all()
        return rows


def _publish_new_version(app: Flask, role: RoleDescription, **fields: Any) -> None:
    """Publish version 2 of ``role`` straight into the database."""
    with app.app_context():
        db.session.add(
            RoleVersion(
                role_id=role.id,
                number=2,
                created_by_id=role.coordinator_id,
                published_at=utc_now(),
                published_by_id=role.coordinator_id,
                closing_on=TODAY + timedelta(days=90),
                **{**ROLE_DEFAULTS, **fields},
            )
        )
        db.session.commit()


def _set_role_status(app: Flask, role: RoleDescription, status: RoleStatus) -> None:
    with app.app_context():
        loaded = db.session.get(RoleDescription, role.id)
        assert loaded is not None
        loaded.status = status
        db.session.commit()


# Signing up ---------------------------------------------------------------------------------


def test_sign_up_form_shows_role_summary_and_hints(client, role, expert):
    sign_in(client, expert)

    response = client.get(f"/opportunities/{role.id}/sign-up")

    assert response.status_code == 200
    text = page_text(response)
    assert "Interview panel member" in text
    assert ROLE_DEFAULTS["purpose"] in text
    assert "Message to the coordinator (optional)" in text
    assert "Access needs or reasonable adjustments (optional)" in text
    for example in (
        "step-free access",
        "a quiet room",
        "materials in large print",
        "breaks",
        "someone to come with you",
    ):
        assert example in text
    assert _links(response)["Back to the role"] == f"/opportunities/{role.id}"


def test_sign_up_creates_it_and_shows_it_to_the_person(app, client, role, expert, outbox):
    sign_in(client, expert)

    response = client.post(
        f"/opportunities/{role.id}/sign-up",
        data={"message": "I sat on panels before.", "access_needs": "Step-free access"},
    )

    (sign_up,) = _sign_ups(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/my-roles/{sign_up.id}"
    assert sign_up.person_id == expert.id
    assert sign_up.version_id == role.published_version.id
    assert sign_up.access_needs == "Step-free access"
    assert [m.to for m in outbox()] == [["eli@example.org"], ["cora@example.org"]]
    (created,) = events("sign_up.created", app=app)
    assert created.ip_address == "127.0.0.1"
    page = client.get(response.headers["Location"])
    text = page_text(page)
    assert "You have signed up to Interview panel member" in text
    assert "Waiting for the coordinator" in text
    assert "I sat on panels before." in text
    assert "Step-free access" in text


def test_sign_up_with_too_long_message_shows_error_and_keeps_what_was_typed(
    app, client, role, expert, outbox
):
    sign_in(client, expert)

    response = client.post(
        f"/opportunities/{role.id}/sign-up",
        data={"message": "x" * 2001, "access_needs": "Large print, please"},
    )

    assert response.status_code == 200
    message = "Your message must be 2,000 characters or fewer"
    assert field_error(response, "message") == message
    assert dict(error_summary(response)) == {message: "#message"}
    assert textarea_text(response, "access_needs") == "Large print, please"
    assert textarea_text(response, "message") == "x" * 2001
    assert _sign_ups(app) == []
    assert outbox() == []


@pytest.mark.parametrize(
    ("status", "closing_in_days", "message"),
    [
        (RoleStatus.CLOSED, 10, "This role has closed, so it is not taking sign-ups any more."),
        (RoleStatus.OPEN, -2, "Sign-ups to this role closed on"),
    ],
)
def test_sign_up_to_closed_role_says_so_without_a_form(
    app, client, make_role, expert, outbox, status, closing_in_days, message
):
    role = make_role(status=status, closing_on=TODAY + timedelta(days=closing_in_days))
    sign_in(client, expert)

    shown = client.get(f"/opportunities/{role.id}/sign-up")
    sent = client.post(f"/opportunities/{role.id}/sign-up", data={"message": "Hello"})

    for response in (shown, sent):
        assert response.status_code == 200
        assert message in page_text(response)
        assert html(response).find(".//textarea") is None
    assert _sign_ups(app) == []
    assert outbox() == []


def test_sign_up_to_draft_or_unknown_role_is_not_found(app, client, make_role, expert):
    draft = make_role(status=RoleStatus.DRAFT)
    sign_in(client, expert)

    for role_id in (draft.id, 987_654):
        assert client.get(f"/opportunities/{role_id}/sign-up").status_code == 404
        assert client.post(f"/opportunities/{role_id}/sign-up").status_code == 404
    assert _sign_ups(app) == []


def test_sign_up_when_already_signed_up_links_to_the_sign_up(
    app, client, role, expert, make_sign_up
):
    existing = make_sign_up(role, person=expert, status=SignUpStatus.WAITLISTED)
    sign_in(client, expert)

    shown = client.get(f"/opportunities/{role.id}/sign-up")
    sent = client.post(f"/opportunities/{role.id}/sign-up", data={"message": "Again"})

    for response in (shown, sent):
        assert response.status_code == 200
        assert "You have already signed up to this role." in page_text(response)
        assert _links(response)["See your sign-up"] == f"/my-roles/{existing.id}"
        assert html(response).find(".//textarea") is None
    assert len(_sign_ups(app)) == 1


def test_sign_up_double_submit_answers_as_already_signed_up(
    app, client, role, expert, outbox, monkeypatch
):
    sign_in(client, expert)
    client.post(f"/opportunities/{role.id}/sign-up", data={"message": "First click"})
    # The second click's checks ran before the first click's row was written.
    monkeypatch.setattr(services, "check_can_sign_up", lambda *args, **kwargs: None)

    response = client.post(f"/opportunities/{role.id}/sign-up", data={"message": "Second"})

    (sign_up,) = _sign_ups(app)
    assert response.status_code == 200
    assert "You have already signed up to this role." in page_text(response)
    assert _links(response)["See your sign-up"] == f"/my-roles/{sign_up.id}"
    assert sign_up.message == "First click"
    assert len(events("sign_up.created", app=app)) == 1
    assert len(outbox()) == 2


# My roles ----------------------------------------------------------------------------------


def test_my_roles_groups_sign_ups_with_status_date_and_next_step(
    client, make_role, make_sign_up, expert, make_user
):
    titles = {
        SignUpStatus.ACCEPTED: "Accepted role",
        SignUpStatus.INTERESTED: "Interested role",
        SignUpStatus.WAITLISTED: "Waitlisted role",
        SignUpStatus.DECLINED: "Declined role",
        SignUpStatus.WITHDRAWN: "Withdrawn role",
    }
    for status, title in titles.items():
        make_sign_up(make_role(title=title), person=expert, status=status)
    make_sign_up(make_role(title="Someone else's role"), person=make_user())
    sign_in(client, expert)

    response = client.get("/my-roles")

    assert response.status_code == 200
    sections: dict[str, list[str]] = {}
    heading = ""
    main = html(response).find(".//main")
    assert main is not None
    for element in main.iter():
        if element.tag == "h2":
            heading = text_of(element)
        elif element.tag == "tr" and element.find("td") is not None:
            sections.setdefault(heading, []).append(text_of(element))
    assert list(sections) == ["Your roles", "Waiting to hear", "Past sign-ups"]
    today = f"{TODAY.day} {TODAY:%B %Y}"
    assert sections["Your roles"] == [
        f"Role Accepted role Status Accepted Date {today} Next step The coordinator will be in "
        "touch about dates and what happens next."
    ]
    assert [row.split(" Status ")[0] for row in sections["Waiting to hear"]] == [
        "Role Waitlisted role",
        "Role Interested role",
    ]
    assert "On the waiting list" in sections["Waiting to hear"][0]
    assert "If a place comes up, the coordinator will email you." in sections["Waiting to hear"][0]
    assert "Waiting for the coordinator" in sections["Waiting to hear"][1]
    assert [row.split(" Status ")[0] for row in sections["Past sign-ups"]] == [
        "Role Withdrawn role",
        "Role Declined role",
    ]
    assert "Not offered a place" in sections["Past sign-ups"][1]
    assert "Someone else's role" not in page_text(response)


def test_my_roles_with_no_sign_ups_points_to_roles(client, expert):
    sign_in(client, expert)

    response = client.get("/my-roles")

    assert "You have not signed up to any roles yet." in page_text(response)
    assert _links(response)["Find roles to sign up to"] == "/opportunities"


def test_my_roles_accepted_subject_to_training_says_what_is_left(
    app, client, make_role, make_sign_up, make_course, expert
):
    role = make_role(courses=(make_course(), make_course()))
    sign_up = make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)
    with app.app_context():
        loaded = db.session.get(SignUp, sign_up.id)
        assert loaded is not None
        loaded.is_subject_to_training = True
        db.session.commit()
    sign_in(client, expert)

    text = page_text(client.get("/my-roles"))

    assert "Accepted, subject to training" in text
    assert "Complete your training: 2 courses still needed." in text


def test_my_roles_loads_in_a_fixed_number_of_queries(
    app, client, make_role, make_sign_up, make_course, expert
):
    course = make_course()

    def add_sign_ups(count: int) -> None:
        for status in [SignUpStatus.ACCEPTED, SignUpStatus.INTERESTED, SignUpStatus.DECLINED][
            :count
        ]:
            sign_up = make_sign_up(make_role(courses=(course,)), person=expert, status=status)
            with app.app_context():
                loaded = db.session.get(SignUp, sign_up.id)
                assert loaded is not None
                loaded.is_subject_to_training = status is SignUpStatus.ACCEPTED
                db.session.commit()

    sign_in(client, expert)
    add_sign_ups(1)
    with count_queries(app) as few:
        assert client.get("/my-roles").status_code == 200
    add_sign_ups(3)
    with count_queries(app) as many:
        assert client.get("/my-roles").status_code == 200

    assert len(many) == len(few)


# One sign-up, the person's view -----------------------------------------------------------


def test_mine_shows_what_was_sent_and_the_coordinators_message_escaped(
    app, client, role, expert, make_sign_up
):
    sign_up = make_sign_up(role, person=expert, message=HOSTILE, access_needs=HOSTILE)
    with app.app_context():
        loaded = db.session.get(SignUp, sign_up.id)
        assert loaded is not None
        loaded.decision_message = f"Line one {HOSTILE}\nLine two"
        loaded.status = SignUpStatus.WAITLISTED
        db.session.commit()
    sign_in(client, expert)

    response = client.get(f"/my-roles/{sign_up.id}")

    markup = response.get_data(as_text=True)
    assert "<script>" not in markup
    assert "<b>bold</b>" not in markup
    assert markup.count(ESCAPED) == 3
    text = page_text(response)
    assert "Message from the coordinator" in text
    assert "Line one" in text
    assert "Line two" in text
    assert "On the waiting list" in text
    links = _links(response)
    assert links["Read the role description as it was when you signed up"] == (
        f"/my-roles/{sign_up.id}/role"
    )
    assert links["Withdraw from this role"] == f"/my-roles/{sign_up.id}/withdraw"


@pytest.mark.parametrize("status", [SignUpStatus.DECLINED, SignUpStatus.WITHDRAWN])
def test_mine_for_an_ended_sign_up_offers_no_withdraw(client, role, expert, make_sign_up, status):
    sign_up = make_sign_up(role, person=expert, status=status)
    sign_in(client, expert)

    response = client.get(f"/my-roles/{sign_up.id}")

    assert response.status_code == 200
    assert "Withdraw from this role" not in _links(response)


def test_mine_subject_to_training_lists_live_gaps_then_says_complete(
    app, client, make_role, make_sign_up, make_course, make_record, coordinator, expert
):
    first_aid = make_course(name="First aid")
    safeguarding = make_course(name="Safeguarding adults")
    role = make_role(coordinator=coordinator, courses=(first_aid, safeguarding))
    sign_up = make_sign_up(role, person=expert)
    make_record(expert, first_aid, verified=False)
    client_coordinator = app.test_client()
    sign_in(client_coordinator, coordinator)
    client_coordinator.post(
        f"/sign-ups/{sign_up.id}", data={"decision": "accepted", "subject_to_training": "y"}
    )
    sign_in(client, expert)

    before = client.get(f"/my-roles/{sign_up.id}")

    callouts = [
        text_of(div) for div in html(before).iter("div") if has_class(div, "nhsuk-card--warning")
    ]
    (callout,) = callouts
    assert "Training you still need" in callout
    assert (
        "First aid: done, waiting for a coordinator to check it. You do not need to do "
        "anything: a coordinator will check it." in callout
    )
    assert (
        "Safeguarding adults: not done yet. When you have done it, add it to your training "
        "record or tell the coordinator." in callout
    )
    assert "Accepted, subject to training" in page_text(before)
    # The coordinator checks the first record and records the other course.
    make_record(expert, first_aid, recorded_by=coordinator)
    make_record(expert, safeguarding, recorded_by=coordinator)

    after = client.get(f"/my-roles/{sign_up.id}")

    assert not [div for div in html(after).iter("div") if has_class(div, "nhsuk-card--warning")]
    assert "Your training for this role is complete." in page_text(after)
    assert "subject to training" not in page_text(after)
    assert "Accepted, training complete" in page_text(after)


def test_my_version_shows_the_text_signed_up_to_after_edits_and_closing(
    app, client, role, expert, make_sign_up
):
    sign_up = make_sign_up(role, person=expert)
    _publish_new_version(app, role, title="Renamed role", purpose="A new purpose.", places=9)
    _set_role_status(app, role, RoleStatus.CLOSED)
    sign_in(client, expert)

    response = client.get(f"/my-roles/{sign_up.id}/role")

    assert response.status_code == 200
    text = page_text(response)
    assert "Interview panel member" in text
    assert ROLE_DEFAULTS["purpose"] in text
    assert ROLE_DEFAULTS["activities"] in text
    assert "£20.00 per hour" in text
    assert "Mileage in your own vehicle" in text
    assert "3 hours" in text
    assert "Renamed role" not in text
    assert "A new purpose." not in text
    assert load_role(app, role.id).published_version.title == "Renamed role"


# Withdrawing -------------------------------------------------------------------------------


def test_withdraw_asks_first_then_withdraws_and_tells_everyone(
    app, client, role, expert, make_sign_up, outbox
):
    sign_up = make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)
    sign_in(client, expert)

    confirm = client.get(f"/my-roles/{sign_up.id}/withdraw")

    assert confirm.status_code == 200
    assert "Do you want to withdraw from this role?" in page_text(confirm)
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.ACCEPTED

    response = client.post(f"/my-roles/{sign_up.id}/withdraw")

    assert response.status_code == 302
    assert response.headers["Location"] == "/my-roles"
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.WITHDRAWN
    assert [m.to for m in outbox()] == [["eli@example.org"], ["cora@example.org"]]
    (withdrawn,) = events("sign_up.withdrawn", app=app)
    assert withdrawn.object_id == sign_up.id
    after = client.get("/my-roles")
    assert "You have withdrawn from Interview panel member." in page_text(after)


def test_withdraw_an_ended_sign_up_says_so(app, client, role, expert, make_sign_up, outbox):
    sign_up = make_sign_up(role, person=expert, status=SignUpStatus.DECLINED)
    sign_in(client, expert)

    for method in ("GET", "POST"):
        response = client.open(f"/my-roles/{sign_up.id}/withdraw", method=method)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/my-roles/{sign_up.id}"
    page = client.get(f"/my-roles/{sign_up.id}")
    assert "already ended, so there is nothing to withdraw" in page_text(page)
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.DECLINED
    assert outbox() == []


# The coordinator's list ---------------------------------------------------------------------


def test_for_role_groups_sign_ups_with_counts_and_places(
    client, role, coordinator, make_sign_up, make_user
):
    make_sign_up(role, person=make_user(name="Ann Accepted"), status=SignUpStatus.ACCEPTED)
    make_sign_up(role, person=make_user(name="Abe Accepted"), status=SignUpStatus.ACCEPTED)
    waiting = make_sign_up(role, person=make_user(name="Ida Interested"), access_needs="Breaks")
    make_sign_up(role, person=make_user(name="Wes Withdrawn"), status=SignUpStatus.WITHDRAWN)
    sign_in(client, coordinator)

    response = client.get(f"/roles/{role.id}/sign-ups")

    assert response.status_code == 200
    text = page_text(response)
    assert "2 of 3 places filled" in text
    main = html(response).find(".//main")
    assert main is not None
    headings = [text_of(h2) for h2 in main.iter("h2")]
    assert headings == ["Waiting for a decision (1)", "Accepted (2)", "Withdrawn (1)"]
    links = _links(response)
    assert links["Ida Interested"] == f"/sign-ups/{waiting.id}"
    assert links["Back to the role"] == f"/roles/{role.id}"
    assert "Yes, see their sign-up" in text


def test_for_role_as_admin_shows_it(client, role, make_user, make_sign_up):
    make_sign_up(role, person=make_user(name="Ida Interested"))
    sign_in(client, make_user(roles=(Role.ADMIN,)))

    response = client.get(f"/roles/{role.id}/sign-ups")

    assert response.status_code == 200
    assert "Ida Interested" in page_text(response)


def test_for_role_loads_in_a_fixed_number_of_queries(app, client, role, coordinator, make_sign_up):
    sign_in(client, coordinator)
    make_sign_up(role)
    with count_queries(app) as few:
        assert client.get(f"/roles/{role.id}/sign-ups").status_code == 200
    for status in (SignUpStatus.ACCEPTED, SignUpStatus.WAITLISTED, SignUpStatus.DECLINED):
        make_sign_up(role, status=status)
    with count_queries(app) as many:
        assert client.get(f"/roles/{role.id}/sign-ups").status_code == 200

    assert len(many) == len(few)


# The coordinator's review -------------------------------------------------------------------


def test_review_shows_the_person_their_needs_training_places_and_version(
    app, client, make_role, make_sign_up, make_course, make_record, coordinator, expert, make_user
):
    done, missing = make_course(name="Done course"), make_course(name="Missing course")
    role = make_role(coordinator=coordinator, courses=(done, missing), places=2)
    make_record(expert, done, recorded_by=coordinator)
    make_sign_up(role, person=make_user(), status=SignUpStatus.ACCEPTED)
    sign_up = make_sign_up(role, person=expert, message=HOSTILE, access_needs="A quiet room")
    _publish_new_version(app, role, title="Edited title")
    sign_in(client, coordinator)

    response = client.get(f"/sign-ups/{sign_up.id}")

    assert response.status_code == 200
    markup = response.get_data(as_text=True)
    assert "<script>" not in markup
    assert ESCAPED in markup
    text = page_text(response)
    assert "Eli Expert" in text
    assert "eli@example.org" in text
    assert "A quiet room" in text
    assert "Done course Done, checked and in date" in text
    assert "Missing course Not done yet" in text
    # The places are the role's current ones (version 2 has 3), not those signed up to.
    assert "1 of 3 places filled." in text
    assert "Version 1" in text
    assert "version 2 is the one people see now" in text
    assert "Interview panel member" in text
    assert _radio_values(response, "decision") == ["accepted", "waitlisted", "declined"]
    assert html(response).find(".//input[@id='subject_to_training']") is not None
    assert html(response).find(".//textarea[@id='override_reason']") is None
    assert _links(response)["Back to sign-ups"] == f"/roles/{role.id}/sign-ups"


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (SignUpStatus.WAITLISTED, ["accepted", "declined"]),
        (SignUpStatus.ACCEPTED, ["declined"]),
        (SignUpStatus.DECLINED, []),
        (SignUpStatus.WITHDRAWN, []),
    ],
)
def test_review_offers_only_the_allowed_decisions(
    client, role, coordinator, make_sign_up, status, offered
):
    sign_up = make_sign_up(role, status=status)
    sign_in(client, coordinator)

    response = client.get(f"/sign-ups/{sign_up.id}")

    assert _radio_values(response, "decision") == offered
    if not offered:
        assert "There is nothing more to decide" in page_text(response)


def test_review_accept_sends_the_decision_and_lists_it(
    app, client, role, coordinator, expert, make_sign_up, outbox
):
    sign_up = make_sign_up(role, person=expert)
    sign_in(client, coordinator)

    response = client.post(
        f"/sign-ups/{sign_up.id}", data={"decision": "accepted", "message": "See you there."}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/roles/{role.id}/sign-ups"
    stored = _sign_up_row(app, sign_up.id)
    assert stored.status is SignUpStatus.ACCEPTED
    assert stored.decision_message == "See you there."
    assert stored.decided_by_id == coordinator.id
    (email,) = outbox()
    assert email.to == ["eli@example.org"]
    assert "See you there." in email.body
    listed = client.get(response.headers["Location"])
    assert "You accepted Eli Expert. We have emailed them." in page_text(listed)
    assert "1 of 3 places filled" in page_text(listed)


def test_review_without_a_decision_asks_for_one_and_keeps_the_message(
    app, client, role, coordinator, make_sign_up
):
    sign_up = make_sign_up(role)
    sign_in(client, coordinator)

    response = client.post(f"/sign-ups/{sign_up.id}", data={"message": "Typed words"})

    assert response.status_code == 200
    assert field_error(response, "decision") == "Select what you have decided"
    assert dict(error_summary(response)) == {"Select what you have decided": "#decision"}
    assert textarea_text(response, "message") == "Typed words"
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.INTERESTED


def test_review_accept_when_places_full_needs_a_reason_next_to_the_field(
    app, client, make_role, coordinator, expert, make_sign_up, outbox
):
    role = make_role(coordinator=coordinator, places=1)
    make_sign_up(role, status=SignUpStatus.ACCEPTED)
    sign_up = make_sign_up(role, person=expert)
    sign_in(client, coordinator)

    shown = client.get(f"/sign-ups/{sign_up.id}")
    refused = client.post(
        f"/sign-ups/{sign_up.id}", data={"decision": "accepted", "message": "Kept message"}
    )

    assert "1 of 1 place filled. No places are left." in page_text(shown)
    assert html(shown).find(".//textarea[@id='override_reason']") is not None
    assert refused.status_code == 200
    error = field_error(refused, "override_reason")
    assert error == "The 1 place is filled. To accept one more person, say why"
    assert dict(error_summary(refused)) == {error: "#override_reason"}
    assert textarea_text(refused, "message") == "Kept message"
    checked = [
        radio.get("value")
        for radio in html(refused).iter("input")
        if radio.get("name") == "decision" and radio.get("checked") is not None
    ]
    assert checked == ["accepted"]
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.INTERESTED
    assert outbox() == []

    accepted = client.post(
        f"/sign-ups/{sign_up.id}",
        data={"decision": "accepted", "override_reason": "Job share with Ann"},
    )

    assert accepted.status_code == 302
    stored = _sign_up_row(app, sign_up.id)
    assert stored.status is SignUpStatus.ACCEPTED
    assert stored.places_override_reason == "Job share with Ann"
    (event,) = events("sign_up.accepted", app=app)
    assert "Job share with Ann" in event.detail


def test_review_accept_with_missing_training_needs_the_tick_naming_the_courses(
    app, client, make_role, make_course, coordinator, expert, make_sign_up, outbox
):
    role = make_role(coordinator=coordinator, courses=(make_course(name="First aid"),))
    sign_up = make_sign_up(role, person=expert)
    sign_in(client, coordinator)

    refused = client.post(f"/sign-ups/{sign_up.id}", data={"decision": "accepted"})

    assert refused.status_code == 200
    error = field_error(refused, "subject_to_training")
    assert error == (
        'Eli Expert still needs First aid. To accept them now, tick "Accept subject to training"'
    )
    assert dict(error_summary(refused)) == {error: "#subject_to_training"}
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.INTERESTED

    accepted = client.post(
        f"/sign-ups/{sign_up.id}", data={"decision": "accepted", "subject_to_training": "y"}
    )

    assert accepted.status_code == 302
    stored = _sign_up_row(app, sign_up.id)
    assert stored.status is SignUpStatus.ACCEPTED
    assert stored.is_subject_to_training
    (email,) = outbox()
    assert "First aid: not done yet" in email.body


def test_review_decline_instead_needs_no_tick_or_reason(
    app, client, make_role, make_course, coordinator, make_sign_up, make_user, outbox
):
    role = make_role(coordinator=coordinator, courses=(make_course(),), places=1)
    make_sign_up(role, status=SignUpStatus.ACCEPTED)
    sign_up = make_sign_up(role, person=make_user(name="Dan Declined"))
    sign_in(client, coordinator)

    response = client.post(f"/sign-ups/{sign_up.id}", data={"decision": "declined"})

    assert response.status_code == 302
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.DECLINED
    listed = client.get(response.headers["Location"])
    assert "You declined Dan Declined's sign-up. We have emailed them." in page_text(listed)


def test_review_decision_not_on_offer_is_refused(app, client, role, coordinator, make_sign_up):
    sign_up = make_sign_up(role, status=SignUpStatus.WAITLISTED)
    sign_in(client, coordinator)

    for decision in ("waitlisted", "withdrawn", "nonsense"):
        response = client.post(f"/sign-ups/{sign_up.id}", data={"decision": decision})
        assert response.status_code == 200
        assert field_error(response, "decision") == "Select what you have decided"
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.WAITLISTED


def test_review_after_someone_else_decided_says_check_again(
    app, client, role, coordinator, make_sign_up, outbox, monkeypatch
):
    sign_up = make_sign_up(role)
    sign_in(client, coordinator)
    real_decide = services.decide_sign_up

    def decide_after_someone_else(loaded: SignUp, **kwargs: Any) -> None:
        # Another decision lands between this request's load and its update.
        with db.engine.begin() as connection:
            table = SignUp.__table__
            connection.execute(
                update(table).where(table.c.id == loaded.id).values(status="waitlisted")
            )
        real_decide(loaded, **kwargs)

    monkeypatch.setattr(services, "decide_sign_up", decide_after_someone_else)

    response = client.post(
        f"/sign-ups/{sign_up.id}", data={"decision": "declined", "message": "Sorry"}
    )

    assert response.status_code == 200
    assert _summary_errors(response) == [
        "Someone else has just changed this sign-up. Check it again."
    ]
    assert _radio_values(response, "decision") == ["accepted", "declined"]
    assert "On the waiting list" in page_text(response)
    assert textarea_text(response, "message") == "Sorry"
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.WAITLISTED
    assert events("sign_up.declined", app=app) == []
    assert outbox() == []


# Who may see what --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/my-roles/{id}"),
        ("GET", "/my-roles/{id}/role"),
        ("GET", "/my-roles/{id}/withdraw"),
        ("POST", "/my-roles/{id}/withdraw"),
    ],
)
def test_other_expert_guessing_sign_up_ids_is_not_found(
    app, client, role, expert, make_user, make_sign_up, outbox, method, path
):
    theirs = make_sign_up(role, person=expert, access_needs="Private need")
    sign_in(client, make_user(name="Nosy Neighbour"))

    for sign_up_id in (theirs.id, 987_654):
        response = client.open(path.format(id=sign_up_id), method=method)
        assert response.status_code == 404
        assert "Private need" not in response.get_data(as_text=True)
    assert _sign_up_row(app, theirs.id).status is SignUpStatus.INTERESTED
    assert outbox() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sign-ups/{sign_up}"),
        ("POST", "/sign-ups/{sign_up}"),
        ("GET", "/roles/{role}/sign-ups"),
    ],
)
def test_coordinator_of_another_role_is_not_found(
    app, client, role, expert, make_user, make_sign_up, outbox, method, path
):
    sign_up = make_sign_up(role, person=expert, access_needs="Private need")
    sign_in(client, make_user(roles=(Role.COORDINATOR,)))

    response = client.open(
        path.format(sign_up=sign_up.id, role=role.id), method=method, data={"decision": "declined"}
    )

    assert response.status_code == 404
    assert "Private need" not in response.get_data(as_text=True)
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.INTERESTED
    assert outbox() == []


@pytest.mark.parametrize(
    "roles",
    [(Role.EXPERT,), (Role.FINANCE_APPROVER,), (Role.FINANCE_ADMIN,)],
    ids=["expert", "finance_approver", "finance_admin"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sign-ups/{sign_up}"),
        ("POST", "/sign-ups/{sign_up}"),
        ("GET", "/roles/{role}/sign-ups"),
    ],
)
def test_experts_and_finance_are_refused_coordinator_pages(
    app, client, role, make_user, make_sign_up, roles, method, path
):
    sign_up = make_sign_up(role, access_needs="Private need")
    sign_in(client, make_user(roles=roles))

    response = client.open(
        path.format(sign_up=sign_up.id, role=role.id), method=method, data={"decision": "accepted"}
    )

    assert response.status_code == 403
    assert "Private need" not in response.get_data(as_text=True)
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.INTERESTED


@pytest.mark.parametrize(
    "path", ["/my-roles", "/my-roles/{id}", "/my-roles/{id}/role", "/opportunities/{role}/sign-up"]
)
def test_staff_are_refused_expert_pages(client, role, make_user, make_sign_up, path):
    sign_up = make_sign_up(role)
    sign_in(client, make_user(roles=(Role.COORDINATOR, Role.ADMIN)))

    response = client.get(path.format(id=sign_up.id, role=role.id))

    assert response.status_code == 403


def test_admin_guessing_sign_up_ids_is_not_found(client, make_user):
    sign_in(client, make_user(roles=(Role.ADMIN,)))

    assert client.get("/sign-ups/987654").status_code == 404
    assert client.post("/sign-ups/987654", data={"decision": "accepted"}).status_code == 404
    assert client.get("/roles/987654/sign-ups").status_code == 404


def test_for_role_says_subject_to_training_until_the_training_is_verified(
    app, client, make_role, make_sign_up, make_course, make_record, coordinator, expert
):
    course = make_course(name="First aid")
    role = make_role(coordinator=coordinator, courses=(course,))
    sign_up = make_sign_up(role, person=expert)
    sign_in(client, coordinator)
    client.post(
        f"/sign-ups/{sign_up.id}", data={"decision": "accepted", "subject_to_training": "y"}
    )

    before = page_text(client.get(f"/roles/{role.id}/sign-ups"))
    make_record(expert, course, recorded_by=coordinator)
    after = page_text(client.get(f"/roles/{role.id}/sign-ups"))

    assert "Accepted, subject to training" in before
    assert "subject to training" not in after
    assert "Accepted, training complete" in after


def test_for_role_with_training_to_check_loads_in_a_fixed_number_of_queries(
    app, client, make_role, make_sign_up, make_course, make_record, make_user, coordinator
):
    course = make_course()
    role = make_role(coordinator=coordinator, courses=(course,))

    def add_sign_ups(count: int) -> None:
        for _ in range(count):
            person = make_user()
            sign_up = make_sign_up(role, person=person, status=SignUpStatus.ACCEPTED)
            make_record(person, course, verified=False)
            with app.app_context():
                db.session.execute(
                    update(SignUp)
                    .where(SignUp.id == sign_up.id)
                    .values(is_subject_to_training=True)
                )
                db.session.commit()

    sign_in(client, coordinator)
    add_sign_ups(1)
    with count_queries(app) as few:
        assert client.get(f"/roles/{role.id}/sign-ups").status_code == 200
    add_sign_ups(3)
    with count_queries(app) as many:
        assert client.get(f"/roles/{role.id}/sign-ups").status_code == 200

    assert len(many) == len(few)


def test_review_links_training_waiting_for_a_check_to_its_record(
    client, make_role, make_sign_up, make_course, make_record, coordinator, expert
):
    course = make_course(name="First aid")
    role = make_role(coordinator=coordinator, courses=(course,))
    record = make_record(expert, course, verified=False)
    sign_up = make_sign_up(role, person=expert)
    sign_in(client, coordinator)

    response = client.get(f"/sign-ups/{sign_up.id}")

    assert "First aid Done, waiting for a coordinator to check it." in page_text(response)
    assert _links(response)["Check the record of First aid"] == f"/training/records/{record.id}"


def test_review_take_the_place_back_declines_and_emails_them(
    app, client, role, coordinator, expert, make_sign_up, outbox
):
    sign_up = make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)
    sign_in(client, coordinator)

    shown = client.get(f"/sign-ups/{sign_up.id}")
    response = client.post(
        f"/sign-ups/{sign_up.id}", data={"decision": "declined", "message": "Sorry."}
    )

    assert _radio_values(shown, "decision") == ["declined"]
    assert "Take the place back" in page_text(shown)
    assert "it is free for someone else" in page_text(shown)
    assert response.status_code == 302
    assert _sign_up_row(app, sign_up.id).status is SignUpStatus.DECLINED
    (email,) = outbox()
    assert email.subject.endswith(f"About your place in {role.title}")
    listed = client.get(response.headers["Location"])
    assert "You took back Eli Expert's place. We have emailed them." in page_text(listed)
