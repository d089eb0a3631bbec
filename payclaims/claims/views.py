"""Claims: the person's list and claim pages, starting a claim for someone, expenses and
receipts; and finance's rules for each expense category."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from payclaims.auth.access import roles_required
from payclaims.auth.models import Role
from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims import access, drafts, expense_rules, expenses, fees, submission
from payclaims.claims.benefits_check import claim_panel
from payclaims.claims.forms import (
    CategoryRulesForm,
    ClaimActionForm,
    ExpenseLineForm,
    FeeChoiceForm,
    FeeLineForm,
    ReceiptsForm,
    SubmitClaimForm,
    VersionedForm,
)
from payclaims.claims.lifecycle import StaleClaim
from payclaims.claims.models import CapPeriod, Claim, ClaimLine, ClaimStatus, OverCap
from payclaims.dates import uk_today
from payclaims.downloads import stored_file_response
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import PostForm, SelectChoice, add_error
from payclaims.people.bank_details import current_details
from payclaims.people.payment_methods import current_payment_method
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import FeeUnit, SignUp
from payclaims.signups.services import load_sign_up

bp = Blueprint("claims", __name__)

CLAIM_ROLES = (Role.EXPERT, Role.COORDINATOR, Role.ADMIN)


def _visible_claim_or_404(claim_id: int) -> Claim:
    """A claim the signed-in person may see; anyone else's is "not found", like a missing one."""
    claim = access.load_claim(claim_id)
    if claim is None or not access.can_view(claim, current_user):
        abort(404)
    return claim


def _back_to_claim(claim: Claim, success: str | None = None) -> Response:
    """Send the person back to the claim's page, saying first what went well, if anything."""
    if success is not None:
        flash(success, "success")
    return redirect(url_for("claims.detail", claim_id=claim.id))


def _editable_claim(claim_id: int) -> Claim:
    """A claim the signed-in person may change now: 404 or 403 if not theirs to change, and back
    to its page with a message when it can no longer be changed."""
    claim = _visible_claim_or_404(claim_id)
    if not access.can_edit(claim, current_user):
        abort(403)
    if not claim.is_editable:
        flash(access.NOT_EDITABLE_MESSAGE)
        abort(_back_to_claim(claim))
    return claim


def _one_button(
    claim: Claim, action: Callable[[int | None], object], success: str
) -> ResponseReturnValue:
    """Run a button's action with the version the page showed; say how it went."""
    form = ClaimActionForm()
    if form.validate_on_submit():
        try:
            action(form.seen_version)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(success, "success")
    return _back_to_claim(claim)


def _show_error(form: VersionedForm, error: DomainError, claim: Claim) -> None:
    """Show a service's error on the form; after a stale version, offer the claim as it is now."""
    add_error(form, error)
    if isinstance(error, StaleClaim):
        db.session.expire_all()
        form.version.data = str(claim.version)


@bp.route("/my-claims")
@roles_required(Role.EXPERT)
def mine() -> ResponseReturnValue:
    """The person's claims with where each stands, and the roles they can claim for."""
    return render_template(
        "claims/mine.html",
        claims=access.claims_of(current_user),
        sign_ups=access.claimable_sign_ups(current_user),
        next_step=access.next_step,
    )


def _sign_up_for_claim_or_404(sign_up_id: int) -> SignUp:
    sign_up = load_sign_up(sign_up_id)
    if sign_up is None:
        abort(404)
    own = sign_up.person_id == current_user.id and current_user.has_role(Role.EXPERT)
    if not own and not access.is_role_staff(sign_up, current_user):
        abort(404)
    return sign_up


