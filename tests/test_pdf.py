"""payclaims.pdf, the one PDF renderer: what a document may load (the app's static files and
nothing else), tagged output, the garbage collector, and that importing payclaims leaves
WeasyPrint unloaded. Slips and statements are tested through their own services and pages."""

from __future__ import annotations

import gc
import io
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from payclaims import PROJECT_ROOT
from payclaims.pdf import STATIC_PREFIX, RefusedURL, render_pdf, url_fetcher

STATIC = PROJECT_ROOT / "static"
PAGE = "<!doctype html><html lang=en><meta charset=utf-8><title>Test</title><body>{}<p>Hello</p>"


@pytest.fixture
def static_root(tmp_path: Path) -> Path:
    """A static folder with a stylesheet, an image, a script, and a link leading out of it."""
    root = tmp_path / "static"
    (root / "css").mkdir(parents=True)
    (root / "img").mkdir()
    (root / "js").mkdir()
    (root / "css" / "site.css").write_text("p { color: #212b32; }", encoding="utf-8")
    (root / "img" / "dot.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (root / "js" / "app.js").write_text("alert(1)", encoding="utf-8")
    (tmp_path / "secret.css").write_text("/* not for PDFs */", encoding="utf-8")
    (root / "css" / "outside.css").symlink_to(tmp_path / "secret.css")
    return root


def _attachments(pdf: bytes) -> dict[str, list[bytes]]:
    return PdfReader(io.BytesIO(pdf)).attachments


def test_importing_payclaims_and_creating_the_app_does_not_import_weasyprint(tmp_path):
    """WeasyPrint takes about 0.5 s to import: only a process that renders a PDF pays it."""
    script = f"""
import sys
import payclaims
assert "weasyprint" not in sys.modules, "import payclaims"
from payclaims import create_app
create_app(
    {{"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite:///{tmp_path}/db.sqlite"}},
    instance_path="{tmp_path}",
)
import payclaims.payments.statements, payclaims.payments.slips, payclaims.pdf
assert "weasyprint" not in sys.modules, "create_app()"
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        f"file://{STATIC}/css/payclaims.css",  # even the static files: no file: scheme at all
        "http://169.254.169.254/latest/meta-data/",
        "https://payclaims.invalid/etc/passwd",  # the document host, outside /static/
        "https://example.org/static/css/site.css",
        "data:text/plain,secret",
        "ftp://example.org/passwd",
        STATIC_PREFIX + "../secret.css",
        STATIC_PREFIX + "%2e%2e/secret.css",
        STATIC_PREFIX + "css/../../secret.css",
        STATIC_PREFIX + "css/outside.css",  # a symbolic link out of the folder
        STATIC_PREFIX + "/etc/passwd",
        STATIC_PREFIX + "%2Fetc%2Fpasswd",
        STATIC_PREFIX + "css/site.css%00.png",
        STATIC_PREFIX + "js/app.js",  # inside, but not a type documents use
        STATIC_PREFIX + "css/missing.css",
        STATIC_PREFIX + "css",  # a folder
    ],
)
def test_fetcher_refuses_anything_but_a_static_file_of_a_document_type(static_root, url):
    with pytest.raises(RefusedURL):
        url_fetcher(static_root).fetch(url)


@pytest.mark.parametrize("name", ["css/site.css", "css/site.css?v=2#top", "img/dot.png"])
def test_fetcher_reads_static_files_from_the_folder(static_root, name):
    response = url_fetcher(static_root).fetch(STATIC_PREFIX + name)

    path = static_root / name.split("?")[0]
    assert response.read() == path.read_bytes()
    assert response.content_type == {".css": "text/css", ".png": "image/png"}[path.suffix]


def test_document_loads_its_static_files_by_absolute_or_relative_path(static_root):
    links = (
        '<link rel="attachment" href="/static/css/site.css" title="absolute">'
        '<link rel="attachment" href="img/dot.png" title="relative">'
    )

    attached = _attachments(render_pdf(PAGE.format(links), static_root=static_root))

    assert sorted(attached) == ["dot.png", "site.css"]
    assert attached["site.css"] == [(static_root / "css" / "site.css").read_bytes()]


@pytest.mark.parametrize(
    "links",
    [
        '<img src="file:///etc/hostname"><link rel="attachment" href="file:///etc/passwd">',
        '<img src="http://169.254.169.254/latest/meta-data/">'
        '<link rel="attachment" href="http://169.254.169.254/latest/meta-data/">',
        '<link rel="attachment" href="data:text/plain,secret">',
        '<link rel="attachment" href="../../../../../../etc/passwd">',
        '<link rel="attachment" href="/static/css/outside.css">',
        '<base href="file:///etc/"><link rel="attachment" href="passwd">',
    ],
)
def test_document_embeds_nothing_from_outside_the_static_files(static_root, links):
    pdf = render_pdf(PAGE.format(links), static_root=static_root)

    assert _attachments(pdf) == {}
    assert b"root:x:0:0" not in pdf and b"not for PDFs" not in pdf
    assert "Hello" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_pdf_is_tagged_for_screen_readers_and_styled_by_its_stylesheet(tmp_path):
    stylesheet = tmp_path / "a5.css"
    stylesheet.write_text("@page { size: A5; }", encoding="utf-8")

    pdf = render_pdf(PAGE.format("<h1>Title</h1>"), static_root=STATIC, stylesheet=stylesheet)

    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert [round(float(side)) for side in reader.pages[0].mediabox[2:]] == [420, 595]


@pytest.mark.parametrize("collecting", [True, False])
def test_render_leaves_the_garbage_collector_as_it_found_it(collecting):
    (gc.enable if collecting else gc.disable)()
    try:
        render_pdf(PAGE.format(""), static_root=STATIC)
        assert gc.isenabled() is collecting
    finally:
        gc.enable()
