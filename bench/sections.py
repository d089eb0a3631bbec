"""Write one script's section of docs/benchmarks.md, keeping every other section as it is.

Each benchmark script owns the text between its two markers::

    <!-- begin bench/claims_pages.py -->
    ...
    <!-- end bench/claims_pages.py -->

A section not yet in the file is added at the end.
"""

from __future__ import annotations

from pathlib import Path

HEADING = "# Benchmarks\n"


def replace_section(target: Path, owner: str, body: str) -> None:
    """Put ``body`` between ``owner``'s markers in ``target``, leaving the rest untouched."""
    begin, end = f"<!-- begin {owner} -->", f"<!-- end {owner} -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    text = target.read_text(encoding="utf-8") if target.exists() else HEADING
    start = text.find(begin)
    if start == -1:
        text = f"{text.rstrip()}\n\n{block}\n"
    else:
        stop = text.find(end, start)
        if stop == -1:
            raise ValueError(f"{target}: {begin} has no matching {end}")
        text = text[:start] + block + text[stop + len(end) :]
    target.write_text(text, encoding="utf-8")
