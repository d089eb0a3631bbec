"""Claims through the browser's eyes: pages, forms, who sees what, and query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask

from payclaims.auth.models import Role, User
from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims import access, drafts, fees, submission
from payclaims.claims.models import ClaimStatus
from payclaims.extensions import db
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.helpers import (
    date_fields,
    error_near,
    load_claim,
    page_queries,
    page_text,
    sign_in,
)

LAST_WEEK = date.today() - timedelta(days=7)


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    """The role's coordinator."""
    return make_user(name="Cora Coordinator", email="cora@example.org", roles=(Role.COORDINATOR,))


@pytest.fixture
def expert(make_user: Callable[..., User], give_bank_details: Callable[..., None]) -> User:
    """An expert by experience with bank details."""
    person = make_user(name="Eli Expert", email="eli@example.org")
    give_bank_details(person)
    return person


@pytest.fixture
def role(make_role: Callable[..., RoleDescription], coordinator: User) -> RoleDescription:
    """An hourly role at £20 an hour."""
    return make_role(coordinator=coordinator)


@pytest.fixture
def sign_up(make_sign_up: Callable[..., SignUp], role: RoleDescription, expert: User) -> SignUp:
    """The expert's accepted sign-up."""
    return make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)


@pytest.fixture
def make_claim(app: Flask) -> Callable[..., int]:
    """Start a claim on ``sign_up`` with fee lines (one per date given); return its id."""

    def build(
        sign_up: SignUp,
        *,
        actor: User | None = None,
        dates: tuple[date, ...] = (LAST_WEEK,),
        submit: bool = False,
    ) -> int:
        with app.app_context():
            actor_user = db.session.get(User, (actor.id if actor else sign_up.person_id))
            loaded = db.session.get(SignUp, sign_up.id)
            assert actor_user is not None and loaded is not None
            claim_id = drafts.start_claim(loaded, actor=actor_user).id
            for on in dates:
                claim = access.load_claim(claim_id)
                assert claim is not None
                fees.add_fee_line(
                    claim,
                    actor=actor_user,
                    session_on=on,
                    description="Interview panel",
                    units=Decimal(3),
                )
            if submit:
                claim = access.load_claim(claim_id)
                assert claim is not None
                submission.submit_claim(claim, actor=actor_user, declared=True, today=date.today())
        return claim_id

    return build


# The person's journey ----------------------------------------------------------------------


def test_start_claim_from_my_claims_opens_a_draft(app, client, expert, sign_up):
    sign_in(client, expert)
    mine = client.get("/my-claims")
    assert "Start a claim for Interview panel member" in page_text(mine)

    response = client.post(f"/sign-ups/{sign_up.id}/claims/new")

    assert response.status_code == 302
    claim_id = int(response.headers["Location"].rsplit("/", 1)[1])
    claim = load_claim(app, claim_id)
    assert claim.status is ClaimStatus.DRAFT
    assert "Draft: not sent yet" in page_text(client.get("/my-claims"))


def test_my_sign_up_page_links_to_start_a_claim(client, expert, sign_up):
    sign_in(client, expert)

    page = page_text(client.get(f"/my-roles/{sign_up.id}"))

    assert "Start a claim for this role" in page


def test_add_fee_line_form_adds_a_line_with_the_server_amount(
    app, client, expert, sign_up, make_claim
):
    claim_id = make_claim(sign_up, dates=())
    sign_in(client, expert)

    response = client.post(
        f"/claims/{claim_id}/fees/new",
        data={
            **date_fields(LAST_WEEK),
            "description": "Interview panel",
            "units": "2.5",
            "prep_hours": "1",
            "amount_pence": "999999",  # ignored: the server works the amount out
        },
    )

    assert response.status_code == 302
    (line,) = load_claim(app, claim_id).lines
    assert line.amount_pence == 5000 + 2000
    page = page_text(client.get(f"/claims/{claim_id}"))
    assert "2.5 hours, and 1 hour preparation" in page
    assert "£70.00" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("units", "1.234", "no more than 2 decimal places"),
        ("units", "three", "Enter a number"),
        ("units", "30", "at most 24 hours"),
        ("prep_hours", "lots", "preparation time in hours"),
    ],
)
def test_add_fee_line_with_a_wrong_number_shows_it_next_to_the_field(
    app, client, expert, sign_up, make_claim, field, value, message
):
    claim_id = make_claim(sign_up, dates=())
    sign_in(client, expert)
    data = {**date_fields(LAST_WEEK), "description": "Panel", "units": "3", field: value}

    response = client.post(f"/claims/{claim_id}/fees/new", data=data)

    assert response.status_code == 200
    assert message in error_near(response, field)
    assert f'value="{value}"' in response.get_data(as_text=True)
    assert load_claim(app, claim_id).lines == []


