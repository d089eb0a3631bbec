"""Approvals: coordinators confirm claims; finance approvers work their queue and decide; finance
staff working a claim see the claimant's benefits profile and payments statement."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination

from payclaims.approvals import decisions, finance_profiles, routing
from payclaims.approvals.export import export_claims
from payclaims.approvals.forms import (
    CONFIRM,
    DelegationForm,
    QueueFilterForm,
    ReasonForm,
    VerifyForm,
    approve_form_for,
)
from payclaims.approvals.models import ApprovalDelegation, ApprovalStage
from payclaims.approvals.queue import (
    WAITING,
    QueueFilters,
    approvals_for,
    claims_at_level,
    queue_query,
    to_confirm_query,
)
from payclaims.auth.access import roles_required
from payclaims.auth.models import FINANCE_ROLES, Role, User
from payclaims.benefits.payment_dates import next_payment_date
from payclaims.claims import services as claim_services
from payclaims.claims.benefits_check import ClaimPanel, badge_text, check_claim, check_claims
from payclaims.claims.forms import VersionedForm
from payclaims.claims.lifecycle import StaleClaim
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.dates import uk_today
from payclaims.downloads import stored_file_response
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import PostForm, SelectChoice, add_error
from payclaims.paging import ListPage
from payclaims.payments import statements
from payclaims.payments.forms import StatementForm, statement_range
from payclaims.people.bank_details import current_details

bp = Blueprint("approvals", __name__)

CONFIRMING = (Role.COORDINATOR, Role.ADMIN)
CLAIMS_PER_PAGE = 25


def _lost_race(claim_id: int) -> ResponseReturnValue:
    """Tell the loser what happened and show the claim as it stands now."""
    flash(decisions.moved_message(claim_id), "error")
    if request.endpoint == "approvals.confirm":
        return redirect(url_for("approvals.confirm", claim_id=claim_id))
    return redirect(url_for("approvals.claim", claim_id=claim_id))


RELOAD_MESSAGE = (
    "Nothing was decided: the page did not say which version of the claim you saw. "
    "Please reload the page and try again."
)


def _sent_version(form: VersionedForm) -> bool:
    """Whether the post itself carried the page's version. (The form is built with the
    claim's current version as its default, so ``seen_version`` alone would fill a missing
    field with today's version and skip the check.)"""
    raw = form.version.raw_data or []
    return bool(raw) and str(raw[0]).isdigit()


def _reload(claim_id: int) -> ResponseReturnValue:
    """A decision posted without the page's version: decide nothing, show the page afresh."""
    flash(RELOAD_MESSAGE, "error")
    return redirect(request.path)


# Coordinators: claims to confirm ----------------------------------------------------------


@bp.route("/coordinator/claims")
@roles_required(*CONFIRMING)
def to_confirm() -> ResponseReturnValue:
    """Claims waiting for the coordinator to confirm the work took place, oldest first."""
    page = db.paginate(to_confirm_query(current_user), per_page=CLAIMS_PER_PAGE, error_out=False)
    return render_template("approvals/to_confirm.html", page=page)


def _claim_to_confirm_or_404(claim_id: int) -> Claim:
    claim = claim_services.load_claim(claim_id)
    if claim is None or not claim_services.is_role_staff(claim, current_user):
        abort(404)
    return claim


@bp.route("/coordinator/claims/<int:claim_id>", methods=["GET", "POST"])
@roles_required(*CONFIRMING)
def confirm(claim_id: int) -> ResponseReturnValue:
    """Confirm the work took place, or return the claim to the person with a question."""
    claim = _claim_to_confirm_or_404(claim_id)
    form = VerifyForm(version=claim.version)
    if claim.status is ClaimStatus.SUBMITTED and form.validate_on_submit():
        if not _sent_version(form):
            return _reload(claim_id)
        try:
            if form.decision.data == CONFIRM:
                decisions.verify_claim(
                    claim,
                    actor=current_user,
                    ip_address=request.remote_addr,
                    expected_version=form.seen_version,
                )
                flash(f"Claim {claim.reference} confirmed and sent to finance.", "success")
            else:
                decisions.return_claim(
                    claim,
                    actor=current_user,
                    reason=form.question.data or "",
                    today=uk_today(),
                    ip_address=request.remote_addr,
                    expected_version=form.seen_version,
                )
                flash(f"Claim {claim.reference} returned to {claim.person.name}.", "success")
        except StaleClaim:
            return _lost_race(claim_id)
        except DomainError as error:
            if error.field == "reason":
                error.field = "question"
            add_error(form, error)
        else:
            return redirect(url_for("approvals.to_confirm"))
    return render_template(
        "approvals/confirm.html",
        claim=claim,
        form=form,
        can_confirm=claim.status is ClaimStatus.SUBMITTED
        and decisions.can_verify(claim, current_user),
        unit_name=claim_services.unit_name,
    )


