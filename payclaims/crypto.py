"""Field encryption for bank details, and masking for display. Plain functions: only
``configured_fernet`` reads the app's configuration.

Tokens are Fernet (AES-128-CBC with HMAC-SHA256, so tampering is detected). Keys are listed
newest first: the newest encrypts, every key decrypts, and ``rotate`` re-encrypts a token
with the newest so that an old key can then be retired.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

GENERATE_KEY_COMMAND = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)
MASK = "****"


class BankKeyError(RuntimeError):
    """The configured keys are missing or unusable: an installation problem, not a person's."""


class UnreadableToken(RuntimeError):
    """A stored token does not decrypt with any configured key (wrong key, or tampered)."""


def keys_from_config(value: object) -> list[str]:
    """The keys as a list, from a list of strings or a single string (an environment value)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(key, str) for key in value):
        return list(value)
    raise BankKeyError(
        "BANK_DETAILS_KEYS must be a list of Fernet keys, newest first "
        "(for example PAYCLAIMS_BANK_DETAILS_KEYS='[\"key-one\"]')."
    )


def build_fernet(keys: Sequence[str]) -> MultiFernet:
    """A MultiFernet from ``keys``, newest first; refuses an empty list or a malformed key."""
    if not keys:
        raise BankKeyError(
            "No bank details key is configured. Set BANK_DETAILS_KEYS in instance/config.py "
            "(or PAYCLAIMS_BANK_DETAILS_KEYS as a JSON list) to a list holding a key made "
            f"with: {GENERATE_KEY_COMMAND}"
        )
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError, binascii.Error) as error:
            # Never echo the key itself: it is a secret, even when it is a broken one.
            raise BankKeyError(
                f"Bank details key number {position} in BANK_DETAILS_KEYS is not a valid "
                f"Fernet key. Make one with: {GENERATE_KEY_COMMAND}"
            ) from error
    return MultiFernet(fernets)


def configured_fernet() -> MultiFernet:
    """The configured keys; a clear ``BankKeyError`` when there are none (development)."""
    return build_fernet(keys_from_config(current_app.config["BANK_DETAILS_KEYS"]))


def encrypt(fernet: MultiFernet, text: str) -> str:
    """A token for ``text``, made with the newest key."""
    return fernet.encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(fernet: MultiFernet, token: str) -> str:
    """The text in ``token``; raises ``UnreadableToken`` if no key opens it."""
    try:
        return fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise UnreadableToken(
            "A stored bank details value cannot be decrypted with any key in "
            "BANK_DETAILS_KEYS (was a key removed before rotate-bank-keys was run?)."
        ) from error


def rotate(fernet: MultiFernet, token: str) -> str:
    """``token`` re-encrypted with the newest key (the text is unchanged)."""
    try:
        return fernet.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise UnreadableToken(
            "A stored bank details value cannot be decrypted with any key in BANK_DETAILS_KEYS."
        ) from error


def mask_tail(text: str, *, visible: int = 4) -> str:
    """'****5678': only the last ``visible`` characters, and only when at least as many hide."""
    if len(text) < 2 * visible:
        return MASK
    return MASK + text[-visible:]


def mask_account_number(account_number: str) -> str:
    """'****5678' for an 8-digit account number."""
    return mask_tail(account_number)


def mask_sort_code(sort_code: str) -> str:
    """'**-**-56' for sort code 12-34-56."""
    return f"**-**-{sort_code[-2:]}" if len(sort_code) == 6 else "**-**-**"


def mask_roll_number(roll_number: str) -> str:
    """'****4567': the last 4 characters of a building society roll number, when long enough."""
    return mask_tail(roll_number)
