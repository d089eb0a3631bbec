"""Admin use cases: staff accounts, their roles, deactivation."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import Select, func, or_, select

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User, UserRole, new_session_token
from payclaims.auth.services import find_user_by_email, invitation_link, normalise_email
from payclaims.database import escape_like, utc_now
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.mail import send_email

PEOPLE_STATUSES = ("active", "invited", "deactivated")


def people_query(
    *, text: str | None = None, role: Role | None = None, status: str | None = None
) -> Select[User]:
    """People matching a search of name or email, a role and a status, by name."""
    query = select(User).order_by(User.name, User.id)
    if text:
        pattern = f"%{escape_like(text.lower())}%"
        query = query.where(
            or_(User.email.like(pattern, escape="\\"), User.name.ilike(pattern, escape="\\"))
        )
    if role is not None:
        query = query.where(User.role_grants.any(UserRole.role == role))
    if status == "active":
        query = query.where(User.is_active.is_(True), User.password_hash.is_not(None))
    elif status == "invited":
        query = query.where(User.is_active.is_(True), User.password_hash.is_(None))
    elif status == "deactivated":
        query = query.where(User.is_active.is_(False))
    return query


def _active_admin_count() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(User)
            .join(UserRole)
            .where(User.is_active.is_(True), UserRole.role == Role.ADMIN)
        )
        or 0
    )


def _describe(roles: Iterable[Role]) -> str:
    return ", ".join(role.label for role in Role if role in set(roles)) or "none"


def invite_staff(
    *, actor: User, name: str, email: str, roles: Iterable[Role], ip_address: str | None
) -> User:
    """Create a staff account with ``roles`` and email an invitation to set a password."""
    require_role(actor, Role.ADMIN)
    roles = set(roles)
    if not roles:
        raise DomainError("Select at least one role", field="roles")
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError(
            "There is already an account with this email address. Find it in the list of "
            "people and change its roles instead.",
            field="email",
        )
    user = User(name=name.strip(), email=email)
    user.role_grants.extend(UserRole(role=role) for role in roles)
    db.session.add(user)
    db.session.flush()
    record_event(
        AuditAction.STAFF_INVITED,
        actor=actor,
        subject=user,
        ip_address=ip_address,
        detail=f"roles: {_describe(roles)}",
    )
    db.session.commit()
    _send_invitation(user, actor)
    return user


def resend_invitation(user: User, *, actor: User, ip_address: str | None) -> None:
    """Send a new invitation; earlier invitation links stop working."""
    require_role(actor, Role.ADMIN)
    if user.has_password:
        raise DomainError("This person has already set a password.")
    if not user.is_active:
        raise DomainError("This account is deactivated. Reactivate it first.")
    user.session_token = new_session_token()
    record_event(AuditAction.INVITATION_RESENT, actor=actor, subject=user, ip_address=ip_address)
    db.session.commit()
    _send_invitation(user, actor)


def _send_invitation(user: User, actor: User) -> None:
    send_email(
        user.email,
        "You have been invited to use payclaims",
        "invitation",
        user=user,
        inviter=actor,
        link=invitation_link(user),
        days=current_app.config["INVITATION_DAYS"],
    )


def set_roles(user: User, roles: Iterable[Role], *, actor: User, ip_address: str | None) -> None:
    """Replace a person's roles. The last active admin keeps the admin role."""
    require_role(actor, Role.ADMIN)
    new_roles = set(roles)
    if not new_roles:
        raise DomainError("Select at least one role", field="roles")
    old_roles = set(user.roles)
    if new_roles == old_roles:
        return
    losing_admin = Role.ADMIN in old_roles and Role.ADMIN not in new_roles
    if losing_admin and user.is_active and _active_admin_count() <= 1:
        raise DomainError(
            "This is the only active admin. Make someone else an admin first.", field="roles"
        )
    user.role_grants = [grant for grant in user.role_grants if grant.role in new_roles]
    user.role_grants.extend(UserRole(role=role) for role in new_roles - old_roles)
    record_event(
        AuditAction.ROLES_CHANGED,
        actor=actor,
        subject=user,
        ip_address=ip_address,
        detail=f"from {_describe(old_roles)} to {_describe(new_roles)}",
    )
    db.session.commit()


def deactivate_account(user: User, *, actor: User, ip_address: str | None) -> None:
    """Stop a person signing in and end their sessions. Their history is kept."""
    require_role(actor, Role.ADMIN)
    if user.id == actor.id:
        raise DomainError("You cannot deactivate your own account.")
    if not user.is_active:
        return
    if user.has_role(Role.ADMIN) and _active_admin_count() <= 1:
        raise DomainError("This is the only active admin. Make someone else an admin first.")
    user.is_active = False
    user.deactivated_at = utc_now()
    user.session_token = new_session_token()
    record_event(AuditAction.ACCOUNT_DEACTIVATED, actor=actor, subject=user, ip_address=ip_address)
    db.session.commit()


def reactivate_account(user: User, *, actor: User, ip_address: str | None) -> None:
    """Let a deactivated person sign in again."""
    require_role(actor, Role.ADMIN)
    if user.is_active:
        return
    user.is_active = True
    user.deactivated_at = None
    user.failed_sign_in_count = 0
    user.locked_until = None
    record_event(AuditAction.ACCOUNT_REACTIVATED, actor=actor, subject=user, ip_address=ip_address)
    db.session.commit()
