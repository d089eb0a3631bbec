"""Payments: finance admins' payment runs and bank files; everyone's remittance slips;
finance's per-payee tax-year totals; a person's own payments statement."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from payclaims.auth.access import roles_required
from payclaims.auth.models import FINANCE_ROLES, Role
from payclaims.claims.models import Claim
from payclaims.dates import tax_year_of, uk_today
from payclaims.downloads import stored_file_response
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import SelectChoice, add_error
from payclaims.money import format_pence
from payclaims.payments import reports, statements
from payclaims.payments import runs as payment_runs
from payclaims.payments.bank_file import bank_file_for_download
from payclaims.payments.confirm import RunConfirmed, benefits_check_for_run, confirm_run
from payclaims.payments.forms import (
    AddClaimsForm,
    ConfirmRunForm,
    NewRunForm,
    RunActionForm,
    StatementForm,
    statement_range,
)
from payclaims.payments.models import PaymentRun
from payclaims.payments.payees import paid_outside_bank_file
from payclaims.payments.payees import payees as payees_of
from payclaims.payments.slips import (
    can_download_slip,
    slip_for_claim,
    slip_for_download,
    slips_of,
)

bp = Blueprint("payments", __name__)

# Claims listed at a time on the payment run pages; the rest are on further pages.
CLAIMS_PER_PAGE = 100
# The tax years offered on the report: this one and the five before (HMRC's record keeping).
TAX_YEARS_SHOWN = 6


def _run_or_404(run_id: int) -> PaymentRun:
    run = payment_runs.load_run(run_id)
    if run is None:
        abort(404)
    return run


def _claim_choices(claims: list[Claim]) -> list[SelectChoice]:
    return [
        SelectChoice(
            claim.id,
            f"{claim.reference}: {claim.person.name}, {format_pence(claim.approved_total_pence)}",
        )
        for claim in claims
    ]


def _excluded(page: int = 1) -> dict[str, object]:
    """A page of the approved claims left out of runs (the first unless told), with reasons."""
    excluded = db.paginate(
        payment_runs.excluded_claims_query(), page=page, per_page=CLAIMS_PER_PAGE, error_out=False
    )
    return {"excluded": excluded, "exclusions": payment_runs.exclusions(excluded.items)}


@bp.route("/finance/payment-runs")
@roles_required(Role.FINANCE_ADMIN)
def runs() -> ResponseReturnValue:
    """Payment runs, newest first, how many approved claims wait for one, and a page of
    those that cannot be paid yet."""
    return render_template(
        "payments/runs.html",
        runs=payment_runs.runs(),
        waiting=payment_runs.waiting_claims(),
        **_excluded(request.args.get("page", 1, type=int)),
    )


@bp.route("/finance/payment-runs/new", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def new_run() -> ResponseReturnValue:
    """Choose a payment date and the approved claims to pay (a page of them, all ticked at
    first)."""
    payable = db.paginate(
        payment_runs.payable_claims_query(), per_page=CLAIMS_PER_PAGE, error_out=False
    )
    form = NewRunForm()
    form.claim_ids.choices = _claim_choices(payable.items)
    if request.method == "GET":
        form.claim_ids.data = [claim.id for claim in payable.items]
    if form.validate_on_submit():
        assert isinstance(form.payment_on.data, date)
        try:
            run = payment_runs.create_run(
                actor=current_user,
                payment_on=form.payment_on.data,
                today=uk_today(),
                claim_ids=list(form.claim_ids.data or []),
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(
                "The payment run is ready to check. Nothing is paid until you confirm it.",
                "success",
            )
            return redirect(url_for("payments.run", run_id=run.id))
    return render_template(
        "payments/new_run.html",
        form=form,
        payable=payable,
        waiting=payment_runs.waiting_claims(),
        **_excluded(),
    )


def _run_page(payment_run: PaymentRun, confirm_form: ConfirmRunForm) -> ResponseReturnValue:
    payees = payees_of(payment_run)
    return render_template(
        "payments/run.html",
        run=payment_run,
        payees=payees,
        **(
            {"waiting": payment_runs.waiting_claims(), **_excluded()}
            if payment_run.is_draft
            else {}
        ),
        outside=paid_outside_bank_file(payment_run, payees),
        total_pence=sum(payee.total_pence for payee in payees),
        benefits=benefits_check_for_run(payment_run),
        action_form=RunActionForm(version=payment_run.version),
        confirm_form=confirm_form,
        form=confirm_form,
    )


@bp.route("/finance/payment-runs/<int:run_id>")
@roles_required(Role.FINANCE_ADMIN)
def run(run_id: int) -> ResponseReturnValue:
    """One run: totals per payee, each claim, the benefits check and the confirm button."""
    payment_run = _run_or_404(run_id)
    return _run_page(payment_run, ConfirmRunForm(version=payment_run.version))


@bp.route("/finance/payment-runs/<int:run_id>/add-claims", methods=["GET", "POST"])
@roles_required(Role.FINANCE_ADMIN)
def add_claims(run_id: int) -> ResponseReturnValue:
    """Add approved claims to a draft run: those ticked on this page, or all that can be paid."""
    payment_run = db.get_or_404(PaymentRun, run_id)
    if not payment_run.is_draft:
        flash(payment_runs.NOT_DRAFT, "error")
        return redirect(url_for("payments.run", run_id=run_id))
    form = AddClaimsForm()
    if form.validate_on_submit():
        try:
            added = payment_runs.add_claims(
                payment_run,
                actor=current_user,
                claim_ids=None if form.adds_everything else list(form.claim_ids.data or []),
                expected_version=form.seen_version,
                ip_address=request.remote_addr,
            )
        except payment_runs.RunChanged as error:
            flash(error.message, "error")
            return redirect(url_for("payments.run", run_id=run_id))
        except DomainError as error:
            add_error(form, error)
        else:
            flash(
                f"{added} {'claim is' if added == 1 else 'claims are'} added to the run. "
                "Check the totals before you confirm it.",
                "success",
            )
            return redirect(url_for("payments.run", run_id=run_id))
    payable = db.paginate(
        payment_runs.payable_claims_query(), per_page=CLAIMS_PER_PAGE, error_out=False
    )
    form.claim_ids.choices = _claim_choices(payable.items)
    return render_template(
        "payments/add_claims.html",
        run=payment_run,
        form=form,
        payable=payable,
        waiting=payment_runs.waiting_claims(),
        **_excluded(),
    )


@bp.route("/finance/payment-runs/<int:run_id>/claims/<int:claim_id>/remove", methods=["POST"])
@roles_required(Role.FINANCE_ADMIN)
def remove_claim(run_id: int, claim_id: int) -> ResponseReturnValue:
    """Take a claim out of a draft run; it is approved again, for a later run."""
    payment_run = _run_or_404(run_id)
    claim = db.session.get(Claim, claim_id)
    if claim is None:
        abort(404)
    form = RunActionForm()
    if form.validate_on_submit():
        try:
            payment_runs.remove_claim(
                payment_run,
                claim,
                actor=current_user,
                expected_version=form.seen_version,
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"{claim.reference} is out of the run. It is still approved.", "success")
    return redirect(url_for("payments.run", run_id=run_id))


@bp.route("/finance/payment-runs/<int:run_id>/confirm", methods=["POST"])
@roles_required(Role.FINANCE_ADMIN)
def confirm(run_id: int) -> ResponseReturnValue:
    """Pay the run: its claims are paid, slips issued, the bank file ready to download."""
    payment_run = _run_or_404(run_id)
    form = ConfirmRunForm()
    if form.validate_on_submit():
        try:
            confirmed = confirm_run(
                payment_run,
                actor=current_user,
                expected_version=form.seen_version,
                ip_address=request.remote_addr,
                benefits_changes_seen=bool(form.benefits_seen.data),
            )
        except DomainError as error:
            if error.field is None:
                flash(error.message, "error")
            else:
                add_error(form, error)
                return _run_page(payment_run, form)
        else:
            flash(_confirmed_message(confirmed), "success")
    return redirect(url_for("payments.run", run_id=run_id))


def _confirmed_message(confirmed: RunConfirmed) -> str:
    """What confirming did; honest about payees the mail server would not take an email for."""
    if not confirmed.not_emailed:
        return (
            "The run is confirmed: its claims are paid, slips issued and people emailed. "
            "Download the bank file to send to the bank."
        )
    if confirmed.payees == 1:
        who = "the person paid (the server log says why): their slip is on their payments page"
    else:
        who = (
            f"{confirmed.not_emailed} of the {confirmed.payees} people paid (the server log "
            "names them): their slips are on their payments pages"
        )
    return (
        f"The run is confirmed: its claims are paid and slips issued. We could not email {who}. "
        "Download the bank file to send to the bank."
    )


@bp.route("/finance/payment-runs/<int:run_id>/bank-file.csv")
@roles_required(Role.FINANCE_ADMIN)
def bank_file(run_id: int) -> ResponseReturnValue:
    """The confirmed run's bank payment file (CSV); every download is audited."""
    payment_run = _run_or_404(run_id)
    try:
        content = bank_file_for_download(
            payment_run, actor=current_user, ip_address=request.remote_addr
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("payments.run", run_id=run_id))
    return stored_file_response(
        content,
        content_type="text/csv",
        filename=f"bank-file-{payment_run.reference}-{payment_run.payment_on.isoformat()}.csv",
    )


