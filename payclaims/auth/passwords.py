"""The password rules: long enough, not too long, and not common or easy to guess."""

from __future__ import annotations

import re
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

# zxcvbn scores 0-4; 3 means "safely unguessable" against an online attack and a slow hash.
MIN_STRENGTH_SCORE = 3
# Strength checking is quadratic in length, so only this much of a long password is scored.
SCORED_PREFIX = 64
# A password made of the person's name or email needs this many other letters or digits.
MIN_LEFT_OVER = 4


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(
    password: str, *, min_length: int, max_length: int, context: tuple[str, ...] = ()
) -> str | None:
    """Return why ``password`` is refused, in plain English, or None if it is acceptable.

    ``context`` holds things about the person (name, email) that must not make up the password.
    """
    if len(password) < min_length:
        return f"Password must be {min_length} characters or more"
    if len(password) > max_length:
        return f"Password must be {max_length} characters or fewer"
    if password.lower() in _common_passwords():
        return "This password is too common. Try 3 or 4 random words together"
    words = [w for item in context for w in re.split(r"[^a-z0-9]+", item.lower()) if len(w) >= 3]
    if words and _is_made_of(password, words):
        return (
            "Your password must not be your name or email address. Try 3 or 4 random words together"
        )
    result = zxcvbn(password[:SCORED_PREFIX], user_inputs=words)
    if result["score"] < MIN_STRENGTH_SCORE:
        return "This password is too easy to guess. Try 3 or 4 random words together"
    return None


def _is_made_of(password: str, words: list[str]) -> bool:
    """Whether little is left of ``password`` once the person's own words are taken out."""
    rest = re.sub(r"[^a-z0-9]+", "", password.lower())
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return len(rest) < MIN_LEFT_OVER


def hash_password(password: str, method: str) -> str:
    """Return a salted hash of ``password``."""
    return generate_password_hash(password, method=method)


def password_matches(password_hash: str | None, password: str, *, method: str) -> bool:
    """Whether ``password`` matches the hash; always False when no password is set.

    With no hash, a hash made with ``method`` (the one real passwords use) is checked instead,
    so that the time taken does not tell whether an account exists.
    """
    if password_hash is None:
        check_password_hash(_dummy_hash(method), password)
        return False
    return check_password_hash(password_hash, password)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not anybody's password", method=method)
