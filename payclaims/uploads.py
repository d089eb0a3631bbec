"""Checking uploaded files: the type comes from the content, never from the name."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MEGABYTE = 1024 * 1024
MAX_UPLOAD_BYTES = 10 * MEGABYTE

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
# Uploads bigger than this many pixels are refused before decoding (decompression bombs).
MAX_IMAGE_PIXELS = 50_000_000


class UploadError(ValueError):
    """The file is refused; the message says why in plain English."""


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, ready to store in the database."""

    filename: str
    content_type: str
    content: bytes
    sha256: str

    @property
    def size_bytes(self) -> int:
        """The file's size."""
        return len(self.content)


def sniff_type(content: bytes) -> str | None:
    """The file's type from its first bytes: PDF, JPEG or PNG, or None for anything else."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def check_upload(
    filename: str, content: bytes, *, allowed: frozenset[str], max_bytes: int = MAX_UPLOAD_BYTES
) -> CheckedFile:
    """Accept ``content`` if it really is one of the ``allowed`` types and not too big."""
    if not content:
        raise UploadError("The selected file is empty")
    if len(content) > max_bytes:
        raise UploadError(f"The selected file must be smaller than {max_bytes // MEGABYTE} MB")
    content_type = sniff_type(content)
    if content_type not in allowed:
        kinds = [EXTENSIONS[kind].upper() for kind in (PDF, JPEG, PNG) if kind in allowed]
        names = ", ".join(kinds[:-1]) + f" or {kinds[-1]}" if len(kinds) > 1 else kinds[0]
        if content.startswith(b"\x00\x00\x00") and b"ftypheic" in content[:32]:
            raise UploadError(
                f"The selected file is a HEIC photo. Save it as a {names} and try again"
            )
        raise UploadError(f"The selected file must be a {names}")
    if content_type in (JPEG, PNG):
        _check_image(content)
    return CheckedFile(
        filename=_safe_name(filename, content_type),
        content_type=content_type,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _check_image(content: bytes) -> None:
    too_large = UploadError("The selected image is too large. Use a smaller photo")
    with warnings.catch_warnings():
        # Pillow only warns about huge images below twice its limit; treat that as a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise too_large
                image.verify()
        except UploadError:  # a ValueError too: let "too large" through as it is
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise too_large from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise UploadError("The selected file is damaged or is not a real image") from error


def _safe_name(filename: str, content_type: str) -> str:
    """A display name with no path, control characters or misleading extension."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(". ")
    stem = base.rsplit(".", 1)[0][:100] or "file"
    return f"{stem}.{EXTENSIONS[content_type]}"
