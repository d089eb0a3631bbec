"""Admin pages: the list of people, staff invitations, roles and deactivation."""

from __future__ import annotations

from typing import Protocol

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from payclaims.admin import services
from payclaims.admin.forms import PeopleFilterForm, RolesForm, StaffInviteForm
from payclaims.audit.services import recent_account_events
from payclaims.auth.access import roles_required
from payclaims.auth.models import Role, User
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
    valid = form.validate()
    query = services.people_query(
        text=form.q.data if valid else None,
        role=Role(form.role.data) if valid and form.role.data else None,
        status=form.status.data if valid else None,
    )
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
    return render_template(
        "admin/person.html",
        person=user,
        roles_form=roles_form,
        action_form=PostForm(),
        events=recent_account_events(user),
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
    return _act_on_person(user_id, services.deactivate_account, "{name} can no longer sign in.")


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def reactivate(user_id: int) -> Response:
    """Reactivate an account."""
    return _act_on_person(user_id, services.reactivate_account, "{name} can sign in again.")


@bp.route("/people/<int:user_id>/invitation", methods=["POST"])
@roles_required(Role.ADMIN)
def resend_invitation(user_id: int) -> Response:
    """Send a new invitation email."""
    return _act_on_person(
        user_id, services.resend_invitation, "We have emailed a new invitation to {email}."
    )


class PersonAction(Protocol):
    """An admin service that acts on one person."""

    def __call__(self, user: User, *, actor: User, ip_address: str | None) -> None: ...


def _act_on_person(user_id: int, action: PersonAction, success: str) -> Response:
    """Run a one-button action on a person and say how it went."""
    user = db.get_or_404(User, user_id)
    if PostForm().validate_on_submit():
        try:
            action(user, actor=current_user, ip_address=request.remote_addr)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(success.format(name=user.name, email=user.email), "success")
    return redirect(url_for("admin.person", user_id=user.id))
