"""Benefit rule figures: the seeded figures, the loader, and finance admins' pages to add,
correct and confirm figures (others read or are refused; every change audited)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from payclaims.auth.models import Role, User
from payclaims.benefits.engine.types import Confidence
from payclaims.benefits.rules import services
from payclaims.benefits.rules.catalogue import (
    RULE_KEYS,
    RulePeriod,
    RuleUnit,
    seed_figures,
    seed_rows,
    seed_rule_set,
)
from payclaims.benefits.rules.models import BenefitRule, value_text
from payclaims.benefits.rules.store import load_rule_set
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from tests.helpers import (
    EVIL,
    error_summary,
    events,
    field_error,
    html,
    input_value,
    page_text,
    sign_in,
    text_of,
)

IP = "192.0.2.9"
PRIMARY = "gov.uk: Benefit and pension rates 2026 to 2027"
APRIL_2026 = date(2026, 4, 6)


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    """A finance admin (not signed in), for calling the services directly."""
    return make_user(roles=(Role.FINANCE_ADMIN,))


@pytest.fixture
def finance_admin(client: FlaskClient, make_user: Callable[..., User]) -> User:
    """A finance admin, signed in on ``client``."""
    user = make_user(name="Fin Admin", roles=(Role.FINANCE_ADMIN,))
    sign_in(client, user)
    return user


def _rows(app: Flask, key: str) -> list[tuple[int, date, date | None, str, bool]]:
    """(value, from, to, confidence, current) of every row for ``key``, oldest row first."""
    with app.app_context():
        return [
            (r.value, r.effective_from, r.effective_to, r.confidence.value, r.is_current)
            for r in db.session.scalars(
                select(BenefitRule).where(BenefitRule.key == key).order_by(BenefitRule.id)
            )
        ]


def _rule_id(app: Flask, key: str, effective_from: date) -> int:
    with app.app_context():
        rule_id = db.session.scalar(
            select(BenefitRule.id).where(
                BenefitRule.key == key,
                BenefitRule.effective_from == effective_from,
                BenefitRule.replaced_by_id.is_(None),
            )
        )
    assert rule_id is not None
    return rule_id


def label_text(response: TestResponse, for_id: str) -> str:
    """The text of the label for the element with this id."""
    (label,) = [el for el in html(response).iter("label") if el.get("for") == for_id]
    return text_of(label)


def textarea_value(response: TestResponse, field_id: str) -> str:
    """The text a textarea shows."""
    field = html(response).find(f".//textarea[@id='{field_id}']")
    assert field is not None
    return field.text or ""


def _actor(user: User) -> User:
    loaded = db.session.get(User, user.id)
    assert loaded is not None
    return loaded


def _rule(rule_id: int) -> BenefitRule:
    """The figure with this id (call inside an app context)."""
    rule = db.session.get(BenefitRule, rule_id)
    assert rule is not None
    return rule


def _changed_meanwhile(rule_id: int, **values: object) -> None:
    """Someone else changes the figure's row, in a transaction of their own."""
    with db.engine.begin() as connection:
        connection.execute(update(BenefitRule).where(BenefitRule.id == rule_id).values(**values))


def _correct_to_205(rule: BenefitRule, admin: User) -> None:
    """Correct the carer's earnings limit to £205 a week."""
    services.correct_figure(
        rule,
        actor=_actor(admin),
        value=20500,
        source="gov.uk",
        confidence=Confidence.S,
        note="Final rates",
    )


# The seeded figures ------------------------------------------------------------------------


def test_migration_seeds_every_figure_of_rules_md(app):
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(BenefitRule))
        assert load_rule_set() == seed_rule_set()
    assert count == len(seed_figures()) == 3 * len(RULE_KEYS)


