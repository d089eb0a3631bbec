"""The presenters: what a page shows that needs a decision (tags, summary rows), called
directly on objects built in memory; and a guard that templates stay display-only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice

from payclaims import presenting
from payclaims.admin import presenters as admin
from payclaims.approvals import presenters as approvals
from payclaims.approvals.models import ClaimApproval
from payclaims.auth import presenters as auth
from payclaims.auth.models import User
from payclaims.benefits import presenters as benefits
from payclaims.benefits.engine.types import (
    Benefit,
    BenefitCheck,
    BenefitResult,
    Confidence,
    Level,
    WeekStart,
)
from payclaims.benefits.profile.models import BenefitProfile, FeeChoice
from payclaims.benefits.rules.models import BenefitRule
from payclaims.claims import presenters as claims
from payclaims.claims.models import Claim, ClaimLine, ClaimStatus
from payclaims.costcentres import presenters as costcentres
from payclaims.costcentres.models import CostCentre
from payclaims.forms import DateField
from payclaims.people import presenters as people
from payclaims.people.bank_details import ShownBankDetails
from payclaims.people.models import OtherPaymentMethod, PaymentMethod
from payclaims.people.payment_setup import PaymentSetup
from payclaims.roles import presenters as roles
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import (
    FeeUnit,
    LocationType,
    RoleDescription,
    RoleStatus,
    RoleVersion,
    SignUp,
    SignUpStatus,
)
from payclaims.signups import presenters as signups
from payclaims.signups.services import NeedKind, TrainingNeed
from payclaims.training import presenters as training
from payclaims.training.models import TrainingCourse, TrainingRecord
from payclaims.training.services import RecordStatus

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
WHEN = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    """A request, for presenters that link to pages."""
    with app.test_request_context():
        yield


def texts(rows: list[presenting.SummaryRow]) -> list[tuple[str, str]]:
    """Each row's key and value (text, or HTML as a string)."""
    return [
        (row["key"]["text"], str(row["value"].get("text", row["value"].get("html"))))
        for row in rows
    ]


# --- people's accounts and cost centres -------------------------------------------------------


def test_account_tags() -> None:
    assert admin.person_status_tag(User(is_active=False)) == {
        "text": "Deactivated",
        "colour": "grey",
    }
    assert admin.person_status_tag(User(is_active=True, password_hash=None))["text"] == "Invited"
    active = User(is_active=True, password_hash="hash")
    assert admin.person_status_tag(active) == {"text": "Active", "colour": "green"}
    assert auth.email_tag(User(email_verified_at=WHEN)) == {"text": "Confirmed", "colour": "green"}
    assert auth.email_tag(User(email_verified_at=None))["colour"] == "orange"
    assert costcentres.status_tag(CostCentre(is_active=True)) == {"text": "Open", "colour": "green"}
    assert costcentres.status_tag(CostCentre(is_active=False))["text"] == "Closed"


# --- claims ------------------------------------------------------------------------------------


def test_every_claim_status_has_a_coloured_tag_in_its_own_words() -> None:
    for status in ClaimStatus:
        assert claims.status_tag(Claim(status=status)) == {
            "text": status.label,
            "colour": claims.STATUS_COLOURS[status],
        }
    assert claims.status_tag(Claim(status=ClaimStatus.RETURNED))["colour"] == "orange"
    assert claims.status_tag(Claim(status=ClaimStatus.REJECTED))["colour"] == "red"


def test_fee_choice_text_names_the_amount_only_of_a_reduced_fee() -> None:
    reduced = Claim(fee_choice=FeeChoice.REDUCED, reduced_fee_pence=1250)
    assert claims.fee_choice_text(reduced) == f"{FeeChoice.REDUCED.label}: £12.50"
    assert claims.fee_choice_text(Claim(fee_choice=FeeChoice.FULL)) == FeeChoice.FULL.label


def test_claim_state_checks() -> None:
    assert Claim(status=ClaimStatus.RETURNED).is_returned
    assert Claim(status=ClaimStatus.REJECTED).is_rejected
    assert Claim(status=ClaimStatus.SUBMITTED).is_submitted
    assert Claim(status=ClaimStatus.VERIFIED).is_verified
    assert not Claim(status=ClaimStatus.DRAFT).is_returned
    assert ClaimLine(category=ExpenseCategory.MILEAGE).is_mileage
    assert not ClaimLine(category=None).is_mileage


# --- approvals ---------------------------------------------------------------------------------


