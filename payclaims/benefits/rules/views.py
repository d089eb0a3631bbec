"""The benefit rule pages: finance staff see the figures and their history; finance admins add,
correct and confirm figures. Routes on the ``benefits`` blueprint."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from payclaims.auth.access import roles_required
from payclaims.auth.models import FINANCE_ROLES, Role
from payclaims.benefits.engine.types import Confidence
from payclaims.benefits.rules import services
from payclaims.benefits.rules.catalogue import RuleKey
from payclaims.benefits.rules.forms import (
    PRIMARY_SOURCE_EXAMPLE,
    ConfirmFigureForm,
    CorrectFigureForm,
    FigureForm,
    NewFigureForm,
    value_field_name,
)
from payclaims.benefits.rules.models import BenefitRule
from payclaims.benefits.views import bp
from payclaims.dates import format_date
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import add_error


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


@bp.route("/finance/benefit-rules/figures/<int:rule_id>/confirm", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def confirm_figure(rule_id: int) -> ResponseReturnValue:
    """Confirm a figure awaiting confirmation against a primary source: its confidence becomes
    S and the source is recorded."""
    figure = db.get_or_404(BenefitRule, rule_id)
    history = url_for("benefits.rule_history", key=figure.key)
    if not figure.is_current or not figure.awaiting_confirmation:
        flash(
            "This figure has been corrected. Confirm the newer one."
            if not figure.is_current
            else "This figure is already confirmed.",
            "error",
        )
        return redirect(history)
    form = ConfirmFigureForm()
    if form.validate_on_submit():
        try:
            services.confirm_figure(
                figure,
                actor=current_user,
                source=form.source.data or "",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            if error.field is None:
                flash(error.message, "error")
                return redirect(history)
            add_error(form, error)
        else:
            since = format_date(figure.effective_from)
            flash(f"{figure.rule_key.title}: figure from {since} confirmed.", "success")
            return redirect(history)
    return render_template(
        "benefits/confirm_figure.html",
        form=form,
        figure=figure,
        rule_key=figure.rule_key,
        source_example=PRIMARY_SOURCE_EXAMPLE,
    )
