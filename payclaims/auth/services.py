"""Account use cases: sign-up, sign-in, verification, password and email changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NoReturn

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User, UserRole, new_session_token
from payclaims.auth.passwords import hash_password, password_matches, password_problem
from payclaims.auth.tokens import LinkPurpose, fingerprint, make_token, read_token
from payclaims.database import utc_now
from payclaims.errors import DomainError, InvalidLink
from payclaims.extensions import db
from payclaims.mail import external_url, send_email

SIGN_IN_FAILED_MESSAGE = (
    "Enter a correct email address and password. After several wrong tries we pause "
    "sign-in for a while: you can wait, or reset your password."
)


class SignInFailed(DomainError):
    """Sign-in refused. The message is the same whatever the reason, so it reveals nothing."""

    def __init__(self) -> None:
        super().__init__(SIGN_IN_FAILED_MESSAGE, field="email")


def normalise_email(email: str) -> str:
    """Return the form of an email address used to store and look it up."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """Return the person with this email address, if there is one."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches a stored hash (never when there is none)."""
    return password_matches(
        password_hash, password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )


def check_new_password(password: str, *, name: str = "", email: str = "") -> None:
    """Raise ``DomainError`` on the ``password`` field if the password breaks the rules."""
    config = current_app.config
    problem = password_problem(
        password,
        min_length=config["PASSWORD_MIN_LENGTH"],
        max_length=config["PASSWORD_MAX_LENGTH"],
        context=(name, email),
    )
    if problem:
        raise DomainError(problem, field="password")


def _new_password_values(password: str) -> dict[str, object]:
    """The columns a new password sets: it also signs the person out everywhere else."""
    return {
        "password_hash": hash_password(password, current_app.config["PASSWORD_HASH_METHOD"]),
        "password_changed_at": utc_now(),
        "session_token": new_session_token(),
        "failed_sign_in_count": 0,
        "locked_until": None,
    }


def set_password(user: User, password: str) -> None:
    """Hash and store a new password and sign the person out of every other session."""
    for column, value in _new_password_values(password).items():
        setattr(user, column, value)


def _link(endpoint: str, purpose: LinkPurpose, payload: dict[str, object]) -> str:
    token = make_token(current_app.config["SECRET_KEY"], purpose, payload)
    return external_url(endpoint, token=token)


def _read(purpose: LinkPurpose, token: str, max_age: timedelta) -> dict[str, object]:
    return read_token(current_app.config["SECRET_KEY"], purpose, token, max_age)


def _user_from_payload(payload: dict[str, object]) -> User:
    user_id = payload.get("u")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        raise InvalidLink("This link is not valid.")
    return user


# Sign-up and email verification ------------------------------------------------------------


def register_expert(*, name: str, email: str, password: str, ip_address: str | None) -> None:
    """Create an expert-by-experience account and email a verification link.

    If the address is already registered, the owner is emailed instead and the caller sees
    exactly the same outcome, so the form cannot be used to find out who has an account.
    """
    email = normalise_email(email)
    check_new_password(password, name=name, email=email)
    existing = find_user_by_email(email)
    if existing is not None:
        # Hash anyway so that both paths take the same time.
        hash_password(password, current_app.config["PASSWORD_HASH_METHOD"])
        send_email(
            existing.email,
            "Someone tried to create an account with your email address",
            "account_exists",
            user=existing,
            sign_in_url=external_url("auth.sign_in"),
            reset_url=external_url("auth.forgot_password"),
        )
        return
    user = User(name=name.strip(), email=email)
    set_password(user, password)
    user.role_grants.append(UserRole(role=Role.EXPERT))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # The same address signed up at the same moment: answer as for a registered one.
        db.session.rollback()
        return
    record_event(AuditAction.SIGNED_UP, actor=user, subject=user, ip_address=ip_address)
    db.session.commit()
    send_verification_email(user)


def send_verification_email(user: User) -> None:
    """Email ``user`` a link that confirms their address."""
    hours = current_app.config["EMAIL_VERIFICATION_HOURS"]
    link = _link("auth.verify_email", LinkPurpose.VERIFY_EMAIL, {"u": user.id, "e": user.email})
    send_email(
        user.email, "Confirm your email address", "verify_email", user=user, link=link, hours=hours
    )


def verify_email(token: str, *, ip_address: str | None) -> User:
    """Mark the address in a verification link as confirmed; return its owner."""
    hours = current_app.config["EMAIL_VERIFICATION_HOURS"]
    payload = _read(LinkPurpose.VERIFY_EMAIL, token, timedelta(hours=hours))
    user = _user_from_payload(payload)
    if payload.get("e") != user.email:
        raise InvalidLink("This link is for an email address you no longer use.")
    if not user.is_email_verified:
        user.email_verified_at = utc_now()
        record_event(AuditAction.EMAIL_VERIFIED, actor=user, subject=user, ip_address=ip_address)
        db.session.commit()
    return user


# Sign-in ------------------------------------------------------------------------------------


