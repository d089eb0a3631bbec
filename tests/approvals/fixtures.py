"""The approvals scenario shared by the approvals tests (pages and services): Cora coordinates
an hourly role in cost centre MH-01, whose claims go to two finance approvers, Ann and Ben; Eli
(with bank details) is accepted on it.

Registered in tests/conftest.py through ``pytest_plugins``; a test module that defines a
fixture of the same name (many have their own ``expert`` or ``coordinator``) uses its own.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from payclaims.auth.models import Role, User
from payclaims.costcentres.models import CostCentre
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    """Cora, the role's coordinator: confirms the work took place."""
    return make_user(name="Cora Coordinator", roles=(Role.COORDINATOR,))


@pytest.fixture
def expert(make_user: Callable[..., User], give_bank_details: Callable[..., None]) -> User:
    """Eli, an expert by experience with (unconfirmed) bank details."""
    person = make_user(name="Eli Expert", email="eli@example.org")
    give_bank_details(person)
    return person


@pytest.fixture
def approver_a(make_user: Callable[..., User]) -> User:
    """Ann, a finance approver of the cost centre."""
    return make_user(name="Ann Approver", email="ann@example.org", roles=(Role.FINANCE_APPROVER,))


@pytest.fixture
def approver_b(make_user: Callable[..., User]) -> User:
    """Ben, the cost centre's other finance approver."""
    return make_user(name="Ben Approver", email="ben@example.org", roles=(Role.FINANCE_APPROVER,))


@pytest.fixture
def cost_centre(
    make_cost_centre: Callable[..., CostCentre],
    set_approvers: Callable[..., None],
    approver_a: User,
    approver_b: User,
) -> CostCentre:
    """MH-01, approved by Ann and Ben (one approval is enough up to the £250 default limit)."""
    centre = make_cost_centre(code="MH-01", name="Community mental health")
    set_approvers(centre, approver_a, approver_b)
    return centre


@pytest.fixture
def role(
    make_role: Callable[..., RoleDescription], coordinator: User, cost_centre: CostCentre
) -> RoleDescription:
    """An hourly role at £20 an hour, coordinated by Cora, paid from MH-01."""
    return make_role(coordinator=coordinator, cost_centre=cost_centre)


@pytest.fixture
def sign_up(make_sign_up: Callable[..., SignUp], role: RoleDescription, expert: User) -> SignUp:
    """Eli's accepted sign-up to the role."""
    return make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)
