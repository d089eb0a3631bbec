"""Role descriptions: writing, publishing and browsing involvement opportunities."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from payclaims.auth.access import deny, roles_required
from payclaims.auth.models import FINANCE_ROLES, Role
from payclaims.dates import format_date, uk_today
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.forms import PostForm, add_error
from payclaims.money import format_pence
from payclaims.roles import services
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.forms import (
    PAID,
    OpportunityFilterForm,
    RoleForm,
    StaffRolesFilterForm,
    role_form_data,
)
from payclaims.roles.models import (
    FeeUnit,
    InvolvementLevel,
    LocationType,
    RoleDescription,
    RoleStatus,
    RoleVersion,
)
from payclaims.training.gate import training_gaps

bp = Blueprint("roles", __name__)

STAFF = (Role.COORDINATOR, Role.ADMIN, *FINANCE_ROLES)
WRITERS = (Role.COORDINATOR, Role.ADMIN)
ROLES_PER_PAGE = 25


# Words for what a role offers, used by the staff and expert pages alike -----------------------


@bp.app_template_filter("duration")
def format_duration(minutes: int) -> str:
    """'3 hours', '1 hour 30 minutes', '45 minutes'."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


@bp.app_template_filter("session_pay")
def session_pay(version: RoleVersion) -> str:
    """What one session pays, briefly: '£60.00 a session' or 'Expenses only'."""
    pence = version.session_fee_pence
    return "Expenses only" if pence is None else f"{format_pence(pence)} a session"


@bp.app_template_filter("pay_worked_out")
def pay_worked_out(version: RoleVersion) -> str:
    """What one session pays and how: '£20.00 per hour for 3 hours: £60.00 a session'."""
    if version.fee_pence is None or version.fee_unit is None:
        return "This role pays expenses only, not a fee."
    fee, per_session = format_pence(version.fee_pence), session_pay(version)
    if version.fee_unit is FeeUnit.SESSION:
        return per_session
    if version.fee_unit is FeeUnit.HOUR:
        return f"{fee} per hour for {format_duration(version.session_minutes)}: {per_session}"
    return f"{fee} {version.fee_unit.label}: {per_session}"


@bp.app_template_filter("closes")
def closes(version: RoleVersion, today: date) -> str:
    """'Closes today', 'Closes tomorrow', 'Closes in 5 days' or 'Closed on 3 May 2027'."""
    days = version.days_to_close(today)
    if days < 0:
        return f"Closed on {format_date(version.closing_on)}"
    if days == 0:
        return "Closes today"
    if days == 1:
        return "Closes tomorrow"
    return f"Closes in {days} days"


@bp.app_template_filter("paragraphs")
def paragraphs(text: str) -> Markup:
    """Typed text as HTML paragraphs, escaped, keeping the line breaks people typed."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in block.split("\n")))
        for block in blocks
        if block
    )


@bp.app_template_filter("expense_labels")
def expense_labels(values: list[str]) -> list[str]:
    """The labels of the expense categories a role covers, in the usual order."""
    chosen = set(values)
    return [category.label for category in ExpenseCategory if category.value in chosen]


# Staff pages -----------------------------------------------------------------------------------


@bp.route("/roles")
@roles_required(*STAFF)
def manage() -> str:
    """Every role, for staff, with filters; coordinators start with their own."""
    form = StaffRolesFilterForm(request.args)
    # The filter form always sends its status; until it has, coordinators see their own roles.
    if "status" not in request.args and current_user.has_role(Role.COORDINATOR):
        form.only.data = ["mine"]
    status, only_mine = None, False
    if form.validate():
        status = RoleStatus(form.status.data) if form.status.data else None
        only_mine = "mine" in (form.only.data or [])
    query = services.staff_roles_query(
        status=status, coordinator_id=current_user.id if only_mine else None
    )
    page = db.paginate(query, per_page=ROLES_PER_PAGE, error_out=False)
    return render_template(
        "roles/manage.html",
        filters=form,
        page=page,
        can_create=current_user.has_role(*WRITERS),
    )


@bp.route("/roles/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
def new() -> ResponseReturnValue:
    """Write a new role; it starts as a draft."""
    is_coordinator = current_user.has_role(Role.COORDINATOR)
    initial = {"coordinator_id": str(current_user.id)} if is_coordinator else {}
    form = _role_form(initial)
    if form.validate_on_submit():
        try:
            role = services.create_role(
                form.content(),
                actor=current_user,
                ip_address=request.remote_addr,
                today=form.today,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash("Role saved as a draft. Preview it, then publish it when it is ready.", "success")
            return redirect(url_for("roles.detail", role_id=role.id))
    return render_template("roles/new.html", form=form)


@bp.route("/roles/<int:role_id>")
@roles_required(*STAFF)
def detail(role_id: int) -> ResponseReturnValue:
    """A role for staff: status, versions, content and what they may do with it."""
    role = _role_or_404(role_id)
    return render_template(
        "roles/detail.html",
        role=role,
        version=role.latest_version,
        can_change=services.can_change(role, current_user),
        names=services.names_by_id(
            user_id
            for version in role.versions
            for user_id in (version.created_by_id, version.published_by_id)
        ),
        action_form=PostForm(),
        today=uk_today(),
    )


@bp.route("/roles/<int:role_id>/versions/<int:number>")
@roles_required(*STAFF)
def version(role_id: int, number: int) -> ResponseReturnValue:
    """One version of a role, read only."""
    role = _role_or_404(role_id)
    shown = next((each for each in role.versions if each.number == number), None)
    if shown is None:
        abort(404)
    return render_template(
        "roles/version.html",
        role=role,
        version=shown,
        names=services.names_by_id([shown.created_by_id, shown.published_by_id]),
    )


@bp.route("/roles/<int:role_id>/edit", methods=["GET", "POST"])
@roles_required(*WRITERS)
def edit(role_id: int) -> ResponseReturnValue:
    """Change a role; published versions are kept and a new one holds the changes."""
    role = _role_or_404(role_id)
    if not services.can_change(role, current_user):
        deny(current_user)
    current = role.draft_version or role.latest_version
    form = _role_form(role_form_data(role, current), kept=role.latest_version)
    if form.validate_on_submit():
        try:
            saved = services.save_role_changes(
                role,
                form.content(),
                actor=current_user,
                ip_address=request.remote_addr,
                today=form.today,
            )
        except PermissionDenied:
            deny(current_user)
        except DomainError as error:
            add_error(form, error)
        else:
            if saved.published_at is None:
                flash(
                    f"Changes saved in version {saved.number}. People see them once you "
                    "publish them.",
                    "success",
                )
            else:
                flash("Changes saved.", "success")
            return redirect(url_for("roles.detail", role_id=role.id))
    return render_template("roles/edit.html", form=form, role=role)


@bp.route("/roles/<int:role_id>/preview")
@roles_required(*STAFF)
def preview(role_id: int) -> ResponseReturnValue:
    """The latest version exactly as people will see it once published."""
    role = _role_or_404(role_id)
    return render_template(
        "roles/preview.html",
        role=role,
        version=role.latest_version,
        gaps_by_course=None,
        today=uk_today(),
    )


@bp.route("/roles/<int:role_id>/publish", methods=["POST"])
@roles_required(*WRITERS)
def publish(role_id: int) -> Response:
    """Publish the role's unpublished version."""
    today = uk_today()
    return _act_on_role(
        role_id,
        lambda role: services.publish_role(
            role, actor=current_user, ip_address=request.remote_addr, today=today
        ),
        "Published. People can now see this version of the role.",
    )


