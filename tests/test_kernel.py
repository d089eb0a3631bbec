"""The kernel's plain helpers: tax years, paging a list in memory, the services' role check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User
from payclaims.dates import TaxYear, tax_year_of
from payclaims.errors import PermissionDenied
from payclaims.paging import ListPage


@pytest.mark.parametrize(
    ("on", "start"),
    [
        (date(2026, 4, 5), date(2025, 4, 6)),
        (date(2026, 4, 6), date(2026, 4, 6)),
        (date(2027, 1, 31), date(2026, 4, 6)),
        (date(2028, 2, 29), date(2027, 4, 6)),
    ],
)
def test_tax_year_of_starts_on_the_6_april_on_or_before(on: date, start: date) -> None:
    assert tax_year_of(on).start == start


def test_tax_year_ends_on_5_april_and_is_named_as_hmrc_names_it() -> None:
    tax_year = tax_year_of(date(2026, 12, 5))
    assert tax_year == TaxYear(date(2026, 4, 6))
    assert tax_year.end == date(2027, 4, 5)
    assert tax_year.label == "2026 to 2027"


def test_list_page_gives_the_page_asked_for_and_its_neighbours() -> None:
    page = ListPage.of(list(range(25)), page=2, per_page=10)
    assert page.items == list(range(10, 20))
    assert (page.total, page.pages, page.prev_num, page.next_num) == (25, 3, 1, 3)


def test_list_page_past_the_end_is_empty_and_before_the_start_is_the_first() -> None:
    assert ListPage.of([1, 2], page=5, per_page=10).items == []
    first = ListPage.of([1, 2], page=0, per_page=10)
    assert (first.items, first.has_prev, first.has_next, first.pages) == ([1, 2], False, False, 1)
    assert ListPage.of([], page=1, per_page=10).pages == 1


@pytest.mark.parametrize(
    ("role", "message"),
    [
        (Role.FINANCE_ADMIN, "Only a finance admin can do this."),
        (Role.ADMIN, "Only an admin can do this."),
    ],
)
def test_require_role_refuses_someone_without_the_role(
    make_user: Callable[..., User], role: Role, message: str
) -> None:
    person = make_user(roles=(Role.COORDINATOR,))
    with pytest.raises(PermissionDenied) as refused:
        require_role(person, role)
    assert refused.value.message == message


def test_require_role_refuses_a_deactivated_holder_and_says_why_when_told(
    make_user: Callable[..., User],
) -> None:
    person = make_user(roles=(Role.FINANCE_ADMIN,), active=False)
    with pytest.raises(PermissionDenied) as refused:
        require_role(person, Role.FINANCE_ADMIN, message="Only finance admins can run payments.")
    assert refused.value.message == "Only finance admins can run payments."


def test_require_role_lets_an_active_holder_through(make_user: Callable[..., User]) -> None:
    person = make_user(roles=(Role.FINANCE_ADMIN, Role.COORDINATOR))
    require_role(person, Role.FINANCE_ADMIN)