@pytest.mark.parametrize(
    ("key", "on", "value", "confidence"),
    [
        ("uc.work_allowance.lower", date(2024, 4, 8), 40400, "S"),
        ("uc.work_allowance.lower", date(2025, 4, 7), 41100, "S"),
        ("uc.work_allowance.lower", APRIL_2026, 42700, "S2"),
        ("uc.work_allowance.higher", APRIL_2026, 71000, "S2"),
        ("uc.taper", APRIL_2026, 5500, "S"),
        ("esa.permitted_work.higher", date(2025, 4, 7), 19550, "S2"),
        ("esa.permitted_work.higher", APRIL_2026, 20350, "I"),
        ("esa.permitted_work.lower", APRIL_2026, 2000, "S"),
        ("ca.earnings_limit", date(2024, 4, 8), 15100, "S"),
        ("ca.earnings_limit", date(2025, 4, 7), 19600, "S"),
        ("ca.earnings_limit", APRIL_2026, 20400, "S2"),
        ("legacy.disregard.lone_parent", APRIL_2026, 2500, "S"),
        ("hmrc.mileage.car", date(2026, 4, 5), 45, "S"),
        ("hmrc.mileage.car", APRIL_2026, 55, "S2"),
        ("hmrc.mileage.passenger", APRIL_2026, 5, "S"),
        ("tax.trading_allowance", APRIL_2026, 100000, "S"),
        ("nlw.hourly", date(2026, 4, 1), 1271, "S2"),
    ],
)
def test_seeded_figure_in_force_on_date_matches_rules_md(app, key, on, value, confidence):
    with app.app_context():
        figure = load_rule_set().in_force(key, on)
    assert (figure.value, figure.confidence.value) == (value, confidence)


def test_seeded_figures_end_the_day_before_the_next(app):
    assert _rows(app, "ca.earnings_limit") == [
        (15100, date(2024, 4, 8), date(2025, 4, 6), "S", True),
        (19600, date(2025, 4, 7), date(2026, 4, 5), "S", True),
        (20400, APRIL_2026, None, "S2", True),
    ]


@pytest.mark.parametrize(
    ("value", "unit", "period", "text"),
    [
        (42700, RuleUnit.PENCE, RulePeriod.MONTHLY, "£427 a month"),
        (20350, RuleUnit.PENCE, RulePeriod.WEEKLY, "£203.50 a week"),
        (5500, RuleUnit.BASIS_POINTS, RulePeriod.MONTHLY, "55%"),
        (5525, RuleUnit.BASIS_POINTS, RulePeriod.MONTHLY, "55.25%"),
        (5550, RuleUnit.BASIS_POINTS, RulePeriod.MONTHLY, "55.5%"),
        (45, RuleUnit.PENCE, RulePeriod.PER_MILE, "45p a mile"),
        (100000, RuleUnit.PENCE, RulePeriod.PER_TAX_YEAR, "£1,000 a tax year"),
        (1271, RuleUnit.PENCE, RulePeriod.HOURLY, "£12.71 an hour"),
    ],
)
def test_value_text_shows_plain_units(value, unit, period, text):
    assert value_text(value, unit, period) == text


# Services ----------------------------------------------------------------------------------


def test_add_figure_closes_the_previous_figure_and_is_audited(app, admin):
    with app.app_context():
        services.add_figure(
            "ca.earnings_limit",
            actor=_actor(admin),
            value=21200,
            effective_from=date(2027, 4, 12),
            source="gov.uk rates 2027 to 2028",
            confidence=Confidence.S,
            note="April uprating",
            ip_address=IP,
        )
        new = load_rule_set().in_force("ca.earnings_limit", date(2027, 4, 12))
        old = load_rule_set().in_force("ca.earnings_limit", date(2027, 4, 11))

    assert (new.value, new.effective_to, old.value, old.effective_to) == (
        21200,
        None,
        20400,
        date(2027, 4, 11),
    )
    (event,) = events("benefit_rule.added", app=app)
    assert event.actor_id == admin.id
    assert event.ip_address == IP
    assert event.detail == (
        "ca.earnings_limit: £212 a week from 12 April 2027 (S); the figure from 6 April 2026 "
        "now ends on 11 April 2027. Note: April uprating"
    )
    with app.app_context():
        added = _rule(event.object_id)
        assert (added.confirmed_by_id, added.created_by_id) == (admin.id, admin.id)


def test_add_figure_starting_before_the_latest_is_refused(app, admin):
    with app.app_context(), pytest.raises(DomainError) as caught:
        services.add_figure(
            "uc.taper",
            actor=_actor(admin),
            value=5000,
            effective_from=APRIL_2026,
            source="x",
            confidence=Confidence.S,
        )
    assert caught.value.field == "effective_from"
    assert "must start after 6 April 2026" in caught.value.message
    assert len(_rows(app, "uc.taper")) == 3


