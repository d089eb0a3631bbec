"""Sending plain-text email from templates in ``templates/email/``."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_mailman import EmailMessage


def send_email(to: str, subject: str, template: str, **context: Any) -> None:
    """Render ``templates/email/<template>.txt`` and send it to one address."""
    body = render_template(
        f"email/{template}.txt",
        organisation_name=current_app.config["ORGANISATION_NAME"],
        service_name=current_app.config["SERVICE_NAME"],
        support_email=current_app.config["SUPPORT_EMAIL"],
        **context,
    )
    # One line, whatever the subject holds (a role title, say): a line break in a header
    # would let text inject headers, and the mail library refuses it after the commit.
    full_subject = " ".join(f"{current_app.config['SERVICE_NAME']}: {subject}".split())
    message = EmailMessage(
        subject=full_subject,
        body=body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )
    message.send()


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email, on the configured BASE_URL (never the Host header)."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values, _external=False)
    # Commands and services run outside a request (seed-demo, digests): build the path alone.
    return base + current_app.url_map.bind("localhost").build(endpoint, values)
