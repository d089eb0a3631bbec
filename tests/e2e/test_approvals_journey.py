"""A claim through approval in a real browser, axe-checked on every page: the coordinator
confirms it, finance approves it with a line reduced, and the person sees why; then the
finance pages around it (rejecting, delegation, cost centre approvers, the audit trail)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from payclaims.costcentres.models import CostCentre
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, follow_link, press_button, visit


def _sign_in(page: Page, email: str) -> None:
    visit(page, "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press_button(page, "Sign in")


def test_confirm_then_approve_with_a_reduced_line_and_the_person_sees_why(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_role: Callable[..., RoleDescription],
    make_sign_up: Callable[..., SignUp],
    make_cost_centre: Callable[..., CostCentre],
    set_approvers: Callable[..., None],
    give_bank_details: Callable[..., None],
    make_sent_claim: Callable[..., int],
) -> None:
    coordinator = make_user(email="priya@example.org", roles=(Role.COORDINATOR,))
    make_user(email="tom@example.org", name="Tom Becker", roles=(Role.FINANCE_APPROVER,))
    expert = make_user(email="sam@example.org", name="Sam Okafor")
    give_bank_details(expert)
    centre = make_cost_centre(code="INV-001", name="Involvement")
    set_approvers(centre, *[make_user(roles=(Role.FINANCE_APPROVER,))])
    role = make_role(coordinator=coordinator, cost_centre=centre)
    claim_id = make_sent_claim(make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED))
    reference = f"C-{claim_id:06d}"

    priya = make_page()
    _sign_in(priya, "priya@example.org")
    visit(priya, "/coordinator/claims")
    follow_link(priya, reference)
    priya.get_by_label("Yes, send it to finance").check()
    press_button(priya, "Save my decision")
    expect(priya.get_by_text(f"Claim {reference} confirmed")).to_be_visible()

    make_user(email="grace@example.org", roles=(Role.FINANCE_ADMIN,))
    grace = make_page()
    _sign_in(grace, "grace@example.org")
    visit(grace, "/finance/cost-centres/")
    follow_link(grace, "Approvers of Involvement (INV-001)")
    grace.get_by_label("Tom Becker").check()
    press_button(grace, "Save approvers")

    tom = make_page(viewport=PHONE)
    _sign_in(tom, "tom@example.org")
    visit(tom, "/finance/claims")
    follow_link(tom, reference)
    press_button(tom, "Approve")
    tom.get_by_label("Amount to approve (leave empty to approve as claimed)").fill("50")
    tom.get_by_label("Why it is reduced (the person reads this)").fill(
        "The panel finished half an hour early"
    )
    press_button(tom, "Approve the claim")
    expect(tom.get_by_text(f"Claim {reference} approved.")).to_be_visible()
    visit(tom, "/finance/delegation")
    visit(tom, "/finance/claims?status=all")

    sam = make_page(viewport=PHONE)
    _sign_in(sam, "sam@example.org")
    visit(sam, f"/claims/{claim_id}")
    expect(sam.get_by_text("The panel finished half an hour early").first).to_be_visible()


def test_reject_page_and_audit_trail_are_accessible(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_role: Callable[..., RoleDescription],
    make_sign_up: Callable[..., SignUp],
    make_cost_centre: Callable[..., CostCentre],
    set_approvers: Callable[..., None],
    give_bank_details: Callable[..., None],
    make_sent_claim: Callable[..., int],
) -> None:
    coordinator = make_user(roles=(Role.COORDINATOR,))
    approver = make_user(email="tom@example.org", roles=(Role.FINANCE_APPROVER,))
    make_user(email="alex@example.org", roles=(Role.ADMIN,))
    expert = make_user()
    give_bank_details(expert)
    centre = make_cost_centre()
    set_approvers(centre, approver)
    role = make_role(coordinator=coordinator, cost_centre=centre)
    claim_id = make_sent_claim(
        make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED), verified_by=coordinator
    )

    tom = make_page()
    _sign_in(tom, "tom@example.org")
    visit(tom, f"/finance/claims/{claim_id}/reject")
    press_button(tom, "Reject the claim")  # no reason: the error summary and message
    expect(tom.get_by_text("Say why the claim cannot be paid").first).to_be_visible()
    tom.get_by_label("Why the claim cannot be paid").fill("The session did not go ahead.")
    press_button(tom, "Reject the claim")

    alex = make_page()
    _sign_in(alex, "alex@example.org")
    visit(alex, "/admin/audit/?action=claim.rejected")
    expect(alex.get_by_text("The session did not go ahead.")).to_be_visible()
