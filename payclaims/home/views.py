"""Home pages for each role, and the pages every service has (accessibility, privacy)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from payclaims.approvals.queue import finance_summary, to_confirm_count
from payclaims.auth.access import public, roles_required
from payclaims.auth.models import FINANCE_ROLES, Role
from payclaims.dates import uk_today
from payclaims.forms import PostForm
from payclaims.home.services import coordinator_summary, expert_summary
from payclaims.people.confirmation import waiting_count as bank_details_waiting_count

bp = Blueprint("home", __name__)

# Where "/" takes a person, by the first role they hold in this order.
HOME_FOR_ROLE = (
    (Role.EXPERT, "home.expert"),
    (Role.COORDINATOR, "home.coordinator"),
    (Role.FINANCE_APPROVER, "home.finance"),
    (Role.FINANCE_ADMIN, "home.finance"),
    (Role.ADMIN, "home.admin"),
)


@bp.route("/")
@public
def index() -> Response:
    """Send a signed-in person to their home page, anyone else to sign in."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    for role, endpoint in HOME_FOR_ROLE:
        if current_user.has_role(role):
            return redirect(url_for(endpoint))
    return redirect(url_for("auth.account"))


@bp.route("/expert")
@roles_required(Role.EXPERT)
def expert() -> str:
    """Home page for experts by experience."""
    summary = expert_summary(current_user, uk_today())
    return render_template("home/expert.html", form=PostForm(), summary=summary)


@bp.route("/coordinator")
@roles_required(Role.COORDINATOR)
def coordinator() -> str:
    """Home page for coordinators."""
    summary = coordinator_summary(current_user, uk_today())
    return render_template(
        "home/coordinator.html", summary=summary, claims_to_confirm=to_confirm_count(current_user)
    )


@bp.route("/finance")
@roles_required(*FINANCE_ROLES)
def finance() -> str:
    """Home page for finance approvers and finance admins."""
    return render_template(
        "home/finance.html",
        runs_payments=current_user.has_role(Role.FINANCE_ADMIN),
        bank_details_to_check=bank_details_waiting_count(),
        approving=current_user.has_role(Role.FINANCE_APPROVER),
        claims=finance_summary(current_user, uk_today()),
    )


@bp.route("/admin")
@roles_required(Role.ADMIN)
def admin() -> str:
    """Home page for admins."""
    return render_template("home/admin.html")


@bp.route("/accessibility")
@public
def accessibility() -> str:
    """The accessibility statement."""
    return render_template("home/accessibility.html")


@bp.route("/privacy")
@public
def privacy() -> str:
    """The privacy notice."""
    return render_template("home/privacy.html")
