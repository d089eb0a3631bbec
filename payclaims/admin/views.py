"""Admin pages: the list of people, staff invitations, roles and deactivation."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from payclaims.admin import services
from payclaims.admin.forms import PeopleFilterForm, RolesForm, StaffInviteForm
from payclaims.audit.models import AuditEvent
from payclaims.auth.access import roles_required
from payclaims.auth.models import Role, User, UserRole
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import PostForm, add_error

bp = Blueprint("admin", __name__, url_prefix="/admin")

PEOPLE_PER_PAGE = 25


@bp.route("/people")
@roles_required(Role.ADMIN)
def people() -> str:
    """List people, with search and filters."""
    form = PeopleFilterForm(request.args)
    query = select(User).order_by(User.name, User.id)
    if form.validate():
        if form.q.data:
            pattern = f"%{form.q.data.lower()}%"
            query = query.where(or_(User.email.like(pattern), User.name.ilike(pattern)))
        if form.role.data:
            query = query.where(User.role_grants.any(UserRole.role == Role(form.role.data)))
        if form.status.data == "active":
            query = query.where(User.is_active.is_(True), User.password_hash.is_not(None))
        elif form.status.data == "invited":
            query = query.where(User.is_active.is_(True), User.password_hash.is_(None))
        elif form.status.data == "deactivated":
            query = query.where(User.is_active.is_(False))
    page = db.paginate(query, per_page=PEOPLE_PER_PAGE, error_out=False)
    return render_template("admin/people.html", form=form, page=page)


@bp.route("/people/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def invite() -> str | Response:
    """Create a staff account and email an invitation."""
    form = StaffInviteForm()
    if form.validate_on_submit():
        try:
            user = services.invite_staff(
                actor=current_user,
                name=form.name.data or "",
                email=form.email.data or "",
                roles=[Role(value) for value in form.roles.data or []],
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"We have emailed an invitation to {user.email}.", "success")
            return redirect(url_for("admin.person", user_id=user.id))
    return render_template("admin/invite.html", form=form)


@bp.route("/people/<int:user_id>")
@roles_required(Role.ADMIN)
def person(user_id: int) -> str:
    """Show one person: roles, status and recent account events."""
    user = db.get_or_404(User, user_id)
    form = RolesForm(roles=[role.value for role in user.roles])
    return _render_person(user, form)


def _render_person(user: User, roles_form: RolesForm) -> str:
    events = db.session.scalars(
        select(AuditEvent)
        .where(or_(AuditEvent.subject_user_id == user.id, AuditEvent.actor_id == user.id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "admin/person.html",
        person=user,
        roles_form=roles_form,
        action_form=PostForm(),
        events=events,
    )


@bp.route("/people/<int:user_id>/roles", methods=["POST"])
@roles_required(Role.ADMIN)
def change_roles(user_id: int) -> str | Response:
    """Replace a person's roles."""
    user = db.get_or_404(User, user_id)
    form = RolesForm()
    if form.validate_on_submit():
        try:
            services.set_roles(
                user,
                [Role(value) for value in form.roles.data or []],
                actor=current_user,
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"Roles saved for {user.name}.", "success")
            return redirect(url_for("admin.person", user_id=user.id))
    return _render_person(user, form)


@bp.route("/people/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def deactivate(user_id: int) -> Response:
    """Deactivate an account."""
    user = db.get_or_404(User, user_id)
    if PostForm().validate_on_submit():
        _flash_outcome(
            lambda: services.deactivate_account(
                user, actor=current_user, ip_address=request.remote_addr
            ),
            f"{user.name} can no longer sign in.",
        )
    return redirect(url_for("admin.person", user_id=user.id))


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def reactivate(user_id: int) -> Response:
    """Reactivate an account."""
    user = db.get_or_404(User, user_id)
    if PostForm().validate_on_submit():
        _flash_outcome(
            lambda: services.reactivate_account(
                user, actor=current_user, ip_address=request.remote_addr
            ),
            f"{user.name} can sign in again.",
        )
    return redirect(url_for("admin.person", user_id=user.id))


@bp.route("/people/<int:user_id>/invitation", methods=["POST"])
@roles_required(Role.ADMIN)
def resend_invitation(user_id: int) -> Response:
    """Send a new invitation email."""
    user = db.get_or_404(User, user_id)
    if PostForm().validate_on_submit():
        _flash_outcome(
            lambda: services.resend_invitation(
                user, actor=current_user, ip_address=request.remote_addr
            ),
            f"We have emailed a new invitation to {user.email}.",
        )
    return redirect(url_for("admin.person", user_id=user.id))


def _flash_outcome(action: Callable[[], None], success: str) -> None:
    try:
        action()
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(success, "success")
