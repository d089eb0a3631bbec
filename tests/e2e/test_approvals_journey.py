"""A claim through approval in a real browser, axe-checked on every page: the coordinator
confirms it, finance approves it with a line reduced, and the person sees why; then the
finance pages around it (rejecting, delegation, cost centre approvers, the audit trail)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from payclaims.roles.models import SignUp
from tests.e2e.helpers import (
    PHONE,
    approve_reduced,
    confirm_claim,
    follow_link,
    press_button,
    sign_in_as,
    visit,
)


def test_confirm_then_approve_with_a_reduced_line_and_the_person_sees_why(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_accepted_sign_up: Callable[..., SignUp],
    make_sent_claim: Callable[..., int],
) -> None:
    coordinator = make_user(email="priya@example.org", roles=(Role.COORDINATOR,))
    make_user(email="tom@example.org", name="Tom Becker", roles=(Role.FINANCE_APPROVER,))
    expert = make_user(email="sam@example.org", name="Sam Okafor")
    another_approver = make_user(roles=(Role.FINANCE_APPROVER,))
    sign_up = make_accepted_sign_up(expert, coordinator=coordinator, approvers=(another_approver,))
    claim_id = make_sent_claim(sign_up)
    reference = f"C-{claim_id:06d}"

    priya = make_page()
    sign_in_as(priya, "priya@example.org")
    visit(priya, "/coordinator/claims")
    confirm_claim(priya, reference)

    make_user(email="grace@example.org", roles=(Role.FINANCE_ADMIN,))
    grace = make_page()
    sign_in_as(grace, "grace@example.org")
    visit(grace, "/finance/cost-centres/")
    follow_link(grace, "Approvers of Involvement (INV-001)")
    grace.get_by_label("Tom Becker").check()
    press_button(grace, "Save approvers")

    tom = make_page(viewport=PHONE)
    sign_in_as(tom, "tom@example.org")
    visit(tom, "/finance/claims")
    approve_reduced(tom, reference, pounds="50", reason="The panel finished half an hour early")
    visit(tom, "/finance/delegation")
    visit(tom, "/finance/claims?status=all")

    sam = make_page(viewport=PHONE)
    sign_in_as(sam, "sam@example.org")
    visit(sam, f"/claims/{claim_id}")
    expect(sam.get_by_text("The panel finished half an hour early").first).to_be_visible()


def test_reject_page_and_audit_trail_are_accessible(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_accepted_sign_up: Callable[..., SignUp],
    make_sent_claim: Callable[..., int],
) -> None:
    coordinator = make_user(roles=(Role.COORDINATOR,))
    approver = make_user(email="tom@example.org", roles=(Role.FINANCE_APPROVER,))
    make_user(email="alex@example.org", roles=(Role.ADMIN,))
    sign_up = make_accepted_sign_up(make_user(), coordinator=coordinator, approvers=(approver,))
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)

    tom = make_page()
    sign_in_as(tom, "tom@example.org")
    visit(tom, f"/finance/claims/{claim_id}/reject")
    press_button(tom, "Reject the claim")  # no reason: the error summary and message
    expect(tom.get_by_text("Say why the claim cannot be paid").first).to_be_visible()
    tom.get_by_label("Why the claim cannot be paid").fill("The session did not go ahead.")
    press_button(tom, "Reject the claim")

    alex = make_page()
    sign_in_as(alex, "alex@example.org")
    visit(alex, "/admin/audit/?action=claim.rejected")
    expect(alex.get_by_text("The session did not go ahead.")).to_be_visible()
