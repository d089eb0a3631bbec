"""Bank details: a person's own (view, add or change) and finance confirming changes."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from payclaims.auth.access import roles_required
from payclaims.auth.models import FINANCE_ROLES, Role
from payclaims.errors import DomainError
from payclaims.extensions import limiter
from payclaims.forms import PostForm, add_error
from payclaims.people import services
from payclaims.people.forms import BankDetailsForm
from payclaims.people.services import NewBankDetails

bp = Blueprint("people", __name__)


def _account_changes_limit() -> str:
    return str(current_app.config["RATELIMIT_ACCOUNT_CHANGES"])


def _signed_in_person() -> str:
    """Rate-limit key: the signed-in person (a password is checked on every change)."""
    return f"user:{current_user.get_id()}"


@bp.route("/account/bank-details")
@roles_required(Role.EXPERT)
def bank_details() -> ResponseReturnValue:
    """A person's own bank details, masked, and whether finance has checked them."""
    return render_template(
        "people/bank_details.html", details=services.current_details(current_user)
    )


@bp.route("/account/bank-details/change", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
@limiter.limit(_account_changes_limit, methods=["POST"], key_func=_signed_in_person)
def change_bank_details() -> ResponseReturnValue:
    """Add or change one's bank details, re-entering the password."""
    # Never filled in from what is stored: the numbers are shown masked, never in a form.
    form = BankDetailsForm()
    if form.validate_on_submit():
        try:
            services.change_bank_details(
                current_user,
                actor=current_user,
                details=NewBankDetails(
                    name_on_account=form.name_on_account.data or "",
                    sort_code=form.sort_code.data or "",
                    account_number=form.account_number.data or "",
                    roll_number=form.roll_number.data or "",
                ),
                password=form.password.data or "",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(
                "Your bank details have been saved and we have emailed you about the change. "
                "Our finance team will check them before we pay into them.",
                "success",
            )
            return redirect(url_for("people.bank_details"))
    return render_template(
        "people/change_bank_details.html",
        form=form,
        has_details=services.has_bank_details(current_user),
    )


@bp.route("/finance/bank-details")
@roles_required(*FINANCE_ROLES)
def bank_changes() -> ResponseReturnValue:
    """Bank details waiting for finance to confirm them, and those confirmed recently."""
    waiting = services.waiting_for_confirmation()
    return render_template(
        "people/bank_changes.html",
        waiting=[(details, services.can_confirm(details, current_user)) for details in waiting],
        confirmed=services.recently_confirmed(),
        action_form=PostForm(),
    )


@bp.route("/finance/bank-details/<int:bank_details_id>/confirm", methods=["POST"])
@roles_required(*FINANCE_ROLES)
def confirm_bank_details(bank_details_id: int) -> Response:
    """Confirm someone's new bank details after checking them on a known contact."""
    details = services.bank_details_or_none(bank_details_id)
    if details is None:
        abort(404)
    if PostForm().validate_on_submit():
        try:
            services.confirm_bank_details(
                details, actor=current_user, ip_address=request.remote_addr
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"Bank details confirmed for {details.person.name}.", "success")
    return redirect(url_for("people.bank_changes"))
