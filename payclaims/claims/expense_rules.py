"""The finance admin's rules for each expense category: receipts needed, and caps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User
from payclaims.claims.models import CapPeriod, Claim, ExpenseCategorySetting, OverCap
from payclaims.database import utc_now
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.money import format_pence
from payclaims.roles.expenses import ExpenseCategory


@dataclass(frozen=True)
class CategoryRules:
    """The rules in force for one expense category: finance's settings, or the defaults."""

    category: ExpenseCategory
    receipt_above_pence: int | None
    cap_pence: int | None
    cap_period: CapPeriod
    over_cap: OverCap

    def needs_receipt(self, amount_pence: int) -> bool:
        """Whether a line of this amount needs a receipt."""
        return self.receipt_above_pence is not None and amount_pence > self.receipt_above_pence

    @property
    def receipt_text(self) -> str:
        """'Always', 'Above £20.00', 'Never'."""
        if self.receipt_above_pence is None:
            return "Never"
        if self.receipt_above_pence == 0:
            return "Always"
        return f"Above {format_pence(self.receipt_above_pence)}"

    @property
    def cap_text(self) -> str:
        """'£30.00 per day', or 'No cap'."""
        if self.cap_pence is None:
            return "No cap"
        return f"{format_pence(self.cap_pence)} {self.cap_period.label}"


def default_rules(category: ExpenseCategory) -> CategoryRules:
    """A receipt always, except for mileage (worked out from the miles); no cap."""
    return CategoryRules(
        category=category,
        receipt_above_pence=None if category is ExpenseCategory.MILEAGE else 0,
        cap_pence=None,
        cap_period=CapPeriod.CLAIM,
        over_cap=OverCap.CAP,
    )


def category_rules() -> dict[ExpenseCategory, CategoryRules]:
    """The rules for every category, in one query."""
    rules = {category: default_rules(category) for category in ExpenseCategory}
    for setting in db.session.scalars(select(ExpenseCategorySetting)):
        rules[setting.category] = CategoryRules(
            category=setting.category,
            receipt_above_pence=setting.receipt_above_pence,
            cap_pence=setting.cap_pence,
            cap_period=setting.cap_period,
            over_cap=setting.over_cap,
        )
    return rules


def save_category_rules(
    category: ExpenseCategory,
    *,
    actor: User,
    receipt_above_pence: int | None,
    cap_pence: int | None,
    cap_period: CapPeriod,
    over_cap: OverCap,
    ip_address: str | None,
) -> None:
    """Set a category's receipt threshold and cap; audited. Sent claims keep their amounts."""
    require_role(actor, Role.FINANCE_ADMIN)
    if receipt_above_pence is not None and receipt_above_pence < 0:
        raise DomainError("Enter an amount of £0 or more", field="receipt_above")
    if cap_pence is not None and cap_pence <= 0:
        raise DomainError("Enter a cap more than £0, or leave it empty", field="cap")
    before = category_rules()[category]
    setting = db.session.scalar(
        select(ExpenseCategorySetting).where(ExpenseCategorySetting.category == category)
    )
    if setting is None:
        setting = ExpenseCategorySetting(category=category)
        db.session.add(setting)
    setting.receipt_above_pence = receipt_above_pence
    setting.cap_pence = cap_pence
    setting.cap_period = cap_period
    setting.over_cap = over_cap
    setting.updated_by_id = actor.id
    setting.updated_at = utc_now()
    after = CategoryRules(category, receipt_above_pence, cap_pence, cap_period, over_cap)
    if after == before:
        db.session.rollback()
        return
    cap_rule = f"{after.cap_text}, {over_cap.label.lower()}" if cap_pence else after.cap_text
    db.session.flush()
    record_event(
        AuditAction.EXPENSE_CATEGORY_CHANGED,
        actor=actor,
        ip_address=ip_address,
        detail=(
            f"{category.label}: receipt {before.receipt_text.lower()} → "
            f"{after.receipt_text.lower()}; cap {before.cap_text} → {cap_rule}"
        ),
        about=("expense_category_setting", setting.id),
    )
    db.session.commit()


@dataclass(frozen=True)
class CapOutcome:
    """What a line over its category's cap may be paid, and the words that explain it."""

    allowed_pence: int
    over_cap: OverCap
    message: str


def cap_outcomes(
    claim: Claim, rules: dict[ExpenseCategory, CategoryRules]
) -> dict[int, CapOutcome]:
    """Lines over their category's cap (per claim or per day, counted in date order), by id."""
    used: dict[tuple[ExpenseCategory, date | None], int] = {}
    outcomes: dict[int, CapOutcome] = {}
    for line in sorted(claim.lines, key=lambda line: (line.session_on, line.id)):
        if line.category is None:
            continue
        rule = rules[line.category]
        if rule.cap_pence is None:
            continue
        key = (line.category, line.session_on if rule.cap_period is CapPeriod.DAY else None)
        asked = line.claimed_pence or line.amount_pence
        remaining = max(0, rule.cap_pence - used.get(key, 0))
        used[key] = used.get(key, 0) + min(asked, remaining)
        if asked <= remaining:
            continue
        cap = f"{format_pence(rule.cap_pence)} {rule.cap_period.label}"
        if rule.over_cap is OverCap.CAP:
            message = (
                f"Capped: {line.category.label.lower()} is paid up to {cap}, so "
                f"{format_pence(remaining)} of the {format_pence(asked)} claimed is paid"
            )
        else:
            message = (
                f"{format_pence(asked)} is over the limit for {line.category.label.lower()} of "
                f"{cap}. Claim {format_pence(remaining)} or less, or remove this line"
            )
        outcomes[line.id] = CapOutcome(remaining, rule.over_cap, message)
    return outcomes


def cap_notes(claim: Claim) -> dict[str, list[str]]:
    """Notes for the lines that will be paid only up to their category's cap, by line field."""
    return {
        f"line-{line_id}": [outcome.message]
        for line_id, outcome in cap_outcomes(claim, category_rules()).items()
        if outcome.over_cap is OverCap.CAP
    }


def apply_caps(claim: Claim, outcomes: dict[int, CapOutcome]) -> None:
    """Pay capped lines up to the cap with a note; lines no longer over it are paid in full."""
    for line in claim.lines:
        if not line.is_expense:
            continue
        asked = line.claimed_pence or line.amount_pence
        outcome = outcomes.get(line.id)
        if outcome is not None and outcome.over_cap is OverCap.CAP:
            line.amount_pence, line.claimed_pence = outcome.allowed_pence, asked
            line.cap_note = outcome.message
        else:
            line.amount_pence, line.claimed_pence, line.cap_note = asked, None, None
