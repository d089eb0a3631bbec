"""PDFs from HTML with WeasyPrint, shared by every document payclaims prints.

WeasyPrint fetches whatever a document links to, so a document that names ``file:///etc/...``
or an internal address would put that into the PDF (security-and-performance.md A2,
CVE-2026-55073). The fetcher here allows only ``data:`` URLs and the app's own static files
(read from the static folder, never over the network); anything else is refused. One
FontConfiguration serves every render in the process (A3: about 37 ms a page with it).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from flask import current_app
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Documents are rendered against this base, so that "/static/x.css" becomes a URL the
# fetcher recognises; nothing is ever fetched from it.
BASE_URL = "https://payclaims.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
CONTENT_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


@functools.cache
def font_configuration() -> FontConfiguration:
    """The process's one FontConfiguration, made on first use."""
    return FontConfiguration()


class StaticFilesOnly(URLFetcher):
    """Fetches ``data:`` URLs and files under the app's static folder; refuses the rest."""

    def __init__(self, static_folder: str | Path) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=2)
        self.static_folder = Path(static_folder).resolve()

    def fetch(self, url: str, headers: Any = None) -> Any:
        """The static file or data URL named by ``url``; ValueError for anything else."""
        if url.startswith(STATIC_PREFIX):
            return self._static(url.removeprefix(STATIC_PREFIX))
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError(f"Refused to fetch {url[:80]} for a PDF")

    def _static(self, relative: str) -> URLFetcherResponse:
        relative = relative.split("?", 1)[0].split("#", 1)[0]
        path = (self.static_folder / relative).resolve()
        if not path.is_relative_to(self.static_folder) or not path.is_file():
            raise ValueError(f"No static file {relative[:80]}")
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        if content_type is None:
            raise ValueError(f"Refused to fetch {relative[:80]} for a PDF")
        return URLFetcherResponse(
            STATIC_PREFIX + relative, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def render_pdf(html: str, *, static_folder: str | Path | None = None) -> bytes:
    """The PDF of ``html`` (made by render_template, never from typed text as a template)."""
    folder = static_folder or current_app.static_folder
    assert folder is not None
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnly(folder))
    pdf = document.write_pdf(font_config=font_configuration())
    assert isinstance(pdf, bytes)
    return pdf
