"""The involvement journey in a real browser, axe-checked on every page.

A coordinator publishes a role, an expert signs up with an access need, the coordinator
accepts although a required course is missing ("subject to training"), and the expert sees
the role in "My roles" with the training they still need.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from payclaims.costcentres.models import CostCentre
from payclaims.dates import uk_today
from payclaims.training.models import TrainingCourse
from tests.e2e.helpers import click_through, follow_link, press_button, sign_in_as, visit

TITLE = "Recovery college co-trainer"
ACCESS_NEED = "A quiet room to prepare, and the slides a week before."


def _menu_link(page: Page, name: str) -> None:
    menu = page.get_by_role("navigation", name="Menu")
    click_through(page, menu.get_by_role("link", name=name, exact=True))


def test_publish_sign_up_accept_subject_to_training(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_cost_centre: Callable[..., CostCentre],
    make_course: Callable[..., TrainingCourse],
) -> None:
    make_user(name="Priya Shah", email="priya@example.org", roles=(Role.COORDINATOR,))
    make_user(name="Sam Okafor", email="sam@example.org", roles=(Role.EXPERT,))
    make_cost_centre(code="RC-200", name="Recovery college")
    make_course(name="Safeguarding level 1", validity_months=12)
    closing = uk_today() + timedelta(days=20)

    # The coordinator writes the role, previews it and publishes it.
    coordinator = make_page()
    sign_in_as(coordinator, "priya@example.org")
    _menu_link(coordinator, "Roles")
    press_button(coordinator, "Create a role")
    form = coordinator
    form.get_by_label("Title").fill(TITLE)
    form.get_by_label("Purpose").fill("Co-deliver recovery college courses.")
    form.get_by_label("What you will do").fill("Plan and lead parts of each session.")
    form.get_by_label("Co-production", exact=True).check()
    form.get_by_label("In person", exact=True).check()
    form.get_by_label("Venue", exact=True).fill("14 Station Road")
    form.get_by_label("Venue accessibility").fill("Step-free, accessible toilet.")
    form.get_by_label("Time commitment").fill("One morning a week for 6 weeks.")
    form.get_by_label("Hours per session").fill("3")
    form.get_by_label("A fee", exact=True).check()
    form.get_by_label("Fee", exact=True).fill("75.00")
    form.get_by_label("Per session", exact=True).check()
    form.get_by_label("Public transport (bus, train, tram)").check()
    form.get_by_label("Safeguarding level 1").check()
    form.get_by_label("Support offered").fill("A buddy and a debrief after each session.")
    form.get_by_label("Places").fill("2")
    form.get_by_role("textbox", name="Day", exact=True).fill(str(closing.day))
    form.get_by_role("textbox", name="Month", exact=True).fill(str(closing.month))
    form.get_by_role("textbox", name="Year", exact=True).fill(str(closing.year))
    form.get_by_label("Cost centre").select_option(label="Recovery college (RC-200)")
    press_button(form, "Save as draft")
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text(TITLE)
    press_button(coordinator, "Preview")
    expect(coordinator.get_by_text("£75.00")).to_be_visible()
    coordinator.go_back()
    press_button(coordinator, "Publish version 1")
    expect(coordinator.locator(".nhsuk-notification-banner")).to_be_visible()

    # The expert finds the role and signs up with an access need.
    expert = make_page()
    sign_in_as(expert, "sam@example.org")
    _menu_link(expert, "Find roles")
    follow_link(expert, TITLE)
    expect(expert.get_by_text("How might this affect my benefits?")).to_be_visible()
    press_button(expert, "Sign up")
    expert.get_by_label("Access needs or reasonable adjustments").fill(ACCESS_NEED)
    press_button(expert, "Sign up")
    expect(expert.locator(".nhsuk-notification-banner")).to_be_visible()

    # The coordinator sees the access need and the missing course, and accepts anyway.
    visit(coordinator, coordinator.url)
    follow_link(coordinator, "Sign-ups to this role")
    follow_link(coordinator, "Sam Okafor")
    expect(coordinator.get_by_text(ACCESS_NEED)).to_be_visible()
    expect(coordinator.locator("main")).to_contain_text("Safeguarding level 1")
    coordinator.get_by_label("Accept", exact=True).check()
    press_button(coordinator, "Save decision")
    # Accepting without saying "subject to training" is refused, naming the course.
    expect(coordinator.locator(".nhsuk-error-summary")).to_contain_text("Safeguarding level 1")
    coordinator.get_by_label("Accept", exact=True).check()
    coordinator.get_by_label("Accept subject to training").check()
    press_button(coordinator, "Save decision")
    expect(coordinator.locator(".nhsuk-notification-banner")).to_be_visible()

    # The expert sees the role among theirs, with the training still to do.
    _menu_link(expert, "My roles")
    your_roles = expert.locator("main")
    expect(your_roles).to_contain_text("Your roles")
    expect(your_roles).to_contain_text(TITLE)
    follow_link(expert, TITLE)
    expect(expert.locator("main")).to_contain_text("Safeguarding level 1")
    expect(expert.locator("main")).to_contain_text("subject to training")