def test_correct_figure_keeps_the_old_row_and_the_engine_uses_the_new(app, admin):
    rule_id = _rule_id(app, "uc.work_allowance.lower", APRIL_2026)
    with app.app_context():
        rule = _rule(rule_id)
        services.correct_figure(
            rule,
            actor=_actor(admin),
            value=42900,
            source="gov.uk benefit rates 2026 to 2027",
            confidence=Confidence.S,
            note="Final rates published",
            ip_address=IP,
        )
        assert load_rule_set().in_force("uc.work_allowance.lower", APRIL_2026).value == 42900

    rows = _rows(app, "uc.work_allowance.lower")
    assert rows[2] == (42700, APRIL_2026, None, "S2", False)
    assert rows[3] == (42900, APRIL_2026, None, "S", True)
    (event,) = events("benefit_rule.corrected", app=app)
    assert event.detail == (
        "uc.work_allowance.lower: £427 a month from 6 April 2026 (S2) corrected to £429 a month "
        "(S). Note: Final rates published"
    )


def test_correct_figure_already_corrected_is_refused(app, admin):
    rule_id = _rule_id(app, "uc.taper", APRIL_2026)
    with app.app_context():
        rule = _rule(rule_id)
        kwargs = {"value": 5500, "source": "x", "confidence": Confidence.S, "note": "n"}
        services.correct_figure(rule, actor=_actor(admin), **kwargs)  # type: ignore[arg-type]
        with pytest.raises(DomainError, match="already been corrected"):
            services.correct_figure(rule, actor=_actor(admin), **kwargs)  # type: ignore[arg-type]
    assert len(_rows(app, "uc.taper")) == 4


def test_confirm_figure_records_who_and_when(app, admin):
    rule_id = _rule_id(app, "esa.permitted_work.higher", APRIL_2026)
    with app.app_context():
        rule = _rule(rule_id)
        services.confirm_figure(rule, actor=_actor(admin), source=f"  {PRIMARY} ", ip_address=IP)
        db.session.expire_all()
        rule = _rule(rule_id)
        assert (rule.confidence, rule.confirmed_by_id) == (Confidence.S, admin.id)
        assert rule.source == PRIMARY
        assert rule.confirmed_at is not None
        assert (
            not load_rule_set()
            .in_force("esa.permitted_work.higher", APRIL_2026)
            .confidence.awaiting_confirmation
        )
        with pytest.raises(DomainError, match="already confirmed"):
            services.confirm_figure(rule, actor=_actor(admin), source=PRIMARY)
    (event,) = events("benefit_rule.confirmed", app=app)
    assert event.detail == (
        "esa.permitted_work.higher: £203.50 a week from 6 April 2026 (I) confirmed (S). "
        f"Primary source: {PRIMARY}. Source before: gov.uk 'Permitted work factsheet'; "
        "'Proposed benefit and pension rates 2026 to 2027'; 2026: 16 x NLW £12.71, up to the "
        "next 50p"
    )


@pytest.mark.parametrize(
    ("source", "message"), [("   ", "Enter the primary source"), ("x" * 1001, "1000 characters")]
)
def test_confirm_figure_without_primary_source_is_refused(app, admin, source, message):
    rule_id = _rule_id(app, "ca.earnings_limit", APRIL_2026)
    with app.app_context():
        rule = _rule(rule_id)
        with pytest.raises(DomainError, match=message) as caught:
            services.confirm_figure(rule, actor=_actor(admin), source=source)
    assert caught.value.field == "source"
    assert _rows(app, "ca.earnings_limit")[-1] == (20400, APRIL_2026, None, "S2", True)
    assert events("benefit_rule.confirmed", app=app) == []


def test_correct_figure_closed_by_a_new_figure_meanwhile_is_refused(app, admin):
    rule_id = _rule_id(app, "ca.earnings_limit", APRIL_2026)
    with app.app_context():
        stale = _rule(rule_id)
        assert stale.effective_to is None
        # Someone else adds a figure from April 2027 meanwhile, closing this one.
        _changed_meanwhile(rule_id, effective_to=date(2027, 4, 11))
        with pytest.raises(DomainError, match="Someone else changed this figure"):
            _correct_to_205(stale, admin)
    rows = _rows(app, "ca.earnings_limit")
    assert rows[-1] == (20400, APRIL_2026, date(2027, 4, 11), "S2", True)
    assert [row for row in rows if row[2] is None] == []
    assert events("benefit_rule.corrected", app=app) == []


