"""Files people download: uploads sent back (always as a download, never run or shown), and
CSV cells a spreadsheet cannot run."""

from __future__ import annotations

import io

from flask import send_file
from werkzeug.wrappers import Response

# A cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def stored_file_response(content: bytes, *, content_type: str, filename: str) -> Response:
    """An attachment with the checked type and name, that a browser may not sniff or run."""
    response = send_file(
        io.BytesIO(content),
        mimetype=content_type,
        as_attachment=True,
        download_name=filename,
        etag=False,
        max_age=0,
    )
    # Even if a browser were to open it, the file may run nothing and reach nothing.
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def csv_safe(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
