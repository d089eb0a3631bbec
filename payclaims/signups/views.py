"""Sign-ups to roles: the person's side and the coordinator's decisions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from payclaims.auth.access import roles_required
from payclaims.auth.models import Role
from payclaims.dates import uk_today
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import PostForm, add_error
from payclaims.roles.models import RoleDescription, RoleStatus, SignUp, SignUpStatus
from payclaims.roles.services import can_change
from payclaims.signups import services
from payclaims.signups.forms import DecisionForm, SignUpForm

bp = Blueprint("signups", __name__)

DECISION_FLASHES = {
    SignUpStatus.ACCEPTED: "You accepted {name}. We have emailed them.",
    SignUpStatus.WAITLISTED: "{name} is on the waiting list. We have emailed them.",
    SignUpStatus.DECLINED: "You declined {name}'s sign-up. We have emailed them.",
}
TAKE_BACK_FLASH = "You took back {name}'s place. We have emailed them."


# The person's side ----------------------------------------------------------------------------


@bp.route("/opportunities/<int:role_id>/sign-up", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def new(role_id: int) -> ResponseReturnValue:
    """Sign up to a role."""
    role = db.get_or_404(RoleDescription, role_id)
    version = role.published_version
    if role.status is RoleStatus.DRAFT or version is None:
        abort(404)
    form = SignUpForm()
    today = uk_today()
    page = {"role": role, "version": version}
    try:
        services.check_can_sign_up(role, person=current_user, today=today)
        if form.validate_on_submit():
            sign_up = services.sign_up_to_role(
                role,
                person=current_user,
                message=form.message.data or "",
                access_needs=form.access_needs.data or "",
                ip_address=request.remote_addr,
                today=today,
            )
            flash(
                f"You have signed up to {version.title}. We have emailed you, and told the "
                "coordinator.",
                "success",
            )
            return redirect(url_for("signups.mine", sign_up_id=sign_up.id))
    except services.AlreadySignedUp as error:
        return render_template("signups/new.html", existing=error.sign_up, **page)
    except DomainError as error:
        return render_template("signups/new.html", refusal=error.message, **page)
    return render_template("signups/new.html", form=form, **page)


@bp.route("/my-roles")
@roles_required(Role.EXPERT)
def my_roles() -> ResponseReturnValue:
    """A person's sign-ups and accepted roles."""
    sign_ups = services.sign_ups_of(current_user, uk_today())
    return render_template(
        "signups/my_roles.html",
        sign_ups=sign_ups,
        next_step=services.next_step,
    )


def _own_sign_up_or_404(sign_up_id: int) -> SignUp:
    """The signed-in person's own sign-up; anyone else's is "not found", like a missing one."""
    sign_up = services.load_sign_up(sign_up_id)
    if sign_up is None or sign_up.person_id != current_user.id:
        abort(404)
    return sign_up


@bp.route("/my-roles/<int:sign_up_id>")
@roles_required(Role.EXPERT)
def mine(sign_up_id: int) -> ResponseReturnValue:
    """One of the person's sign-ups: where it stands and what they sent."""
    sign_up = _own_sign_up_or_404(sign_up_id)
    needs = services.needs_of_sign_ups([sign_up], uk_today())
    gaps = needs.get(sign_up.id)
    return render_template(
        "signups/mine.html",
        sign_up=sign_up,
        gaps=gaps,
        status_text=services.status_text(sign_up, needs),
        next_step=services.next_step(sign_up, gaps or ()),
        since=services.status_dates([sign_up])[sign_up.id],
    )


@bp.route("/my-roles/<int:sign_up_id>/role")
@roles_required(Role.EXPERT)
def my_version(sign_up_id: int) -> ResponseReturnValue:
    """The role text exactly as it was when the person signed up."""
    sign_up = _own_sign_up_or_404(sign_up_id)
    return render_template(
        "signups/my_version.html",
        sign_up=sign_up,
        version=sign_up.version,
        # What roles/_opportunity.html needs; no training status: they have signed up.
        gaps_by_course=None,
        today=uk_today(),
    )


@bp.route("/my-roles/<int:sign_up_id>/withdraw", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def withdraw(sign_up_id: int) -> ResponseReturnValue:
    """Withdraw from a role: a confirmation page, then the withdrawal."""
    sign_up = _own_sign_up_or_404(sign_up_id)
    mine = url_for("signups.mine", sign_up_id=sign_up.id)
    if not sign_up.is_live:
        flash("This sign-up has already ended, so there is nothing to withdraw.")
        return redirect(mine)
    form = PostForm()
    if form.validate_on_submit():
        title = sign_up.version.title
        try:
            services.withdraw_sign_up(sign_up, actor=current_user, ip_address=request.remote_addr)
        except DomainError as error:
            flash(error.message, "error")
            return redirect(mine)
        flash(f"You have withdrawn from {title}. We have told the coordinator.", "success")
        return redirect(url_for("signups.my_roles"))
    return render_template("signups/withdraw.html", sign_up=sign_up, form=form)


# The coordinator's side -----------------------------------------------------------------------


@bp.route("/roles/<int:role_id>/sign-ups")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def for_role(role_id: int) -> ResponseReturnValue:
    """The sign-ups to one role, for its coordinator."""
    role = db.get_or_404(RoleDescription, role_id)
    if not can_change(role, current_user):
        abort(404)
    return render_template(
        "signups/for_role.html", role=role, sign_ups=services.sign_ups_to(role, uk_today())
    )


@bp.route("/sign-ups/<int:sign_up_id>", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def review(sign_up_id: int) -> ResponseReturnValue:
    """One sign-up for the role's coordinator: who, what they need, and the decision."""
    sign_up = services.load_sign_up(sign_up_id)
    if sign_up is None or not can_change(sign_up.role, current_user):
        abort(404)
    form = DecisionForm()
    form.decision.choices = services.decision_choices(sign_up)
    if form.validate_on_submit():
        decision = SignUpStatus(form.decision.data)
        flash_text = (
            TAKE_BACK_FLASH
            if services.takes_place_back(sign_up, decision)
            else DECISION_FLASHES[decision]
        )
        try:
            services.decide_sign_up(
                sign_up,
                decision=decision,
                actor=current_user,
                message=form.message.data or "",
                override_reason=form.override_reason.data or "",
                subject_to_training=bool(form.subject_to_training.data),
                ip_address=request.remote_addr,
                today=uk_today(),
            )
        except services.DecisionRefused as error:
            for problem in error.problems:
                add_error(form, problem)
        except DomainError as error:
            add_error(form, error)
            # Someone else may have decided meanwhile: offer what is possible now.
            form.decision.choices = services.decision_choices(sign_up)
        else:
            flash(flash_text.format(name=sign_up.person.name), "success")
            return redirect(url_for("signups.for_role", role_id=sign_up.role_id))
    today = uk_today()
    gaps = services.needs_for(sign_up, today)
    return render_template(
        "signups/review.html",
        sign_up=sign_up,
        form=form,
        gaps=gaps,
        gap_for={gap.course.id: gap for gap in gaps},
        status_text=services.status_text(sign_up, {sign_up.id: gaps}),
        places=services.places_status(sign_up.role),
        descriptions=services.decision_descriptions(sign_up),
        current_version=sign_up.role.published_version,
        since=services.status_dates([sign_up])[sign_up.id],
        version=sign_up.version,
    )
