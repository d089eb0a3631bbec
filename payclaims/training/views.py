"""Training courses and records: people's own record, coordinators' lists, evidence files."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from payclaims.auth.access import roles_required
from payclaims.auth.models import Role
from payclaims.dates import uk_today
from payclaims.downloads import stored_file_response
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.forms import PostForm, SelectChoice, add_error
from payclaims.training import services
from payclaims.training.forms import (
    AWAITING,
    EXPIRING,
    CourseEditForm,
    CourseForm,
    DeclareTrainingForm,
    RecordFilterForm,
    RecordTrainingForm,
    RejectTrainingForm,
)
from payclaims.training.models import TrainingCourse, TrainingRecord
from payclaims.training.services import EvidenceFile, RecordFilters
from payclaims.uploads import MAX_UPLOAD_BYTES

bp = Blueprint("training", __name__)

RECORDS_PER_PAGE = 25
COORDINATING = (Role.COORDINATOR, Role.ADMIN)


# A person's own training ------------------------------------------------------------------


@bp.route("/my-training")
@roles_required(Role.EXPERT)
def my_training() -> ResponseReturnValue:
    """A person's own training record, with what has expired or expires soon."""
    today = uk_today()
    records = services.records_for_person(current_user)
    rows = [
        (record, services.record_status(record, today, warning_days=services.PERSON_WARNING_DAYS))
        for record in records
    ]
    warnings = services.training_warnings(records, today)
    return render_template(
        "training/my_training.html",
        rows=rows,
        expired=[warning for warning in warnings if warning.expired],
        expiring=[warning for warning in warnings if not warning.expired],
        warning_days=services.PERSON_WARNING_DAYS,
    )


@bp.route("/my-training/new", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def declare() -> ResponseReturnValue:
    """Tell us about training you have done."""
    form = DeclareTrainingForm()
    offered = services.active_courses()
    form.course.choices = _course_choices(offered)
    chosen_file = _evidence_from(form)
    if form.validate_on_submit():
        assert form.completed_on.data is not None
        try:
            record = services.declare_training(
                actor=current_user,
                course_id=int(form.course.data),
                completed_on=form.completed_on.data,
                evidence=chosen_file,
                ip_address=request.remote_addr,
                today=uk_today(),
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(
                f"{record.course.name} added. A coordinator will check it and verify it.",
                "success",
            )
            return redirect(url_for("training.my_training"))
    return render_template(
        "training/declare.html",
        form=form,
        courses=offered,
        file_again=_file_again(form, chosen_file),
    )


# Everyone's training, for coordinators ----------------------------------------------------


def _filters(form: RecordFilterForm) -> RecordFilters:
    """What the list is narrowed to; filters that do not make sense are ignored."""
    if not form.validate():
        return RecordFilters()
    shown = set(form.show.data or [])
    return RecordFilters(
        course_id=int(form.course.data) if form.course.data else None,
        person_text=form.q.data or "",
        expiring_soon=EXPIRING in shown,
        awaiting_verification=AWAITING in shown,
    )


def _filter_form() -> RecordFilterForm:
    choices = [SelectChoice(str(course.id), course.name) for course in services.all_courses()]
    return RecordFilterForm(request.args, courses=choices)


@bp.route("/training")
@roles_required(*COORDINATING)
def records() -> ResponseReturnValue:
    """Everyone's training records, for coordinators, with filters."""
    today = uk_today()
    form = _filter_form()
    query = services.records_query(_filters(form), today)
    page = db.paginate(query, per_page=RECORDS_PER_PAGE, error_out=False)
    rows = [(record, services.record_status(record, today)) for record in page.items]
    return render_template(
        "training/records.html",
        filter_form=form,
        page=page,
        rows=rows,
        export_args=request.args.to_dict(flat=False),
    )


@bp.route("/training/records.csv")
@roles_required(*COORDINATING)
def export() -> ResponseReturnValue:
    """Everyone's training records matching the filters, as a spreadsheet (CSV)."""
    today = uk_today()
    text = services.export_records(
        _filters(_filter_form()), actor=current_user, ip_address=request.remote_addr, today=today
    )
    # The byte order mark tells spreadsheet programs the file is UTF-8.
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="training-records-{today.isoformat()}.csv"'
            )
        },
    )


@bp.route("/training/new", methods=["GET", "POST"])
@roles_required(*COORDINATING)
def record_new() -> ResponseReturnValue:
    """Record training someone has done; it counts as verified."""
    form = RecordTrainingForm()
    offered = services.active_courses()
    form.course.choices = _course_choices(offered)
    form.person.choices = [
        SelectChoice("", "Select a person"),
        *(
            SelectChoice(str(person.id), f"{person.name} ({person.email})")
            for person in services.active_experts(excluding=current_user)
        ),
    ]
    chosen_file = _evidence_from(form)
    if form.validate_on_submit():
        assert form.completed_on.data is not None
        try:
            record = services.record_training(
                actor=current_user,
                person_id=int(form.person.data),
                course_id=int(form.course.data),
                completed_on=form.completed_on.data,
                evidence=chosen_file,
                ip_address=request.remote_addr,
                today=uk_today(),
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"{record.course.name} recorded for {record.person.name}.", "success")
            return redirect(url_for("training.record", record_id=record.id))
    return render_template(
        "training/record_new.html",
        form=form,
        courses=offered,
        file_again=_file_again(form, chosen_file),
    )


# One record and its evidence --------------------------------------------------------------