def test_finance_status_says_whether_a_second_approver_is_awaited() -> None:
    verified = Claim(status=ClaimStatus.VERIFIED)
    assert approvals.finance_status_tag(verified, []) == {
        "text": "Waiting for a decision",
        "colour": "blue",
    }
    assert approvals.finance_status_tag(verified, [ClaimApproval()]) == {
        "text": "Waiting for a second approver",
        "colour": "yellow",
    }
    paid = Claim(status=ClaimStatus.PAID)
    assert approvals.finance_status_tag(paid, []) == claims.status_tag(paid)


def test_benefits_tag_is_coloured_by_level_and_absent_without_a_profile() -> None:
    assert approvals.benefits_tag(None, None) is None
    check = BenefitCheck(level=Level.STOPS, earnings_like_pence=0, benefits=())
    assert approvals.benefits_tag(check, "ESA: could stop") == {
        "text": "ESA: could stop",
        "colour": "red",
    }
    clear = BenefitCheck(level=Level.CLEAR, earnings_like_pence=0, benefits=())
    assert approvals.benefits_tag(clear, None) == {"text": "Clear", "colour": "green"}


# --- sign-ups ----------------------------------------------------------------------------------


def test_sign_up_status_tag_takes_the_words_it_is_given() -> None:
    sign_up = SignUp(status=SignUpStatus.WAITLISTED)
    assert signups.status_tag(sign_up, "On the waiting list") == {
        "text": "On the waiting list",
        "colour": "yellow",
    }
    assert SignUp(status=SignUpStatus.ACCEPTED).is_accepted
    assert SignUp(status=SignUpStatus.INTERESTED).is_interested


def test_training_rows_link_to_a_record_waiting_for_its_check(request_context: None) -> None:
    done, expired, waiting = (
        TrainingCourse(id=1, name="Safeguarding"),
        TrainingCourse(id=2, name="Data <protection>"),
        TrainingCourse(id=3, name="Recovery"),
    )
    version = RoleVersion(required_courses=[done, expired, waiting])
    gaps = {
        2: TrainingNeed(expired, "expired on 3 May 2026", NeedKind.EXPIRED, 7),
        3: TrainingNeed(waiting, "done, waiting for a check", NeedKind.AWAITING_CHECK, 9),
    }
    rows = signups.training_rows(version, gaps)
    assert texts(rows) == [
        ("Safeguarding", "Done, checked and in date"),
        ("Data <protection>", "Expired on 3 may 2026"),
        (
            "Recovery",
            f'Done, waiting for a check. <a href="{url_for("training.record", record_id=9)}">'
            "Check the record"
            '<span class="nhsuk-u-visually-hidden"> of Recovery</span></a>',
        ),
    ]
    assert all(isinstance(row["value"]["html"], Markup) for row in rows)


# --- roles -------------------------------------------------------------------------------------


def test_role_status_tag_and_where_a_role_happens() -> None:
    assert roles.status_tag(RoleDescription(status=RoleStatus.OPEN))["colour"] == "green"
    assert roles.status_tag(RoleDescription(status=RoleStatus.CLOSED))["colour"] == "grey"
    assert roles.status_tag(RoleDescription(status=RoleStatus.DRAFT))["colour"] == "blue"
    assert RoleDescription(status=RoleStatus.OPEN).is_open
    assert RoleDescription(status=RoleStatus.CLOSED).is_closed
    in_person = RoleVersion(location_type=LocationType.IN_PERSON, venue="The Hub")
    remote = RoleVersion(location_type=LocationType.REMOTE, venue="")
    assert in_person.is_in_person and not remote.is_in_person
    assert roles.where_text(in_person) == "The Hub"
    assert roles.where_text(remote) == LocationType.REMOTE.label


# --- people ------------------------------------------------------------------------------------


def cheque(*, confirmed: bool) -> OtherPaymentMethod:
    """A cheque payment method, checked by finance or not."""
    return OtherPaymentMethod(method=PaymentMethod.CHEQUE, confirmed_at=WHEN if confirmed else None)


@pytest.mark.parametrize(
    ("setup", "text", "colour"),
    [
        (
            PaymentSetup(False, False, cheque(confirmed=False)),
            "Cheque, waiting to be checked",
            "orange",
        ),
        (PaymentSetup(True, True, cheque(confirmed=True)), "Cheque", "blue"),
        (PaymentSetup(True, True, None), "Bank details checked", "green"),
        (PaymentSetup(True, False, None), "Bank details waiting to be checked", "orange"),
        (PaymentSetup(False, False, None), "Not set up", "grey"),
    ],
)
def test_payment_setup_tag(setup: PaymentSetup, text: str, colour: str) -> None:
    assert people.setup_tag(setup) == {"text": text, "colour": colour}


