"""Sending plain-text email from templates in ``templates/email/``: one message, or many over
one connection to the mail server."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_mailman import EmailMessage

from payclaims.extensions import mail

# The server refused one message (an unknown address, say); smtplib resets the session, so
# the next message goes over the same connection.
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def email_message(to: str, subject: str, template: str, **context: Any) -> EmailMessage:
    """Render ``templates/email/<template>.txt`` as a message to one address (not sent)."""
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
    return EmailMessage(
        subject=full_subject,
        body=body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )


def send_email(to: str, subject: str, template: str, **context: Any) -> None:
    """Render ``templates/email/<template>.txt`` and send it to one address."""
    email_message(to, subject, template, **context).send()


def send_emails(messages: Sequence[EmailMessage]) -> int:
    """Send many messages over one connection to the mail server, not one connection each.

    Meant for mail sent after the work is committed (payees told they were paid, digests): a
    message that cannot be sent is logged, by address and error only (never its text, which
    may hold an account ending), and the rest still go, over the same connection if the
    server refused just that message, over a new one if the failure ended the session. If
    the mail server cannot be reached, the messages left are logged as not sent. Returns how
    many were sent.
    """
    connection = mail.get_connection()
    sent = 0
    is_open = False
    try:
        for number, message in enumerate(messages):
            if not is_open:
                try:
                    connection.open()
                except Exception as error:  # a refused or timed-out connection
                    _log_not_sent(messages[number:], error, "could not connect to the mail server")
                    break
                is_open = True
            try:
                sent += connection.send_messages([message])
            except MESSAGE_REFUSED as error:  # smtplib reset the session: it goes on
                _log_not_sent([message], error, "the mail server refused it")
            except Exception as error:  # a dropped connection...: start a new one
                _log_not_sent([message], error, "sending failed")
                _close_quietly(connection)
                is_open = False
    finally:
        _close_quietly(connection)
    return sent


def _log_not_sent(messages: Sequence[EmailMessage], error: Exception, why: str) -> None:
    addresses = ", ".join(address for message in messages for address in message.to)
    current_app.logger.warning(
        "Email not sent to %s (%s): %s: %s", addresses, why, type(error).__name__, error
    )


def _close_quietly(connection: Any) -> None:
    try:
        connection.close()
    except Exception as error:  # closing a broken session: nothing more to lose
        current_app.logger.info("Closing the mail connection failed: %s", type(error).__name__)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email, on the configured BASE_URL (never the Host header)."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values, _external=False)
    # Commands and services run outside a request (seed-demo, digests): build the path alone.
    return base + current_app.url_map.bind("localhost").build(endpoint, values)