@pytest.mark.parametrize(
    ("change", "values"),
    [("value", {"value": 20600}), ("confidence", {"confidence": Confidence.S})],
)
def test_correct_figure_changed_meanwhile_is_refused(app, admin, change, values):
    rule_id = _rule_id(app, "ca.earnings_limit", APRIL_2026)
    with app.app_context():
        stale = _rule(rule_id)
        _changed_meanwhile(rule_id, **values)
        with pytest.raises(DomainError, match="Someone else changed this figure"):
            _correct_to_205(stale, admin)
    assert len(_rows(app, "ca.earnings_limit")) == 3, change


@pytest.mark.parametrize("role", [Role.FINANCE_APPROVER, Role.ADMIN, Role.COORDINATOR])
def test_change_figure_as_non_finance_admin_is_refused(app, make_user, role):
    person = make_user(roles=(role,))
    rule_id = _rule_id(app, "ca.earnings_limit", APRIL_2026)
    with app.app_context():
        rule = _rule(rule_id)
        with pytest.raises(PermissionDenied):
            services.confirm_figure(rule, actor=_actor(person), source=PRIMARY)
        with pytest.raises(PermissionDenied):
            services.add_figure(
                "ca.earnings_limit",
                actor=_actor(person),
                value=1,
                effective_from=date(2030, 1, 1),
                source="x",
                confidence=Confidence.S,
            )
    assert len(_rows(app, "ca.earnings_limit")) == 3


# Pages -------------------------------------------------------------------------------------


def test_rules_page_shows_plain_units_and_figures_awaiting_confirmation(client, finance_admin):
    response = client.get("/finance/benefit-rules")

    assert response.status_code == 200
    text = page_text(response)
    for shown in ("£427 a month", "55%", "45p a mile", "55p a mile", "£203.50 a week"):
        assert shown in text
    assert "Figure awaiting confirmation" in text
    assert "Add a new figure" in text
    assert "Confirm" in text


def test_rules_page_for_finance_approver_is_read_only(client, make_user):
    sign_in(client, make_user(roles=(Role.FINANCE_APPROVER,)))

    response = client.get("/finance/benefit-rules")

    assert response.status_code == 200
    text = page_text(response)
    assert "£427 a month" in text
    assert "Add a new figure" not in text
    assert "Correct" not in text
    assert client.get("/finance/benefit-rules/uc.taper/new").status_code == 403


def test_navigation_shows_benefit_rules_to_finance(client, finance_admin):
    response = client.get("/finance/benefit-rules")

    assert 'href="/finance/benefit-rules"' in response.get_data(as_text=True)


def test_rule_history_with_unknown_key_is_not_found(client, finance_admin):
    assert client.get("/finance/benefit-rules/uc.nothing").status_code == 404
    assert client.get("/finance/benefit-rules/uc.nothing/new").status_code == 404


def test_correct_unknown_figure_is_not_found(client, finance_admin):
    assert client.get("/finance/benefit-rules/figures/987654/correct").status_code == 404
    assert client.get("/finance/benefit-rules/figures/987654/confirm").status_code == 404
    assert client.post("/finance/benefit-rules/figures/987654/confirm").status_code == 404