def _visible_record(record_id: int) -> TrainingRecord:
    """The record, if the signed-in person may see it; 404 otherwise, as for a guessed id."""
    record = db.session.scalar(
        select(TrainingRecord)
        .where(TrainingRecord.id == record_id)
        .options(
            joinedload(TrainingRecord.person),
            joinedload(TrainingRecord.course),
            joinedload(TrainingRecord.recorded_by),
            joinedload(TrainingRecord.verified_by),
            joinedload(TrainingRecord.evidence),
        )
    )
    if record is None or not services.can_see_record(record, current_user):
        abort(404)
    return record


@bp.route("/training/records/<int:record_id>")
@roles_required(Role.EXPERT, *COORDINATING)
def record(record_id: int) -> ResponseReturnValue:
    """One training record, with its evidence and, for coordinators, a Verify button."""
    return _render_record(_visible_record(record_id))


def _render_record(
    training: TrainingRecord, reject_form: RejectTrainingForm | None = None
) -> ResponseReturnValue:
    is_coordinator = current_user.has_role(*COORDINATING)
    stored = training.evidence
    return render_template(
        "training/record.html",
        record=training,
        status=services.record_status(
            training,
            uk_today(),
            warning_days=(
                services.STAFF_WARNING_DAYS if is_coordinator else services.PERSON_WARNING_DAYS
            ),
        ),
        is_coordinator=is_coordinator,
        can_verify=(
            is_coordinator and not training.is_verified and training.person_id != current_user.id
        ),
        evidence_size=services.file_size_text(stored.size_bytes) if stored else "",
        action_form=PostForm(),
        form=reject_form or RejectTrainingForm(),
    )


@bp.route("/training/records/<int:record_id>/verify", methods=["POST"])
@roles_required(*COORDINATING)
def verify(record_id: int) -> Response:
    """Confirm self-declared training."""
    training = _visible_record(record_id)
    if PostForm().validate_on_submit():
        try:
            services.verify_record(training, actor=current_user, ip_address=request.remote_addr)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"{training.course.name} verified for {training.person.name}.", "success")
    return redirect(url_for("training.record", record_id=record_id))


@bp.route("/training/records/<int:record_id>/reject", methods=["POST"])
@roles_required(*COORDINATING)
def reject(record_id: int) -> ResponseReturnValue:
    """Do not accept self-declared training: remove it and tell the person why."""
    training = _visible_record(record_id)
    form = RejectTrainingForm()
    if form.validate_on_submit():
        person_name, course_name = training.person.name, training.course.name
        try:
            services.reject_record(
                training,
                actor=current_user,
                reason=form.reason.data or "",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(
                f"{course_name} for {person_name} was not accepted. We have emailed them why.",
                "success",
            )
            return redirect(url_for("training.records"))
    return _render_record(training, form)


@bp.route("/training/records/<int:record_id>/evidence")
@roles_required(Role.EXPERT, *COORDINATING)
def evidence(record_id: int) -> ResponseReturnValue:
    """Download a record's evidence file, never shown in the browser."""
    training = _visible_record(record_id)
    try:
        stored = services.evidence_for_download(
            training, actor=current_user, ip_address=request.remote_addr
        )
    except DomainError:
        abort(404)
    return stored_file_response(
        stored.content, content_type=stored.content_type, filename=stored.filename
    )


# Courses ----------------------------------------------------------------------------------


@bp.route("/training/courses")
@roles_required(*COORDINATING)
def courses() -> ResponseReturnValue:
    """Every training course, retired ones included."""
    return render_template("training/courses.html", courses=services.all_courses())


@bp.route("/training/courses/new", methods=["GET", "POST"])
@roles_required(*COORDINATING)
def course_new() -> ResponseReturnValue:
    """Add a training course."""
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = services.create_course(
                actor=current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                validity_months=form.validity,
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"{course.name} added.", "success")
            return redirect(url_for("training.courses"))
    return render_template("training/course_form.html", form=form, course=None)


@bp.route("/training/courses/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required(*COORDINATING)
def course_edit(course_id: int) -> ResponseReturnValue:
    """Change a training course, or retire it."""
    course = db.get_or_404(TrainingCourse, course_id)
    form = CourseEditForm(
        name=course.name,
        description=course.description,
        validity_months=str(course.validity_months or ""),
        is_active="yes" if course.is_active else "no",
    )
    if form.validate_on_submit():
        try:
            services.edit_course(
                course,
                actor=current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                validity_months=form.validity,
                is_active=form.is_active.data == "yes",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(f"{course.name} saved.", "success")
            return redirect(url_for("training.courses"))
    return render_template("training/course_form.html", form=form, course=course)


# Helpers ----------------------------------------------------------------------------------


def _course_choices(courses: list[TrainingCourse]) -> list[SelectChoice]:
    return [
        SelectChoice("", "Select a course"),
        *(SelectChoice(str(course.id), course.name) for course in courses),
    ]


def _evidence_from(form: RecordTrainingForm | DeclareTrainingForm) -> EvidenceFile | None:
    """The chosen file, read up to one byte past the limit so that "too big" can be said."""
    storage = form.evidence.data
    if request.method != "POST" or not isinstance(storage, FileStorage) or not storage.filename:
        return None
    return EvidenceFile(storage.filename, storage.read(MAX_UPLOAD_BYTES + 1))


def _file_again(
    form: RecordTrainingForm | DeclareTrainingForm, evidence: EvidenceFile | None
) -> str | None:
    """The name of a good file the browser will not send again after another field's error."""
    if evidence is None or form.evidence.errors:
        return None
    return evidence.filename
