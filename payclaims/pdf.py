"""PDFs from HTML with WeasyPrint, for every document payclaims prints (remittance slips,
payments statements): one warm renderer per process, and a pool of warm processes for large runs.

What a document may load. The HTML holds text people typed (claim descriptions), and
WeasyPrint fetches whatever a document links to, so a document naming ``file:///etc/passwd``
or an internal address (``http://169.254.169.254/``) would put that into the PDF
(CVE-2026-55073). The fetcher here (StaticFilesOnly) answers one kind of URL only: the app's
own static files, named ``https://payclaims.invalid/static/<path>`` (documents are rendered
against ``https://payclaims.invalid/static/``, so ``/static/css/x.css`` and a relative
``css/x.css`` both mean that). It reads them from the static folder itself, after resolving
symbolic links and ``..``, and only for the file types a document can use; nothing goes
through urllib, so there is no network, no redirect and no ``file:`` scheme to get wrong.
``data:`` URLs are refused too: neither the slip nor the statement template loads anything
(their styles are inline or the slip's stylesheet, given already parsed), so nothing needs
them, and a ``data:`` attachment would let typed text add a file to an official document.
Anything refused raises RefusedURL, which WeasyPrint logs and skips: the document still renders.

Speed (docs/benchmarks.md): a one-page slip takes tens of milliseconds in a warm process,
against ~0.7 s per document with the command-line tool, so rendering happens here, in process.
WeasyPrint is imported on first use (about 0.5 s; importing payclaims never imports it). Each
process keeps one FontConfiguration and parses a stylesheet file once (a weasyprint.CSS), and
keeps Python's cyclic garbage collector out of the render (a render makes some 100,000
short-lived objects; collecting while it runs cost ~10-15% of its time); the cycles are
collected straight after, so memory stays flat. Every PDF is tagged, for screen readers.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from flask import current_app

# Nothing is ever fetched from this host: URLs on it name the app's static files.
BASE_URL = "https://payclaims.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
# The static file types a document may use, and the only ones the fetcher will read.
CONTENT_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
WARM_UP_HTML = "<!doctype html><html lang=en><meta charset=utf-8><p>Warm up</p></html>"

# Pango and fontconfig behind one FontConfiguration are not documented as thread-safe: a lock
# makes sharing it safe in threaded servers (documents are rendered rarely: a confirmed run,
# a downloaded statement).
_LOCK = threading.Lock()
_FETCHERS: dict[Path, Any] = {}
_STYLESHEETS: dict[tuple[Path, Path], Any] = {}
# Set in each pool worker by _start_worker.
_WORKER_STATIC_ROOT: Path | None = None
_WORKER_STYLESHEET: Path | None = None


class RefusedURL(ValueError):
    """A document asked for something that is not one of the app's static files."""


def static_root() -> Path:
    """The app's static folder: the only place a PDF may load anything from."""
    return Path(current_app.static_folder or "static")


def _static_file(url: str, root: Path) -> tuple[Path, str]:
    """The file under ``root`` that ``url`` names, and its content type; RefusedURL for any
    other URL, a path leading out of ``root``, a missing file or a type documents do not use."""
    if not url.startswith(STATIC_PREFIX):
        raise RefusedURL(f"Refused to fetch {url[:200]} for a PDF: not a static file")
    relative = unquote(url.removeprefix(STATIC_PREFIX).split("?", 1)[0].split("#", 1)[0])
    root = root.resolve()
    try:
        path = (root / relative).resolve()  # symbolic links and ".." followed, then checked
        found = path.is_relative_to(root) and path.is_file()
    except (OSError, ValueError):  # a name the file system cannot hold (NUL, too long)
        found = False
    if not found:
        raise RefusedURL(f"Refused to fetch {url[:200]} for a PDF: no such static file")
    content_type = CONTENT_TYPES.get(path.suffix.lower())
    if content_type is None:
        raise RefusedURL(f"Refused to fetch {url[:200]} for a PDF: not a type documents use")
    return path, content_type


