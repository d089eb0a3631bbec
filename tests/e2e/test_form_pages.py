"""Form pages not on a journey, checked with axe-core: training evidence and the fee choice."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from payclaims.training.models import TrainingCourse
from tests.e2e.helpers import follow_link, press_button, sign_in_as, visit


def test_training_forms_with_a_file_input_are_accessible(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_course: Callable[..., TrainingCourse],
) -> None:
    make_user(email="eli@example.org", roles=(Role.EXPERT,))
    make_user(email="cora@example.org", roles=(Role.COORDINATOR,))
    make_course(name="Safeguarding level 1")

    expert = make_page()
    sign_in_as(expert, "eli@example.org")
    visit(expert, "/my-training/new")
    expect(expert.locator("input[type=file]")).to_have_count(1)

    coordinator = make_page()
    sign_in_as(coordinator, "cora@example.org")
    visit(coordinator, "/training/new")
    expect(coordinator.locator("input[type=file]")).to_have_count(1)


def test_fee_choice_page_is_accessible(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_role: Callable[..., RoleDescription],
    make_sign_up: Callable[..., SignUp],
) -> None:
    person = make_user(email="sam@example.org", roles=(Role.EXPERT,))
    make_sign_up(
        make_role(title="Interview panel member"), person=person, status=SignUpStatus.ACCEPTED
    )

    page = make_page()
    sign_in_as(page, "sam@example.org")
    visit(page, "/my-claims")
    follow_link(page, "Start a claim for Interview panel member")
    press_button(page, "Start the claim")
    visit(page, page.url.rstrip("/") + "/how-to-be-paid")
    expect(page.get_by_label("A reduced fee")).to_have_count(1)
