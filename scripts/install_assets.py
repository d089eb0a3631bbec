"""Copy the NHS.UK frontend's compiled assets from node_modules into static/vendor/.

The stylesheet points at /assets/images and at fonts on the NHS CDN. Image paths are rewritten
to where we serve them, and the remote fonts are dropped: the Content-Security-Policy allows
only this site, and the NHS.UK styles fall back to Arial.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
TARGET = ROOT / "static" / "vendor" / "nhsuk-frontend"
SERVED_AT = "/static/vendor/nhsuk-frontend/assets/"
FONT_FACE = re.compile(r"@font-face\{[^}]*assets\.nhs\.uk[^}]*\}")
SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/|//# sourceMappingURL=\S+")


def main() -> int:
    """Copy and rewrite; exit non-zero with one line if npm has not installed the package."""
    if not SOURCE.is_dir():
        print(f"install_assets: {SOURCE} is missing; run 'npm ci' first.", file=sys.stderr)
        return 1
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    shutil.copytree(SOURCE / "assets", TARGET / "assets")
    css = (SOURCE / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    css = FONT_FACE.sub("", css).replace("url(/assets/", f"url({SERVED_AT}")
    (TARGET / "nhsuk-frontend.min.css").write_text(SOURCE_MAP.sub("", css), encoding="utf-8")
    js = (SOURCE / "nhsuk-frontend.min.js").read_text(encoding="utf-8")
    (TARGET / "nhsuk-frontend.min.js").write_text(SOURCE_MAP.sub("", js), encoding="utf-8")
    print(f"install_assets: NHS.UK frontend copied to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