# Finance: the queue -----------------------------------------------------------------------


def _queue_filters(form: QueueFilterForm) -> QueueFilters:
    if not form.validate():
        return QueueFilters()
    cost_centre = form.cost_centre.data or ""
    age = form.age.data or ""
    return QueueFilters(
        status=form.status.data or WAITING,
        cost_centre_id=int(cost_centre) if cost_centre.isdigit() else None,
        older_than_days=int(age) if age.isdigit() else None,
        min_pence=form.min_amount.data,
        max_pence=form.max_amount.data,
        benefits_level=form.benefits_level.data or None,
    )


def _filter_form() -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    form.cost_centre.choices = [
        SelectChoice("", "Any cost centre"),
        *(
            SelectChoice(str(cost_centre.id), cost_centre.label)
            for cost_centre in routing.active_cost_centres_for(current_user, uk_today())
        ),
    ]
    return form


@bp.route("/finance/claims")
@roles_required(*FINANCE_ROLES)
def queue() -> ResponseReturnValue:
    """Claims routed to me (every sent claim for finance admins), filtered, oldest first."""
    form = _filter_form()
    filters = _queue_filters(form)
    today = uk_today()
    paid_on = next_payment_date(today)
    query = queue_query(current_user, filters, today)
    page: ListPage[Claim] | Pagination
    if filters.benefits_level:
        # The level is computed: check every matching claim (one batch), then page.
        matching, checks = claims_at_level(query, filters.benefits_level, paid_on)
        page = ListPage.of(
            matching, page=request.args.get("page", 1, type=int), per_page=CLAIMS_PER_PAGE
        )
    else:
        # No level filter: page in SQL and check only the claims on this page.
        page = db.paginate(query, per_page=CLAIMS_PER_PAGE, error_out=False)
        checks = check_claims(page.items, paid_on)
    return render_template(
        "approvals/queue.html",
        form=form,
        page=page,
        checks=checks,
        paid_on=paid_on,
        badge_text=badge_text,
        approvals=approvals_for(page.items),
        delegations=routing.delegations_to(current_user, today),
        # Only the filter form's own fields: url_for must never see _external, _scheme, ...
        export_args={
            field.name: request.args[field.name] for field in form if request.args.get(field.name)
        },
    )


@bp.route("/finance/claims.csv")
@roles_required(*FINANCE_ROLES)
def export() -> ResponseReturnValue:
    """The claims the queue's filters give, as a spreadsheet (CSV) for accounting."""
    today = uk_today()
    text = export_claims(
        _queue_filters(_filter_form()),
        actor=current_user,
        today=today,
        ip_address=request.remote_addr,
    )
    # The byte order mark tells spreadsheet programs the file is UTF-8.
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="claims-{today.isoformat()}.csv"'},
    )


def _finance_claim_or_404(claim_id: int) -> Claim:
    """A claim the signed-in finance person may see; any other is "not found"."""
    claim = claim_services.load_claim(claim_id)
    if claim is None or not routing.can_see_as_finance(claim, current_user, uk_today()):
        abort(404)
    return claim