@bp.route("/sign-ups/<int:sign_up_id>/claims/new", methods=["GET", "POST"])
@roles_required(*CLAIM_ROLES)
def new(sign_up_id: int) -> ResponseReturnValue:
    """Start a claim for a role: the person's own, or a coordinator's for them."""
    sign_up = _sign_up_for_claim_or_404(sign_up_id)
    form = PostForm()
    if form.validate_on_submit():
        try:
            claim = drafts.start_claim(sign_up, actor=current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            whose = "Your" if sign_up.person_id == current_user.id else f"{sign_up.person.name}'s"
            return _back_to_claim(
                claim, f"{whose} claim is started. Add the sessions to claim for."
            )
    return render_template(
        "claims/new.html",
        sign_up=sign_up,
        form=form,
        claims=access.claims_for_sign_up(sign_up),
    )


@bp.route("/claims/<int:claim_id>")
@roles_required(*CLAIM_ROLES)
def detail(claim_id: int) -> ResponseReturnValue:
    """One claim: its lines, how to be paid, totals and its full history."""
    claim = _visible_claim_or_404(claim_id)
    can_edit = claim.is_editable and access.can_edit(claim, current_user)
    return render_template(
        "claims/detail.html",
        claim=claim,
        can_edit=can_edit,
        # What paying it might do to the person's benefits: shown to them only, before sending.
        benefits_panel=claim_panel(claim, viewer_id=current_user.id, today=uk_today())
        if can_edit
        else None,
        can_withdraw=claim.can_become(ClaimStatus.WITHDRAWN)
        and access.can_withdraw(claim, current_user),
        next_step=access.next_step(claim),
        # Paid claims link their slip to their person (the payments area serves the link).
        links_slip=claim.status is ClaimStatus.PAID and claim.person_id == current_user.id,
        action_form=ClaimActionForm(version=claim.version),
        unit_name=fees.unit_name,
    )


@bp.route("/claims/<int:claim_id>/fees/new", methods=["GET", "POST"])
@roles_required(*CLAIM_ROLES)
def add_fee_line(claim_id: int) -> ResponseReturnValue:
    """Add a fee for one session."""
    claim = _editable_claim(claim_id)
    form = FeeLineForm(version=claim.version)
    if form.validate_on_submit():
        assert form.session_on.data is not None
        prep = form.prep_hours_number
        try:
            fees.add_fee_line(
                claim,
                actor=current_user,
                session_on=form.session_on.data,
                description=form.description.data or "",
                units=form.units_number,
                prep_minutes=fees.prep_minutes_from_hours(prep) if prep else None,
                expected_version=form.seen_version,
            )
        except DomainError as error:
            _show_error(form, error, claim)
        else:
            return _back_to_claim(claim, "Session added to the claim.")
    version = claim.sign_up.version
    return render_template(
        "claims/fee_line.html",
        claim=claim,
        form=form,
        version=version,
        hourly=version.fee_unit is FeeUnit.HOUR,
        unit_plural=fees.UNIT_NAMES[version.fee_unit][1] if version.fee_unit else "units",
    )


@bp.route("/claims/<int:claim_id>/lines/<int:line_id>/remove", methods=["POST"])
@roles_required(*CLAIM_ROLES)
def remove_line(claim_id: int, line_id: int) -> ResponseReturnValue:
    """Take a line off the claim."""
    claim = _editable_claim(claim_id)
    line = db.session.get(ClaimLine, line_id)
    if line is None or line.claim_id != claim.id:
        abort(404)
    return _one_button(
        claim,
        lambda version: drafts.remove_line(
            claim, line, actor=current_user, expected_version=version
        ),
        "Line removed from the claim.",
    )


@bp.route("/claims/<int:claim_id>/how-to-be-paid", methods=["GET", "POST"])
@roles_required(*CLAIM_ROLES)
def fee_choice(claim_id: int) -> ResponseReturnValue:
    """Choose the full fee, a reduced fee or expenses only."""
    claim = _editable_claim(claim_id)
    form = FeeChoiceForm(
        version=claim.version,
        choice=claim.fee_choice.value,
        reduced_fee=claim.reduced_fee_pence,
    )
    if form.validate_on_submit():
        choice = FeeChoice(form.choice.data)
        try:
            fees.set_fee_choice(
                claim,
                actor=current_user,
                choice=choice,
                reduced_fee_pence=form.reduced_fee.data if choice is FeeChoice.REDUCED else None,
                expected_version=form.seen_version,
            )
        except DomainError as error:
            _show_error(form, error, claim)
        else:
            return _back_to_claim(claim, "We have saved how you want to be paid.")
    return render_template("claims/fee_choice.html", claim=claim, form=form)


@bp.route("/claims/<int:claim_id>/send", methods=["GET", "POST"])
@roles_required(*CLAIM_ROLES)
def submit(claim_id: int) -> ResponseReturnValue:
    """Check the claim, confirm the declaration and send it."""
    claim = _editable_claim(claim_id)
    form = SubmitClaimForm(version=claim.version)
    today = uk_today()
    if form.validate_on_submit():
        try:
            submission.submit_claim(
                claim,
                actor=current_user,
                declared=bool(form.declaration.data),
                today=today,
                expected_version=form.seen_version,
                benefits_read=bool(form.benefits_read.data),
            )
        except submission.SubmissionRefused as error:
            for problem in error.problems:
                if problem.field in ("declaration", "benefits_read"):
                    add_error(form, problem)
                else:
                    form.anchored_errors.setdefault(problem.field or "lines", []).append(
                        problem.message
                    )
        except DomainError as error:
            _show_error(form, error, claim)
        else:
            return _back_to_claim(
                claim, "Your claim is sent. Your coordinator will confirm the work took place."
            )
    return render_template(
        "claims/submit.html",
        claim=claim,
        form=form,
        bank_details=current_details(claim.person),
        other_method=current_payment_method(claim.person),
        late=submission.is_late(claim, today),
        cap_notes=expense_rules.cap_notes(claim),
        time_limit_months=submission.time_limit_months(),
        unit_name=fees.unit_name,
        benefits_panel=claim_panel(claim, viewer_id=current_user.id, today=today),
    )


@bp.route("/claims/<int:claim_id>/withdraw", methods=["GET", "POST"])
@roles_required(*CLAIM_ROLES)
def withdraw(claim_id: int) -> ResponseReturnValue:
    """Withdraw a claim: a confirmation page, then the withdrawal."""
    claim = _visible_claim_or_404(claim_id)
    if not access.can_withdraw(claim, current_user):
        abort(403)
    if not claim.can_become(ClaimStatus.WITHDRAWN):
        flash("This claim can no longer be withdrawn.")
        return _back_to_claim(claim)
    form = ClaimActionForm(version=claim.version)
    if form.validate_on_submit():
        try:
            submission.withdraw_claim(claim, actor=current_user, expected_version=form.seen_version)
        except DomainError as error:
            flash(error.message, "error")
            return _back_to_claim(claim)
        return _back_to_claim(claim, f"Claim {claim.reference} is withdrawn.")
    return render_template("claims/withdraw.html", claim=claim, form=form)


def _uploads(field_name: str) -> list[expenses.Upload]:
    """The files chosen in a file input, as (name, bytes); an empty input gives none."""
    files = []
    for upload in request.files.getlist(field_name):
        # Big files are spooled to a temporary file: close it as soon as it is read.
        try:
            if upload.filename:
                files.append((upload.filename, upload.read()))
        finally:
            upload.close()
    return files


@bp.route("/claims/<int:claim_id>/expenses/new", methods=["GET", "POST"])
@roles_required(*CLAIM_ROLES)
def add_expense_line(claim_id: int) -> ResponseReturnValue:
    """Add an expense, with photos or files of its receipts."""
    claim = _editable_claim(claim_id)
    covered = expenses.offered_categories(claim)
    form = ExpenseLineForm(version=claim.version)
    form.category.choices = [SelectChoice(category.value, category.label) for category in covered]
    if covered and form.validate_on_submit():
        assert form.session_on.data is not None
        try:
            expenses.add_expense_line(
                claim,
                actor=current_user,
                category=ExpenseCategory(form.category.data),
                session_on=form.session_on.data,
                description=form.description.data or "",
                amount_pence=form.amount.data,
                reason=form.reason.data or "",
                miles_tenths=form.miles_tenths,
                vehicle=form.chosen_vehicle,
                passengers=int(form.passengers.data or 0),
                receipts=_uploads(form.receipts.name),
                expected_version=form.seen_version,
            )
        except DomainError as error:
            _show_error(form, error, claim)
        else:
            return _back_to_claim(claim, "Expense added to the claim.")
    return render_template("claims/expense_line.html", claim=claim, form=form, covered=covered)


def _line_or_404(claim: Claim, line_id: int) -> ClaimLine:
    line = next((line for line in claim.lines if line.id == line_id), None)
    if line is None or not line.is_expense:
        abort(404)
    return line


@bp.route("/claims/<int:claim_id>/lines/<int:line_id>/receipts", methods=["GET", "POST"])
@roles_required(*CLAIM_ROLES)
def add_receipts(claim_id: int, line_id: int) -> ResponseReturnValue:
    """Add photos or files of receipts to an expense."""
    claim = _editable_claim(claim_id)
    line = _line_or_404(claim, line_id)
    form = ReceiptsForm(version=claim.version)
    if form.validate_on_submit():
        try:
            expenses.add_receipts(
                claim,
                line,
                actor=current_user,
                files=_uploads(form.receipts.name),
                expected_version=form.seen_version,
            )
        except DomainError as error:
            _show_error(form, error, claim)
        else:
            return _back_to_claim(claim, "Receipt added.")
    return render_template("claims/receipts.html", claim=claim, line=line, form=form)


@bp.route("/claims/<int:claim_id>/receipts/<int:receipt_id>")
@roles_required(*CLAIM_ROLES)
def receipt(claim_id: int, receipt_id: int) -> ResponseReturnValue:
    """Download a receipt: only for the person and the staff who work the claim."""
    claim = _visible_claim_or_404(claim_id)
    stored = expenses.receipt_for_download(
        claim, receipt_id, actor=current_user, ip_address=request.remote_addr
    )
    if stored is None:
        abort(404)
    return stored_file_response(
        stored.content, content_type=stored.content_type, filename=stored.filename
    )


@bp.route("/claims/<int:claim_id>/receipts/<int:receipt_id>/remove", methods=["POST"])
@roles_required(*CLAIM_ROLES)
def remove_receipt(claim_id: int, receipt_id: int) -> ResponseReturnValue:
    """Take a receipt file off an expense."""
    claim = _editable_claim(claim_id)
    stored = expenses.line_receipt(claim, receipt_id)
    if stored is None:
        abort(404)
    return _one_button(
        claim,
        lambda version: expenses.remove_receipt(
            claim, stored, actor=current_user, expected_version=version
        ),
        "Receipt removed.",
    )


@bp.route("/finance/expense-categories")
@roles_required(Role.FINANCE_ADMIN)
def category_rules() -> ResponseReturnValue:
    """Every expense category with its receipt threshold and cap."""
    return render_template(
        "claims/category_rules.html", rules=list(expense_rules.category_rules().values())
    )


@bp.route("/finance/expense-categories/<category>", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def edit_category_rules(category: str) -> ResponseReturnValue:
    """Change when a category needs a receipt, and its cap."""
    if category not in {member.value for member in ExpenseCategory}:
        abort(404)
    chosen = ExpenseCategory(category)
    rules = expense_rules.category_rules()[chosen]
    above = rules.receipt_above_pence
    form = CategoryRulesForm(
        receipt_rule="never" if above is None else "always" if above == 0 else "above",
        receipt_above=above or None,
        cap=rules.cap_pence,
        cap_period=rules.cap_period.value,
        over_cap=rules.over_cap.value,
    )
    if form.validate_on_submit():
        try:
            expense_rules.save_category_rules(
                chosen,
                actor=current_user,
                receipt_above_pence=form.receipt_above_pence,
                cap_pence=form.cap.data,
                cap_period=CapPeriod(form.cap_period.data),
                over_cap=OverCap(form.over_cap.data),
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"{chosen.label}: saved.", "success")
            return redirect(url_for("claims.category_rules"))
    return render_template("claims/category_rule.html", category=chosen, form=form)
