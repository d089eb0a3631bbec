"""Who may reach every page, and what happens to everyone else.

EVERY NEW ENDPOINT MUST BE ADDED TO ``EXPECTED`` BELOW, with the rule it should have:
"public", "signed_in", or the set of roles that may use it. The tests fail until it is, and
then check the rule against a request from every persona.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from werkzeug.test import TestResponse

from payclaims.audit.models import AuditEvent
from payclaims.auth.access import ACCESS_ATTRIBUTE, Access, access_for
from payclaims.auth.models import Role, User
from payclaims.extensions import db
from tests.helpers import sign_in

PUBLIC = "public"
SIGNED_IN = "signed_in"
ADMIN_ONLY = frozenset({Role.ADMIN})
EXPERT_ONLY = frozenset({Role.EXPERT})
COORDINATORS_AND_ADMINS = frozenset({Role.COORDINATOR, Role.ADMIN})
FINANCE = frozenset({Role.FINANCE_APPROVER, Role.FINANCE_ADMIN})
FINANCE_ADMIN_ONLY = frozenset({Role.FINANCE_ADMIN})
APPROVERS_ONLY = frozenset({Role.FINANCE_APPROVER})
STAFF = COORDINATORS_AND_ADMINS | FINANCE

# Every endpoint ("static" aside) and who may use it. ADD EVERY NEW ENDPOINT HERE.
EXPECTED: dict[str, str | frozenset[Role]] = {
    # Home pages
    "home.index": PUBLIC,
    "home.accessibility": PUBLIC,
    "home.privacy": PUBLIC,
    "home.expert": frozenset({Role.EXPERT}),
    "home.coordinator": frozenset({Role.COORDINATOR}),
    "home.finance": frozenset({Role.FINANCE_APPROVER, Role.FINANCE_ADMIN}),
    "home.admin": ADMIN_ONLY,
    # Accounts
    "auth.sign_in": PUBLIC,
    "auth.sign_up": PUBLIC,
    "auth.check_email": PUBLIC,
    "auth.verify_email": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.accept_invitation": PUBLIC,
    "auth.confirm_email_change": PUBLIC,
    "auth.sign_out": SIGNED_IN,
    "auth.resend_verification": SIGNED_IN,
    "auth.account": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.change_email": SIGNED_IN,
    # Staff accounts and the audit trail
    "admin.people": ADMIN_ONLY,
    "admin.invite": ADMIN_ONLY,
    "admin.person": ADMIN_ONLY,
    "admin.change_roles": ADMIN_ONLY,
    "admin.deactivate": ADMIN_ONLY,
    "admin.reactivate": ADMIN_ONLY,
    "admin.resend_invitation": ADMIN_ONLY,
    "audit.events": ADMIN_ONLY,
    # --- Roles (payclaims/roles): add endpoints below this line ---
    "roles.detail": STAFF,
    "roles.manage": STAFF,
    "roles.new": COORDINATORS_AND_ADMINS,
    "roles.version": STAFF,
    "roles.edit": COORDINATORS_AND_ADMINS,
    "roles.preview": STAFF,
    "roles.publish": COORDINATORS_AND_ADMINS,
    "roles.close": COORDINATORS_AND_ADMINS,
    "roles.reopen": COORDINATORS_AND_ADMINS,
    "roles.opportunities": EXPERT_ONLY,
    "roles.opportunity": EXPERT_ONLY,
    # --- Sign-ups (payclaims/signups): add endpoints below this line ---
    "signups.new": EXPERT_ONLY,
    "signups.my_roles": EXPERT_ONLY,
    "signups.for_role": COORDINATORS_AND_ADMINS,
    "signups.mine": EXPERT_ONLY,
    "signups.my_version": EXPERT_ONLY,
    "signups.withdraw": EXPERT_ONLY,
    "signups.review": COORDINATORS_AND_ADMINS,
    # --- Training (payclaims/training): add endpoints below this line ---
    "training.my_training": EXPERT_ONLY,
    "training.records": COORDINATORS_AND_ADMINS,
    "training.declare": EXPERT_ONLY,
    "training.export": COORDINATORS_AND_ADMINS,
    "training.record_new": COORDINATORS_AND_ADMINS,
    "training.record": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "training.verify": COORDINATORS_AND_ADMINS,
    "training.evidence": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "training.courses": COORDINATORS_AND_ADMINS,
    "training.course_new": COORDINATORS_AND_ADMINS,
    "training.course_edit": COORDINATORS_AND_ADMINS,
    "training.reject": COORDINATORS_AND_ADMINS,
    # --- Cost centres (payclaims/costcentres): add endpoints below this line ---
    "costcentres.index": FINANCE,
    "costcentres.new": FINANCE_ADMIN_ONLY,
    "costcentres.edit": FINANCE_ADMIN_ONLY,
    "costcentres.approvers": FINANCE_ADMIN_ONLY,
    # --- Benefits (payclaims/benefits): add endpoints below this line ---
    "benefits.note": SIGNED_IN,
    "benefits.profile": EXPERT_ONLY,
    "benefits.edit_profile": EXPERT_ONLY,
    "benefits.delete_profile": EXPERT_ONLY,
    "benefits.what_if": EXPERT_ONLY,
    "benefits.rules": FINANCE,
    "benefits.rule_history": FINANCE,
    "benefits.new_figure": FINANCE_ADMIN_ONLY,
    "benefits.correct_figure": FINANCE_ADMIN_ONLY,
    "benefits.confirm_figure": FINANCE_ADMIN_ONLY,
    # --- People (payclaims/people): add endpoints below this line ---
    "people.bank_details": EXPERT_ONLY,
    "people.change_bank_details": EXPERT_ONLY,
    "people.bank_changes": FINANCE,
    "people.confirm_bank_details": FINANCE,
    "people.payees": FINANCE,
    "people.payment": FINANCE,
    "people.record_payment_method": FINANCE_ADMIN_ONLY,
    "people.end_payment_method": FINANCE_ADMIN_ONLY,
    "people.confirm_payment_method": FINANCE,
    # --- Claims (payclaims/claims) ---
    "claims.mine": EXPERT_ONLY,
    "claims.new": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.detail": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.add_fee_line": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.remove_line": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.fee_choice": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.submit": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.withdraw": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.add_expense_line": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.add_receipts": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.receipt": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.remove_receipt": frozenset({Role.EXPERT, Role.COORDINATOR, Role.ADMIN}),
    "claims.category_rules": FINANCE_ADMIN_ONLY,
    "claims.edit_category_rules": FINANCE_ADMIN_ONLY,
    # --- Approvals (payclaims/approvals) ---
    "approvals.to_confirm": COORDINATORS_AND_ADMINS,
    "approvals.confirm": COORDINATORS_AND_ADMINS,
    "approvals.queue": FINANCE,
    "approvals.export": FINANCE,
    "approvals.claim": FINANCE,
    "approvals.receipt": FINANCE,
    "approvals.approve": APPROVERS_ONLY,
    "approvals.return_claim": APPROVERS_ONLY,
    "approvals.reject": APPROVERS_ONLY,
    "approvals.delegation": APPROVERS_ONLY,
    "approvals.end_delegation": APPROVERS_ONLY,
    "approvals.finance_profile": FINANCE,
    "approvals.finance_statement_pdf": FINANCE,
    # --- Payments (payclaims/payments): add endpoints below this line ---
    "payments.runs": FINANCE_ADMIN_ONLY,
    "payments.new_run": FINANCE_ADMIN_ONLY,
    "payments.run": FINANCE_ADMIN_ONLY,
    "payments.add_claims": FINANCE_ADMIN_ONLY,
    "payments.remove_claim": FINANCE_ADMIN_ONLY,
    "payments.confirm": FINANCE_ADMIN_ONLY,
    # A finance approver cannot download the bank file (403): only finance admins.
    "payments.bank_file": FINANCE_ADMIN_ONLY,
    # Experts reach only their own slips (others' are "not found": tests/test_payments.py).
    "payments.slip": EXPERT_ONLY | FINANCE,
    "payments.claim_slip": EXPERT_ONLY | FINANCE,
    "payments.mine": EXPERT_ONLY,
    "payments.tax_year_totals": FINANCE,
    "payments.tax_year_totals_csv": FINANCE,
    "payments.statement": EXPERT_ONLY,
    "payments.statement_pdf": EXPERT_ONLY,
}

# Who makes the request: nobody signed in, or someone holding exactly these roles.
PERSONAS: dict[str, tuple[Role, ...]] = {
    "anonymous": (),
    "expert": (Role.EXPERT,),
    "coordinator": (Role.COORDINATOR,),
    "finance_approver": (Role.FINANCE_APPROVER,),
    "finance_admin": (Role.FINANCE_ADMIN,),
    "admin": (Role.ADMIN,),
}
# Everyone signed in who is not an admin, including someone with every other role at once.
NON_ADMINS: dict[str, tuple[Role, ...]] = {
    "expert": (Role.EXPERT,),
    "coordinator": (Role.COORDINATOR,),
    "finance_approver": (Role.FINANCE_APPROVER,),
    "finance_admin": (Role.FINANCE_ADMIN,),
    "every_role_but_admin": (
        Role.EXPERT,
        Role.COORDINATOR,
        Role.FINANCE_APPROVER,
        Role.FINANCE_ADMIN,
    ),
}
PERSON_ACTIONS = ("roles", "deactivate", "reactivate", "invitation")
UNKNOWN_ID = 987_654


def _as_access(rule: str | frozenset[Role]) -> Access:
    if rule == PUBLIC:
        return Access(public=True)
    if rule == SIGNED_IN:
        return Access()
    assert isinstance(rule, frozenset)
    return Access(roles=rule)


def _endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}


def _path_to_sign_in(response: TestResponse) -> str | None:
    """The page a sign-in redirect would return to (the ``next``, "" if none), or None if the
    response is not a redirect to sign in.

    "Sign in first" redirects from GET carry ``next``; those from a form post do not (a sign-in
    cannot come back to a post), nor do views that simply send someone to the sign-in page
    (``/`` for visitors, signing out).
    """
    if response.status_code != 302:
        return None
    location = urlsplit(response.headers["Location"])
    if location.path != "/sign-in":
        return None
    next_values = parse_qs(location.query).get("next")
    return next_values[0] if next_values else ""


def _natural_request(app: Flask, endpoint: str, other: User) -> tuple[str, str]:
    """The method and path to try: GET if the endpoint takes it, else an empty POST."""
    (rule,) = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    fillers: dict[str, object] = {
        "user_id": other.id,
        "token": "not-a-real-token",
        "category": "taxi",
        "key": "uc.taper",
    }
    # Other ids name nothing that exists: the rule is checked before the object is looked up,
    # and object-level checks (other people's sign-ups, records...) live with each area's tests.
    for name in rule.arguments - fillers.keys():
        assert name.endswith("_id") or name == "number", f"teach this test to fill {name}"
        fillers[name] = UNKNOWN_ID
    with app.test_request_context():
        path = url_for(endpoint, **{name: fillers[name] for name in rule.arguments})
    method = "GET" if "GET" in (rule.methods or set()) else "POST"
    return method, path


def test_every_endpoint_is_in_the_matrix(app):
    assert _endpoints(app) == set(EXPECTED), (
        "add new endpoints to EXPECTED in tests/test_access_matrix.py"
    )
    with app.test_request_context():
        for endpoint, rule in EXPECTED.items():
            declared = access_for(endpoint)
            assert declared == _as_access(rule), f"{endpoint} declares {declared}"
            view = app.view_functions[endpoint]
            assert getattr(view, ACCESS_ATTRIBUTE) == declared


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", EXPECTED)
def test_access_matrix(app, client, make_user, endpoint, persona):
    other = make_user(name="Other Person", roles=(Role.EXPERT,))
    roles = PERSONAS[persona]
    if roles:
        sign_in(client, make_user(roles=roles))
    method, path = _natural_request(app, endpoint, other)

    response = client.open(path, method=method, data={} if method == "POST" else None)

    rule = EXPECTED[endpoint]
    sent_to_sign_in = _path_to_sign_in(response)
    if rule == PUBLIC:  # "/" may still send visitors to sign in, but never as a refusal
        assert response.status_code != 403
        assert not sent_to_sign_in
        if endpoint != "home.index":
            assert sent_to_sign_in is None
    elif not roles:
        assert sent_to_sign_in == (path if method == "GET" else "")
    elif rule == SIGNED_IN or not rule.isdisjoint(roles):
        assert response.status_code != 403
        # Signing out ends on the sign-in page by design; nothing else may.
        assert sent_to_sign_in is None or (endpoint == "auth.sign_out" and sent_to_sign_in == "")
    else:
        assert response.status_code == 403
    assert response.status_code < 500


# Object-level checks: what a non-admin can do to someone else's account ---------------------


def _denials(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied"))
        )


def _snapshot(app: Flask, user_id: int) -> tuple[frozenset[Role], bool, str, str | None]:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user.roles, user.is_active, user.session_token, user.password_hash


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_view_other_person_as_non_admin_is_refused_and_audited(app, client, make_user, persona):
    other = make_user(name="Quentin Private", email="quentin@example.org")
    intruder = make_user(roles=NON_ADMINS[persona])
    sign_in(client, intruder)

    response = client.get(f"/admin/people/{other.id}")

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Quentin Private" not in page
    assert "quentin@example.org" not in page
    (denial,) = _denials(app)
    assert denial.actor_id == intruder.id
    assert denial.detail == f"GET /admin/people/{other.id}"
    assert denial.ip_address == "127.0.0.1"


def _target_for(action: str, make_user: Callable[..., User]) -> User:
    """Someone the action would change: an admin to demote, an account to (re)activate..."""
    if action == "roles":
        return make_user(name="Target Admin", roles=(Role.ADMIN,))
    if action == "reactivate":
        return make_user(name="Target Deactivated", active=False)
    if action == "invitation":
        return make_user(name="Target Invited", roles=(Role.COORDINATOR,), password=False)
    return make_user(name="Target Active")


@pytest.mark.parametrize("action", PERSON_ACTIONS)
@pytest.mark.parametrize("persona", NON_ADMINS)
def test_change_other_person_as_non_admin_is_refused(
    app, client, make_user, outbox, persona, action
):
    target = _target_for(action, make_user)
    intruder = make_user(roles=NON_ADMINS[persona])
    sign_in(client, intruder)
    before = _snapshot(app, target.id)

    response = client.post(
        f"/admin/people/{target.id}/{action}", data={"roles": ["expert", "admin"]}
    )

    assert response.status_code == 403
    assert _snapshot(app, target.id) == before
    assert _snapshot(app, intruder.id)[0] == frozenset(NON_ADMINS[persona])
    assert outbox() == []
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["access.denied"]
    (denial,) = _denials(app)
    assert denial.actor_id == intruder.id
    assert denial.detail == f"POST /admin/people/{target.id}/{action}"


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_grant_self_admin_as_non_admin_is_refused(app, client, make_user, persona):
    intruder = make_user(roles=NON_ADMINS[persona])
    sign_in(client, intruder)

    response = client.post(f"/admin/people/{intruder.id}/roles", data={"roles": ["admin"]})

    assert response.status_code == 403
    assert _snapshot(app, intruder.id)[0] == frozenset(NON_ADMINS[persona])
    assert client.get("/admin/people").status_code == 403


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_guess_person_id_as_non_admin_is_refused_like_a_real_one(app, client, make_user, persona):
    sign_in(client, make_user(roles=NON_ADMINS[persona]))

    assert client.get(f"/admin/people/{UNKNOWN_ID}").status_code == 403
    assert client.post(f"/admin/people/{UNKNOWN_ID}/roles").status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/admin/people/{UNKNOWN_ID}"),
        *(("POST", f"/admin/people/{UNKNOWN_ID}/{action}") for action in PERSON_ACTIONS),
    ],
)
def test_guess_person_id_as_admin_is_not_found(app, client, make_user, method, path):
    sign_in(client, make_user(roles=(Role.ADMIN,)))

    response = client.open(path, method=method, data={"roles": ["expert"]})

    assert response.status_code == 404
    assert _denials(app) == []
