"""The benefits check: what a payment made on a date means for each benefit a person receives.

Plain functions and frozen dataclasses; no Flask, no database. The rules are in
../shared/benefits/RULES.md and the behaviour in SCENARIOS.md (tests/data/benefits/ holds a copy
of its worked cases). Every page that shows a benefits check (claim form, finance queue,
payment-run confirmation, what-if, the ``benefits-check`` command) calls the same function.

The modules (import each name from the module that holds it; this file imports nothing):

- ``types``: the enums and dataclasses below (profile, payments, rule figures, the answer);
- ``periods``: ``assessment_period`` and ``benefit_week``;
- ``earnings``: what counts as earnings (``earnings_like_pence``) and helpers the checks share;
- ``universal_credit``: Universal Credit by the assessment period;
- ``weekly``: ESA, Carer's Allowance, Pension Credit and Housing Benefit by the benefit week;
- ``check``: ``check_payment``, which asks each of them.

Each April's review of a benefit touches its own module.

The API
-------

``check.check_payment(profile, earlier, payment, rules) -> BenefitCheck``

- ``profile``: a :class:`Profile`: which benefits the person receives, each as its own small
  dataclass or ``None`` when not received (:class:`UniversalCredit`, :class:`Esa`,
  :class:`CarersAllowance`, :class:`PensionCredit`, :class:`HousingBenefit`) or a bool
  (``council_tax_reduction``, ``pip``, ``dla``, ``attendance_allowance``), and ``week_start``
  (a :class:`WeekStart`, default Monday), the first day of the person's benefit week.
- ``earlier``: a sequence of :class:`Payment` already made (or planned) to the person. Only
  those paid inside a benefit's period count towards it; order does not matter.
- ``payment``: the :class:`Payment` being checked: ``paid_on`` and ``lines``, each a
  :class:`Fee` (``amount_pence``, ``hours`` optional, ``worked_on`` optional, default paid_on),
  :class:`Voucher` (``amount_pence``), :class:`Expense` (``amount_pence``, ``receipted``) or
  :class:`Mileage` (``miles``, ``vehicle`` a :class:`Vehicle`, ``rate_pence`` a mile paid).
- ``rules``: a :class:`RuleSet` of dated :class:`Figure` rows by key (``uc.taper``,
  ``uc.work_allowance.lower`` ...). ``payclaims.benefits.rules.store.load_rule_set()`` reads it
  from the database in one query; ``payclaims.benefits.rules.catalogue.seed_rule_set()`` builds
  it from the seed figures without a database. A figure missing for a date raises
  :class:`MissingFigure`.

The answer, :class:`BenefitCheck`:

- ``level``: the most severe :class:`Level` (``CLEAR < CHECK < NEAR < REDUCES < STOPS``;
  ``Level.severity`` orders them; ``most_severe(levels)`` picks one).
- ``earnings_like_pence``: what of this payment counts as earnings.
- ``benefits``: one :class:`BenefitResult` per benefit received, in :class:`Benefit` order,
  with ``benefit``, ``level``, ``message`` (plain English: what it means, never advice),
  ``period_start``/``period_end`` (None for benefits without a period), ``counted_pence`` (the
  earnings-like total paid in the period, this payment included; for Carer's Allowance plus the
  other weekly earnings), ``limit_pence`` (the allowance, limit or disregard in force at the
  period's start), ``estimated_reduction_pence`` (UC, Pension Credit, Housing Benefit: how much
  more the benefit falls because of this payment), ``hours`` (ESA: a Decimal, hours worked in
  the busiest benefit week this payment's fees were worked in) and ``figures`` (the
  :class:`FigureUsed` rows: key, effective_from, value, confidence).
- ``figures``: every figure used (mileage rates included); ``awaiting_confirmation`` is True when
  any of them has confidence S2 or I, so a page can say "figure awaiting confirmation"
  (``BenefitResult.awaiting_confirmation`` is the same per benefit).

The scenario format of SCENARIOS.md (the ``benefits-check`` command and its tests) is read and
written by ``payclaims.benefits.scenarios``:

- ``parse_scenarios(data) -> list[Scenario]`` and ``parse_scenario(data) -> Scenario`` turn
  decoded JSON into these types, raising :class:`ScenarioError` (``scenario_id``, ``field``,
  ``problem``; ``str()`` is one line naming both) for an unknown benefit, line kind or field (in
  any object), a missing field, a date not written YYYY-MM-DD or outside 2000-01-01 to
  2100-12-31, or an amount, number of miles or hours or rate that is negative or too large.
  ``parse_profile``, ``parse_payment`` are the parts.
- ``check_scenario(scenario, rules) -> BenefitCheck``.
- ``check_to_dict(check, scenario_id=None) -> dict`` gives the SCENARIOS.md output object
  (dates as ISO text, hours as a float), plus ``message``, ``figures`` and
  ``awaiting_confirmation``.

Periods: a Universal Credit assessment period starts on the same day each month (the month's last
day when the month is shorter) and ends the day before the next start; a benefit week starts on
``week_start``. The rules in force at a period's start apply to the whole period, so a work
allowance applies from the first assessment period starting on or after its uprating date, and a
weekly figure from the first benefit week starting on or after it. Mileage counts as earnings
only above the HMRC rate for the vehicle in force on the day it is paid (a car at the rate for
the first 10,000 miles of the tax year). Exactly at a limit is not over it.
"""
