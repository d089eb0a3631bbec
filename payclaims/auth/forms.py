"""Forms for signing up, signing in and managing one's own account."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from payclaims.forms import strip_text

EMAIL_REQUIRED = "Enter your email address"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


class SignUpForm(FlaskForm):
    """Create an expert-by-experience account."""

    name = StringField(
        "Full name",
        filters=[strip_text],
        validators=[
            DataRequired("Enter your name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    email = EmailField(
        "Email address",
        filters=[strip_text],
        validators=[
            DataRequired(EMAIL_REQUIRED),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_FORMAT),
        ],
    )
    password = PasswordField("Create a password", validators=[DataRequired("Enter a password")])


class SignInForm(FlaskForm):
    """Sign in with an email address and password."""

    email = EmailField(
        "Email address",
        filters=[strip_text],
        validators=[DataRequired(EMAIL_REQUIRED), Length(max=254, message=EMAIL_FORMAT)],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password"),
            Length(max=1024, message="Password is too long"),
        ],
    )
    remember = BooleanField("Keep me signed in on this device")


class ForgotPasswordForm(FlaskForm):
    """Ask for a password reset link."""

    email = EmailField(
        "Email address",
        filters=[strip_text],
        validators=[
            DataRequired(EMAIL_REQUIRED),
            Length(max=254, message=EMAIL_FORMAT),
            Email(EMAIL_FORMAT),
        ],
    )


class NewPasswordForm(FlaskForm):
    """Choose a password, from a reset link or an invitation."""

    password = PasswordField("New password", validators=[DataRequired("Enter a new password")])


class ChangePasswordForm(FlaskForm):
    """Change one's password, giving the current one."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )
    password = PasswordField("New password", validators=[DataRequired("Enter a new password")])


class ChangeEmailForm(FlaskForm):
    """Change one's email address, giving the password."""

    new_email = EmailField(
        "New email address",
        filters=[strip_text],
        validators=[
            DataRequired("Enter your new email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_FORMAT),
        ],
    )
    password = PasswordField("Your password", validators=[DataRequired("Enter your password")])
