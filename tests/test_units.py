"""Unit tests of small pure functions: password rules, signed links, UK dates, CSP, safe redirects.

None of these needs an app or a database.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from payclaims.auth import passwords
from payclaims.auth.passwords import password_problem
from payclaims.auth.tokens import LinkPurpose, fingerprint, make_token, read_token
from payclaims.auth.views import safe_next
from payclaims.dates import format_date, format_datetime
from payclaims.errors import InvalidLink
from payclaims.security import content_security_policy

MIN_LENGTH = 12
MAX_LENGTH = 128
SECRET = "unit-test-secret"
NAME = "Margaret Thornbury"
EMAIL = "margaret.thornbury@example.org"


def problem(password: str, context: tuple[str, ...] = ()) -> str | None:
    return password_problem(password, min_length=MIN_LENGTH, max_length=MAX_LENGTH, context=context)


# --- Passwords ------------------------------------------------------------------------------


def test_password_problem_with_short_password_asks_for_min_length() -> None:
    assert problem("Tr0ub4dor&3") == "Password must be 12 characters or more"


def test_password_problem_at_min_length_checks_strength_not_length() -> None:
    assert problem("x" * (MIN_LENGTH - 1)) == "Password must be 12 characters or more"
    assert "characters" not in (problem("x" * MIN_LENGTH) or "")


def test_password_problem_with_too_long_password_gives_max_length() -> None:
    assert problem("x" * (MAX_LENGTH + 1)) == "Password must be 128 characters or fewer"


@pytest.mark.parametrize("password", ["password1234", "PASSWORD1234", "1qaz2wsx3edc4rfv"])
def test_password_problem_with_common_password_says_too_common(password: str) -> None:
    assert problem(password) == "This password is too common. Try 3 or 4 random words together"


@pytest.mark.parametrize("password", ["qwertyuiopasdfgh", "passwordpassword", "aaaaaaaaaaaaaaaa"])
def test_password_problem_with_guessable_password_says_too_easy(password: str) -> None:
    assert problem(password) == (
        "This password is too easy to guess. Try 3 or 4 random words together"
    )


@pytest.mark.parametrize(
    "password", ["MargaretThornbury", "margaret.thornbury", "margaret.thornbury1"]
)
def test_password_problem_made_of_own_name_or_email_is_refused(password: str) -> None:
    # The same password is fine for somebody else: it is the person's details that count.
    assert problem(password) is None

    assert problem(password, context=(NAME, EMAIL)) is not None


@pytest.mark.parametrize("password", [NAME, EMAIL, "thornbury margaret"])
def test_password_problem_equal_to_own_name_or_email_is_refused(password: str) -> None:
    assert problem(password, context=(NAME, EMAIL)) is not None


@pytest.mark.parametrize(
    "password",
    ["kettle river purple socks", "lantern meadow copper finch", "Orbit Walnut Fiddle Harbour"],
)
def test_password_problem_with_four_random_words_accepts(password: str) -> None:
    assert problem(password, context=(NAME, EMAIL)) is None


def test_password_problem_with_128_character_passphrase_accepts() -> None:
    words = "kettle river purple socks lantern meadow copper finch orbit walnut fiddle "
    passphrase = (words * 3)[:MAX_LENGTH]
    assert len(passphrase) == MAX_LENGTH

    assert problem(passphrase) is None


def test_password_problem_with_huge_password_refuses_before_any_hashing_or_scoring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def must_not_run(*args: object, **kwargs: object) -> object:
        raise AssertionError("an over-long password was scored or hashed")

    monkeypatch.setattr(passwords, "zxcvbn", must_not_run)
    monkeypatch.setattr(passwords, "generate_password_hash", must_not_run)
    monkeypatch.setattr(passwords, "check_password_hash", must_not_run)
    huge = "correct horse battery staple " * 40_000  # over a megabyte

    started = time.perf_counter()
    result = problem(huge)

    assert result == "Password must be 128 characters or fewer"
    assert time.perf_counter() - started < 0.5


def test_password_problem_scores_only_a_prefix_of_long_passwords(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scored: list[str] = []
    real_zxcvbn = passwords.zxcvbn

    def recording_zxcvbn(password: str, user_inputs: list[str]) -> dict[str, object]:
        scored.append(password)
        result: dict[str, object] = real_zxcvbn(password, user_inputs=user_inputs)
        return result

    monkeypatch.setattr(passwords, "zxcvbn", recording_zxcvbn)

    problem("kettle river purple socks " * 4)

    assert scored
    assert all(len(password) <= passwords.SCORED_PREFIX for password in scored)


def test_password_matches_with_no_hash_is_false_but_still_hashes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[str] = []
    real_check = passwords.check_password_hash

    def recording_check(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real_check(password_hash, password)

    monkeypatch.setattr(passwords, "check_password_hash", recording_check)

    assert passwords.password_matches(None, "anything at all", method="scrypt") is False
    # The dummy check costs what a real one does: same method as real passwords.
    assert len(checked) == 1 and checked[0].startswith("scrypt:")


def test_hash_password_round_trips_and_salts() -> None:
    first = passwords.hash_password("kettle river purple socks", "pbkdf2:sha256:1000")
    second = passwords.hash_password("kettle river purple socks", "pbkdf2:sha256:1000")

    assert first != second
    assert passwords.password_matches(first, "kettle river purple socks", method="scrypt")
    assert not passwords.password_matches(first, "kettle river purple sock", method="scrypt")


# --- Signed links ---------------------------------------------------------------------------


def test_token_round_trip_returns_payload() -> None:
    token = make_token(SECRET, LinkPurpose.RESET_PASSWORD, {"u": 7, "p": "abc"})

    payload = read_token(SECRET, LinkPurpose.RESET_PASSWORD, token, timedelta(hours=1))

    assert payload == {"u": 7, "p": "abc"}


@pytest.mark.parametrize(
    ("made_for", "used_for"),
    [
        (LinkPurpose.VERIFY_EMAIL, LinkPurpose.RESET_PASSWORD),
        (LinkPurpose.RESET_PASSWORD, LinkPurpose.INVITATION),
        (LinkPurpose.INVITATION, LinkPurpose.CHANGE_EMAIL),
        (LinkPurpose.CHANGE_EMAIL, LinkPurpose.VERIFY_EMAIL),
    ],
)
def test_token_for_one_purpose_is_refused_for_another(
    made_for: LinkPurpose, used_for: LinkPurpose
) -> None:
    token = make_token(SECRET, made_for, {"u": 7})

    with pytest.raises(InvalidLink, match="not valid"):
        read_token(SECRET, used_for, token, timedelta(hours=1))


def test_token_with_tampered_payload_is_refused() -> None:
    token = make_token(SECRET, LinkPurpose.RESET_PASSWORD, {"u": 7})
    other = make_token(SECRET, LinkPurpose.RESET_PASSWORD, {"u": 8})
    # Someone else's payload with this token's timestamp and signature.
    tampered = ".".join([other.split(".")[0], *token.split(".")[1:]])
    assert tampered != token

    with pytest.raises(InvalidLink, match="not valid") as caught:
        read_token(SECRET, LinkPurpose.RESET_PASSWORD, tampered, timedelta(hours=1))
    assert caught.value.message == "This link is not valid."


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "not.a.token.at.all"])
def test_token_that_is_garbage_is_refused(token: str) -> None:
    with pytest.raises(InvalidLink, match="not valid"):
        read_token(SECRET, LinkPurpose.VERIFY_EMAIL, token, timedelta(hours=1))


def test_token_signed_with_another_secret_is_refused() -> None:
    token = make_token("another-secret", LinkPurpose.VERIFY_EMAIL, {"u": 7})

    with pytest.raises(InvalidLink, match="not valid"):
        read_token(SECRET, LinkPurpose.VERIFY_EMAIL, token, timedelta(hours=1))


def test_token_past_max_age_is_refused_as_expired() -> None:
    token = make_token(SECRET, LinkPurpose.VERIFY_EMAIL, {"u": 7})

    with pytest.raises(InvalidLink, match="expired") as caught:
        read_token(SECRET, LinkPurpose.VERIFY_EMAIL, token, timedelta(seconds=-1))
    assert caught.value.message == "This link has expired."


def test_token_made_two_hours_ago_is_expired_after_one_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    two_hours_ago = int(time.time()) - 2 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: two_hours_ago)
        token = make_token(SECRET, LinkPurpose.RESET_PASSWORD, {"u": 7})

    assert read_token(SECRET, LinkPurpose.RESET_PASSWORD, token, timedelta(hours=3)) == {"u": 7}
    with pytest.raises(InvalidLink, match="expired"):
        read_token(SECRET, LinkPurpose.RESET_PASSWORD, token, timedelta(hours=1))


def test_token_with_signed_non_dict_payload_is_refused() -> None:
    salt = f"payclaims.{LinkPurpose.VERIFY_EMAIL.value}"
    token = URLSafeTimedSerializer(SECRET, salt=salt).dumps([7])

    with pytest.raises(InvalidLink, match="not valid"):
        read_token(SECRET, LinkPurpose.VERIFY_EMAIL, token, timedelta(hours=1))


def test_fingerprint_changes_with_value_and_treats_none_as_empty() -> None:
    assert fingerprint("hash-one") == fingerprint("hash-one")
    assert fingerprint("hash-one") != fingerprint("hash-two")
    assert fingerprint(None) == fingerprint("")
    assert len(fingerprint("x")) == 16


# --- Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # British Summer Time: UTC+1.
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "1 July 2026 at 1:00pm"),
        # Greenwich Mean Time: UTC.
        (datetime(2026, 12, 3, 16, 5, tzinfo=UTC), "3 December 2026 at 4:05pm"),
        (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "1 January 2026 at 12:00am"),
        (datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "1 January 2026 at 12:00pm"),
        (datetime(2026, 1, 1, 11, 59, tzinfo=UTC), "1 January 2026 at 11:59am"),
        # Late evening UTC in summer is already the next day in the UK.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026 at 12:30am"),
        # Clocks go forward at 01:00 UTC on 29 March 2026 and back at 01:00 UTC on 25 October.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29 March 2026 at 12:59am"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29 March 2026 at 2:00am"),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25 October 2026 at 1:30am"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 October 2026 at 1:30am"),
    ],
)
def test_format_datetime_shows_uk_time(value: datetime, expected: str) -> None:
    assert format_datetime(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 12, 3), "3 December 2026"),
        (date(2026, 7, 1), "1 July 2026"),
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "31 December 2026"),
    ],
)
def test_format_date_shows_uk_date(value: date, expected: str) -> None:
    assert format_date(value) == expected


def test_format_date_and_datetime_with_none_are_empty() -> None:
    assert format_date(None) == ""
    assert format_datetime(None) == ""


# --- Content Security Policy ----------------------------------------------------------------


def csp_directives(policy: str) -> dict[str, str]:
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def test_content_security_policy_allows_scripts_with_the_nonce() -> None:
    policy = content_security_policy("n0nce-value_123")

    directives = csp_directives(policy)
    assert "'nonce-n0nce-value_123'" in directives["script-src"].split()


def test_content_security_policy_has_no_unsafe_sources() -> None:
    policy = content_security_policy("abc")

    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "*" not in policy


def test_content_security_policy_locks_down_framing_plugins_and_base() -> None:
    directives = csp_directives(content_security_policy("abc"))

    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert directives["form-action"] == "'self'"


def test_content_security_policy_uses_a_different_nonce_each_time() -> None:
    assert content_security_policy("one") != content_security_policy("two")


# --- Safe redirects after sign-in -----------------------------------------------------------


@pytest.mark.parametrize("target", ["/account", "/account?tab=details#email", "/admin/staff/3"])
def test_safe_next_with_local_path_accepts(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "http://evil.example/account",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "evil.example",
        "account",
        "http:/evil.example",
        # Browsers drop tabs and newlines from URLs, turning these into "//evil.example".
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        " //evil.example",
        "",
        None,
    ],
)
def test_safe_next_with_other_site_or_nothing_refuses(target: str | None) -> None:
    assert safe_next(target) is None


def test_approved_totals_with_a_reduced_line_and_a_reduced_fee_pay_the_lower_amounts() -> None:
    from payclaims.benefits.profile.models import FeeChoice
    from payclaims.claims.models import Claim, ClaimLine, LineKind

    fee = ClaimLine(kind=LineKind.FEE, amount_pence=10000, approved_pence=6000)
    taxi = ClaimLine(kind=LineKind.EXPENSE, amount_pence=2500, approved_pence=None)
    claim = Claim(fee_choice=FeeChoice.FULL, lines=[fee, taxi])
    assert (claim.approved_fee_pence, claim.approved_expenses_pence) == (6000, 2500)
    assert claim.approved_total_pence == 8500
    assert fee.is_reduced and not taxi.is_reduced
    claim.fee_choice, claim.reduced_fee_pence = FeeChoice.REDUCED, 7000
    assert claim.approved_fee_pence == 6000  # never more than finance approved
    claim.reduced_fee_pence = 4000
    assert claim.approved_fee_pence == 4000
    claim.fee_choice = FeeChoice.EXPENSES_ONLY
    assert claim.approved_total_pence == 2500
