"""The person's side of benefits: their profile, the what-if page and payments statements;
and finance's view of a claimant's profile and statement. Routes on the ``benefits`` blueprint.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from payclaims.auth.access import roles_required
from payclaims.auth.models import FINANCE_ROLES, Role, User
from payclaims.benefits import profiles, statements, whatif
from payclaims.benefits.profile_forms import (
    BenefitProfileForm,
    StatementForm,
    WhatIfForm,
    yes_no_text,
)
from payclaims.benefits.profile_models import BenefitProfile
from payclaims.benefits.views import bp
from payclaims.claims.access import load_claim
from payclaims.dates import uk_today
from payclaims.downloads import stored_file_response
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


@bp.route("/finance/claims/<int:claim_id>/benefits-profile")
@roles_required(*FINANCE_ROLES)
def finance_profile(claim_id: int) -> ResponseReturnValue:
    """A claimant's benefits profile, for finance working their claim (audited)."""
    claim = load_claim(claim_id)
    if claim is None or not profiles.finance_works_on(claim, current_user):
        abort(404)
    shown = profiles.profile_for_finance(claim, actor=current_user, ip_address=request.remote_addr)
    return render_template("benefits/finance_profile.html", claim=claim, profile=shown)


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


def _statement_range(form: StatementForm) -> tuple[date, date] | None:
    """The range asked for, the current tax year if none; None when the form has problems."""
    if request.args and not form.validate():
        return None
    default_start, default_end = statements.tax_year_dates(uk_today())
    return form.start_on.data or default_start, form.end_on.data or default_end


@bp.route("/account/payments-statement")
@roles_required(Role.EXPERT)
def statement() -> ResponseReturnValue:
    """Choose the dates of a payments statement, and see what it will hold."""
    form = StatementForm(request.args)
    chosen = _statement_range(form)
    summary = None
    if chosen is not None:
        if not request.args:
            form = StatementForm(formdata=None, start_on=chosen[0], end_on=chosen[1])
        summary = statements.build_statement(current_user, start_on=chosen[0], end_on=chosen[1])
    return render_template("benefits/statement.html", form=form, summary=summary)


@bp.route("/account/payments-statement.pdf")
@roles_required(Role.EXPERT)
def statement_pdf() -> ResponseReturnValue:
    """The person's own payments statement as a PDF."""
    form = StatementForm(request.args)
    chosen = _statement_range(form)
    if chosen is None:
        query = request.query_string.decode()
        return redirect(f"{url_for('benefits.statement')}?{query}")
    pdf = statements.statement_pdf(current_user, start_on=chosen[0], end_on=chosen[1])
    return stored_file_response(
        pdf, content_type="application/pdf", filename=statements.filename(*chosen)
    )


@bp.route("/finance/people/<int:user_id>/payments-statement.pdf")
@roles_required(*FINANCE_ROLES)
def finance_statement_pdf(user_id: int) -> ResponseReturnValue:
    """A person's payments statement, for finance working their claims; audited."""
    person = db.session.get(User, user_id)
    if (
        person is None
        or not person.has_role(Role.EXPERT)
        or not profiles.finance_works_for(person, current_user)
    ):
        abort(404)
    form = StatementForm(request.args)
    chosen = _statement_range(form)
    if chosen is None:
        abort(400)
    pdf = statements.statement_pdf_for_finance(
        person,
        actor=current_user,
        start_on=chosen[0],
        end_on=chosen[1],
        ip_address=request.remote_addr,
    )
    return stored_file_response(
        pdf, content_type="application/pdf", filename=statements.filename(*chosen)
    )