def test_fee_choice_page_explains_and_links_to_benefits(client, expert, sign_up, make_claim):
    claim_id = make_claim(sign_up)
    sign_in(client, expert)

    response = client.get(f"/claims/{claim_id}/how-to-be-paid")

    page = page_text(response)
    assert "The full fee for the sessions on this claim is £60.00" in page
    assert 'href="/benefits' in response.get_data(as_text=True)


def test_fee_choice_reduced_with_pence_beyond_two_places_is_refused(
    app, client, expert, sign_up, make_claim
):
    claim_id = make_claim(sign_up)
    sign_in(client, expert)

    response = client.post(
        f"/claims/{claim_id}/how-to-be-paid",
        data={"choice": "reduced", "reduced_fee": "12.345", "version": "2"},
    )

    assert "no more than 2 numbers after the decimal point" in error_near(response, "reduced_fee")
    assert load_claim(app, claim_id).fee_choice is FeeChoice.FULL


def test_fee_choice_reduced_is_saved_and_shown_with_its_date(
    app, client, expert, sign_up, make_claim
):
    claim_id = make_claim(sign_up)
    sign_in(client, expert)

    response = client.post(
        f"/claims/{claim_id}/how-to-be-paid",
        data={"choice": "reduced", "reduced_fee": "20", "version": "2"},
    )

    assert response.status_code == 302
    claim = load_claim(app, claim_id)
    assert (claim.fee_choice, claim.reduced_fee_pence) == (FeeChoice.REDUCED, 2000)
    page = page_text(client.get(f"/claims/{claim_id}"))
    assert "A reduced fee: £20.00" in page
    assert "Chosen on" in page
    assert "Total to pay £20.00" in page


def test_fee_choice_with_a_stale_version_is_refused(app, client, expert, sign_up, make_claim):
    claim_id = make_claim(sign_up)
    sign_in(client, expert)

    response = client.post(
        f"/claims/{claim_id}/how-to-be-paid",
        data={"choice": "expenses_only", "version": "1"},
    )

    assert "Someone else has just changed this claim" in page_text(response)
    assert load_claim(app, claim_id).fee_choice is FeeChoice.FULL
    # The page now offers the claim as it is, so sending the choice again works.
    assert '<input id="version" name="version" type="hidden" value="2">' in response.get_data(
        as_text=True
    )


def test_submit_without_the_declaration_shows_the_error_on_it(
    app, client, expert, sign_up, make_claim
):
    claim_id = make_claim(sign_up)
    sign_in(client, expert)

    response = client.post(f"/claims/{claim_id}/send", data={"version": "2"})

    assert "Confirm that the claim is true" in error_near(response, "declaration")
    assert load_claim(app, claim_id).status is ClaimStatus.DRAFT


def test_submit_with_a_future_session_shows_the_message_on_that_line(
    app, client, expert, sign_up, make_claim
):
    claim_id = make_claim(sign_up, dates=(LAST_WEEK, date.today() + timedelta(days=3)))
    claim = load_claim(app, claim_id)
    future = claim.lines[-1]
    sign_in(client, expert)

    response = client.post(
        f"/claims/{claim_id}/send", data={"version": str(claim.version), "declaration": "y"}
    )

    assert "is in the future" in error_near(response, f"line-{future.id}")
    summary = response.get_data(as_text=True)
    assert f'href="#line-{future.id}"' in summary
    assert load_claim(app, claim_id).status is ClaimStatus.DRAFT


def test_submit_page_says_unconfirmed_bank_details_are_fine_for_now(
    client, expert, sign_up, make_claim
):
    claim_id = make_claim(sign_up)
    sign_in(client, expert)

    page = page_text(client.get(f"/claims/{claim_id}/send"))

    assert "account ending 5678" in page
    assert "Finance has not yet checked these bank details" in page


def test_submit_sends_the_claim_and_my_claims_shows_it_with_the_coordinator(
    app, client, expert, sign_up, make_claim
):
    claim_id = make_claim(sign_up)
    sign_in(client, expert)

    response = client.post(f"/claims/{claim_id}/send", data={"version": "2", "declaration": "y"})

    assert response.status_code == 302
    assert load_claim(app, claim_id).status is ClaimStatus.SUBMITTED
    page = page_text(client.get("/my-claims"))
    assert "With your coordinator to confirm" in page
    history = page_text(client.get(f"/claims/{claim_id}"))
    assert "Sent to the coordinator" in history
    assert "Add a session" not in history


