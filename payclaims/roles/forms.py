"""Forms for writing role descriptions and for filtering the lists of roles."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import TextInput

from payclaims.auth.models import User
from payclaims.costcentres.models import CostCentre
from payclaims.forms import DateField, PenceField, SelectChoice, strip_text
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import (
    FeeUnit,
    InvolvementLevel,
    LocationType,
    RoleDescription,
    RoleStatus,
    RoleVersion,
)
from payclaims.roles.services import (
    HALF_DAY_MINUTES,
    MAX_FEE_PENCE,
    MAX_PLACES,
    MAX_SESSION_MINUTES,
    SESSION_TOO_LONG_FOR_HALF_DAY,
    RoleContent,
)
from payclaims.training.models import TrainingCourse

LONG_TEXT = 5000
# Control characters, format characters, and line and paragraph separators.
UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp"})
PAID, EXPENSES_ONLY = "fee", "expenses"

LEVEL_CHOICES = [SelectChoice(level.value, level.label) for level in InvolvementLevel]
LOCATION_CHOICES = [SelectChoice(kind.value, kind.label) for kind in LocationType]
PAY_CHOICES = [SelectChoice(PAID, "A fee"), SelectChoice(EXPENSES_ONLY, "Expenses only")]
FEE_UNIT_CHOICES = [SelectChoice(unit.value, unit.label.capitalize()) for unit in FeeUnit]
EXPENSE_CHOICES = [SelectChoice(category.value, category.label) for category in ExpenseCategory]


def hours_text(minutes: int) -> str:
    """Minutes as the hours a coordinator types: 150 -> '2.5', 180 -> '3'."""
    return f"{(Decimal(minutes) / 60).normalize():f}"


class _TypedTextField(Field):
    """A value typed as text and parsed on validation; what was typed is shown again."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raw_text: str | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep the typed text; parsing waits for validation so the message can be shown."""
        self.raw_text = str(valuelist[0]) if valuelist else ""
        self.data = None

    def pre_validate(self, form: Any) -> None:
        """Parse the typed text, or stop with a message next to the field."""
        text = (self.raw_text or "").strip()
        if text:
            self.data = self.parse(text)

    def parse(self, text: str) -> Any:
        """The value of ``text``; raise StopValidation saying what is wrong with it."""
        raise NotImplementedError

    def show(self, data: Any) -> str:
        """``data`` as it would be typed."""
        return str(data)

    def _value(self) -> str:
        if self.raw_text is not None:
            return self.raw_text
        return "" if self.data is None else self.show(self.data)


class HoursField(_TypedTextField):
    """Hours per session typed as a number ('2.5'), held as whole minutes in ``data``."""

    def parse(self, text: str) -> int:
        """Turn '2.5' into 150 minutes, within 0 and 12 hours."""
        try:
            hours = Decimal(text)
        except InvalidOperation:
            hours = Decimal("NaN")
        if not hours.is_finite():
            raise StopValidation("Enter hours per session as a number, like 2.5")
        if hours <= 0:
            raise StopValidation("Hours per session must be more than 0")
        if hours > MAX_SESSION_MINUTES // 60:
            raise StopValidation("Hours per session must be 12 or fewer")
        minutes = hours * 60
        if minutes != minutes.to_integral_value():
            raise StopValidation("Enter hours per session to the nearest minute, like 1.5 or 2.25")
        return int(minutes)

    def show(self, data: Any) -> str:
        """150 minutes as '2.5'."""
        return hours_text(int(data))


class PlacesField(_TypedTextField):
    """A number of places, 1 to 500."""

    def parse(self, text: str) -> int:
        """Turn '3' into 3."""
        if not text.isdecimal():
            raise StopValidation("Places must be a whole number, like 3")
        places = int(text)
        if places < 1:
            raise StopValidation("Places must be 1 or more")
        if places > MAX_PLACES:
            raise StopValidation(f"Places must be {MAX_PLACES} or fewer")
        return places


def _choice(label: str, choices: list[SelectChoice], message: str) -> SelectField:
    """Radios that must be answered; nothing chosen and an unknown value both get ``message``."""
    return SelectField(
        label,
        choices=choices,
        validate_choice=False,
        validators=[DataRequired(message), _one_of(choices, message)],
    )


def _one_of(choices: list[SelectChoice], message: str) -> Any:
    values = {choice.value for choice in choices}

    def check(form: Any, field: Field) -> None:
        if field.data not in values:
            raise ValidationError(message)

    return check


