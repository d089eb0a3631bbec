"""Benefit rule figures: finance admins add a new figure from a date, correct one (keeping the
old row) and confirm one. Every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import selectinload

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User
from payclaims.benefits.engine.types import Confidence
from payclaims.benefits.rules.catalogue import RULE_KEYS, RULE_KEYS_BY_KEY, RuleKey
from payclaims.benefits.rules.models import BenefitRule, value_text
from payclaims.database import utc_now
from payclaims.dates import format_date
from payclaims.errors import DomainError
from payclaims.extensions import db

MAX_SOURCE_LENGTH = 1000
MAX_NOTE_LENGTH = 1000
CHANGED_MEANWHILE = (
    "Someone else changed this figure while you were looking at it. Check it and try again."
)


@dataclass(frozen=True)
class RuleGroup:
    """One key and its current figures, newest first."""

    rule_key: RuleKey
    figures: list[BenefitRule]

    @property
    def awaiting_confirmation(self) -> bool:
        """Whether any current figure is S2 or I."""
        return any(figure.awaiting_confirmation for figure in self.figures)


RULES_FOR_FINANCE_ADMINS = "Only a finance admin can change benefit rule figures."


def rule_key_or_none(key: str) -> RuleKey | None:
    """The known rule key named ``key``, or None."""
    return RULE_KEYS_BY_KEY.get(key)


def current_rules() -> list[RuleGroup]:
    """Every key in RULES.md order with its current (uncorrected) figures, newest first."""
    rows = db.session.scalars(
        select(BenefitRule)
        .where(BenefitRule.replaced_by_id.is_(None))
        .order_by(BenefitRule.effective_from.desc(), BenefitRule.id.desc())
    ).all()
    by_key: dict[str, list[BenefitRule]] = {rule_key.key: [] for rule_key in RULE_KEYS}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    return [RuleGroup(RULE_KEYS_BY_KEY[key], figures) for key, figures in by_key.items()]


def rule_history(key: str) -> list[BenefitRule]:
    """Every row for ``key``, corrected ones included, newest start first then newest row."""
    return list(
        db.session.scalars(
            select(BenefitRule)
            .where(BenefitRule.key == key)
            .options(selectinload(BenefitRule.created_by), selectinload(BenefitRule.confirmed_by))
            .order_by(BenefitRule.effective_from.desc(), BenefitRule.id.desc())
        )
    )


def _describe(rule_key: RuleKey, value: int, effective_from: date, confidence: Confidence) -> str:
    return (
        f"{rule_key.key}: {value_text(value, rule_key.unit, rule_key.period)} from "
        f"{format_date(effective_from)} ({confidence.value})"
    )


def _check_text(source: str, note: str, *, note_required: bool) -> tuple[str, str]:
    source, note = source.strip(), note.strip()
    if not source:
        raise DomainError("Enter where the figure comes from", field="source")
    if len(source) > MAX_SOURCE_LENGTH:
        raise DomainError(f"Source must be {MAX_SOURCE_LENGTH} characters or fewer", field="source")
    if note_required and not note:
        raise DomainError("Enter why the figure is being corrected", field="note")
    if len(note) > MAX_NOTE_LENGTH:
        raise DomainError(f"Note must be {MAX_NOTE_LENGTH} characters or fewer", field="note")
    return source, note


def _check_value(value: int) -> None:
    if value < 0:
        raise DomainError("The figure cannot be negative", field="value")


def _same_end(effective_to: date | None) -> ColumnElement[bool]:
    """``effective_to`` equals the value read (NULL-safe)."""
    if effective_to is None:
        return BenefitRule.effective_to.is_(None)
    return BenefitRule.effective_to == effective_to


def _confirmation(actor: User, confidence: Confidence) -> dict[str, object]:
    if confidence is Confidence.S:
        return {"confirmed_by": actor, "confirmed_at": utc_now()}
    return {}


def add_figure(
    key: str,
    *,
    actor: User,
    value: int,
    effective_from: date,
    source: str,
    confidence: Confidence,
    note: str = "",
    ip_address: str | None = None,
) -> BenefitRule:
    """Add a figure for ``key`` from ``effective_from``; the figure before it ends the day before.

    The new figure must start after the latest current one (an earlier figure is corrected,
    not replaced).
    """
    require_role(actor, Role.FINANCE_ADMIN, message=RULES_FOR_FINANCE_ADMINS)
    rule_key = RULE_KEYS_BY_KEY.get(key)
    if rule_key is None:
        raise DomainError("There is no benefit rule with that name")
    _check_value(value)
    source, note = _check_text(source, note, note_required=False)
    latest = db.session.scalar(
        select(BenefitRule)
        .where(BenefitRule.key == key, BenefitRule.replaced_by_id.is_(None))
        .order_by(BenefitRule.effective_from.desc())
        .limit(1)
    )
    closed = ""
    if latest is not None:
        if effective_from <= latest.effective_from:
            raise DomainError(
                f"The new figure must start after {format_date(latest.effective_from)}, when "
                "the latest figure started. To change a figure already in force, correct it.",
                field="effective_from",
            )
        day_before = effective_from - timedelta(days=1)
        if latest.effective_to is None or latest.effective_to > day_before:
            # Only if nobody changed the row meanwhile (two admins adding at once).
            result = db.session.execute(
                update(BenefitRule)
                .where(
                    BenefitRule.id == latest.id,
                    BenefitRule.replaced_by_id.is_(None),
                    _same_end(latest.effective_to),
                )
                .values(effective_to=day_before)
                .execution_options(synchronize_session="fetch")
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                db.session.rollback()
                raise DomainError(CHANGED_MEANWHILE)
            closed = (
                f"; the figure from {format_date(latest.effective_from)} now ends on "
                f"{format_date(day_before)}"
            )
    figure = BenefitRule(
        key=key,
        value=value,
        unit=rule_key.unit,
        period=rule_key.period,
        effective_from=effective_from,
        effective_to=None,
        source=source,
        confidence=confidence,
        note=note,
        created_by=actor,
        **_confirmation(actor, confidence),
    )
    db.session.add(figure)
    db.session.flush()
    record_event(
        AuditAction.BENEFIT_RULE_ADDED,
        actor=actor,
        ip_address=ip_address,
        detail=_describe(rule_key, value, effective_from, confidence)
        + closed
        + (f". Note: {note}" if note else ""),
        about=("benefit_rule", figure.id),
    )
    db.session.commit()
    return figure


def correct_figure(
    rule: BenefitRule,
    *,
    actor: User,
    value: int,
    source: str,
    confidence: Confidence,
    note: str,
    ip_address: str | None = None,
) -> BenefitRule:
    """Replace a figure with a corrected row for the same dates; the old row is kept."""
    require_role(actor, Role.FINANCE_ADMIN, message=RULES_FOR_FINANCE_ADMINS)
    if not rule.is_current:
        raise DomainError("This figure has already been corrected. Correct the newer one.")
    _check_value(value)
    source, note = _check_text(source, note, note_required=True)
    rule_key = rule.rule_key
    correction = BenefitRule(
        key=rule.key,
        value=value,
        unit=rule.unit,
        period=rule.period,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        source=source,
        confidence=confidence,
        note=note,
        created_by=actor,
        **_confirmation(actor, confidence),
    )
    db.session.add(correction)
    db.session.flush()
    # Only if the row is still as read: a new figure added meanwhile closes it (effective_to),
    # and the correction copies its dates, so a changed row would leave two open-ended figures.
    result = db.session.execute(
        update(BenefitRule)
        .where(
            BenefitRule.id == rule.id,
            BenefitRule.replaced_by_id.is_(None),
            _same_end(rule.effective_to),
            BenefitRule.value == rule.value,
            BenefitRule.confidence == rule.confidence,
        )
        .values(replaced_by_id=correction.id)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise DomainError(CHANGED_MEANWHILE)
    record_event(
        AuditAction.BENEFIT_RULE_CORRECTED,
        actor=actor,
        ip_address=ip_address,
        detail=(
            f"{_describe(rule_key, rule.value, rule.effective_from, rule.confidence)} corrected "
            f"to {value_text(value, rule_key.unit, rule_key.period)} ({confidence.value}). "
            f"Note: {note}"
        ),
        about=("benefit_rule", correction.id),
    )
    db.session.commit()
    return correction


def confirm_figure(
    rule: BenefitRule, *, actor: User, source: str, ip_address: str | None = None
) -> None:
    """Mark a figure as confirmed by the primary source named in ``source``: confidence S, the
    source, who and when recorded on the row; the audit entry keeps the source it replaces."""
    require_role(actor, Role.FINANCE_ADMIN, message=RULES_FOR_FINANCE_ADMINS)
    if not rule.is_current:
        raise DomainError("This figure has been corrected. Confirm the newer one.")
    if rule.confidence is Confidence.S:
        raise DomainError("This figure is already confirmed.")
    source = source.strip()
    if not source:
        raise DomainError("Enter the primary source that states the figure", field="source")
    if len(source) > MAX_SOURCE_LENGTH:
        raise DomainError(f"Source must be {MAX_SOURCE_LENGTH} characters or fewer", field="source")
    before, old_source = rule.confidence, rule.source
    result = db.session.execute(
        update(BenefitRule)
        .where(
            BenefitRule.id == rule.id,
            BenefitRule.replaced_by_id.is_(None),
            BenefitRule.confidence == before,
            BenefitRule.value == rule.value,
        )
        .values(
            confidence=Confidence.S,
            source=source,
            confirmed_by_id=actor.id,
            confirmed_at=utc_now(),
        )
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise DomainError(CHANGED_MEANWHILE)
    record_event(
        AuditAction.BENEFIT_RULE_CONFIRMED,
        actor=actor,
        ip_address=ip_address,
        detail=(
            f"{_describe(rule.rule_key, rule.value, rule.effective_from, before)} confirmed (S). "
            f"Primary source: {source}. Source before: {old_source}"
        ),
        about=("benefit_rule", rule.id),
    )
    db.session.commit()