def test_payment_setup_explanation(request_context: None) -> None:
    unchecked = people.setup_explanation(PaymentSetup(False, False, cheque(confirmed=False)))
    assert unchecked.startswith("Finance recorded that we pay them by cheque")
    assert (
        people.setup_explanation(PaymentSetup(False, False, cheque(confirmed=True)))
        == "We pay them by cheque, not into a bank account."
    )
    waiting = people.setup_explanation(PaymentSetup(True, False, None))
    assert f'<a href="{url_for("people.bank_changes")}">check bank details</a>' in waiting
    assert "no other way to pay them" in people.setup_explanation(PaymentSetup(False, False, None))


def test_bank_details_rows_show_a_roll_number_only_when_there_is_one() -> None:
    someone = User(name="Sam", email="sam@example.org")
    details = ShownBankDetails(
        id=1,
        person=someone,
        name_on_account="S Smith",
        sort_code="**-**-56",
        account_number="****5678",
        account_ending="5678",
        roll_number=None,
        created_at=WHEN,
        created_by=someone,
        confirmed_at=None,
        confirmed_by=None,
    )
    status = Markup("<strong>Checked</strong>")
    assert texts(people.bank_details_rows(details, status_html=status)) == [
        ("Name on the account", "S Smith"),
        ("Sort code", "**-**-56"),
        ("Account number", "ending 5678"),
        ("Added on", "4 May 2026"),
        ("Status", "<strong>Checked</strong>"),
    ]
    assert people.bank_details_status_tag(details)["text"] == "Waiting to be checked"
    with_roll = ShownBankDetails(**{**details.__dict__, "roll_number": "****4567"})
    keys = [key for key, _ in texts(people.bank_details_rows(with_roll, status_html=status))]
    assert keys[3] == "Building society roll number"


# --- benefits ----------------------------------------------------------------------------------


def test_profile_rows_ask_only_about_the_benefits_received(request_context: None) -> None:
    profile = BenefitProfile(
        gets_universal_credit=True,
        uc_assessment_period_start_day=12,
        uc_child_or_lcw=True,
        uc_housing_costs=False,
        gets_esa=False,
        gets_carers_allowance=False,
        gets_pension_credit=False,
        gets_housing_benefit=False,
        gets_pip=False,
        gets_dla=False,
        gets_council_tax_reduction=False,
        gets_attendance_allowance=False,
        week_start=WeekStart.MONDAY,
        default_fee_choice=FeeChoice.FULL,
        updated_at=WHEN,
    )
    rows = benefits.profile_rows(profile, change=True)
    assert texts(rows) == [
        ("Benefits", Benefit.UNIVERSAL_CREDIT.label),
        ("Universal Credit assessment period starts on", "Day 12 of each month"),
        ("Responsible for a child, or limited capability for work", "Yes"),
        ("Universal Credit pays towards housing costs", "No"),
        ("Work allowance", "The higher work allowance"),
        ("Usual choice for new claims", FeeChoice.FULL.label),
        ("Last changed", "4 May 2026"),
    ]
    assert rows[0]["actions"]["items"][0]["href"] == url_for("benefits.edit_profile")
    assert "actions" not in benefits.profile_rows(profile)[0]


def test_result_rows_show_only_the_figures_a_result_has() -> None:
    result = BenefitResult(
        benefit=Benefit.ESA,
        level=Level.NEAR,
        message="Close to the limit.",
        period_start=date(2026, 5, 4),
        period_end=date(2026, 5, 10),
        counted_pence=15000,
        hours=Decimal("6.5"),
    )
    assert texts(benefits.result_rows(result)) == [
        ("Period", "4 May 2026 to 10 May 2026"),
        ("Earnings counted in the period", "£150.00"),
        ("Hours in the busiest week", "6.5"),
    ]
    assert benefits.result_rows(BenefitResult(Benefit.PIP, Level.CLEAR, "No effect.")) == []


def test_level_words_figure_notes_and_the_what_if_hint() -> None:
    assert benefits.level_words(Level.REDUCES) == "likely to be reduced"
    assert [benefits.level_words(level) for level in Level]  # every level has words
    confirmed = BenefitRule(confidence=Confidence.S)
    assert benefits.confidence_tag(confirmed) == {"text": "Confirmed", "colour": "green"}
    s2 = BenefitRule(confidence=Confidence.S2)
    assert benefits.confidence_tag(s2)["text"] == "Figure awaiting confirmation"
    assert benefits.confidence_note(s2) == "stated only by secondary sources"
    inferred = BenefitRule(confidence=Confidence.I)
    assert benefits.confidence_note(inferred) == "inferred from a published formula"
    plain = "What you would be paid for one session, like 25.00."
    assert benefits.what_if_fee_hint(None) == plain
    version = RoleVersion(fee_pence=2500, fee_unit=FeeUnit.HALF_DAY, published_at=WHEN)
    role = RoleDescription(versions=[version])
    assert benefits.what_if_fee_hint(role) == f"{plain} This role pays £25.00 a half day."