def test_late_claim_is_sent_and_shown_as_late(app, client, expert, sign_up, make_claim):
    claim_id = make_claim(sign_up, dates=(date.today() - timedelta(days=200),))
    sign_in(client, expert)
    assert "This claim is late" in page_text(client.get(f"/claims/{claim_id}/send"))

    client.post(f"/claims/{claim_id}/send", data={"version": "2", "declaration": "y"})

    assert load_claim(app, claim_id).is_late
    assert "late claim" in page_text(client.get(f"/claims/{claim_id}"))


def test_remove_line_button_takes_it_off(app, client, expert, sign_up, make_claim):
    claim_id = make_claim(sign_up)
    line = load_claim(app, claim_id).lines[0]
    sign_in(client, expert)

    client.post(f"/claims/{claim_id}/lines/{line.id}/remove", data={"version": "2"})

    assert load_claim(app, claim_id).lines == []


def test_withdraw_asks_first_then_withdraws(app, client, expert, sign_up, make_claim):
    claim_id = make_claim(sign_up, submit=True)
    sign_in(client, expert)

    confirm = client.get(f"/claims/{claim_id}/withdraw")
    assert "Do you want to withdraw this claim?" in page_text(confirm)
    assert load_claim(app, claim_id).status is ClaimStatus.SUBMITTED

    client.post(f"/claims/{claim_id}/withdraw", data={"version": "3"})

    assert load_claim(app, claim_id).status is ClaimStatus.WITHDRAWN
    assert "Withdrawn" in page_text(client.get("/my-claims"))


# On someone's behalf --------------------------------------------------------------------------


def test_coordinator_claims_and_sends_on_behalf_and_it_shows_everywhere(
    app, client, coordinator, expert, sign_up
):
    sign_in(client, coordinator)
    assert "start a claim on their behalf" in page_text(client.get(f"/sign-ups/{sign_up.id}"))

    started = client.post(f"/sign-ups/{sign_up.id}/claims/new")
    claim_id = int(started.headers["Location"].rsplit("/", 1)[1])
    client.post(
        f"/claims/{claim_id}/fees/new",
        data={**date_fields(LAST_WEEK), "description": "Panel", "units": "3"},
    )
    client.post(f"/claims/{claim_id}/send", data={"version": "2", "declaration": "y"})

    claim = load_claim(app, claim_id)
    assert claim.status is ClaimStatus.SUBMITTED
    assert claim.submitted_by_id == coordinator.id
    staff_page = page_text(client.get(f"/claims/{claim_id}"))
    assert "by Cora Coordinator on behalf of Eli Expert" in staff_page
    sign_in(client, expert)
    assert "Sent for you by Cora Coordinator" in page_text(client.get("/my-claims"))
    assert "by Cora Coordinator on behalf of Eli Expert" in page_text(
        client.get(f"/claims/{claim_id}")
    )


def test_coordinator_sees_the_person_s_own_claim_read_only(
    client, coordinator, sign_up, make_claim
):
    claim_id = make_claim(sign_up)
    sign_in(client, coordinator)

    listed = page_text(client.get(f"/sign-ups/{sign_up.id}/claims/new"))
    page = client.get(f"/claims/{claim_id}")

    assert f"Claim {load_claim(client.application, claim_id).reference}" in listed
    assert page.status_code == 200
    assert "Add a session" not in page_text(page)
    assert client.get(f"/claims/{claim_id}/fees/new").status_code == 403
    assert client.post(f"/claims/{claim_id}/send", data={"declaration": "y"}).status_code == 403


def test_changing_a_sent_claim_goes_back_to_it_and_says_why(
    app, client, expert, sign_up, make_claim
):
    claim_id = make_claim(sign_up, submit=True)
    line_id = load_claim(app, claim_id).lines[0].id
    sign_in(client, expert)
    # Every page and button that changes the claim (a sent claim can still be withdrawn).
    changes = [
        (method, path)
        for method, path in _claim_requests(claim_id, line_id)
        if path != f"/claims/{claim_id}" and not path.endswith("/withdraw")
    ] + [("GET", f"/claims/{claim_id}/expenses/new")]

    for method, path in changes:
        response = client.open(path, method=method, data={"version": "3", "choice": "full"})

        assert response.status_code == 302, (method, path)
        assert response.headers["Location"] == f"/claims/{claim_id}", (method, path)
        shown = page_text(client.get(response.headers["Location"]))
        assert "This claim has been sent, so it cannot be changed now." in shown, (method, path)
    claim = load_claim(app, claim_id)
    assert (claim.status, len(claim.lines)) == (ClaimStatus.SUBMITTED, 1)