def test_add_figure_page_adds_money_figure(app, client, finance_admin):
    response = client.post(
        "/finance/benefit-rules/uc.work_allowance.higher/new",
        data={
            "amount": "725.50",
            "effective_from-day": "12",
            "effective_from-month": "4",
            "effective_from-year": "2027",
            "source": "gov.uk rates 2027 to 2028",
            "confidence": "S2",
            "note": "",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/finance/benefit-rules/uc.work_allowance.higher"
    rows = _rows(app, "uc.work_allowance.higher")
    assert rows[-2] == (71000, APRIL_2026, date(2027, 4, 11), "S2", True)
    assert rows[-1] == (72550, date(2027, 4, 12), None, "S2", True)
    page = page_text(client.get(response.headers["Location"]))
    assert "£725.50 a month" in page
    assert "Fin Admin" in page


def test_add_figure_page_takes_the_taper_as_a_percentage(app, client, finance_admin):
    response = client.post(
        "/finance/benefit-rules/uc.taper/new",
        data={
            "percent": "50%",
            "effective_from-day": "12",
            "effective_from-month": "4",
            "effective_from-year": "2027",
            "source": "Budget",
            "confidence": "S",
        },
    )

    assert response.status_code == 302
    assert _rows(app, "uc.taper")[-1] == (5000, date(2027, 4, 12), None, "S", True)


def test_add_figure_page_with_bad_input_keeps_what_was_typed(app, client, finance_admin):
    response = client.post(
        "/finance/benefit-rules/hmrc.mileage.car/new",
        data={
            "pence_a_mile": "45.5",
            "effective_from-day": "31",
            "effective_from-month": "2",
            "effective_from-year": "2027",
            "source": EVIL,
            "confidence": "",
        },
    )

    assert response.status_code == 200
    assert field_error(response, "pence_a_mile") == (
        "Enter whole pence a mile from 0 to 1000, like 45"
    )
    assert "must be a real date" in field_error(response, "effective_from")
    assert field_error(response, "confidence") == "Select how sure the figure is"
    assert input_value(response, "pence_a_mile") == "45.5"
    assert input_value(response, "effective_from-day") == "31"
    assert EVIL not in response.get_data(as_text=True)
    assert len(error_summary(response)) == 3
    assert len(_rows(app, "hmrc.mileage.car")) == 3


def test_add_figure_page_with_date_not_after_latest_shows_it_by_the_date(
    app, client, finance_admin
):
    response = client.post(
        "/finance/benefit-rules/ca.earnings_limit/new",
        data={
            "amount": "210",
            "effective_from-day": "1",
            "effective_from-month": "1",
            "effective_from-year": "2026",
            "source": "x",
            "confidence": "S",
        },
    )

    assert response.status_code == 200
    assert "must start after 6 April 2026" in field_error(response, "effective_from")
    assert input_value(response, "amount") == "210"
    assert len(_rows(app, "ca.earnings_limit")) == 3


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the amount in pounds"),
        ("12.345", "Enter the amount with no more than 2 numbers after the decimal point"),
        ("-5", "The amount cannot be negative"),
    ],
)
def test_add_figure_page_with_bad_amount_says_why(app, client, finance_admin, typed, message):
    response = client.post(
        "/finance/benefit-rules/legacy.disregard.single/new",
        data={
            "amount": typed,
            "effective_from-day": "12",
            "effective_from-month": "4",
            "effective_from-year": "2027",
            "source": "x",
            "confidence": "S",
        },
    )

    assert field_error(response, "amount") == message
    assert input_value(response, "amount") == typed


def test_correct_figure_page_shows_current_value_and_needs_a_reason(app, client, finance_admin):
    rule_id = _rule_id(app, "ca.earnings_limit", APRIL_2026)
    path = f"/finance/benefit-rules/figures/{rule_id}/correct"
    assert input_value(client.get(path), "amount") == "204.00"

    response = client.post(path, data={"amount": "205", "source": "x", "confidence": "S"})

    assert field_error(response, "note") == "Enter why the figure is being corrected"
    assert input_value(response, "amount") == "205"
    assert len(_rows(app, "ca.earnings_limit")) == 3

    response = client.post(
        path, data={"amount": "205", "source": "gov.uk", "confidence": "S", "note": "Final"}
    )

    assert response.status_code == 302
    rows = _rows(app, "ca.earnings_limit")
    assert rows[2][4] is False
    assert rows[3] == (20500, APRIL_2026, None, "S", True)
    history = page_text(client.get("/finance/benefit-rules/ca.earnings_limit"))
    assert "£204 a week (corrected)" in history
    assert "Final" in history
    assert len(events("benefit_rule.corrected", app=app)) == 1


def test_correct_figure_page_for_corrected_figure_shows_error(app, client, finance_admin):
    rule_id = _rule_id(app, "uc.taper", APRIL_2026)
    path = f"/finance/benefit-rules/figures/{rule_id}/correct"
    data = {"percent": "55", "source": "x", "confidence": "S", "note": "n"}
    assert client.post(path, data=data).status_code == 302

    response = client.post(path, data=data)

    assert response.status_code == 200
    assert "This figure has already been corrected. Correct the newer one." in page_text(response)
    assert len(_rows(app, "uc.taper")) == 4