# --- training ----------------------------------------------------------------------------------


def test_training_status_tag_and_record_rows() -> None:
    assert training.status_tag(RecordStatus.EXPIRED) == {"text": "Expired", "colour": "red"}
    assert {training.status_tag(status)["colour"] for status in RecordStatus} == {
        "green",
        "blue",
        "orange",
        "red",
    }
    assert training.course_tag(TrainingCourse(is_active=True))["text"] == "Offered"
    assert training.course_tag(TrainingCourse(is_active=False))["colour"] == "grey"
    person = User(name="Ada", email="ada@example.org")
    record = TrainingRecord(
        person=person,
        recorded_by=person,
        completed_on=date(2026, 1, 5),
        expires_on=None,
        created_at=WHEN,
        verified_at=None,
    )
    status, evidence = Markup("<b>Awaiting</b>"), Markup("None")
    rows = training.record_rows(
        record, show_person=True, status_html=status, evidence_html=evidence
    )
    assert texts(rows) == [
        ("Person", "Ada (ada@example.org)"),
        ("Completed on", "5 January 2026"),
        ("Expires on", "Does not expire"),
        ("Status", "<b>Awaiting</b>"),
        ("Recorded by", "Ada on 4 May 2026"),
        ("Verified by", "Not yet"),
        ("Evidence", "None"),
    ]
    without = training.record_rows(
        record, show_person=False, status_html=status, evidence_html=evidence
    )
    assert without == rows[1:]


# --- the shapes of the NHS.UK macros -----------------------------------------------------------


class ChoicesForm(Form):
    colour = SelectField(choices=[SelectChoice("red", "Red"), SelectChoice("blue", "Blue")])
    when = DateField()


def test_form_items() -> None:
    form = ChoicesForm(MultiDict({"colour": "blue", "when-day": "3", "when-month": "13"}))
    assert presenting.choice_items(form.colour, {"red": "Warm"}) == [
        {"value": "red", "text": "Red", "hint": {"text": "Warm"}, "checked": False},
        {"value": "blue", "text": "Blue", "hint": None, "checked": True},
    ]
    assert presenting.select_items(form.colour)[1] == {
        "value": "blue",
        "text": "Blue",
        "selected": True,
    }
    form.validate()
    items = presenting.date_items(form.when)
    assert [item["id"] for item in items] == ["when-day", "when-month", "when-year"]
    assert [item["value"] for item in items] == ["3", "13", ""]
    assert [item["width"] for item in items] == [2, 2, 4]
    assert any(item["error"] for item in items)


def test_page_link_args_drop_the_page_and_add_the_endpoints_values() -> None:
    args = {"page": ["2"], "status": ["verified", "approved"]}
    assert presenting.page_link_args(args, {"run_id": 3}) == {
        "status": ["verified", "approved"],
        "run_id": 3,
    }
    assert presenting.page_link_args({}, None) == {}


def test_banner_by_flash_category() -> None:
    body = Markup("<p>Saved</p>")
    assert presenting.banner("success", body) == {
        "type": "success",
        "titleText": "Done",
        "html": body,
    }
    assert presenting.banner("error", body)["role"] == "alert"
    assert presenting.banner("info", body) == {"titleText": "Important", "html": body}


# --- templates only display --------------------------------------------------------------------

ENUMISH = r"(status|kind|level|category|fee_choice|location_type|paid_by|confidence|fee_unit)"
FORBIDDEN = {
    "appends to a list": re.compile(r"\.(append|extend)\("),
    "sets a throwaway variable": re.compile(r"set\s+_\s*="),
    "compares an enum's value": re.compile(r"\.value\s*(==|!=)|(==|!=)\s*\S*\.value\b"),
    "compares an enum-ish attribute with a string": re.compile(
        ENUMISH + r"\s*(==|!=)\s*['\"]|['\"]\s*(==|!=)\s*\S*" + ENUMISH + r"\b"
    ),
    "looks up by an enum's value": re.compile(r"\[[\w.]*\.value\]"),
}


def test_templates_only_display() -> None:
    """Decisions (tag colours, which rows) live in presenters: see STYLE.md, Templates."""
    found = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for what, pattern in FORBIDDEN.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(TEMPLATES)}:{number} {what}: {line.strip()}")
    assert found == []
