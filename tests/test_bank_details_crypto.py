"""Bank details encryption and masking: plain functions, no app needed."""

from __future__ import annotations

import pytest

from payclaims import crypto

# Fixed, so that test ids are the same in every xdist worker; for tests only.
OLD_KEY = "HWd4ULRJDbdl0bmOXTTIkFpwoi6mKq7cGRzqd0EtklY="
NEW_KEY = "sM1tYb8mKJ0dG2o2r6kq6m8m3E4w1u9cQmJxg2bq3pU="


def test_encrypt_then_decrypt_gives_the_text_back_and_the_token_hides_it():
    fernet = crypto.build_fernet([NEW_KEY])

    token = crypto.encrypt(fernet, "12345678")

    assert "12345678" not in token
    assert crypto.decrypt(fernet, token) == "12345678"


def test_encrypt_same_text_twice_gives_different_tokens():
    fernet = crypto.build_fernet([NEW_KEY])

    assert crypto.encrypt(fernet, "123456") != crypto.encrypt(fernet, "123456")


def test_decrypt_with_wrong_key_fails_loudly():
    token = crypto.encrypt(crypto.build_fernet([OLD_KEY]), "12345678")

    with pytest.raises(crypto.UnreadableToken, match="BANK_DETAILS_KEYS"):
        crypto.decrypt(crypto.build_fernet([NEW_KEY]), token)


def test_decrypt_tampered_token_fails_loudly():
    fernet = crypto.build_fernet([NEW_KEY])
    token = crypto.encrypt(fernet, "12345678")
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]

    with pytest.raises(crypto.UnreadableToken):
        crypto.decrypt(fernet, tampered)


def test_rotate_then_remove_old_key_still_decrypts():
    token = crypto.encrypt(crypto.build_fernet([OLD_KEY]), "12345678")

    rotated = crypto.rotate(crypto.build_fernet([NEW_KEY, OLD_KEY]), token)

    assert crypto.decrypt(crypto.build_fernet([NEW_KEY]), rotated) == "12345678"
    with pytest.raises(crypto.UnreadableToken):
        crypto.decrypt(crypto.build_fernet([OLD_KEY]), rotated)


def test_new_tokens_use_the_first_key():
    token = crypto.encrypt(crypto.build_fernet([NEW_KEY, OLD_KEY]), "123456")

    assert crypto.decrypt(crypto.build_fernet([NEW_KEY]), token) == "123456"


def test_build_fernet_without_keys_says_how_to_make_one():
    with pytest.raises(crypto.BankKeyError, match="BANK_DETAILS_KEYS") as refused:
        crypto.build_fernet([])

    assert "Fernet.generate_key()" in str(refused.value)


def test_build_fernet_with_malformed_key_names_its_position_not_its_value():
    with pytest.raises(crypto.BankKeyError, match="key number 2") as refused:
        crypto.build_fernet([NEW_KEY, "short-secret"])

    assert "short-secret" not in str(refused.value)


@pytest.mark.parametrize(
    ("value", "keys"),
    [(None, []), ("", []), (NEW_KEY, [NEW_KEY]), ([NEW_KEY, OLD_KEY], [NEW_KEY, OLD_KEY])],
    ids=["none", "empty", "one string", "list"],
)
def test_keys_from_config_accepts_a_list_or_one_key(value, keys):
    assert crypto.keys_from_config(value) == keys


def test_keys_from_config_refuses_anything_else():
    with pytest.raises(crypto.BankKeyError, match="list of Fernet keys"):
        crypto.keys_from_config(42)


@pytest.mark.parametrize(
    ("function", "value", "masked"),
    [
        (crypto.mask_account_number, "12345678", "****5678"),
        (crypto.mask_account_number, "00733445", "****3445"),
        (crypto.mask_sort_code, "123456", "**-**-56"),
        (crypto.mask_roll_number, "ABC/12345678", "****5678"),
        # Too short to show part of it without showing most of it.
        (crypto.mask_roll_number, "AB123", "****"),
    ],
)
def test_masks_show_only_the_last_digits(function, value, masked):
    assert function(value) == masked