def test_confirm_figure_page_needs_primary_source_then_confirms(app, client, finance_admin):
    rule_id = _rule_id(app, "hmrc.mileage.car", APRIL_2026)
    path = f"/finance/benefit-rules/figures/{rule_id}/confirm"
    history = page_text(client.get("/finance/benefit-rules/hmrc.mileage.car"))
    assert "Confirm the figure from 6 April 2026" in history
    page = client.get(path)
    assert page.status_code == 200
    assert "55p a mile" in page_text(page)
    assert textarea_value(page, "source").strip() == ""  # not the old source: type the primary

    response = client.post(path, data={"source": "  "})

    assert response.status_code == 200
    assert field_error(response, "source") == "Enter the primary source that states the figure"
    assert _rows(app, "hmrc.mileage.car")[-1] == (55, APRIL_2026, None, "S2", True)

    response = client.post(path, data={"source": PRIMARY})

    assert response.status_code == 302
    assert _rows(app, "hmrc.mileage.car")[-1] == (55, APRIL_2026, None, "S", True)
    (event,) = events("benefit_rule.confirmed", app=app)
    assert f"Primary source: {PRIMARY}." in event.detail
    page = page_text(client.get(response.headers["Location"]))
    assert "confirmed" in page
    assert "Confirmed by Fin Admin" in page
    assert PRIMARY in page
    again = client.get(path)
    assert again.status_code == 302
    assert "This figure is already confirmed." in page_text(client.get(again.headers["Location"]))


@pytest.mark.parametrize("role", [Role.FINANCE_APPROVER, Role.EXPERT, Role.ADMIN])
def test_change_figure_pages_as_others_are_refused(app, client, make_user, role):
    sign_in(client, make_user(roles=(role,)))
    rule_id = _rule_id(app, "hmrc.mileage.car", APRIL_2026)

    assert client.get(f"/finance/benefit-rules/figures/{rule_id}/confirm").status_code == 403
    assert (
        client.post(
            f"/finance/benefit-rules/figures/{rule_id}/confirm", data={"source": PRIMARY}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/finance/benefit-rules/figures/{rule_id}/correct",
            data={"pence_a_mile": "1", "source": "x", "confidence": "S", "note": "n"},
        ).status_code
        == 403
    )
    assert client.post("/finance/benefit-rules/uc.taper/new", data={}).status_code == 403
    assert _rows(app, "hmrc.mileage.car")[-1] == (55, APRIL_2026, None, "S2", True)


def test_migration_seed_rows_are_literals_equal_to_the_seed_figures():
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0007_benefit_rules.py"
    source = path.read_text()
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    assert "payclaims" not in "".join(
        line for line in source.splitlines() if line.startswith(("import", "from"))
    )
    assert migration.seed_rows() == seed_rows()


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("tax.trading_allowance", "Amount each tax year"),
        ("nlw.hourly", "Amount per hour"),
        ("ca.earnings_limit", "Amount a week"),
        ("uc.work_allowance.lower", "Amount a month"),
    ],
)
def test_add_figure_page_labels_the_amount_plainly(client, finance_admin, key, label):
    response = client.get(f"/finance/benefit-rules/{key}/new")

    assert label_text(response, "amount") == label


def test_figure_form_confidence_choices_lead_with_words(client, finance_admin):
    response = client.get("/finance/benefit-rules/nlw.hourly/new")

    labels = [
        text_of(label)
        for label in html(response).iter("label")
        if label.get("for", "").startswith("confidence")
    ]
    assert labels == [
        "Stated by a primary source, such as gov.uk, legislation or HMRC (S)",
        "Stated only by secondary sources (S2)",
        "Inferred from a published formula (I)",
    ]


def test_rule_history_says_corrected_figures_sit_below_their_correction(app, client, finance_admin):
    rule_id = _rule_id(app, "uc.taper", APRIL_2026)
    client.post(
        f"/finance/benefit-rules/figures/{rule_id}/correct",
        data={"percent": "55", "source": "x", "confidence": "S", "note": "n"},
    )

    text = page_text(client.get("/finance/benefit-rules/uc.taper"))

    assert "just below the figure that corrected it" in text
    assert "above the row that corrected it" not in text
    assert text.index("55% (corrected)") > text.index("Recorded")