def _single_line(label: str) -> Any:
    """Refuse line breaks, tabs and other control characters in a one-line field.

    A title ends up in email subjects, where a line break would start a new header.
    """
    message = f"{label} must be on one line, without tabs or other special characters"

    def check(form: Any, field: Field) -> None:
        if any(unicodedata.category(char) in UNPRINTABLE for char in field.data or ""):
            raise ValidationError(message)

    return check


def _listed(message: str) -> Any:
    """Insist on one of the field's choices, saying ``message`` instead of 'Not a valid choice'."""

    def check(form: Any, field: Any) -> None:
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError(message)

    return check


def _long_text(label: str, required: str | None = None) -> TextAreaField:
    validators: list[Any] = [DataRequired(required)] if required else []
    validators.append(
        Length(max=LONG_TEXT, message=f"{label} must be {LONG_TEXT:,} characters or fewer")
    )
    return TextAreaField(label, filters=[strip_text], validators=validators)


class RoleForm(FlaskForm):
    """Every field of a role description. Coordinator and cost centre belong to the role."""

    title = StringField(
        "Title",
        filters=[strip_text],
        validators=[
            DataRequired("Enter a title"),
            Length(max=200, message="Title must be 200 characters or fewer"),
            _single_line("Title"),
        ],
    )
    purpose = _long_text("Purpose", "Enter the purpose of the role")
    activities = _long_text("What you will do", "Enter what people will do")
    level = _choice("Involvement level", LEVEL_CHOICES, "Select the involvement level")
    location_type = _choice(
        "In person or remote", LOCATION_CHOICES, "Select whether the role is in person or remote"
    )
    venue = StringField(
        "Venue",
        filters=[strip_text],
        validators=[
            Length(max=300, message="Venue must be 300 characters or fewer"),
            _single_line("Venue"),
        ],
    )
    venue_accessibility = _long_text("Venue accessibility")
    time_commitment = _long_text("Time commitment", "Enter the time commitment")
    session_hours = HoursField(
        "Hours per session", validators=[DataRequired("Enter the hours per session")]
    )
    pay = _choice("Pay", PAY_CHOICES, "Select whether the role pays a fee or expenses only")
    fee_pence = PenceField("Fee", allow_zero=False)
    fee_unit = SelectField("Fee paid", choices=FEE_UNIT_CHOICES, validate_choice=False)
    expense_categories = SelectMultipleField("Expenses covered", choices=EXPENSE_CHOICES)
    course_ids = SelectMultipleField("Training needed", choices=[])
    support_offered = _long_text("Support offered", "Enter the support offered")
    places = PlacesField("Places", validators=[DataRequired("Enter the number of places")])
    closing_on = DateField("Closing date", validators=[DataRequired("Enter the closing date")])
    # The choices come from the database; _listed words an unknown one (a coordinator who
    # left while the form was open, say) better than WTForms' "Not a valid choice".
    coordinator_id = SelectField(
        "Coordinator",
        choices=[],
        validate_choice=False,
        validators=[
            DataRequired("Select a coordinator"),
            _listed("Select a coordinator from the list"),
        ],
    )
    cost_centre_id = SelectField(
        "Cost centre",
        choices=[],
        validate_choice=False,
        validators=[
            DataRequired("Select a cost centre"),
            _listed("Select a cost centre from the list"),
        ],
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def offer(
        self,
        *,
        coordinators: Sequence[User],
        cost_centres: Sequence[CostCentre],
        courses: Sequence[TrainingCourse],
    ) -> None:
        """Fill the choices that come from the database."""
        self.coordinator_id.choices = [
            SelectChoice("", "Select a coordinator"),
            *(SelectChoice(str(person.id), person.name) for person in coordinators),
        ]
        self.cost_centre_id.choices = [
            SelectChoice("", "Select a cost centre"),
            *(SelectChoice(str(centre.id), centre.label) for centre in cost_centres),
        ]
        self.course_ids.choices = [SelectChoice(str(course.id), course.name) for course in courses]

    @property
    def level_descriptions(self) -> dict[str, str]:
        """What each involvement level means, for the hints under its radios."""
        return {level.value: level.explanation for level in InvolvementLevel}

    @property
    def is_paid(self) -> bool:
        """Whether 'A fee' is chosen."""
        return bool(self.pay.data == PAID)

    @property
    def is_in_person(self) -> bool:
        """Whether 'In person' is chosen."""
        return bool(self.location_type.data == LocationType.IN_PERSON.value)

    def validate(self, extra_validators: Any = None) -> bool:
        """Check every field; fee and venue fields count only when the role needs them."""
        super().validate(extra_validators)
        if not self.is_paid:
            self.fee_pence.errors, self.fee_unit.errors = [], []
        if not self.is_in_person:
            self.venue.errors, self.venue_accessibility.errors = [], []
        return not self.form_errors and not any(field.errors for field in self)

    def validate_venue(self, field: Field) -> None:
        """A venue is needed for a role in person."""
        if self.is_in_person and not field.data:
            raise ValidationError("Enter the venue")

    def validate_venue_accessibility(self, field: Field) -> None:
        """So is what the venue offers: step-free access, toilets, hearing loop, quiet room."""
        if self.is_in_person and not field.data:
            raise ValidationError("Describe the venue's accessibility")

    def validate_fee_pence(self, field: Field) -> None:
        """A paid role needs its fee."""
        if self.is_paid and field.data is None:
            raise ValidationError("Enter the fee")
        if field.data is not None and field.data > MAX_FEE_PENCE:
            raise ValidationError("The fee must be £10,000.00 or less")

    def validate_fee_unit(self, field: Field) -> None:
        """A paid role says what the fee is paid per; a half day is up to 4 hours."""
        if field.data not in {choice.value for choice in FEE_UNIT_CHOICES}:
            raise ValidationError("Select what the fee is paid per")
        minutes = self.session_hours.data
        if field.data == FeeUnit.HALF_DAY.value and minutes and minutes > HALF_DAY_MINUTES:
            raise ValidationError(SESSION_TOO_LONG_FOR_HALF_DAY)

    def validate_closing_on(self, field: Field) -> None:
        """People cannot sign up to a role that has already closed."""
        if field.data < self.today:
            raise ValidationError("The closing date must be today or in the future")

    def content(self) -> RoleContent:
        """What was typed, once valid, as the services take it."""
        paid = self.is_paid
        return RoleContent(
            title=self.title.data or "",
            purpose=self.purpose.data or "",
            activities=self.activities.data or "",
            level=InvolvementLevel(self.level.data),
            location_type=LocationType(self.location_type.data),
            venue=self.venue.data or "",
            venue_accessibility=self.venue_accessibility.data or "",
            time_commitment=self.time_commitment.data or "",
            session_minutes=self.session_hours.data,
            fee_pence=self.fee_pence.data if paid else None,
            fee_unit=FeeUnit(self.fee_unit.data) if paid else None,
            expense_categories=tuple(
                ExpenseCategory(value) for value in self.expense_categories.data or []
            ),
            course_ids=tuple(int(value) for value in self.course_ids.data or []),
            support_offered=self.support_offered.data or "",
            places=self.places.data,
            closing_on=self.closing_on.data,
            coordinator_id=int(self.coordinator_id.data),
            cost_centre_id=int(self.cost_centre_id.data),
        )


def role_form_data(role: RoleDescription, version: RoleVersion) -> dict[str, Any]:
    """What the role form shows before any change: ``version`` and the role's own fields."""
    return {
        "title": version.title,
        "purpose": version.purpose,
        "activities": version.activities,
        "level": version.level.value,
        "location_type": version.location_type.value,
        "venue": version.venue,
        "venue_accessibility": version.venue_accessibility,
        "time_commitment": version.time_commitment,
        "session_hours": version.session_minutes,
        "pay": PAID if version.is_paid else EXPENSES_ONLY,
        "fee_pence": version.fee_pence,
        "fee_unit": version.fee_unit.value if version.fee_unit else None,
        "expense_categories": list(version.expense_categories),
        "course_ids": [str(course.id) for course in version.required_courses],
        "support_offered": version.support_offered,
        "places": version.places,
        "closing_on": version.closing_on,
        "coordinator_id": str(role.coordinator_id),
        "cost_centre_id": str(role.cost_centre_id),
    }


class StaffRolesFilterForm(FlaskForm):
    """Filter the staff list of roles (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            *(SelectChoice(status.value, status.label) for status in RoleStatus),
        ],
        default="",
        validators=[Optional()],
    )
    only = SelectMultipleField(
        "Coordinator", choices=[SelectChoice("mine", "Only roles I coordinate")]
    )


class OpportunityFilterForm(FlaskForm):
    """Filter the open roles people can sign up to (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    where = SelectField(
        "Where",
        choices=[SelectChoice("", "In person or remote"), *LOCATION_CHOICES],
        default="",
        validators=[Optional()],
    )
    level = SelectField(
        "Involvement level",
        choices=[SelectChoice("", "Any level"), *LEVEL_CHOICES],
        default="",
        validators=[Optional()],
    )
    pay = SelectField(
        "Pay",
        choices=[
            SelectChoice("", "A fee or expenses only"),
            SelectChoice(PAID, "Pays a fee"),
            SelectChoice(EXPENSES_ONLY, "Expenses only"),
        ],
        default="",
        validators=[Optional()],
    )