@bp.route("/roles/<int:role_id>/close", methods=["POST"])
@roles_required(*WRITERS)
def close(role_id: int) -> Response:
    """Stop new sign-ups to the role."""
    return _act_on_role(
        role_id,
        lambda role: services.close_role(role, actor=current_user, ip_address=request.remote_addr),
        "Closed. People can no longer sign up to this role.",
    )


@bp.route("/roles/<int:role_id>/reopen", methods=["POST"])
@roles_required(*WRITERS)
def reopen(role_id: int) -> Response:
    """Take sign-ups to the role again."""
    today = uk_today()
    return _act_on_role(
        role_id,
        lambda role: services.reopen_role(
            role, actor=current_user, ip_address=request.remote_addr, today=today
        ),
        "Reopened. People can sign up to this role again.",
    )


def _act_on_role(
    role_id: int, action: Callable[[RoleDescription], object], success: str
) -> Response:
    """Run a one-button action on a role and say how it went."""
    role = _role_or_404(role_id)
    if PostForm().validate_on_submit():
        try:
            action(role)
        except PermissionDenied:
            deny(current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(success, "success")
    return redirect(url_for("roles.detail", role_id=role.id))


def _role_or_404(role_id: int) -> RoleDescription:
    role = services.load_role(role_id)
    if role is None:
        abort(404)
    return role


def _role_form(initial: dict[str, Any], *, kept: RoleVersion | None = None) -> RoleForm:
    """The role form: what was posted, or ``initial`` before anything is."""
    form = RoleForm(data=None if request.method == "POST" else initial, today=uk_today())
    form.offer(
        coordinators=services.coordinators(),
        cost_centres=services.active_cost_centres(),
        courses=services.course_options([c.id for c in kept.required_courses] if kept else []),
    )
    return form


# Experts' pages ------------------------------------------------------------------------------


@bp.route("/opportunities")
@roles_required(Role.EXPERT)
def opportunities() -> ResponseReturnValue:
    """Open roles for experts by experience."""
    today = uk_today()
    filters = OpportunityFilterForm(request.args)
    chosen: dict[str, Any] = {}
    if filters.validate():
        if filters.where.data:
            chosen["location_type"] = LocationType(filters.where.data)
        if filters.level.data:
            chosen["level"] = InvolvementLevel(filters.level.data)
        if filters.pay.data:
            chosen["paid"] = filters.pay.data == PAID
    versions = services.open_opportunities(today, **chosen)
    return render_template(
        "roles/opportunities.html",
        filters=filters,
        filtered=bool(chosen),
        versions=versions,
        signed_up=services.roles_signed_up_to(current_user.id, [v.role_id for v in versions]),
        today=today,
    )


@bp.route("/opportunities/<int:role_id>")
@roles_required(Role.EXPERT)
def opportunity(role_id: int) -> ResponseReturnValue:
    """One open role, as experts by experience see it."""
    role = _role_or_404(role_id)
    version = role.published_version
    if version is None or role.status is RoleStatus.DRAFT:
        abort(404)
    today = uk_today()
    return render_template(
        "roles/opportunity.html",
        role=role,
        version=version,
        gaps_by_course={
            gap.course.id: gap
            for gap in training_gaps(current_user.id, version.required_courses, today)
        },
        signed_up=bool(services.roles_signed_up_to(current_user.id, [role.id])),
        takes_sign_ups=role.takes_sign_ups(today),
        today=today,
    )
