"""Jinja set-up: NHS.UK frontend templates, filters and what every page needs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for
from flask_login import current_user
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader
from jinja2.bccache import Bucket, BytecodeCache

from payclaims import presenting
from payclaims.admin import presenters as admin_presenters
from payclaims.approvals import presenters as approvals_presenters
from payclaims.auth import presenters as auth_presenters
from payclaims.auth.models import FINANCE_ROLES, ROLE_DESCRIPTIONS, Role
from payclaims.benefits import presenters as benefits_presenters
from payclaims.claims import presenters as claims_presenters
from payclaims.costcentres import presenters as costcentres_presenters
from payclaims.dates import describe_hours, format_date, format_datetime
from payclaims.forms import PostForm, error_list
from payclaims.money import format_pence
from payclaims.people import presenters as people_presenters
from payclaims.roles import presenters as roles_presenters
from payclaims.security import csp_nonce
from payclaims.signups import presenters as signups_presenters
from payclaims.training import presenters as training_presenters

# (roles that see the item, label, endpoint, endpoints that mark it as the current page).
# An endpoint listed for several roles shows once.
STAFF_ROLES_FOR_ROLES = (Role.COORDINATOR, Role.ADMIN, *FINANCE_ROLES)
NAVIGATION: tuple[tuple[tuple[Role, ...], str, str, tuple[str, ...]], ...] = (
    ((Role.EXPERT,), "Home", "home.expert", ("home.expert",)),
    (
        (Role.EXPERT,),
        "Find roles",
        "roles.opportunities",
        ("roles.opportunities", "roles.opportunity", "signups.new"),
    ),
    (
        (Role.EXPERT,),
        "My roles",
        "signups.my_roles",
        ("signups.my_roles", "signups.mine", "signups.my_version", "signups.withdraw"),
    ),
    (
        (Role.EXPERT,),
        "My claims",
        "claims.mine",
        (
            "claims.mine",
            "claims.new",
            "claims.detail",
            "claims.add_fee_line",
            "claims.fee_choice",
            "claims.submit",
            "claims.withdraw",
        ),
    ),
    ((Role.EXPERT,), "My payments", "payments.mine", ("payments.mine",)),
    (
        (Role.EXPERT,),
        "My training",
        "training.my_training",
        ("training.my_training", "training.declare"),
    ),
    ((Role.COORDINATOR,), "Coordinator", "home.coordinator", ("home.coordinator",)),
    (
        (Role.COORDINATOR, Role.ADMIN),
        "Claims to confirm",
        "approvals.to_confirm",
        ("approvals.to_confirm", "approvals.confirm"),
    ),
    (FINANCE_ROLES, "Finance", "home.finance", ("home.finance",)),
    (
        FINANCE_ROLES,
        "Claims to approve",
        "approvals.queue",
        (
            "approvals.queue",
            "approvals.claim",
            "approvals.approve",
            "approvals.return_claim",
            "approvals.reject",
        ),
    ),
    # Next to the queue: the header folds later items into "More" on narrow screens.
    (
        (Role.FINANCE_ADMIN,),
        "Payment runs",
        "payments.runs",
        ("payments.runs", "payments.new_run", "payments.run"),
    ),
    (
        (Role.FINANCE_APPROVER,),
        "While I am away",
        "approvals.delegation",
        ("approvals.delegation",),
    ),
    ((Role.ADMIN,), "Admin", "home.admin", ("home.admin",)),
    (
        STAFF_ROLES_FOR_ROLES,
        "Roles",
        "roles.manage",
        (
            "roles.manage",
            "roles.new",
            "roles.detail",
            "roles.version",
            "roles.edit",
            "roles.preview",
            "signups.for_role",
            "signups.review",
        ),
    ),
    (
        (Role.COORDINATOR, Role.ADMIN),
        "Training",
        "training.records",
        (
            "training.records",
            "training.record_new",
            "training.record",
            "training.courses",
            "training.course_new",
            "training.course_edit",
        ),
    ),
    (
        FINANCE_ROLES,
        "Cost centres",
        "costcentres.index",
        ("costcentres.index", "costcentres.new", "costcentres.edit", "costcentres.approvers"),
    ),
    (
        (Role.FINANCE_ADMIN,),
        "Expense categories",
        "claims.category_rules",
        ("claims.category_rules", "claims.edit_category_rules"),
    ),
    (FINANCE_ROLES, "Bank details", "people.bank_changes", ("people.bank_changes",)),
    (
        FINANCE_ROLES,
        "Benefit rules",
        "benefits.rules",
        (
            "benefits.rules",
            "benefits.rule_history",
            "benefits.new_figure",
            "benefits.correct_figure",
        ),
    ),
    (
        FINANCE_ROLES,
        "People we pay",
        "people.payees",
        (
            "people.payees",
            "people.payment",
            "people.record_payment_method",
            "people.end_payment_method",
        ),
    ),
    (
        FINANCE_ROLES,
        "Tax-year totals",
        "payments.tax_year_totals",
        ("payments.tax_year_totals",),
    ),
    ((Role.ADMIN,), "People", "admin.people", ("admin.people", "admin.person", "admin.invite")),
    ((Role.ADMIN,), "Audit trail", "audit.events", ("audit.events",)),
)


# What templates show that needs a decision (a tag's colour and words, summary-list rows, the
# items of a form's choices), named for the template that calls them. Pages use them as they
# are: templates only display.
PRESENTERS: dict[str, Callable[..., Any]] = {
    "choice_items": presenting.choice_items,
    "select_items": presenting.select_items,
    "date_items": presenting.date_items,
    "page_link_args": presenting.page_link_args,
    "banner": presenting.banner,
    "person_status_tag": admin_presenters.person_status_tag,
    "email_tag": auth_presenters.email_tag,
    "cost_centre_status_tag": costcentres_presenters.status_tag,
    "claim_status_tag": claims_presenters.status_tag,
    "fee_choice_text": claims_presenters.fee_choice_text,
    "finance_status_tag": approvals_presenters.finance_status_tag,
    "benefits_tag": approvals_presenters.benefits_tag,
    "sign_up_status_tag": signups_presenters.status_tag,
    "sign_up_training_rows": signups_presenters.training_rows,
    "role_status_tag": roles_presenters.status_tag,
    "where_text": roles_presenters.where_text,
    "payment_setup_tag": people_presenters.setup_tag,
    "payment_setup_explanation": people_presenters.setup_explanation,
    "bank_details_status_tag": people_presenters.bank_details_status_tag,
    "bank_details_rows": people_presenters.bank_details_rows,
    "benefits_profile_rows": benefits_presenters.profile_rows,
    "benefits_result_rows": benefits_presenters.result_rows,
    "benefits_level_words": benefits_presenters.level_words,
    "figure_confidence_tag": benefits_presenters.confidence_tag,
    "confidence_note": benefits_presenters.confidence_note,
    "what_if_fee_hint": benefits_presenters.what_if_fee_hint,
    "training_status_tag": training_presenters.status_tag,
    "course_tag": training_presenters.course_tag,
    "training_record_rows": training_presenters.record_rows,
}


ROLE_DESCRIPTIONS_BY_VALUE = {role.value: text for role, text in ROLE_DESCRIPTIONS.items()}


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for the whole process.

    Each app builds its own Jinja environment; sharing compiled code means a second app in
    the same process (tests build one per test) does not compile the NHS.UK macros again.
    """

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` from memory when its source has not changed."""
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep ``bucket``'s compiled code."""
        self._store[bucket.key] = bucket.bytecode_to_string()


BYTECODE_CACHE = SharedBytecodeCache()


def escape_template(name: str | None) -> bool:
    """Whether a template's output is HTML-escaped: all but the plain-text email templates."""
    return name is None or not name.endswith(".txt")


def navigation() -> list[dict[str, Any]]:
    """The header links for the signed-in person's roles."""
    if not current_user.is_authenticated:
        return []
    items: dict[str, dict[str, Any]] = {}
    for roles, label, endpoint, current_for in NAVIGATION:
        if endpoint not in items and current_user.has_role(*roles):
            items[endpoint] = {
                "text": label,
                "href": url_for(endpoint),
                "current": request.endpoint in current_for,
            }
    return list(items.values())


def _page_globals() -> dict[str, Any]:
    config = current_app.config
    names = {
        "organisation_name": config["ORGANISATION_NAME"],
        "service_name": config["SERVICE_NAME"],
        "support_email": config["SUPPORT_EMAIL"],
    }
    if not has_request_context():  # an email sent by a command: no page, nobody signed in
        return names
    return {
        **names,
        "cspNonce": csp_nonce(),
        "navigation_items": navigation(),
        "sign_out_form": PostForm() if current_user.is_authenticated else None,
        "role_descriptions": ROLE_DESCRIPTIONS_BY_VALUE,
    }


# Characters that start a new line in a PDF (the slip keeps newlines: white-space: pre-line).
LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")


def one_line(text: object) -> str:
    """``text`` on one line: typed line breaks become spaces, so that text people type cannot
    add lines of its own to a document (a fake "Bank account" line on a slip, say)."""
    return LINE_BREAKS.sub(" ", str(text))


def init_app(app: Flask) -> None:
    """Load templates from ``templates/`` then nhsuk-frontend-jinja; add filters and globals."""
    app.jinja_options = {
        **app.jinja_options,
        # The NHS.UK macros read optional nested parameters, which needs ChainableUndefined.
        "undefined": ChainableUndefined,
        # Flask escapes only .html-like templates; the NHS.UK macros are .jinja files and
        # render what people typed, so everything is escaped except plain-text emails.
        "autoescape": escape_template,
        "bytecode_cache": BYTECODE_CACHE,
    }
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder or "templates"),
            PackageLoader("nhsuk_frontend_jinja"),
        ]
    )
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_pence, "pence")
    app.add_template_filter(describe_hours, "hours_text")
    app.add_template_filter(one_line, "one_line")
    app.add_template_global(error_list, "error_list")
    for name, presenter in PRESENTERS.items():
        app.add_template_global(presenter, name)
    app.context_processor(_page_globals)
