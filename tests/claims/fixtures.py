"""The claims scenario shared by the claim rule tests (test_claims_services.py and
test_claims_expenses.py): Cora coordinates a role Eli is accepted on, and Eli has bank details.

Registered in tests/conftest.py through ``pytest_plugins``; a test module that defines a
fixture of the same name uses its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from payclaims.auth.models import Role, User
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus


@dataclass
class World:
    """A coordinator, an expert with an accepted sign-up to the coordinator's role."""

    coordinator: User
    expert: User
    role: RoleDescription
    sign_up: SignUp


@pytest.fixture
def make_world(
    make_user: Callable[..., User],
    make_role: Callable[..., RoleDescription],
    make_sign_up: Callable[..., SignUp],
    give_bank_details: Callable[..., None],
) -> Callable[..., World]:
    """Build a world; role fields (fee_pence, fee_unit, expense_categories...) go on the role's
    version, ``bank_details=False`` leaves the expert without any, ``verified=False`` with an
    unconfirmed email address."""

    def build(*, bank_details: bool = True, verified: bool = True, **fields: object) -> World:
        coordinator = make_user(name="Cora Coordinator", roles=(Role.COORDINATOR,))
        expert = make_user(name="Eli Expert", verified=verified)
        role = make_role(coordinator=coordinator, **fields)
        sign_up = make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)
        if bank_details:
            give_bank_details(expert)
        return World(coordinator, expert, role, sign_up)

    return build


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    """An hourly role at £20 an hour."""
    return make_world()
