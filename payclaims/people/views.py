"""How people are paid: a person's own bank details (view, add or change), finance confirming
changes, and finance's pages on how each person is paid (another payment method)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from payclaims.auth.access import roles_required
from payclaims.auth.limits import limit_account_changes
from payclaims.auth.models import FINANCE_ROLES, Role, User
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import PostForm, add_error
from payclaims.people import bank_details as bank_details_service  # a view is bank_details
from payclaims.people import payment_methods, payment_setup
from payclaims.people.bank_details import NewBankDetails
from payclaims.people.forms import BankDetailsForm, EndPaymentMethodForm, PaymentMethodForm
from payclaims.people.models import OtherPaymentMethod, PaymentMethod
from payclaims.people.payment_methods import NewPaymentMethod

bp = Blueprint("people", __name__)

PAYEES_PER_PAGE = 25


@bp.route("/account/bank-details")
@roles_required(Role.EXPERT)
def bank_details() -> ResponseReturnValue:
    """A person's own bank details, masked, and whether finance has checked them."""
    return render_template(
        "people/bank_details.html",
        details=bank_details_service.current_details(current_user),
        other_method=payment_methods.current_payment_method(current_user),
    )


@bp.route("/account/bank-details/change", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
@limit_account_changes
def change_bank_details() -> ResponseReturnValue:
    """Add or change one's bank details, re-entering the password."""
    # Never filled in from what is stored: the numbers are shown masked, never in a form.
    form = BankDetailsForm()
    if form.validate_on_submit():
        try:
            bank_details_service.change_bank_details(
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
        has_details=bank_details_service.has_bank_details(current_user),
    )


@bp.route("/finance/bank-details")
@roles_required(*FINANCE_ROLES)
def bank_changes() -> ResponseReturnValue:
    """Bank details waiting for finance to confirm them, and those confirmed recently."""
    waiting = bank_details_service.waiting_for_confirmation()
    return render_template(
        "people/bank_changes.html",
        waiting=[
            (details, bank_details_service.can_confirm(details, current_user))
            for details in waiting
        ],
        confirmed=bank_details_service.recently_confirmed(),
        methods=payment_methods.methods_waiting_for_confirmation(),
        action_form=PostForm(),
    )


@bp.route("/finance/bank-details/<int:bank_details_id>/confirm", methods=["POST"])
@roles_required(*FINANCE_ROLES)
def confirm_bank_details(bank_details_id: int) -> Response:
    """Confirm someone's new bank details after checking them on a known contact."""
    details = bank_details_service.bank_details_or_none(bank_details_id)
    if details is None:
        abort(404)
    if PostForm().validate_on_submit():
        try:
            bank_details_service.confirm_bank_details(
                details, actor=current_user, ip_address=request.remote_addr
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"Bank details confirmed for {details.person.name}.", "success")
    return redirect(url_for("people.bank_changes"))


# Finance: how each person is paid ---------------------------------------------------------


@bp.route("/finance/people")
@roles_required(*FINANCE_ROLES)
def payees() -> ResponseReturnValue:
    """Find a person we pay, by name or email, and see what they are paid by."""
    text = " ".join(request.args.get("q", "").split())[:200]
    page = db.paginate(
        payment_setup.payees_query(text=text or None), per_page=PAYEES_PER_PAGE, error_out=False
    )
    return render_template(
        "people/payees.html",
        q=text,
        page=page,
        setups=payment_setup.payment_setups(list(page.items)),
    )


def _payee_or_404(user_id: int) -> User:
    """Someone we pay: an expert by experience, or anyone with a payment set-up or claims
    (who may have lost the expert role since). Anyone else is not found here."""
    person = db.get_or_404(User, user_id)
    if not payment_setup.is_payee(person):
        abort(404)
    return person


def _payee_method_or_404(user_id: int, method_id: int) -> tuple[User, OtherPaymentMethod]:
    """Someone we pay and one of their other payment methods; another person's is not found."""
    person = _payee_or_404(user_id)
    row = payment_methods.payment_method_or_none(method_id)
    if row is None or row.person_id != person.id:
        abort(404)
    return person, row


@bp.route("/finance/people/<int:user_id>")
@roles_required(*FINANCE_ROLES)
def payment(user_id: int) -> ResponseReturnValue:
    """One person's payment set-up: bank details (masked) and any other payment method."""
    person = _payee_or_404(user_id)
    setup = payment_setup.payment_setup(person)
    method = setup.other_method
    return render_template(
        "people/payment.html",
        person=person,
        setup=setup,
        can_confirm=method is not None
        and not method.is_confirmed
        and payment_methods.can_confirm_payment_method(method, current_user),
        details=bank_details_service.current_details(person),
        history=payment_methods.payment_method_history(person),
        can_record=payment_methods.can_record_payment_method(person, current_user),
        can_end=payment_methods.can_end_payment_method(person, current_user),
        action_form=PostForm(),
    )


@bp.route("/finance/people/<int:user_id>/other-method", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def record_payment_method(user_id: int) -> ResponseReturnValue:
    """Record another way to pay someone who cannot or will not give bank details."""
    person = _payee_or_404(user_id)
    if not payment_methods.can_record_payment_method(person, current_user):
        abort(403)
    current = payment_methods.current_payment_method(person)
    if current is not None and request.method == "GET":
        flash(f"{person.name} is already paid {current.method.phrase}. End that first.")
        return redirect(url_for("people.payment", user_id=person.id))
    form = PaymentMethodForm()
    if form.validate_on_submit():
        try:
            payment_methods.record_payment_method(
                person,
                actor=current_user,
                new=NewPaymentMethod(
                    method=PaymentMethod(form.method.data),
                    details=form.details.data or "",
                    reason=form.reason.data or "",
                ),
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(
                f"Saved: we pay {person.name} {PaymentMethod(form.method.data).phrase}. "
                "We have emailed them about it.",
                "success",
            )
            return redirect(url_for("people.payment", user_id=person.id))
    return render_template("people/record_payment_method.html", person=person, form=form)


@bp.route("/finance/people/<int:user_id>/other-method/<int:method_id>/end", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def end_payment_method(user_id: int, method_id: int) -> ResponseReturnValue:
    """End another payment method, saying why; it stays in the person's history."""
    person, row = _payee_method_or_404(user_id, method_id)
    if not payment_methods.can_end_payment_method(person, current_user):
        abort(403)
    back = url_for("people.payment", user_id=person.id)
    if not row.is_current:
        flash("This payment method has already been ended.")
        return redirect(back)
    form = EndPaymentMethodForm()
    if form.validate_on_submit():
        try:
            payment_methods.end_payment_method(
                row,
                actor=current_user,
                reason=form.reason.data or "",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(
                f"Ended: we no longer pay {person.name} {row.method.phrase}. "
                "We have emailed them about it.",
                "success",
            )
            return redirect(back)
    return render_template("people/end_payment_method.html", person=person, method=row, form=form)


@bp.route("/finance/people/<int:user_id>/other-method/<int:method_id>/confirm", methods=["POST"])
@roles_required(*FINANCE_ROLES)
def confirm_payment_method(user_id: int, method_id: int) -> Response:
    """A different finance person checks a recorded payment method; only then is it paid."""
    person, row = _payee_method_or_404(user_id, method_id)
    if PostForm().validate_on_submit():
        try:
            payment_methods.confirm_payment_method(
                row, actor=current_user, ip_address=request.remote_addr
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"Checked: {person.name} is paid {row.method.phrase}.", "success")
    return redirect(url_for("people.payment", user_id=person.id))
