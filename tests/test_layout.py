"""The house's layout holds: area = package = blueprint = template folder, and README's "Where
things are" names every package, so a newcomer finds any feature from the folder names."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from flask import Flask

import payclaims

PACKAGE = Path(payclaims.__file__).parent
ROOT = PACKAGE.parent
TEMPLATES = ROOT / "templates"
# Template folders that belong to no one area: shared macros and components, emails, PDFs,
# error pages.
SHARED_TEMPLATE_FOLDERS = {"_macros", "_components", "email", "pdf", "errors"}
TEMPLATE_NAME = re.compile(r"""["']([a-z_]+)/[\w/.-]+\.html["']""")


def _areas() -> set[str]:
    return {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}


def test_every_endpoint_is_served_by_its_areas_package_and_blueprint(app: Flask) -> None:
    wrong = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        blueprint = rule.endpoint.partition(".")[0]
        module = app.view_functions[rule.endpoint].__module__
        area = module.split(".")[1]
        if not (module.startswith("payclaims.") and blueprint == area):
            wrong.append(f"{rule.rule} -> {rule.endpoint} in {module}")
    assert wrong == []


def test_every_view_renders_templates_from_its_areas_folder(app: Flask) -> None:
    modules = {app.view_functions[endpoint].__module__ for endpoint in app.view_functions}
    modules.discard("flask.app")
    wrong = []
    for name in sorted(modules):
        area = name.split(".")[1]
        source = Path(sys.modules[name].__file__ or "").read_text()
        for folder in TEMPLATE_NAME.findall(source):
            if folder != area and folder not in SHARED_TEMPLATE_FOLDERS:
                wrong.append(f"{name} renders {folder}/...")
    assert wrong == []


def test_every_template_folder_is_an_area_or_shared() -> None:
    folders = {path.name for path in TEMPLATES.iterdir() if path.is_dir()}
    assert folders - _areas() - SHARED_TEMPLATE_FOLDERS == set()


def test_readme_where_things_are_names_every_package() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\s+([a-z_]+)/", section, flags=re.MULTILINE))
    assert _areas() - named == set()


def test_no_test_module_imports_from_a_conftest() -> None:
    """Shared test code lives in helpers modules; conftest files only hold fixtures and hooks."""
    importers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if re.search(r"^\s*(from|import)\s+\S*conftest\b", path.read_text(), re.MULTILINE)
    )
    assert importers == []
