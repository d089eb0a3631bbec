"""Sending a file people uploaded back to them: always as a download, never run or shown."""

from __future__ import annotations

import io

from flask import send_file
from werkzeug.wrappers import Response


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
