"""Object-level access: people guessing the ids of other people's things get 404.

The access matrix (test_access_matrix.py) checks every endpoint's rule by role with ids that
name nothing. This checks the other half: real objects that belong to someone else.
"""

from __future__ import annotations

import pytest

from payclaims.auth.models import Role
from payclaims.extensions import db
from payclaims.roles.models import SignUp, SignUpStatus
from tests.helpers import sign_in

# (path template, what it needs) for pages about one person's own things.
PERSONAL_PAGES = [
    ("/my-roles/{sign_up}", "GET"),
    ("/my-roles/{sign_up}/role", "GET"),
    ("/my-roles/{sign_up}/withdraw", "GET"),
    ("/my-roles/{sign_up}/withdraw", "POST"),
    ("/training/records/{record}", "GET"),
    ("/training/records/{record}/evidence", "GET"),
]
# Pages for the coordinator of the role the sign-up belongs to (and admins).
COORDINATOR_PAGES = [
    ("/sign-ups/{sign_up}", "GET"),
    ("/sign-ups/{sign_up}", "POST"),
    ("/roles/{role}/sign-ups", "GET"),
]


@pytest.fixture
def owned(make_user, make_role, make_sign_up, make_course, make_record):
    """Someone's sign-up and training record, and the role's coordinator."""
    owner = make_user(name="Owner", roles=(Role.EXPERT,))
    coordinator = make_user(name="Their coordinator", roles=(Role.COORDINATOR,))
    role = make_role(coordinator=coordinator)
    sign_up = make_sign_up(role, person=owner, status=SignUpStatus.ACCEPTED)
    record = make_record(owner, make_course())
    return {
        "owner": owner,
        "coordinator": coordinator,
        "ids": {"sign_up": sign_up.id, "record": record.id, "role": role.id},
    }


@pytest.mark.parametrize(("template", "method"), PERSONAL_PAGES)
def test_another_expert_guessing_ids_gets_not_found(client, make_user, owned, template, method):
    sign_in(client, make_user(name="Someone else", roles=(Role.EXPERT,)))

    response = client.open(template.format(**owned["ids"]), method=method)

    assert response.status_code == 404


@pytest.mark.parametrize(("template", "method"), PERSONAL_PAGES[:3] + PERSONAL_PAGES[4:5])
def test_the_owner_can_see_their_own(client, owned, template, method):
    sign_in(client, owned["owner"])

    response = client.open(template.format(**owned["ids"]), method=method)

    assert response.status_code == 200


@pytest.mark.parametrize(("template", "method"), COORDINATOR_PAGES)
def test_a_coordinator_of_another_role_gets_not_found(client, make_user, owned, template, method):
    sign_in(client, make_user(name="Other coordinator", roles=(Role.COORDINATOR,)))

    response = client.open(template.format(**owned["ids"]), method=method)

    assert response.status_code == 404


@pytest.mark.parametrize(("template", "method"), COORDINATOR_PAGES[:1] + COORDINATOR_PAGES[2:])
def test_the_roles_coordinator_can_see_them(client, owned, template, method):
    sign_in(client, owned["coordinator"])

    assert client.open(template.format(**owned["ids"]), method=method).status_code == 200


# Claims on their way through approval: pages for the role's coordinator, and for the finance
# approvers of the claim's cost centre (or their delegates). Anyone else gets 404.
CONFIRM_PAGES = [
    ("/coordinator/claims/{claim}", "GET"),
    ("/coordinator/claims/{claim}", "POST"),
]
FINANCE_PAGES = [
    ("/finance/claims/{claim}", "GET"),
    ("/finance/claims/{claim}/approve", "GET"),
    ("/finance/claims/{claim}/approve", "POST"),
    ("/finance/claims/{claim}/return", "GET"),
    ("/finance/claims/{claim}/return", "POST"),
    ("/finance/claims/{claim}/reject", "GET"),
    ("/finance/claims/{claim}/reject", "POST"),
]


@pytest.fixture
def claim_ids(app, owned, give_bank_details, make_sent_claim):
    """The owner's claim waiting for its coordinator, and one confirmed and with finance."""
    give_bank_details(owned["owner"])
    with app.app_context():
        sign_up = db.session.get(SignUp, owned["ids"]["sign_up"])
        assert sign_up is not None
        db.session.expunge(sign_up)
    waiting = make_sent_claim(sign_up)
    with_finance = make_sent_claim(sign_up, verified_by=owned["coordinator"])
    return {"waiting": waiting, "with_finance": with_finance}


@pytest.mark.parametrize(("template", "method"), CONFIRM_PAGES)
def test_a_coordinator_of_another_role_cannot_confirm_the_claim(
    client, make_user, claim_ids, template, method
):
    sign_in(client, make_user(name="Other coordinator", roles=(Role.COORDINATOR,)))

    response = client.open(template.format(claim=claim_ids["waiting"]), method=method)

    assert response.status_code == 404


@pytest.mark.parametrize(("template", "method"), FINANCE_PAGES)
def test_an_approver_of_another_cost_centre_gets_not_found(
    client, make_user, make_cost_centre, set_approvers, claim_ids, template, method
):
    stranger = make_user(name="Other approver", roles=(Role.FINANCE_APPROVER,))
    set_approvers(make_cost_centre(), stranger)
    sign_in(client, stranger)

    response = client.open(template.format(claim=claim_ids["with_finance"]), method=method)

    assert response.status_code == 404