@bp.route("/remittance-slips/<int:slip_id>.pdf")
@roles_required(Role.EXPERT, *FINANCE_ROLES)
def slip(slip_id: int) -> ResponseReturnValue:
    """A remittance slip as issued: the payee's own, or any for finance; others "not found"."""
    found = slip_for_download(slip_id, actor=current_user, ip_address=request.remote_addr)
    if found is None:
        abort(404)
    return stored_file_response(found.pdf, content_type="application/pdf", filename=found.filename)


@bp.route("/claims/<int:claim_id>/remittance-slip")
@roles_required(Role.EXPERT, *FINANCE_ROLES)
def claim_slip(claim_id: int) -> ResponseReturnValue:
    """The slip that paid a claim, for the claim page's link (the claims area links here by
    endpoint, so it never imports payments): on to its download, or "not found"."""
    found = slip_for_claim(db.get_or_404(Claim, claim_id))
    if found is None or not can_download_slip(found, current_user):
        abort(404)
    return redirect(url_for("payments.slip", slip_id=found.id))


@bp.route("/my-payments")
@roles_required(Role.EXPERT)
def mine() -> ResponseReturnValue:
    """The person's payments, each with its remittance slip to download."""
    return render_template("payments/mine.html", slips=slips_of(current_user))


def _tax_year_start() -> date:
    text = request.args.get("year", "")
    this_year = tax_year_of(uk_today()).start
    if text.isdigit() and this_year.year - TAX_YEARS_SHOWN < int(text) <= this_year.year:
        return date(int(text), this_year.month, this_year.day)
    return this_year


