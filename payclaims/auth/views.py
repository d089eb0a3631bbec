"""Sign-up, sign-in, sign-out, emailed links and one's own account settings."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from payclaims.auth import services
from payclaims.auth.access import public, signed_in
from payclaims.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    NewPasswordForm,
    SignInForm,
    SignUpForm,
)
from payclaims.auth.limits import limit_account_changes
from payclaims.auth.models import Role, User
from payclaims.auth.tokens import LinkPurpose
from payclaims.database import utc_now
from payclaims.errors import DomainError, InvalidLink
from payclaims.extensions import limiter
from payclaims.forms import PostForm, add_error
from payclaims.people.payment_setup import status_text as bank_details_status

bp = Blueprint("auth", __name__)


def _limit(key: str) -> str:
    return str(current_app.config[key])


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, otherwise None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def start_session(user: User, *, remember: bool = False) -> None:
    """Sign ``user`` in with a brand-new session (nothing carried over from before)."""
    session.clear()
    login_user(user, remember=remember)
    session.permanent = True
    now = utc_now().timestamp()
    session["signed_in_at"] = now
    session["seen_at"] = now


def end_session() -> None:
    """Sign out and forget everything in the session, the remember-me cookie included."""
    session.clear()
    # After clearing: logout_user marks the remember cookie for deletion in the session.
    logout_user()


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_SIGN_IN"), methods=["POST"])
def sign_in() -> ResponseReturnValue:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    remember_allowed = current_app.config["REMEMBER_ME_DAYS"] > 0
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data or "", form.password.data or "", ip_address=request.remote_addr
            )
        except DomainError as error:
            add_error(form, error)
        else:
            start_session(user, remember=remember_allowed and bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("auth/sign_in.html", form=form, remember_allowed=remember_allowed)


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out() -> Response:
    """Sign out (POST only, with a CSRF token)."""
    form = PostForm()
    if form.validate_on_submit():
        services.record_sign_out(current_user, ip_address=request.remote_addr)
        end_session()
        flash("You have signed out.", "success")
        return redirect(url_for("auth.sign_in"))
    return redirect(url_for("home.index"))


@bp.route("/sign-up", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_SIGN_UP"), methods=["POST"])
def sign_up() -> ResponseReturnValue:
    """Create an account as an expert by experience."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            services.register_expert(
                name=form.name.data or "",
                email=form.email.data or "",
                password=form.password.data or "",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            session["check_email_address"] = services.normalise_email(form.email.data or "")
            return redirect(url_for("auth.check_email"))
    return render_template("auth/sign_up.html", form=form)


@bp.route("/sign-up/check-your-email")
@public
def check_email() -> str:
    """Tell a new person to follow the link we emailed."""
    return render_template("auth/check_email.html", email=session.get("check_email_address"))


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
@public
def verify_email(token: str) -> ResponseReturnValue:
    """Confirm an email address. GET shows a button, so link scanners change nothing."""
    form = PostForm()
    if form.validate_on_submit():
        try:
            services.verify_email(token, ip_address=request.remote_addr)
        except InvalidLink as error:
            return _link_problem(error)
        flash("Your email address is confirmed.", "success")
        return redirect(url_for("home.index" if current_user.is_authenticated else "auth.sign_in"))
    return render_template("auth/verify_email.html", form=form)


@bp.route("/verify-email/send-again", methods=["POST"])
@signed_in
@limiter.limit(lambda: _limit("RATELIMIT_PASSWORD_RESET"))
def resend_verification() -> Response:
    """Email a new verification link to the signed-in person."""
    form = PostForm()
    if form.validate_on_submit() and not current_user.is_email_verified:
        services.send_verification_email(current_user)
        flash(f"We have sent a new link to {current_user.email}.", "success")
    return redirect(url_for("auth.account"))


def _typed_email() -> str:
    """Rate-limit key: the email address typed into the form, so one inbox is not flooded."""
    return "email:" + services.normalise_email(str(request.form.get("email", "")))


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_PASSWORD_RESET"), methods=["POST"])
@limiter.limit(
    lambda: _limit("RATELIMIT_PASSWORD_RESET_PER_EMAIL"), methods=["POST"], key_func=_typed_email
)
def forgot_password() -> ResponseReturnValue:
    """Ask for a password reset link; the answer is the same for any address."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "", ip_address=request.remote_addr)
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password through an emailed link."""

    def done(_user: User) -> Response:
        end_session()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("auth.sign_in"))

    return _password_from_link(LinkPurpose.RESET_PASSWORD, token, done)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> ResponseReturnValue:
    """Set a first password from a staff invitation, then sign in."""

    def done(user: User) -> Response:
        start_session(user)
        flash("Your password is set and you are signed in.", "success")
        return redirect(url_for("home.index"))

    return _password_from_link(LinkPurpose.INVITATION, token, done)


def _password_from_link(
    purpose: LinkPurpose, token: str, done: Callable[[User], Response]
) -> ResponseReturnValue:
    try:
        user = services.user_for_password_link(purpose, token)
    except InvalidLink as error:
        return _link_problem(error)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.set_password_from_link(
                purpose, token, form.password.data or "", ip_address=request.remote_addr
            )
        except InvalidLink as error:
            return _link_problem(error)
        except DomainError as error:
            add_error(form, error)
        else:
            return done(user)
    invitation = purpose is LinkPurpose.INVITATION
    return render_template("auth/new_password.html", form=form, user=user, invitation=invitation)


def _link_problem(error: InvalidLink) -> ResponseReturnValue:
    return render_template("auth/link_problem.html", message=error.message), 400


@bp.route("/account")
@signed_in
def account() -> str:
    """Show one's own account details."""
    return render_template(
        "auth/account.html",
        form=PostForm(),
        bank_details_status=(
            bank_details_status(current_user) if current_user.has_role(Role.EXPERT) else None
        ),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@limit_account_changes
def change_password() -> ResponseReturnValue:
    """Change one's password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                current_password=form.current_password.data or "",
                new_password=form.password.data or "",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            # The change signed out every session; keep this one with a fresh start.
            start_session(current_user._get_current_object())
            flash("Your password has been changed. Other devices have been signed out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@signed_in
@limit_account_changes
def change_email() -> ResponseReturnValue:
    """Ask to change one's email address."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(
                current_user,
                new_email=form.new_email.data or "",
                password=form.password.data or "",
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            add_error(form, error)
        else:
            flash(
                f"We have sent a link to {form.new_email.data}. Your email address changes "
                "when you follow it.",
                "success",
            )
            return redirect(url_for("auth.account"))
    return render_template("auth/change_email.html", form=form)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email_change(token: str) -> ResponseReturnValue:
    """Confirm a new email address. GET shows a button, so link scanners change nothing."""
    form = PostForm()
    if form.validate_on_submit():
        try:
            services.confirm_email_change(token, ip_address=request.remote_addr)
        except InvalidLink as error:
            return _link_problem(error)
        flash("Your email address has been changed.", "success")
        return redirect(
            url_for("auth.account" if current_user.is_authenticated else "auth.sign_in")
        )
    return render_template("auth/confirm_email_change.html", form=form)
