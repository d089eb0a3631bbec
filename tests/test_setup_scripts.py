"""The setup scripts a fresh machine runs: the system check and the asset copy."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "scripts" / "check_system.sh"
LIBRARIES_WITHOUT_SUBSET = """\
\tlibpango-1.0.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libpango-1.0.so.0
\tlibpangoft2-1.0.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libpangoft2-1.0.so.0
\tlibharfbuzz.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libharfbuzz.so.0
"""


def _stub(folder: Path, name: str, output: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\ncat <<'OUT'\n{output}OUT\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _run_check(
    tmp_path: Path, libraries: str, mode: str = "run"
) -> subprocess.CompletedProcess[str]:
    """Run the check as a user who is not root, on a machine whose libraries are ``libraries``."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    _stub(stubs, "id", "1000\n")
    _stub(stubs, "ldconfig", libraries)
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", str(CHECK), mode], capture_output=True, text=True, env=env, check=False
    )


def test_missing_harfbuzz_subset_stops_with_one_line_naming_the_package(tmp_path):
    result = _run_check(tmp_path, LIBRARIES_WITHOUT_SUBSET)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "sudo apt-get install libharfbuzz-subset0" in lines[0]


def test_missing_pango_names_every_package(tmp_path):
    result = _run_check(tmp_path, "")

    assert result.returncode == 1
    assert "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in result.stderr


@pytest.mark.skipif(
    not Path("/lib/x86_64-linux-gnu/libharfbuzz-subset.so.0").exists(),
    reason="needs a machine with the libraries installed",
)
def test_machine_with_every_library_passes(tmp_path):
    result = _run_check(
        tmp_path, LIBRARIES_WITHOUT_SUBSET.replace("libharfbuzz.so.0", "libharfbuzz-subset.so.0")
    )

    assert result.returncode == 0, result.stderr


def test_weasyprint_finds_harfbuzz_subsetting():
    # Without it WeasyPrint falls back to pure-Python font subsetting, about 7 times slower.
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None


def test_install_assets_points_styles_at_our_static_folder():
    css = ROOT / "static" / "vendor" / "nhsuk-frontend" / "nhsuk-frontend.min.css"
    if not css.exists():
        pytest.skip("static/vendor not installed: run make test or scripts/install_assets.py")

    text = css.read_text(encoding="utf-8")

    assert "url(/assets/" not in text and "assets.nhs.uk" not in text
    assert "url(/static/vendor/nhsuk-frontend/assets/images/" in text


def _prepare_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run scripts/prepare_instance.py with its instance folder in ``tmp_path``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "prepare_instance", ROOT / "scripts" / "prepare_instance.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    instance = tmp_path / "instance"
    monkeypatch.setattr(script, "INSTANCE", instance)
    monkeypatch.setattr(script, "CONFIG", instance / "config.py")
    monkeypatch.setattr(script, "DEMO_PASSWORD", instance / "demo-password.txt")
    script.main()
    return instance / "config.py"


def _bank_keys(config: Path) -> list[str]:
    from cryptography.fernet import Fernet

    settings: dict[str, object] = {}
    exec(config.read_text(encoding="utf-8"), settings)  # noqa: S102 - our own generated file
    keys = settings["BANK_DETAILS_KEYS"]
    assert isinstance(keys, list)
    for key in keys:
        Fernet(key)  # a valid key, or this raises
    return keys


def test_prepare_instance_writes_a_bank_details_key_once(tmp_path, monkeypatch, capsys):
    config = _prepare_instance(tmp_path, monkeypatch)
    (key,) = _bank_keys(config)

    _prepare_instance(tmp_path, monkeypatch)

    assert _bank_keys(config) == [key]
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_prepare_instance_adds_a_bank_details_key_to_an_older_config(tmp_path, monkeypatch, capsys):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('SECRET_KEY = "kept"\nENVIRONMENT = "development"')

    config = _prepare_instance(tmp_path, monkeypatch)

    assert len(_bank_keys(config)) == 1
    assert config.read_text(encoding="utf-8").startswith(
        'SECRET_KEY = "kept"\nENVIRONMENT = "development"\n'
    )