def authenticate(email: str, password: str, *, ip_address: str | None) -> User:
    """Return the person if the email and password are right; otherwise raise ``SignInFailed``.

    Repeated failures lock the account for a while; the person is told by email.
    """
    now = utc_now()
    user = find_user_by_email(email)
    if user is None:
        check_password(None, password)
        _refuse_sign_in(None, ip_address, f"unknown email {normalise_email(email)[:254]}")
    if user.is_locked(now):
        check_password(None, password)
        _refuse_sign_in(user, ip_address, "account locked")
    if not check_password(user.password_hash, password):
        _count_failure(user, ip_address, now)
    if not user.is_active:
        _refuse_sign_in(user, ip_address, "account deactivated")
    user.failed_sign_in_count = 0
    user.locked_until = None
    user.last_signed_in_at = now
    record_event(AuditAction.SIGN_IN_SUCCEEDED, actor=user, subject=user, ip_address=ip_address)
    db.session.commit()
    return user


def _refuse_sign_in(user: User | None, ip_address: str | None, detail: str) -> NoReturn:
    record_event(
        AuditAction.SIGN_IN_FAILED, actor=None, subject=user, ip_address=ip_address, detail=detail
    )
    db.session.commit()
    raise SignInFailed()


def _count_failure(user: User, ip_address: str | None, now: datetime) -> NoReturn:
    """Count a wrong password and lock the account at the threshold.

    The count is incremented in the database, not in Python, so attempts made in parallel
    all count; only the attempt that sets the lock audits it and emails the person.
    """
    config = current_app.config
    minutes = config["SIGN_IN_LOCKOUT_MINUTES"]
    unsynchronised = {"synchronize_session": False}
    if user.locked_until is not None:  # an expired lock: start counting again
        db.session.execute(
            update(User)
            .where(User.id == user.id, User.locked_until == user.locked_until)
            .values(failed_sign_in_count=0, locked_until=None),
            execution_options=unsynchronised,
        )
    count = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_sign_in_count=User.failed_sign_in_count + 1)
        .returning(User.failed_sign_in_count),
        execution_options=unsynchronised,
    ).scalar_one()
    locked = False
    if count >= config["SIGN_IN_LOCKOUT_THRESHOLD"]:
        result = db.session.execute(
            update(User)
            .where(User.id == user.id, User.locked_until.is_(None))
            .values(locked_until=now + timedelta(minutes=minutes)),
            execution_options=unsynchronised,
        )
        locked = result.rowcount == 1  # type: ignore[attr-defined]
    reason = "wrong password" if user.has_password else "no password set"
    record_event(
        AuditAction.SIGN_IN_FAILED, actor=None, subject=user, ip_address=ip_address, detail=reason
    )
    if locked:
        record_event(
            AuditAction.SIGN_IN_LOCKED,
            actor=None,
            subject=user,
            ip_address=ip_address,
            detail=f"locked for {minutes} minutes after {count} failures",
        )
    db.session.commit()
    if locked:
        send_email(
            user.email,
            "We have paused sign-in to your account",
            "account_locked",
            user=user,
            minutes=minutes,
            reset_url=external_url("auth.forgot_password"),
        )
    raise SignInFailed()


def record_sign_out(user: User, *, ip_address: str | None) -> None:
    """Audit a sign-out."""
    record_event(AuditAction.SIGNED_OUT, actor=user, subject=user, ip_address=ip_address)
    db.session.commit()


# Password reset and invitations -----------------------------------------------------------


def request_password_reset(email: str, *, ip_address: str | None) -> None:
    """Email a single-use reset link if the address belongs to an active account.

    The caller shows the same message whether or not it does.
    """
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    link = _link(
        "auth.reset_password",
        LinkPurpose.RESET_PASSWORD,
        {"u": user.id, "p": fingerprint(user.password_hash), "e": fingerprint(user.email)},
    )
    record_event(
        AuditAction.PASSWORD_RESET_REQUESTED, actor=None, subject=user, ip_address=ip_address
    )
    db.session.commit()
    send_email(
        user.email, "Reset your password", "reset_password", user=user, link=link, minutes=minutes
    )


def invitation_link(user: User) -> str:
    """Return a link that lets an invited member of staff set their first password."""
    return _link(
        "auth.accept_invitation",
        LinkPurpose.INVITATION,
        {"u": user.id, "p": fingerprint(user.password_hash), "s": fingerprint(user.session_token)},
    )


def user_for_password_link(purpose: LinkPurpose, token: str) -> User:
    """Return the person a reset or invitation link is for, or raise ``InvalidLink``.

    Both links carry a fingerprint of the password hash, so setting a password kills them.
    """
    if purpose is LinkPurpose.RESET_PASSWORD:
        max_age = timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    elif purpose is LinkPurpose.INVITATION:
        max_age = timedelta(days=current_app.config["INVITATION_DAYS"])
    else:
        raise ValueError(f"{purpose} links do not set passwords")
    payload = _read(purpose, token, max_age)
    user = _user_from_payload(payload)
    if purpose is LinkPurpose.INVITATION:
        if user.has_password or payload.get("p") != fingerprint(user.password_hash):
            raise InvalidLink("This invitation has already been used. Sign in instead.")
        if payload.get("s") != fingerprint(user.session_token):
            raise InvalidLink("This invitation has been replaced by a newer one.")
    elif payload.get("p") != fingerprint(user.password_hash):
        raise InvalidLink("This link has already been used.")
    elif payload.get("e") != fingerprint(user.email):
        raise InvalidLink("This link was sent to an email address you no longer use.")
    return user


