"""Forms for training courses, records and the filters on the list of records."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from payclaims.forms import DateField, SelectChoice, strip_text

MAX_VALIDITY_MONTHS = 120
ACTIVE_CHOICES = [
    SelectChoice("yes", "Yes, offer it for new training records and roles"),
    SelectChoice("no", "No, retire it"),
]


class ListSelectField(SelectField):
    """A select that refuses a value not in its list (a course retired meanwhile) in words."""

    def __init__(self, *args: Any, unlisted_message: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unlisted_message = unlisted_message

    def pre_validate(self, form: Any) -> None:
        """Check the value is one of the choices; no value at all is for DataRequired."""
        if not self.data:
            return
        try:
            super().pre_validate(form)
        except ValidationError as error:
            raise StopValidation(self.unlisted_message) from error


class CourseForm(FlaskForm):
    """Add a training course."""

    name = StringField(
        "Course name",
        filters=[strip_text],
        validators=[
            DataRequired("Enter the course name"),
            Length(max=200, message="Course name must be 200 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "What the course covers (optional)",
        filters=[strip_text],
        validators=[Length(max=2000, message="Description must be 2000 characters or fewer")],
    )
    validity_months = StringField(
        "How many months the training stays valid (optional)",
        filters=[strip_text],
        validators=[
            Optional(),
            Regexp(r"^\d{1,3}$", message="Enter a whole number of months, like 12"),
        ],
    )

    def validate_validity_months(self, field: StringField) -> None:
        """Between 1 month and 10 years (once it is a whole number at all)."""
        if field.errors or not field.data:
            return
        if not 1 <= int(field.data) <= MAX_VALIDITY_MONTHS:
            raise ValidationError(f"Enter a number of months between 1 and {MAX_VALIDITY_MONTHS}")

    @property
    def validity(self) -> int | None:
        """The typed validity in months, or None: the training does not expire."""
        return int(self.validity_months.data) if self.validity_months.data else None


class CourseEditForm(CourseForm):
    """Change a training course, or retire it."""

    is_active = RadioField(
        "Is the course still offered?",
        choices=ACTIVE_CHOICES,
        validators=[DataRequired("Select whether the course is still offered")],
    )


EVIDENCE_LABEL = "Certificate or other evidence (optional)"


class RecordTrainingForm(FlaskForm):
    """A coordinator records training someone has done."""

    person = ListSelectField(
        "Person",
        unlisted_message="Select a person from the list",
        validators=[DataRequired("Select the person")],
    )
    course = ListSelectField(
        "Course",
        unlisted_message="Select a course from the list",
        validators=[DataRequired("Select the course")],
    )
    completed_on = DateField(
        "Date completed", validators=[DataRequired("Enter the date the course was completed")]
    )
    # An optional certificate: PDF, JPEG or PNG, checked by the service.
    evidence = FileField(EVIDENCE_LABEL)


class DeclareTrainingForm(FlaskForm):
    """A person tells us about training they have done."""

    course = ListSelectField(
        "Course",
        unlisted_message="Select a course from the list",
        validators=[DataRequired("Select the course")],
    )
    completed_on = DateField(
        "Date you completed it", validators=[DataRequired("Enter the date you completed it")]
    )
    evidence = FileField(EVIDENCE_LABEL)


EXPIRING = "expiring"
AWAITING = "awaiting"
SHOW_CHOICES = [
    SelectChoice(EXPIRING, "Expires within 30 days"),
    SelectChoice(AWAITING, "Awaiting verification"),
]


class FilterCheckboxes(SelectMultipleField):
    """Several filters chosen with checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RecordFilterForm(FlaskForm):
    """Filter the list of everyone's training records (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    course = SelectField("Course", validators=[Optional()])
    q = StringField("Name or email", filters=[strip_text], validators=[Optional(), Length(max=254)])
    show = FilterCheckboxes("Show only", choices=SHOW_CHOICES, validators=[Optional()])

    def __init__(self, *args: Any, courses: list[SelectChoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course.choices = [SelectChoice("", "All courses"), *courses]


class RejectTrainingForm(FlaskForm):
    """Why self-declared training is not accepted."""

    reason = TextAreaField(
        "Why is this training not accepted?",
        filters=[strip_text],
        validators=[
            DataRequired("Say why this training is not accepted"),
            Length(max=1000, message="The reason must be 1,000 characters or fewer"),
        ],
    )