@functools.cache
def _static_files_only() -> type[Any]:
    """The fetcher class, made on first use so that WeasyPrint is imported only then."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        """Answers with the app's static files, read from disk; refuses every other URL."""

        def __init__(self, root: Path) -> None:
            # No protocol at all may reach urllib (fetch below never calls it anyway).
            super().__init__(allowed_protocols=frozenset(), allow_redirects=False, timeout=1)
            self.root = root

        def fetch(self, url: str, headers: Any = None) -> Any:
            """The static file ``url`` names; RefusedURL for anything else."""
            path, content_type = _static_file(url, self.root)
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticFilesOnly


def url_fetcher(root: Path) -> Any:
    """This process's fetcher for documents whose static files are in ``root``."""
    fetcher = _FETCHERS.get(root)
    if fetcher is None:
        fetcher = _FETCHERS[root] = _static_files_only()(root)
    return fetcher


@functools.cache
def _font_configuration() -> Any:
    """The process's one FontConfiguration, shared by every render."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _stylesheet(path: Path, root: Path, font_config: Any) -> Any:
    """``path`` parsed once per process (a file of the app's, fetching as documents do)."""
    css = _STYLESHEETS.get((path, root))
    if css is None:
        from weasyprint import CSS

        css = _STYLESHEETS[path, root] = CSS(
            string=path.read_text(encoding="utf-8"),
            base_url=STATIC_PREFIX,
            url_fetcher=url_fetcher(root),
            font_config=font_config,
        )
    return css


def render_pdf(html: str, *, static_root: Path, stylesheet: Path | None = None) -> bytes:
    """The tagged PDF of ``html`` (made by a template, never from typed text as a template),
    loading only files in ``static_root``, styled by the CSS file ``stylesheet`` as well as by
    any styles in ``html``."""
    from weasyprint import HTML

    with _LOCK:
        font_config = _font_configuration()
        fetcher = url_fetcher(static_root)
        stylesheets = [_stylesheet(stylesheet, static_root, font_config)] if stylesheet else None
        collecting = gc.isenabled()
        gc.disable()
        try:
            document = HTML(string=html, base_url=STATIC_PREFIX, url_fetcher=fetcher)
            pdf: bytes = document.write_pdf(
                font_config=font_config, stylesheets=stylesheets, pdf_tags=True
            )
            del document
        finally:
            if collecting:
                gc.enable()
                gc.collect(0)  # the render's reference cycles (boxes point to their parents)
    return pdf


def _start_worker(root: Path, stylesheet: Path | None) -> None:
    """Pool initializer: import WeasyPrint, parse the stylesheet and render once, so every
    worker starts warm."""
    global _WORKER_STATIC_ROOT, _WORKER_STYLESHEET  # one setting per worker process
    _WORKER_STATIC_ROOT = root
    _WORKER_STYLESHEET = stylesheet
    render_pdf(WARM_UP_HTML, static_root=root, stylesheet=stylesheet)
    gc.freeze()  # WeasyPrint's and the stylesheet's long-lived objects: never scanned again


def _render_in_worker(html: str) -> bytes:
    assert _WORKER_STATIC_ROOT is not None
    return render_pdf(html, static_root=_WORKER_STATIC_ROOT, stylesheet=_WORKER_STYLESHEET)


def render_many(
    documents: Sequence[str],
    *,
    static_root: Path,
    workers: int,
    pool_from: int,
    stylesheet: Path | None = None,
) -> list[bytes]:
    """PDFs of ``documents`` in order: in this process, or across ``workers`` processes
    (each warmed once) when there are at least ``pool_from`` of them."""
    if workers < 2 or len(documents) < max(pool_from, 2):
        return [
            render_pdf(html, static_root=static_root, stylesheet=stylesheet) for html in documents
        ]
    # "spawn": a fresh interpreter, not a fork of one holding database connections and locks.
    # Spawned workers import the main module, so a script that confirms a large run must
    # keep its work under ``if __name__ == "__main__":`` (flask, gunicorn and pytest do).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(static_root, stylesheet),
    ) as pool:
        chunk = max(1, min(16, len(documents) // (workers * 4)))
        return list(pool.map(_render_in_worker, documents, chunksize=chunk))