def set_password_from_link(
    purpose: LinkPurpose, token: str, password: str, *, ip_address: str | None
) -> User:
    """Set a password through a reset link or an invitation, which then stops working.

    The write only happens if the password is still the one the link was made for, so two
    requests racing with one link cannot both use it.
    """
    user = user_for_password_link(purpose, token)
    check_new_password(password, name=user.name, email=user.email)
    old_hash = user.password_hash
    same_password = (
        User.password_hash.is_(None) if old_hash is None else (User.password_hash == old_hash)
    )
    values = _new_password_values(password)
    # Following the emailed link proves the person reads this address.
    values["email_verified_at"] = user.email_verified_at or utc_now()
    claimed = db.session.execute(
        update(User).where(User.id == user.id, same_password).values(values),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise InvalidLink("This link has already been used.")
    db.session.expire(user)
    resetting = purpose is LinkPurpose.RESET_PASSWORD
    action = AuditAction.PASSWORD_RESET if resetting else AuditAction.INVITATION_ACCEPTED
    record_event(action, actor=user, subject=user, ip_address=ip_address)
    db.session.commit()
    if resetting:
        _send_password_changed(user)
    return user


def _send_password_changed(user: User) -> None:
    send_email(
        user.email,
        "Your password has been changed",
        "password_changed",
        user=user,
        reset_url=external_url("auth.forgot_password"),
    )


# Account changes ------------------------------------------------------------------------------


def change_password(
    user: User, *, current_password: str, new_password: str, ip_address: str | None
) -> None:
    """Change a password after checking the current one; other sessions are signed out."""
    if not check_password(user.password_hash, current_password):
        raise DomainError("Your current password is not right", field="current_password")
    check_new_password(new_password, name=user.name, email=user.email)
    set_password(user, new_password)
    record_event(AuditAction.PASSWORD_CHANGED, actor=user, subject=user, ip_address=ip_address)
    db.session.commit()
    _send_password_changed(user)


def request_email_change(
    user: User, *, new_email: str, password: str, ip_address: str | None
) -> None:
    """Email a confirmation link to a new address; the address changes when it is followed."""
    if not check_password(user.password_hash, password):
        raise DomainError("Your password is not right", field="password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise DomainError("This is already your email address", field="new_email")
    record_event(
        AuditAction.EMAIL_CHANGE_REQUESTED,
        actor=user,
        subject=user,
        ip_address=ip_address,
        detail=f"to {new_email}",
    )
    db.session.commit()
    if find_user_by_email(new_email) is not None:
        # Tell the owner of that address, and nobody else, that it is already in use.
        send_email(
            new_email, "This email address already has an account", "email_in_use", name=user.name
        )
    else:
        hours = current_app.config["EMAIL_VERIFICATION_HOURS"]
        link = _link(
            "auth.confirm_email_change",
            LinkPurpose.CHANGE_EMAIL,
            {"u": user.id, "e": new_email, "o": fingerprint(user.email)},
        )
        send_email(
            new_email,
            "Confirm your new email address",
            "confirm_email_change",
            user=user,
            link=link,
            hours=hours,
        )
    send_email(
        user.email,
        "Someone asked to change your email address",
        "email_change_requested",
        user=user,
        new_email=new_email,
    )


def confirm_email_change(token: str, *, ip_address: str | None) -> User:
    """Change the address to the one in a confirmation link and mark it verified."""
    hours = current_app.config["EMAIL_VERIFICATION_HOURS"]
    payload = _read(LinkPurpose.CHANGE_EMAIL, token, timedelta(hours=hours))
    user = _user_from_payload(payload)
    new_email = payload.get("e")
    if not isinstance(new_email, str) or payload.get("o") != fingerprint(user.email):
        raise InvalidLink("This link has already been used.")
    taken = db.session.scalar(
        select(func.count()).select_from(User).where(User.email == new_email, User.id != user.id)
    )
    if taken:
        raise InvalidLink("This email address already has an account.")
    old_email = user.email
    user.email = new_email
    user.email_verified_at = utc_now()
    record_event(
        AuditAction.EMAIL_CHANGED,
        actor=user,
        subject=user,
        ip_address=ip_address,
        detail=f"from {old_email} to {new_email}",
    )
    try:
        db.session.commit()
    except IntegrityError as error:  # someone took the address a moment ago
        db.session.rollback()
        raise InvalidLink("This email address already has an account.") from error
    send_email(
        old_email,
        "Your email address has been changed",
        "email_changed",
        user=user,
        new_email=new_email,
    )
    return user
