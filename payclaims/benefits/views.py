"""Benefits information for people deciding whether to take part."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from payclaims.auth.access import roles_required, signed_in
from payclaims.auth.models import FINANCE_ROLES, Role
from payclaims.benefits import services
from payclaims.benefits.engine import Confidence
from payclaims.benefits.forms import (
    CorrectFigureForm,
    FigureForm,
    NewFigureForm,
    value_field_name,
)
from payclaims.benefits.models import BenefitRule
from payclaims.benefits.rules import RuleKey
from payclaims.dates import format_date
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import PostForm, add_error

bp = Blueprint("benefits", __name__)


@bp.route("/benefits")
@signed_in
def note() -> str:
    """How payments might affect benefits, in plain English (the what-if comes later)."""
    return render_template("benefits/note.html")


# --- Benefit rule figures (finance) -------------------------------------------------------------


def _rule_key_or_404(key: str) -> RuleKey:
    rule_key = services.rule_key_or_none(key)
    if rule_key is None:
        abort(404)
    return rule_key


def _show_error(form: FigureForm, rule_key: RuleKey, error: DomainError) -> None:
    if error.field == "value":
        error = DomainError(error.message, field=value_field_name(rule_key))
    add_error(form, error)


@bp.route("/finance/benefit-rules")
@roles_required(*FINANCE_ROLES)
def rules() -> ResponseReturnValue:
    """Every benefit rule figure in force or due, grouped by rule."""
    return render_template(
        "benefits/rules.html",
        groups=services.current_rules(),
        can_manage=current_user.has_role(Role.FINANCE_ADMIN),
        confirm_form=PostForm(),
    )


@bp.route("/finance/benefit-rules/<key>")
@roles_required(*FINANCE_ROLES)
def rule_history(key: str) -> ResponseReturnValue:
    """One rule's figures, corrected ones included, with who changed them and why."""
    rule_key = _rule_key_or_404(key)
    return render_template(
        "benefits/rule_history.html",
        rule_key=rule_key,
        figures=services.rule_history(key),
        can_manage=current_user.has_role(Role.FINANCE_ADMIN),
        confirm_form=PostForm(),
    )


@bp.route("/finance/benefit-rules/<key>/new", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def new_figure(key: str) -> ResponseReturnValue:
    """Add a figure for a rule from a date (the previous figure ends the day before)."""
    rule_key = _rule_key_or_404(key)
    form = NewFigureForm()
    if request.method == "POST":
        valid = form.validate_on_submit()
        value = form.read_value(rule_key)  # after validating, so its message joins the others
        if valid and value is not None:
            assert form.effective_from.data is not None
            try:
                services.add_figure(
                    key,
                    actor=current_user,
                    value=value,
                    effective_from=form.effective_from.data,
                    source=form.source.data or "",
                    confidence=Confidence(form.confidence.data),
                    note=form.note.data or "",
                    ip_address=request.remote_addr,
                )
            except DomainError as error:
                _show_error(form, rule_key, error)
            else:
                flash(f"New figure for {rule_key.title} added.", "success")
                return redirect(url_for("benefits.rule_history", key=key))
    return render_template(
        "benefits/figure_form.html",
        form=form,
        rule_key=rule_key,
        figure=None,
        value_field=value_field_name(rule_key),
        heading="Add a new figure",
    )


@bp.route("/finance/benefit-rules/figures/<int:rule_id>/correct", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def correct_figure(rule_id: int) -> ResponseReturnValue:
    """Correct a figure: a new row for the same dates; the old one stays in the history."""
    figure = db.get_or_404(BenefitRule, rule_id)
    rule_key = figure.rule_key
    form = CorrectFigureForm(
        data={
            "amount": figure.value,
            "percent": f"{Decimal(figure.value) / 100:f}".removesuffix(".00"),
            "pence_a_mile": str(figure.value),
            "source": figure.source,
            "confidence": figure.confidence.value,
        }
    )
    if request.method == "POST":
        valid = form.validate_on_submit()
        value = form.read_value(rule_key)
        if valid and value is not None:
            try:
                services.correct_figure(
                    figure,
                    actor=current_user,
                    value=value,
                    source=form.source.data or "",
                    confidence=Confidence(form.confidence.data),
                    note=form.note.data or "",
                    ip_address=request.remote_addr,
                )
            except DomainError as error:
                _show_error(form, rule_key, error)
            else:
                flash(
                    f"{rule_key.title} corrected. The old figure is kept in the history.", "success"
                )
                return redirect(url_for("benefits.rule_history", key=figure.key))
    return render_template(
        "benefits/figure_form.html",
        form=form,
        rule_key=rule_key,
        figure=figure,
        value_field=value_field_name(rule_key),
        heading=f"Correct the figure from {format_date(figure.effective_from)}",
    )


@bp.route("/finance/benefit-rules/figures/<int:rule_id>/confirm", methods=["POST"])
@roles_required(Role.FINANCE_ADMIN)
def confirm_figure(rule_id: int) -> ResponseReturnValue:
    """Confirm a figure awaiting confirmation: its confidence becomes S."""
    figure = db.get_or_404(BenefitRule, rule_id)
    form = PostForm()
    if form.validate_on_submit():
        try:
            services.confirm_figure(figure, actor=current_user, ip_address=request.remote_addr)
        except DomainError as error:
            flash(error.message, "error")
        else:
            since = format_date(figure.effective_from)
            flash(f"{figure.rule_key.title}: figure from {since} confirmed.", "success")
    return redirect(url_for("benefits.rule_history", key=figure.key))