@bp.route("/finance/reports/tax-year-totals")
@roles_required(*FINANCE_ROLES)
def tax_year_totals() -> ResponseReturnValue:
    """What each person was paid in a tax year: fees (earnings) and expenses apart."""
    start = _tax_year_start()
    this_year = tax_year_of(uk_today()).start
    years = [
        date(this_year.year - n, this_year.month, this_year.day) for n in range(TAX_YEARS_SHOWN)
    ]
    return render_template(
        "payments/tax_year_totals.html",
        start=start,
        years=years,
        label=lambda start: tax_year_of(start).label,
        totals=reports.tax_year_totals(start),
    )


@bp.route("/finance/reports/tax-year-totals.csv")
@roles_required(*FINANCE_ROLES)
def tax_year_totals_csv() -> ResponseReturnValue:
    """The tax year's per-payee totals as a spreadsheet (CSV); the export is audited."""
    start = _tax_year_start()
    text = reports.export_tax_year_totals(start, actor=current_user, ip_address=request.remote_addr)
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="payments-tax-year-{start.year}-{start.year + 1}.csv"'
            )
        },
    )


@bp.route("/account/payments-statement")
@roles_required(Role.EXPERT)
def statement() -> ResponseReturnValue:
    """Choose the dates of a payments statement, and see what it will hold."""
    form = StatementForm(request.args)
    chosen = statement_range(form)
    summary = None
    if chosen is not None:
        if not request.args:
            form = StatementForm(formdata=None, start_on=chosen[0], end_on=chosen[1])
        summary = statements.build_statement(current_user, start_on=chosen[0], end_on=chosen[1])
    return render_template("payments/statement.html", form=form, summary=summary)


@bp.route("/account/payments-statement.pdf")
@roles_required(Role.EXPERT)
def statement_pdf() -> ResponseReturnValue:
    """The person's own payments statement as a PDF."""
    form = StatementForm(request.args)
    chosen = statement_range(form)
    if chosen is None:
        query = request.query_string.decode()
        return redirect(f"{url_for('payments.statement')}?{query}")
    pdf = statements.statement_pdf(current_user, start_on=chosen[0], end_on=chosen[1])
    return stored_file_response(
        pdf, content_type="application/pdf", filename=statements.filename(*chosen)
    )
