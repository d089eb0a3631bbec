"""Unit tests of money, uploads, month arithmetic and choosing the training record that counts.

None of these needs an app or a database.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from payclaims.dates import add_months
from payclaims.money import (
    MoneyError,
    format_pence,
    multiply,
    parse_pounds,
    pounds_text,
)
from payclaims.training.gate import best_record
from payclaims.training.models import TrainingRecord
from payclaims.uploads import (
    JPEG,
    MAX_UPLOAD_BYTES,
    PDF,
    PNG,
    UploadError,
    check_upload,
    sniff_type,
)
from tests.helpers import TINY_PDF, image_bytes

ALL_TYPES = frozenset({PDF, JPEG, PNG})


# --- Money: parsing what people type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("12.50", 1250),
        ("12.5", 1250),
        ("12", 1200),
        ("£1,200", 120_000),
        (" £ 7.05 ", 705),
        ("0.5", 50),
        (".75", 75),
        ("0", 0),
        ("0.01", 1),
    ],
)
def test_parse_pounds_with_plain_amount_gives_pence(text: str, pence: int) -> None:
    assert parse_pounds(text) == pence


def test_parse_pounds_with_three_decimals_is_refused() -> None:
    with pytest.raises(MoneyError, match="no more than 2 numbers after the decimal point"):
        parse_pounds("12.345")


@pytest.mark.parametrize("text", ["-1", "-0.50", "£-3"])
def test_parse_pounds_with_negative_amount_is_refused(text: str) -> None:
    with pytest.raises(MoneyError, match="cannot be negative"):
        parse_pounds(text)


@pytest.mark.parametrize("text", ["abc", "12.50p", "1e3", "1E-2", "1_000", "NaN", "Infinity", "."])
def test_parse_pounds_with_text_or_number_notation_is_refused(text: str) -> None:
    """'1e3' is refused, not read as £1,000: nobody types a fee in scientific notation."""
    with pytest.raises(MoneyError, match=r"Enter an amount in pounds and pence, like 12\.50"):
        parse_pounds(text)


@pytest.mark.parametrize("text", ["", "   ", "£"])
def test_parse_pounds_with_nothing_asks_for_an_amount(text: str) -> None:
    with pytest.raises(MoneyError, match="Enter an amount in pounds"):
        parse_pounds(text)


def test_parse_pounds_with_allow_zero_false_refuses_zero() -> None:
    with pytest.raises(MoneyError, match="more than £0"):
        parse_pounds("0", allow_zero=False)
    with pytest.raises(MoneyError, match="more than £0"):
        parse_pounds("0.00", allow_zero=False)
    assert parse_pounds("0.01", allow_zero=False) == 1


def test_parse_pounds_above_maximum_is_refused_with_the_maximum() -> None:
    assert parse_pounds("250", maximum_pence=25_000) == 25_000
    with pytest.raises(MoneyError, match=r"£250\.00 or less"):
        parse_pounds("250.01", maximum_pence=25_000)


def test_parse_pounds_too_large_to_store_is_refused() -> None:
    with pytest.raises(MoneyError, match="too large"):
        parse_pounds("9" * 30)


# --- Money: showing amounts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (0, "£0.00"),
        (5, "£0.05"),
        (1250, "£12.50"),
        (123_456, "£1,234.56"),
        (123_456_789, "£1,234,567.89"),
        (-1250, "-£12.50"),
        (-123_456, "-£1,234.56"),
        (None, ""),
    ],
)
def test_format_pence_shows_pounds_with_thousands_and_sign(pence: int | None, text: str) -> None:
    assert format_pence(pence) == text


def test_pounds_text_round_trips_through_parse_pounds() -> None:
    for pence in (0, 7, 1250, 123_456):
        assert parse_pounds(pounds_text(pence)) == pence
    assert pounds_text(None) == ""


@pytest.mark.parametrize(
    ("pence", "quantity", "result"),
    [
        (2000, Decimal("1.5"), 3000),
        (1, Decimal("0.5"), 1),  # half a penny rounds up
        (3, Decimal("0.5"), 2),  # 1.5p rounds up, not to even
        (5, Decimal("0.5"), 3),  # 2.5p rounds up, not to even
        (1, Decimal("0.49"), 0),
        (1999, Decimal("0.333"), 666),  # 665.667p
        (4500, Decimal("0"), 0),
    ],
)
def test_multiply_rounds_half_up_to_a_whole_penny(
    pence: int, quantity: Decimal, result: int
) -> None:
    assert multiply(pence, quantity) == result


# --- Uploads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("certificate.pdf", TINY_PDF, PDF),
        ("photo.jpeg", image_bytes("JPEG"), JPEG),
        ("scan.png", image_bytes("PNG"), PNG),
    ],
)
def test_check_upload_with_real_file_accepts_and_types_from_content(
    name: str, content: bytes, content_type: str
) -> None:
    checked = check_upload(name, content, allowed=ALL_TYPES)

    assert checked.content_type == content_type
    assert checked.content == content
    assert checked.size_bytes == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_check_upload_names_file_by_its_real_type() -> None:
    """A PNG called .pdf is kept, as a .png: the type comes from the content."""
    checked = check_upload("certificate.pdf", image_bytes("PNG"), allowed=ALL_TYPES)

    assert checked.content_type == PNG
    assert checked.filename == "certificate.png"


def test_check_upload_with_html_called_jpg_is_refused() -> None:
    html = b"<!doctype html><script>alert(document.cookie)</script>"

    with pytest.raises(UploadError, match="must be a PDF, JPG or PNG"):
        check_upload("photo.jpg", html, allowed=ALL_TYPES)


def test_check_upload_with_type_not_allowed_here_is_refused() -> None:
    with pytest.raises(UploadError, match=r"must be a PDF$"):
        check_upload("scan.png", image_bytes("PNG"), allowed=frozenset({PDF}))


def test_check_upload_with_png_signature_and_garbage_is_refused_as_damaged() -> None:
    content = b"\x89PNG\r\n\x1a\n" + b"not really an image at all" * 10

    with pytest.raises(UploadError, match="damaged or is not a real image"):
        check_upload("scan.png", content, allowed=ALL_TYPES)


def test_check_upload_with_truncated_jpeg_is_refused_as_damaged() -> None:
    content = image_bytes("JPEG")[:20]

    with pytest.raises(UploadError, match="damaged or is not a real image"):
        check_upload("photo.jpg", content, allowed=ALL_TYPES)


def test_check_upload_with_heic_photo_says_save_it_as_another_type() -> None:
    content = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64

    with pytest.raises(UploadError, match=r"is a HEIC photo\. Save it as a PDF, JPG or PNG"):
        check_upload("IMG_0001.HEIC", content, allowed=ALL_TYPES)


def test_check_upload_over_ten_megabytes_is_refused() -> None:
    content = TINY_PDF + b"0" * (MAX_UPLOAD_BYTES - len(TINY_PDF) + 1)

    with pytest.raises(UploadError, match="must be smaller than 10 MB"):
        check_upload("big.pdf", content, allowed=ALL_TYPES)


def test_check_upload_of_exactly_ten_megabytes_is_accepted() -> None:
    content = TINY_PDF + b"0" * (MAX_UPLOAD_BYTES - len(TINY_PDF))

    assert check_upload("big.pdf", content, allowed=ALL_TYPES).size_bytes == MAX_UPLOAD_BYTES


def test_check_upload_of_empty_file_is_refused() -> None:
    with pytest.raises(UploadError, match="The selected file is empty"):
        check_upload("empty.pdf", b"", allowed=ALL_TYPES)


def test_check_upload_with_huge_image_dimensions_is_refused() -> None:
    content = image_bytes("PNG", size=(10_000, 6_000))

    with pytest.raises(UploadError, match="too large"):
        check_upload("huge.png", content, allowed=ALL_TYPES)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\win.ini.png", "win.ini.png"),
        ("/absolute/path/scan.png", "scan.png"),
        ("scan.html", "scan.png"),
        ('bad<>:"|?*name.png', "badname.png"),
        ("tab\tand\nnewline.png", "tabandnewline.png"),
        ("...", "file.png"),
        ("", "file.png"),
        ("a" * 300 + ".png", "a" * 100 + ".png"),
    ],
)
def test_check_upload_sanitises_the_filename(name: str, safe: str) -> None:
    assert check_upload(name, image_bytes("PNG"), allowed=ALL_TYPES).filename == safe


def test_sniff_type_reads_only_the_first_bytes() -> None:
    assert sniff_type(TINY_PDF) == PDF
    assert sniff_type(image_bytes("JPEG")) == JPEG
    assert sniff_type(image_bytes("PNG")) == PNG
    assert sniff_type(b"GIF89a") is None
    assert sniff_type(b"") is None


# --- Dates: adding months -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "result"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 1, 15), 12, date(2027, 1, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 5, 3), 36, date(2029, 5, 3)),
        (date(2026, 5, 3), 0, date(2026, 5, 3)),
    ],
)
def test_add_months_keeps_the_day_or_uses_the_months_last_day(
    start: date, months: int, result: date
) -> None:
    assert add_months(start, months) == result


# --- The training record that counts --------------------------------------------------------

TODAY = date(2026, 6, 1)


def _record(completed_on: date, expires_on: date | None, *, verified: bool) -> TrainingRecord:
    return TrainingRecord(completed_on=completed_on, expires_on=expires_on, is_verified=verified)


def test_best_record_of_none_is_none() -> None:
    assert best_record([], TODAY) is None


def test_best_record_prefers_in_date_over_expired_even_if_older() -> None:
    expired_newer = _record(date(2025, 5, 1), date(2026, 5, 1), verified=True)
    current_older = _record(date(2024, 1, 1), None, verified=False)

    assert best_record([expired_newer, current_older], TODAY) is current_older


def test_best_record_prefers_verified_among_in_date() -> None:
    declared = _record(date(2026, 5, 1), date(2027, 5, 1), verified=False)
    verified = _record(date(2026, 1, 1), date(2027, 1, 1), verified=True)

    assert best_record([declared, verified], TODAY) is verified


def test_best_record_prefers_latest_when_otherwise_equal() -> None:
    older = _record(date(2025, 9, 1), date(2026, 9, 1), verified=True)
    newer = _record(date(2026, 2, 1), date(2027, 2, 1), verified=True)

    assert best_record([older, newer], TODAY) is newer


def test_record_expiring_today_still_counts() -> None:
    assert _record(date(2025, 6, 1), TODAY, verified=True).is_current(TODAY)
    assert not _record(date(2025, 5, 31), date(2026, 5, 31), verified=True).is_current(TODAY)
