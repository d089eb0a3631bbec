"""The person's side of benefits: their profile and the what-if page. Routes on the
``benefits`` blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from payclaims.auth.access import roles_required
from payclaims.auth.models import Role
from payclaims.benefits.profile import services as profiles
from payclaims.benefits.profile import whatif
from payclaims.benefits.profile.forms import BenefitProfileForm, WhatIfForm, yes_no_text
from payclaims.benefits.profile.models import BenefitProfile
from payclaims.benefits.views import bp
from payclaims.dates import uk_today
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import PostForm, add_error
from payclaims.roles.models import RoleDescription


def _form_from_profile(profile: BenefitProfile | None) -> BenefitProfileForm:
    """The profile form, filled in from what is stored (on GET) or what was posted."""
    if profile is None or request.method == "POST":
        return BenefitProfileForm()
    return BenefitProfileForm(
        benefits=[benefit.value for benefit in profile.benefits],
        uc_start_day=str(profile.uc_assessment_period_start_day or ""),
        uc_child_or_lcw=yes_no_text(profile.uc_child_or_lcw),
        uc_housing_costs=yes_no_text(profile.uc_housing_costs),
        esa_supported=yes_no_text(profile.esa_supported_permitted_work)
        if profile.gets_esa
        else None,
        carers_earnings=profile.carers_other_weekly_earnings_pence or None,
        pension_credit=profile.pension_credit_disregard.value
        if profile.pension_credit_disregard
        else None,
        housing_benefit=profile.housing_benefit_disregard.value
        if profile.housing_benefit_disregard
        else None,
        week_start=profile.week_start.value,
        default_fee_choice=profile.default_fee_choice.value,
    )


@bp.route("/account/benefits-profile")
@roles_required(Role.EXPERT)
def profile() -> ResponseReturnValue:
    """The person's benefits profile, or what it is for and how to give one."""
    return render_template("benefits/profile.html", profile=profiles.profile_of(current_user.id))


@bp.route("/account/benefits-profile/change", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def edit_profile() -> ResponseReturnValue:
    """Give or change the benefits profile."""
    existing = profiles.profile_of(current_user.id)
    form = _form_from_profile(existing)
    if form.validate_on_submit():
        answers = form.profile_answers()
        problems = profiles.answer_problems(answers)
        for problem in problems:
            add_error(form, problem)
        if not problems:
            try:
                profiles.save_profile(
                    current_user,
                    actor=current_user,
                    answers=answers,
                    ip_address=request.remote_addr,
                )
            except DomainError as error:
                add_error(form, error)
            else:
                flash("Your benefits profile is saved.", "success")
                return redirect(url_for("benefits.profile"))
    return render_template("benefits/edit_profile.html", form=form, existing=existing)


@bp.route("/account/benefits-profile/delete", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def delete_profile() -> ResponseReturnValue:
    """Delete the benefits profile for good: a confirmation page, then the deletion."""
    if profiles.profile_of(current_user.id) is None:
        return redirect(url_for("benefits.profile"))
    form = PostForm()
    if form.validate_on_submit():
        profiles.delete_profile(current_user, actor=current_user, ip_address=request.remote_addr)
        flash("Your benefits profile is deleted. We no longer hold it.", "success")
        return redirect(url_for("benefits.profile"))
    return render_template("benefits/delete_profile.html", form=form)


@bp.route("/benefits/what-if")
@roles_required(Role.EXPERT)
def what_if() -> ResponseReturnValue:
    """What planned sessions might do to benefits, from the profile or answers typed here.

    A GET form: nothing is saved.
    """
    stored = profiles.profile_of(current_user.id)
    role = _role_from_query()
    # Arriving from a role page (only role_id in the query) starts with that role's figures.
    asked = "sessions" in request.args
    form = WhatIfForm(request.args)
    if not asked:
        form = WhatIfForm(formdata=None, **whatif.starting_values(role, today=uk_today()))
    result = None
    if asked and form.validate():
        typed = None if stored is not None else form.answers()
        problems = [] if typed is None else profiles.answer_problems(typed)
        for problem in problems:
            add_error(form, problem)
        if not problems:
            result = whatif.estimate(form, stored=stored, typed=typed, today=uk_today())
    return render_template(
        "benefits/what_if.html", form=form, stored=stored, role=role, result=result
    )


def _role_from_query() -> RoleDescription | None:
    """The role named by ``role_id`` in the query, if it is one the person may see."""
    text = request.args.get("role_id", "")
    if not text.isdigit():
        return None
    role = db.session.get(RoleDescription, int(text))
    if role is None or role.published_version is None:
        return None
    return role
