"""``flask benefits-check``: the shared bank of scenarios gives the expected answers, using the
figures seeded in the database; bad input gets one line naming the scenario and field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from payclaims.benefits.rules.models import BenefitRule
from payclaims.extensions import db

DATA = Path(__file__).parent / "data" / "benefits"
SCENARIOS = DATA / "scenarios.json"
EXPECTED = [json.loads(line) for line in (DATA / "expected.jsonl").read_text().splitlines()]


def check(app: Flask, path: Path | str) -> Any:
    return app.test_cli_runner().invoke(args=["benefits-check", str(path)])


def write(tmp_path: Path, scenarios: Any, name: str = "cases.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(scenarios) if not isinstance(scenarios, str) else scenarios)
    return path


def scenario(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "case-1",
        "profile": {"carers_allowance": {"other_weekly_earnings_pence": 0}},
        "payment": {"paid_on": "2026-11-24", "lines": [{"kind": "fee", "amount_pence": 5000}]},
    }
    return {**base, **changes}


def assert_matches(expected: dict[str, Any], got: dict[str, Any]) -> None:
    """Every field given in ``expected`` is in ``got`` with the same value (benefits by name)."""
    for name, value in expected.items():
        if name == "benefits":
            got_benefits = {entry["benefit"]: entry for entry in got["benefits"]}
            assert sorted(got_benefits) == sorted(entry["benefit"] for entry in value)
            for entry in value:
                assert_matches(entry, got_benefits[entry["benefit"]])
        else:
            assert got[name] == value, (expected.get("id") or expected.get("benefit"), name)


def test_benefits_check_with_shared_scenarios_gives_expected_answers(app):
    result = check(app, SCENARIOS)

    assert result.exit_code == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [answer["id"] for answer in answers] == [expected["id"] for expected in EXPECTED]
    for expected, got in zip(EXPECTED, answers, strict=True):
        assert_matches(expected, got)
    assert result.stderr == ""


def test_benefits_check_with_figure_awaiting_confirmation_says_so(app):
    result = check(app, SCENARIOS)

    answers = {answer["id"]: answer for answer in map(json.loads, result.stdout.splitlines())}
    carers = answers["carers-allowance-over-by-six-pounds"]
    assert carers["awaiting_confirmation"] is True
    (figure,) = carers["benefits"][0]["figures"]
    assert figure == {
        "key": "ca.earnings_limit",
        "effective_from": "2026-04-06",
        "value": 20400,
        "confidence": "S2",
        "awaiting_confirmation": True,
    }
    assert answers["last-year-rules-apply-to-last-year"]["awaiting_confirmation"] is False
    assert "£204.00" in carers["benefits"][0]["message"]


def test_benefits_check_uses_figures_from_the_database(app, tmp_path):
    with app.app_context():
        db.session.execute(
            update(BenefitRule)
            .where(
                BenefitRule.key == "ca.earnings_limit",
                BenefitRule.effective_from == date(2026, 4, 6),
            )
            .values(value=21000)
        )
        db.session.commit()

    result = check(app, write(tmp_path, [scenario()]))

    answer = json.loads(result.stdout)
    assert answer["benefits"][0]["limit_pence"] == 21000


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            scenario(profile={"jobseekers_allowance": {}}),
            "scenario case-1: profile.jobseekers_allowance: unknown benefit",
        ),
        (
            scenario(payment={"paid_on": "2026-11-24", "lines": [{"kind": "gift"}]}),
            "scenario case-1: payment.lines[0].kind: unknown line kind 'gift' "
            "(use fee, voucher, expense, mileage)",
        ),
        (
            scenario(payment={"paid_on": "2026-11-24", "lines": [{"kind": "fee"}]}),
            "scenario case-1: payment.lines[0].amount_pence: is missing",
        ),
        (
            scenario(payment={"paid_on": "2026-02-30", "lines": []}),
            "scenario case-1: payment.paid_on: '2026-02-30' is not a date like 2026-12-01",
        ),
        (
            scenario(
                payment={
                    "paid_on": "2026-11-24",
                    "lines": [
                        {"kind": "fee", "amount_pence": 100},
                        {"kind": "voucher", "amount_pence": -5},
                    ],
                }
            ),
            "scenario case-1: payment.lines[1].amount_pence: cannot be negative",
        ),
        (
            scenario(
                earlier_payments=[
                    {"paid_on": "2026-11-23", "lines": [{"kind": "expense", "amount_pence": 5}]}
                ]
            ),
            "scenario case-1: earlier_payments[0].lines[0].receipted: is missing",
        ),
        (
            scenario(
                profile={
                    "universal_credit": {
                        "assessment_period_start_day": 32,
                        "work_allowance": "none",
                    }
                }
            ),
            "scenario case-1: profile.universal_credit.assessment_period_start_day: must be a day "
            "from 1 to 31",
        ),
        (
            {"profile": {}, "payment": {"paid_on": "2026-11-24"}},
            "scenario #1: id: is missing",
        ),
        ({"scenarios": []}, "scenario (file): scenarios: must be a JSON array of scenarios"),
    ],
    ids=[
        "unknown-benefit",
        "unknown-line-kind",
        "missing-field",
        "bad-date",
        "negative-amount",
        "earlier-payment-field",
        "start-day",
        "missing-id",
        "not-an-array",
    ],
)
def test_benefits_check_with_bad_input_names_scenario_and_field(app, tmp_path, case, message):
    cases = case if isinstance(case, dict) and "scenarios" in case else [case]

    result = check(app, write(tmp_path, cases))

    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"
    assert "Traceback" not in result.output


def test_benefits_check_with_later_bad_scenario_prints_nothing(app, tmp_path):
    bad = scenario(id="second", payment={"paid_on": "soon", "lines": []})

    result = check(app, write(tmp_path, [scenario(), bad]))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: scenario second: payment.paid_on: ")


def test_benefits_check_with_broken_json_says_where(app, tmp_path):
    result = check(app, write(tmp_path, '[{"id": "a",'))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "is not valid JSON: line 1" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_benefits_check_with_date_before_any_figure_names_the_figure(app, tmp_path):
    old = scenario(payment={"paid_on": "2020-01-01", "lines": [{"kind": "fee", "amount_pence": 1}]})

    result = check(app, write(tmp_path, [old]))

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: scenario case-1: There is no figure for ca.earnings_limit on 2019-12-30 "
        "(add it on the Benefit rules page)\n"
    )


def test_benefits_check_with_missing_file_fails_clearly(app, tmp_path):
    result = check(app, tmp_path / "nowhere.json")

    assert result.exit_code == 2
    assert "nowhere.json" in result.stderr
    assert "Traceback" not in result.output


def test_benefits_check_with_empty_array_prints_nothing(app, tmp_path):
    result = check(app, write(tmp_path, []))

    assert result.exit_code == 0
    assert result.stdout == ""


UC = {"universal_credit": {"assessment_period_start_day": 31, "work_allowance": "lower"}}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            scenario(profile=UC, payment={"paid_on": "9999-12-31", "lines": []}),
            "scenario case-1: payment.paid_on: '9999-12-31' must be from 2000-01-01 to 2100-12-31",
        ),
        (
            scenario(
                profile={"esa": {}, "week_start": "sunday"},
                payment={"paid_on": "0001-01-01", "lines": []},
            ),
            "scenario case-1: payment.paid_on: '0001-01-01' must be from 2000-01-01 to 2100-12-31",
        ),
        (
            scenario(
                payment={
                    "paid_on": "2026-11-24",
                    "lines": [
                        {"kind": "mileage", "miles": 1e300, "vehicle": "car", "rate_pence": 60}
                    ],
                }
            ),
            "scenario case-1: payment.lines[0].miles: must be 1000000 or less",
        ),
        (
            scenario(payment={"paid_on": "2026-W48-2", "lines": []}),
            "scenario case-1: payment.paid_on: '2026-W48-2' is not a date like 2026-12-01",
        ),
        (
            scenario(payment={"paid_on": "2026-11-24", "line": []}),
            "scenario case-1: payment.line: unknown field",
        ),
        (
            scenario(profile={"esa": {"supported": True}}),
            "scenario case-1: profile.esa.supported: unknown field",
        ),
    ],
    ids=["far-future", "far-past-sunday-week", "huge-miles", "week-date", "typo", "esa-typo"],
)
def test_benefits_check_with_out_of_range_input_gives_one_line(app, tmp_path, case, message):
    result = check(app, write(tmp_path, [case]))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("profile", "missing"),
    [
        (UC, "uc.taper on 1999-12-31"),
        ({"esa": {}, "week_start": "sunday"}, "esa.permitted_work.higher on 1999-12-26"),
    ],
)
def test_benefits_check_before_the_earliest_figure_names_it(app, tmp_path, profile, missing):
    early = scenario(
        profile=profile,
        payment={"paid_on": "2000-01-01", "lines": [{"kind": "fee", "amount_pence": 1}]},
    )

    result = check(app, write(tmp_path, [early]))

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: scenario case-1: There is no figure for {missing} (add it on the Benefit "
        "rules page)\n"
    )


def test_benefits_check_with_number_too_long_to_read_gives_one_line(app, tmp_path):
    text = '[{"id": "a", "profile": {}, "payment": {"paid_on": "2026-11-24", "lines": [' + (
        '{"kind": "fee", "amount_pence": ' + "9" * 5000 + "}]}}]"
    )

    result = check(app, write(tmp_path, text))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "cannot be read" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_benefits_check_with_deeply_nested_json_gives_one_line(app, tmp_path):
    result = check(app, write(tmp_path, "[" * 100_000 + "]" * 100_000))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_benefits_check_with_largest_accepted_input_answers(app, tmp_path):
    huge = scenario(
        profile={**UC, "esa": {}, "carers_allowance": {}, "week_start": "sunday"},
        payment={
            "paid_on": "2100-12-31",
            "lines": [
                {"kind": "fee", "amount_pence": 10_000_000_000, "hours": 1_000_000},
                {"kind": "mileage", "miles": 1_000_000, "vehicle": "car", "rate_pence": 1e6},
            ],
        },
    )

    result = check(app, write(tmp_path, [huge]))

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["level"] == "stops"
