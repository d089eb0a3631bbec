"""The daily digest emailed to each finance approver, with reminders for claims waiting long."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from payclaims.approvals.queue import REMINDER_WORKING_DAYS, waiting_for
from payclaims.approvals.routing import finance_approvers
from payclaims.claims.models import Claim
from payclaims.dates import UK, working_days_between
from payclaims.extensions import db
from payclaims.mail import email_message, external_url, send_emails
from payclaims.roles.models import RoleDescription


def _waiting_days(claim: Claim, today: date) -> int:
    since = claim.verified_at or claim.submitted_at
    if since is None:
        return 0
    return working_days_between(since.astimezone(UK).date(), today)


def send_digests(today: date) -> int:
    """Email every finance approver with claims waiting for them a list of those claims, with
    a reminder for those waiting over ten working days, over one connection to the mail
    server (an address that fails is logged, the others still sent). Returns how many emails
    were sent."""
    digests = []
    with current_app.test_request_context("/"):
        for approver in finance_approvers():
            claims = list(
                db.session.scalars(
                    waiting_for(approver, today)
                    .options(
                        joinedload(Claim.person),
                        joinedload(Claim.role).joinedload(RoleDescription.cost_centre),
                        selectinload(Claim.lines),
                    )
                    .order_by(Claim.submitted_at, Claim.id)
                )
            )
            if not claims:
                continue
            overdue = [
                claim for claim in claims if _waiting_days(claim, today) > REMINDER_WORKING_DAYS
            ]
            digests.append(
                email_message(
                    approver.email,
                    f"{len(claims)} {'claim' if len(claims) == 1 else 'claims'} waiting for you",
                    "approver_digest",
                    approver=approver,
                    claims=claims,
                    overdue=overdue,
                    reminder_days=REMINDER_WORKING_DAYS,
                    link=external_url("approvals.queue"),
                    claim_link=lambda claim: external_url("approvals.claim", claim_id=claim.id),
                )
            )
        return send_emails(digests)
