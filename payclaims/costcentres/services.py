"""Cost centre use cases, for finance admins."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User, UserRole
from payclaims.costcentres.models import CostCentre
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.money import format_pence

# Starting with a letter or number also keeps a code from reading as a spreadsheet formula.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}")
MAX_CODE_LENGTH = 20
DUPLICATE_CODE = "There is already a cost centre with this code"


def all_cost_centres() -> list[CostCentre]:
    """Every cost centre, closed ones included, by code, with its approvers."""
    return list(
        db.session.scalars(
            select(CostCentre).options(selectinload(CostCentre.approvers)).order_by(CostCentre.code)
        )
    )


def finance_approvers() -> list[User]:
    """Everyone who may be made a cost centre's approver: active finance approvers."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.FINANCE_APPROVER, User.is_active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def set_approvers(
    cost_centre: CostCentre,
    *,
    actor: User,
    approver_ids: list[int],
    limit_pence: int | None,
    ip_address: str | None,
) -> None:
    """Choose the finance approvers a cost centre's claims go to, and its single-approver
    limit (claims above it need two different approvers)."""
    require_role(actor, Role.FINANCE_ADMIN)
    if limit_pence is None:
        raise DomainError("Enter the single-approver limit, for example 250", field="limit")
    eligible = {user.id: user for user in finance_approvers()}
    chosen = []
    for user_id in dict.fromkeys(approver_ids):
        if user_id not in eligible:
            raise DomainError("Choose finance approvers from the list", field="approvers")
        chosen.append(eligible[user_id])
    before = {user.id for user in cost_centre.approvers}
    after = {user.id for user in chosen}
    changes = []
    added = [user.name for user in chosen if user.id not in before]
    removed = [user.name for user in cost_centre.approvers if user.id not in after]
    if added:
        changes.append("added " + ", ".join(added))
    if removed:
        changes.append("removed " + ", ".join(removed))
    if limit_pence != cost_centre.single_approver_limit_pence:
        changes.append(
            f"limit from {format_pence(cost_centre.single_approver_limit_pence)} to "
            f"{format_pence(limit_pence)}"
        )
    if not changes:
        return
    cost_centre.approvers = chosen
    cost_centre.single_approver_limit_pence = limit_pence
    record_event(
        AuditAction.COST_CENTRE_APPROVERS_CHANGED,
        actor=actor,
        ip_address=ip_address,
        detail=f"{cost_centre.label}: " + "; ".join(changes),
        about=("cost_centre", cost_centre.id),
    )
    db.session.commit()


def normalise_code(code: str) -> str:
    """The code as stored: no spaces around it, upper case."""
    return code.strip().upper()


def _check(code: str, name: str, *, cost_centre_id: int | None) -> None:
    if not code:
        raise DomainError("Enter the cost centre code", field="code")
    if len(code) > MAX_CODE_LENGTH:
        raise DomainError("Code must be 20 characters or fewer", field="code")
    if not CODE_PATTERN.fullmatch(code):
        raise DomainError(
            "Code must only include letters, numbers and hyphens, and start with a letter or "
            "number",
            field="code",
        )
    if not name:
        raise DomainError("Enter the cost centre name", field="name")
    same_code = select(CostCentre.id).where(CostCentre.code == code)
    if cost_centre_id is not None:
        same_code = same_code.where(CostCentre.id != cost_centre_id)
    if db.session.scalar(same_code.limit(1)) is not None:
        raise DomainError(DUPLICATE_CODE, field="code")


def _commit() -> None:
    """Commit; the same code saved by someone else at the same moment becomes a field error."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DomainError(DUPLICATE_CODE, field="code") from error


def create_cost_centre(*, actor: User, code: str, name: str, ip_address: str | None) -> CostCentre:
    """Add a cost centre; its code is stored in upper case."""
    require_role(actor, Role.FINANCE_ADMIN)
    code, name = normalise_code(code), name.strip()
    _check(code, name, cost_centre_id=None)
    cost_centre = CostCentre(code=code, name=name)
    db.session.add(cost_centre)
    db.session.flush()
    record_event(
        AuditAction.COST_CENTRE_CREATED,
        actor=actor,
        ip_address=ip_address,
        detail=cost_centre.label,
        about=("cost_centre", cost_centre.id),
    )
    _commit()
    return cost_centre


def edit_cost_centre(
    cost_centre: CostCentre,
    *,
    actor: User,
    code: str,
    name: str,
    is_active: bool,
    ip_address: str | None,
) -> None:
    """Change a cost centre's code or name, or close it to new roles."""
    require_role(actor, Role.FINANCE_ADMIN)
    code, name = normalise_code(code), name.strip()
    _check(code, name, cost_centre_id=cost_centre.id)
    changes = []
    if code != cost_centre.code:
        changes.append(f"code from {cost_centre.code} to {code}")
    if name != cost_centre.name:
        changes.append(f"name from {cost_centre.name!r} to {name!r}")
    if is_active != cost_centre.is_active:
        changes.append("opened again" if is_active else "closed")
    if not changes:
        return
    cost_centre.code, cost_centre.name, cost_centre.is_active = code, name, is_active
    record_event(
        AuditAction.COST_CENTRE_EDITED,
        actor=actor,
        ip_address=ip_address,
        detail="; ".join(changes),
        about=("cost_centre", cost_centre.id),
    )
    _commit()
