"""Cost centres: finance admins manage them, finance approvers can read them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from payclaims.auth.access import roles_required
from payclaims.auth.models import FINANCE_ROLES, Role
from payclaims.costcentres import services
from payclaims.costcentres.forms import ApproversForm, CostCentreEditForm, CostCentreForm
from payclaims.costcentres.models import CostCentre
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import SelectChoice, add_error

bp = Blueprint("costcentres", __name__, url_prefix="/finance/cost-centres")


@bp.route("/")
@roles_required(*FINANCE_ROLES)
def index() -> ResponseReturnValue:
    """The list of cost centres."""
    return render_template(
        "costcentres/index.html",
        cost_centres=services.all_cost_centres(),
        can_manage=current_user.has_role(Role.FINANCE_ADMIN),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def new() -> ResponseReturnValue:
    """Add a cost centre."""
    form = CostCentreForm()
    if form.validate_on_submit():
        try:
            cost_centre = services.create_cost_centre(
                actor=current_user,
                code=form.code.data or "",
                name=form.name.data or "",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"{cost_centre.label} added.", "success")
            return redirect(url_for("costcentres.index"))
    return render_template("costcentres/form.html", form=form, cost_centre=None)


@bp.route("/<int:cost_centre_id>/edit", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def edit(cost_centre_id: int) -> ResponseReturnValue:
    """Change a cost centre, or close it to new roles."""
    cost_centre = db.get_or_404(CostCentre, cost_centre_id)
    form = CostCentreEditForm(
        code=cost_centre.code,
        name=cost_centre.name,
        is_active="yes" if cost_centre.is_active else "no",
    )
    if form.validate_on_submit():
        try:
            services.edit_cost_centre(
                cost_centre,
                actor=current_user,
                code=form.code.data or "",
                name=form.name.data or "",
                is_active=form.is_active.data == "yes",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"{cost_centre.label} saved.", "success")
            return redirect(url_for("costcentres.index"))
    return render_template("costcentres/form.html", form=form, cost_centre=cost_centre)


@bp.route("/<int:cost_centre_id>/approvers", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def approvers(cost_centre_id: int) -> ResponseReturnValue:
    """Choose who approves a cost centre's claims, and its single-approver limit."""
    cost_centre = db.get_or_404(CostCentre, cost_centre_id)
    form = ApproversForm(
        approvers=[str(user.id) for user in cost_centre.approvers],
        limit=cost_centre.single_approver_limit_pence,
    )
    form.approvers.choices = [
        SelectChoice(str(user.id), user.name) for user in services.finance_approvers()
    ]
    if form.validate_on_submit():
        try:
            services.set_approvers(
                cost_centre,
                actor=current_user,
                approver_ids=[int(value) for value in form.approvers.data or [] if value.isdigit()],
                limit_pence=form.limit.data,
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"Approvers of {cost_centre.label} saved.", "success")
            return redirect(url_for("costcentres.index"))
    return render_template("costcentres/approvers.html", form=form, cost_centre=cost_centre)