# Nobody else sees a claim --------------------------------------------------------------------


def _claim_requests(claim_id: int, line_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/claims/{claim_id}"),
        ("GET", f"/claims/{claim_id}/fees/new"),
        ("POST", f"/claims/{claim_id}/fees/new"),
        ("POST", f"/claims/{claim_id}/lines/{line_id}/remove"),
        ("GET", f"/claims/{claim_id}/how-to-be-paid"),
        ("POST", f"/claims/{claim_id}/how-to-be-paid"),
        ("GET", f"/claims/{claim_id}/send"),
        ("POST", f"/claims/{claim_id}/send"),
        ("GET", f"/claims/{claim_id}/withdraw"),
        ("POST", f"/claims/{claim_id}/withdraw"),
    ]


@pytest.mark.parametrize("intruder_roles", [(Role.EXPERT,), (Role.COORDINATOR,)])
def test_someone_else_guessing_claim_ids_gets_not_found_on_every_page(
    app, client, make_user, make_role, make_sign_up, sign_up, make_claim, intruder_roles
):
    claim_id = make_claim(sign_up)
    line_id = load_claim(app, claim_id).lines[0].id
    # Another expert with a claim of their own, or the coordinator of another role.
    intruder = make_user(roles=intruder_roles)
    other_role = make_role(coordinator=intruder if Role.COORDINATOR in intruder_roles else None)
    make_sign_up(
        other_role,
        person=intruder if Role.EXPERT in intruder_roles else None,
        status=SignUpStatus.ACCEPTED,
    )
    sign_in(client, intruder)

    for method, path in _claim_requests(claim_id, line_id):
        response = client.open(
            path, method=method, data={"declaration": "y", "version": "2", "choice": "full"}
        )
        assert response.status_code == 404, (method, path)
    assert client.get(f"/sign-ups/{sign_up.id}/claims/new").status_code == 404
    assert client.post(f"/sign-ups/{sign_up.id}/claims/new").status_code == 404
    claim = load_claim(app, claim_id)
    assert (claim.status, claim.version, len(claim.lines)) == (ClaimStatus.DRAFT, 2, 1)
    assert "Eli Expert" not in page_text(client.get(f"/claims/{claim_id}"))


@pytest.mark.parametrize("finance_role", [Role.FINANCE_APPROVER, Role.FINANCE_ADMIN])
def test_finance_is_refused_claim_pages_for_now(
    app, client, make_user, sign_up, make_claim, finance_role
):
    claim_id = make_claim(sign_up, submit=True)
    line_id = load_claim(app, claim_id).lines[0].id
    sign_in(client, make_user(roles=(finance_role,)))

    for method, path in _claim_requests(claim_id, line_id):
        assert client.open(path, method=method).status_code == 403, (method, path)


def test_expert_guessing_a_line_of_another_claim_gets_not_found(
    app, client, expert, sign_up, make_claim, make_user, make_sign_up, role
):
    own = make_claim(sign_up)
    other_person = make_user()
    other = make_claim(make_sign_up(role, person=other_person, status=SignUpStatus.ACCEPTED))
    other_line = load_claim(app, other).lines[0].id
    sign_in(client, expert)

    response = client.post(f"/claims/{own}/lines/{other_line}/remove", data={"version": "2"})

    assert response.status_code == 404
    assert len(load_claim(app, other).lines) == 1


# Queries ---------------------------------------------------------------------------------


def test_my_claims_runs_the_same_queries_whatever_the_number_of_claims(
    app, client, expert, sign_up, make_claim
):
    make_claim(sign_up, dates=(LAST_WEEK,))
    sign_in(client, expert)
    few = page_queries(app, client, "/my-claims")

    for days in range(8, 14):
        make_claim(sign_up, dates=(date.today() - timedelta(days=days), LAST_WEEK))

    assert page_queries(app, client, "/my-claims") == few


def test_claim_page_runs_the_same_queries_whatever_the_number_of_lines(
    app, client, expert, sign_up, make_claim
):
    short = make_claim(sign_up, dates=(LAST_WEEK,))
    long = make_claim(sign_up, dates=tuple(date.today() - timedelta(days=d) for d in range(2, 12)))
    sign_in(client, expert)

    assert page_queries(app, client, f"/claims/{long}") == page_queries(
        app, client, f"/claims/{short}"
    )
