"""What pages about paying people show that needs a decision: how a person is paid, bank rows."""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup

from payclaims.dates import format_date
from payclaims.people.bank_details import ShownBankDetails
from payclaims.people.payment_setup import PaidBy, PaymentSetup
from payclaims.presenting import SummaryRow, Tag, html_row, row, tag


def setup_tag(setup: PaymentSetup) -> Tag:
    """What a person is paid by, as a short tag: orange while it waits for finance's check."""
    method = setup.other_method
    if method is not None:
        if not method.is_confirmed:
            return tag(f"{method.method.label}, waiting to be checked", "orange")
        return tag(method.method.label, "blue")
    if setup.paid_by is PaidBy.BANK_DETAILS_CONFIRMED:
        return tag("Bank details checked", "green")
    if setup.paid_by is PaidBy.BANK_DETAILS_UNCONFIRMED:
        return tag("Bank details waiting to be checked", "orange")
    return tag("Not set up", "grey")


def setup_explanation(setup: PaymentSetup) -> Markup:
    """What a person's payment set-up means for finance, in a sentence or two (HTML)."""
    method = setup.other_method
    if method is not None:
        if not method.is_confirmed:
            return Markup(
                "Finance recorded that we pay them {phrase}, not into a bank account. We pay "
                "nothing this way until another member of the finance team has checked it. "
                "They can still send claims meanwhile."
            ).format(phrase=method.method.phrase)
        return Markup("We pay them {phrase}, not into a bank account.").format(
            phrase=method.method.phrase
        )
    if setup.paid_by is PaidBy.BANK_DETAILS_CONFIRMED:
        return Markup("We pay them into the bank account below.")
    if setup.paid_by is PaidBy.BANK_DETAILS_UNCONFIRMED:
        return Markup(
            "They have given bank details, but nobody in finance has checked them yet. We pay "
            'nothing into them until then: <a href="{href}">check bank details</a>.'
        ).format(href=url_for("people.bank_changes"))
    return Markup(
        "They have no bank details and no other way to pay them. They cannot send claims "
        "until they add bank details or a finance admin records another way to pay them."
    )


def bank_details_status_tag(details: ShownBankDetails) -> Tag:
    """Whether finance has checked a person's bank details, as a tag."""
    if details.is_confirmed:
        return tag("Checked", "green")
    return tag("Waiting to be checked", "orange")


def bank_details_rows(details: ShownBankDetails, *, status_html: Markup) -> list[SummaryRow]:
    """A person's own bank details, masked, as summary-list rows (the roll number only when
    there is one); the status (a tag and a line) comes rendered, as HTML."""
    rows = [
        row("Name on the account", details.name_on_account),
        row("Sort code", details.sort_code),
        row("Account number", f"ending {details.account_ending}"),
    ]
    if details.roll_number:
        rows.append(row("Building society roll number", details.roll_number))
    rows += [
        row("Added on", format_date(details.created_at)),
        html_row("Status", status_html),
    ]
    return rows
