"""Who may reach each view. Every view declares it; a view that does not is refused.

``public`` views are open to everyone; ``signed_in`` views to anyone signed in;
``roles_required(...)`` views to people holding at least one of the roles. The check runs
in ``enforce_access`` before every request, so forgetting a decorator fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User
from payclaims.errors import PermissionDenied
from payclaims.extensions import db, login_manager

View = TypeVar("View", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "payclaims_access"


@dataclass(frozen=True)
class Access:
    """An access rule: public, any signed-in person, or holders of some roles."""

    public: bool = False
    roles: frozenset[Role] | None = None

    def describe(self) -> str:
        """The rule in words, for tests and error messages."""
        if self.public:
            return "public"
        if self.roles is None:
            return "signed in"
        return "roles: " + ", ".join(sorted(self.roles))


def _declare(access: Access) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        setattr(view, ACCESS_ATTRIBUTE, access)
        return view

    return decorator


public = _declare(Access(public=True))
signed_in = _declare(Access())


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Allow people holding any of ``roles``."""
    return _declare(Access(roles=frozenset(roles)))


def require_role(actor: User, *roles: Role, message: str | None = None) -> None:
    """For services: refuse (PermissionDenied) unless ``actor`` is active and holds one of
    ``roles``; the message names the first role unless ``message`` says otherwise."""
    if not actor.is_active or not actor.has_role(*roles):
        name = roles[0].label.lower()
        article = "an" if name[0] in "aeiou" else "a"
        raise PermissionDenied(message or f"Only {article} {name} can do this.")


def access_for(endpoint: str | None) -> Access | None:
    """The declared rule of an endpoint, or None when it declares none."""
    if endpoint is None:
        return None
    if endpoint == "static":
        return Access(public=True)
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


def enforce_access() -> Any:
    """``before_request`` hook: apply the endpoint's rule, refusing endpoints with none."""
    if request.endpoint is None:  # 404 or 405: let Flask answer
        return None
    access = access_for(request.endpoint)
    if access is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if access.public:
        return None
    if not current_user.is_authenticated:
        if request.method not in ("GET", "HEAD"):
            # A sign-in cannot come back to a form post: start from the home page instead.
            flash(login_manager.login_message, login_manager.login_message_category)
            return redirect(url_for("auth.sign_in"))
        return login_manager.unauthorized()
    if access.roles is not None and not current_user.has_role(*access.roles):
        deny(current_user)
    return None


def deny(user: User) -> None:
    """Audit a refused request and answer 403."""
    record_event(
        AuditAction.ACCESS_DENIED,
        actor=user,
        ip_address=request.remote_addr,
        detail=f"{request.method} {request.path}"[:500],
    )
    db.session.commit()
    abort(403)
