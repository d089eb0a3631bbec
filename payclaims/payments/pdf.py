"""HTML to PDF with WeasyPrint: one warm renderer per process, and a pool for large runs.

Measured on this machine kind (docs/benchmarks.md): a one-page slip takes tens of
milliseconds in a warm process with a shared FontConfiguration, against ~0.7 s per document
with the command-line tool, so rendering happens here, in process. WeasyPrint is imported
lazily (about 0.5 s). Each process parses a document's stylesheet once (a weasyprint.CSS kept
beside the FontConfiguration) and keeps Python's cyclic garbage collector out of the render
(a render makes some 100,000 short-lived objects; collecting while it runs cost ~10-15% of
its time); the cycles are collected straight after, so memory stays flat.

The HTML holds text people typed (claim descriptions), so WeasyPrint may fetch nothing but
the app's own static files: anything else (file:// elsewhere, http, data) is refused.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

# Pango and fontconfig behind one FontConfiguration are not documented as thread-safe: a lock
# makes sharing it safe in threaded servers (renders happen only when a run is confirmed).
_LOCK = threading.Lock()
_RENDERERS: dict[Path, Any] = {}
_STYLESHEETS: dict[Path, Any] = {}
# Set in each pool worker by _start_worker.
_WORKER_STATIC_ROOT: Path | None = None
_WORKER_STYLESHEET: Path | None = None
WARM_UP_HTML = "<!doctype html><html lang=en><meta charset=utf-8><p>Warm up</p></html>"


class RefusedURL(ValueError):
    """A document asked for something outside the app's static files."""


def _make_renderer(static_root: Path) -> Any:
    """A (fetcher, font configuration, HTML class) triple for documents using ``static_root``."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    root = static_root.resolve()

    class StaticFilesOnly(URLFetcher):
        """Fetch files inside the app's static folder; refuse every other URL."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise RefusedURL(f"not one of the app's static files: {url[:200]}")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise RefusedURL(f"not one of the app's static files: {url[:200]}")
            return super().fetch(path.as_uri(), headers)

    fetcher = StaticFilesOnly(allowed_protocols={"file"}, allow_redirects=False, timeout=5)
    return fetcher, FontConfiguration(), HTML


def _renderer(static_root: Path) -> Any:
    renderer = _RENDERERS.get(static_root)
    if renderer is None:
        renderer = _RENDERERS[static_root] = _make_renderer(static_root)
    return renderer


def _stylesheet(path: Path, font_config: Any) -> Any:
    """``path`` parsed once per process (a trusted file of the app's: it fetches nothing)."""
    css = _STYLESHEETS.get(path)
    if css is None:
        from weasyprint import CSS

        css = _STYLESHEETS[path] = CSS(
            string=path.read_text(encoding="utf-8"), font_config=font_config
        )
    return css


def render_pdf(html: str, *, static_root: Path, stylesheet: Path | None = None) -> bytes:
    """The PDF of ``html`` (tagged, for screen readers), relative URLs inside ``static_root``,
    styled by the CSS file ``stylesheet`` as well as by any styles in ``html``."""
    with _LOCK:
        fetcher, font_config, html_class = _renderer(static_root)
        stylesheets = [_stylesheet(stylesheet, font_config)] if stylesheet else None
        collecting = gc.isenabled()
        gc.disable()
        try:
            document = html_class(
                string=html, base_url=static_root.resolve().as_uri() + "/", url_fetcher=fetcher
            )
            pdf: bytes = document.write_pdf(
                font_config=font_config, stylesheets=stylesheets, pdf_tags=True
            )
            del document
        finally:
            if collecting:
                gc.enable()
                gc.collect(0)  # the render's reference cycles (boxes point to their parents)
    return pdf


def _start_worker(static_root: Path, stylesheet: Path | None) -> None:
    """Pool initializer: import WeasyPrint, parse the stylesheet and render once, so every
    worker starts warm."""
    global _WORKER_STATIC_ROOT, _WORKER_STYLESHEET  # one setting per worker process
    _WORKER_STATIC_ROOT = static_root
    _WORKER_STYLESHEET = stylesheet
    render_pdf(WARM_UP_HTML, static_root=static_root, stylesheet=stylesheet)
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