@bp.route("/finance/claims/<int:claim_id>")
@roles_required(*FINANCE_ROLES)
def claim(claim_id: int) -> ResponseReturnValue:
    """One claim for finance: lines, receipts, flags, bank details, approvals and history."""
    found = _finance_claim_or_404(claim_id)
    today = uk_today()
    approvals = decisions.approvals_this_round(found)
    # Paid claims are checked on the day they were paid; the rest on the next payment date.
    paid_on = found.paid_on or next_payment_date(today)
    check = check_claim(found, paid_on)
    return render_template(
        "approvals/claim.html",
        claim=found,
        benefits=None if check is None else ClaimPanel(paid_on=paid_on, check=check),
        badge_text=badge_text,
        approvals=approvals,
        problem=decisions.decision_problem(found, current_user, today, approvals),
        routing=routing.routing_for(found, current_user, today),
        bank_details=current_details(found.person),
        unit_name=claim_services.unit_name,
    )


@bp.route("/finance/claims/<int:claim_id>/receipts/<int:receipt_id>")
@roles_required(*FINANCE_ROLES)
def receipt(claim_id: int, receipt_id: int) -> ResponseReturnValue:
    """Download a receipt of a claim finance works (audited)."""
    found = _finance_claim_or_404(claim_id)
    stored = claim_services.receipt_for_download(
        found, receipt_id, actor=current_user, ip_address=request.remote_addr
    )
    if stored is None:
        abort(404)
    return stored_file_response(
        stored.content, content_type=stored.content_type, filename=stored.filename
    )


def _decidable_or_redirect(claim_id: int) -> Claim | ResponseReturnValue:
    found = _finance_claim_or_404(claim_id)
    problem = decisions.decision_problem(found, current_user, uk_today())
    if problem is not None:
        flash(problem, "error")
        return redirect(url_for("approvals.claim", claim_id=claim_id))
    return found


@bp.route("/finance/claims/<int:claim_id>/approve", methods=["GET", "POST"])
@roles_required(Role.FINANCE_APPROVER)
def approve(claim_id: int) -> ResponseReturnValue:
    """Approve a claim, reducing any line with a reason the person reads."""
    found = _decidable_or_redirect(claim_id)
    if not isinstance(found, Claim):
        return found
    form = approve_form_for(found, version=found.version)
    if form.validate_on_submit():
        if not _sent_version(form):
            return _reload(claim_id)
        reductions = {
            line.id: decisions.LineReduction(amount.data, note.data or "")
            for line, (amount, note) in zip(found.lines, form.line_fields(found), strict=True)
        }
        try:
            stage = decisions.approve_claim(
                found,
                actor=current_user,
                today=uk_today(),
                ip_address=request.remote_addr,
                reductions=reductions,
                expected_version=form.seen_version,
            )
        except StaleClaim:
            return _lost_race(claim_id)
        except DomainError as error:
            db.session.rollback()
            add_error(form, error)
        else:
            db.session.expire_all()
            reloaded = db.session.get(Claim, claim_id)
            if (
                stage is ApprovalStage.FIRST
                and reloaded
                and reloaded.status is ClaimStatus.VERIFIED
            ):
                flash(
                    f"Your approval of claim {found.reference} is recorded. It is above the "
                    "cost centre's limit, so it now waits for a second approver.",
                    "success",
                )
            else:
                flash(f"Claim {found.reference} approved.", "success")
            return redirect(url_for("approvals.queue"))
    return render_template(
        "approvals/approve.html",
        claim=found,
        form=form,
        approvals=decisions.approvals_this_round(found),
        unit_name=claim_services.unit_name,
    )


def _reason_decision(claim_id: int, *, rejecting: bool) -> ResponseReturnValue:
    found = _decidable_or_redirect(claim_id)
    if not isinstance(found, Claim):
        return found
    form = ReasonForm(version=found.version)
    if form.validate_on_submit():
        if not _sent_version(form):
            return _reload(claim_id)
        try:
            if rejecting:
                decisions.reject_claim(
                    found,
                    actor=current_user,
                    reason=form.reason.data or "",
                    today=uk_today(),
                    ip_address=request.remote_addr,
                    expected_version=form.seen_version,
                )
            else:
                decisions.return_claim(
                    found,
                    actor=current_user,
                    reason=form.reason.data or "",
                    today=uk_today(),
                    ip_address=request.remote_addr,
                    expected_version=form.seen_version,
                )
        except StaleClaim:
            return _lost_race(claim_id)
        except DomainError as error:
            add_error(form, error)
        else:
            done = "rejected" if rejecting else f"returned to {found.person.name}"
            flash(f"Claim {found.reference} {done}.", "success")
            return redirect(url_for("approvals.queue"))
    return render_template(
        "approvals/reason.html",
        claim=found,
        form=form,
        rejecting=rejecting,
        example=decisions.REJECTION_EXAMPLE,
    )


