"""The benefit rule figures in the database: loading the current ones as the engine's RuleSet,
and putting the seed figures back into an empty table."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy import insert as sa_insert
from sqlalchemy.orm import Session, scoped_session

from payclaims.benefits.engine.types import Figure, RuleSet
from payclaims.benefits.rules.catalogue import seed_rows
from payclaims.benefits.rules.models import BenefitRule
from payclaims.database import utc_now
from payclaims.extensions import db


def load_rule_set(session: Session | scoped_session[Session] | None = None) -> RuleSet:
    """The current figures (not corrected by a later row) from the database, in one query."""
    rows = (
        (session or db.session)
        .execute(
            select(
                BenefitRule.key,
                BenefitRule.value,
                BenefitRule.effective_from,
                BenefitRule.effective_to,
                BenefitRule.confidence,
            ).where(BenefitRule.replaced_by_id.is_(None))
        )
        .all()
    )
    return RuleSet(
        tuple(
            Figure(
                key=key,
                value=value,
                effective_from=effective_from,
                effective_to=effective_to,
                confidence=confidence,
            )
            for key, value, effective_from, effective_to, confidence in rows
        )
    )


def restore_seed_rules(connection: Connection) -> None:
    """Insert the seed figures into an empty ``benefit_rules`` table (the PostgreSQL tests empty
    every table between tests and put the figures back with this)."""
    now = utc_now()
    connection.execute(sa_insert(BenefitRule), [{**row, "created_at": now} for row in seed_rows()])