@bp.route("/finance/claims/<int:claim_id>/return", methods=["GET", "POST"])
@roles_required(Role.FINANCE_APPROVER)
def return_claim(claim_id: int) -> ResponseReturnValue:
    """Return a claim to the person for more information."""
    return _reason_decision(claim_id, rejecting=False)


@bp.route("/finance/claims/<int:claim_id>/reject", methods=["GET", "POST"])
@roles_required(Role.FINANCE_APPROVER)
def reject(claim_id: int) -> ResponseReturnValue:
    """Reject a claim for good, with a reason the person reads."""
    return _reason_decision(claim_id, rejecting=True)


# Delegation -------------------------------------------------------------------------------


@bp.route("/finance/delegation", methods=["GET", "POST"])
@roles_required(Role.FINANCE_APPROVER)
def delegation() -> ResponseReturnValue:
    """Name a delegate while away, and see and end the delegations I have named."""
    form = DelegationForm()
    form.delegate.choices = [
        SelectChoice("", "Choose a finance approver"),
        *(
            SelectChoice(str(user.id), user.name)
            for user in routing.finance_approvers()
            if user.id != current_user.id
        ),
    ]
    if form.validate_on_submit():
        delegate = form.delegate.data or ""
        try:
            made = routing.create_delegation(
                actor=current_user,
                delegate_id=int(delegate) if delegate.isdigit() else 0,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                today=uk_today(),
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"{made.delegate.name} can decide your claims while you are away.", "success")
            return redirect(url_for("approvals.delegation"))
    return render_template(
        "approvals/delegation.html",
        form=form,
        delegations=routing.delegations_of(current_user),
        delegated_to_me=routing.delegations_to(current_user, uk_today()),
        end_form=PostForm(),
        today=uk_today(),
    )


@bp.route("/finance/delegation/<int:delegation_id>/end", methods=["POST"])
@roles_required(Role.FINANCE_APPROVER)
def end_delegation(delegation_id: int) -> ResponseReturnValue:
    """End a delegation I named."""
    found = db.session.get(ApprovalDelegation, delegation_id)
    if found is None or found.approver_id != current_user.id:
        abort(404)
    if PostForm().validate_on_submit():
        routing.end_delegation(found, actor=current_user, ip_address=request.remote_addr)
        flash(f"{found.delegate.name} no longer decides your claims.", "success")
    return redirect(url_for("approvals.delegation"))


@bp.route("/finance/claims/<int:claim_id>/benefits-profile")
@roles_required(*FINANCE_ROLES)
def finance_profile(claim_id: int) -> ResponseReturnValue:
    """A claimant's benefits profile, for finance working their claim (audited)."""
    claim = claim_services.load_claim(claim_id)
    if claim is None or not finance_profiles.finance_works_on(claim, current_user):
        abort(404)
    shown = finance_profiles.profile_for_finance(
        claim, actor=current_user, ip_address=request.remote_addr
    )
    return render_template("approvals/finance_profile.html", claim=claim, profile=shown)


@bp.route("/finance/people/<int:user_id>/payments-statement.pdf")
@roles_required(*FINANCE_ROLES)
def finance_statement_pdf(user_id: int) -> ResponseReturnValue:
    """A person's payments statement, for finance working their claims; audited."""
    person = db.session.get(User, user_id)
    if (
        person is None
        or not person.has_role(Role.EXPERT)
        or not finance_profiles.finance_works_for(person, current_user)
    ):
        abort(404)
    form = StatementForm(request.args)
    chosen = statement_range(form)
    if chosen is None:
        abort(400)
    pdf = finance_profiles.statement_pdf_for_finance(
        person,
        actor=current_user,
        start_on=chosen[0],
        end_on=chosen[1],
        ip_address=request.remote_addr,
    )
    return stored_file_response(
        pdf, content_type="application/pdf", filename=statements.filename(*chosen)
    )
