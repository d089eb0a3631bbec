"""Make the instance folder for a local installation: a config with a random secret key,
and a demo password, each written once and reused.

Prints the demo password, so that ``make run`` can show it with the demo sign-ins.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent.parent / "instance"
CONFIG = INSTANCE / "config.py"
DEMO_PASSWORD = INSTANCE / "demo-password.txt"
WORDS = (
    "amber",
    "badger",
    "canal",
    "cobalt",
    "daisy",
    "ember",
    "fennel",
    "harbour",
    "juniper",
    "kettle",
    "lantern",
    "maple",
    "meadow",
    "nettle",
    "orchard",
    "pebble",
    "quartz",
    "raven",
    "river",
    "saffron",
    "thistle",
    "tulip",
    "velvet",
    "willow",
)


def main() -> int:
    """Write what is missing and print the demo password."""
    INSTANCE.mkdir(exist_ok=True)
    if not CONFIG.exists():
        CONFIG.write_text(
            "# Local settings for this installation (not committed). See README.md.\n"
            f'SECRET_KEY = "{secrets.token_hex(32)}"\n'
            'ENVIRONMENT = "development"\n'
            'ORGANISATION_NAME = "Riverside Recovery College (demo)"\n',
            encoding="utf-8",
        )
        CONFIG.chmod(0o600)
    if not DEMO_PASSWORD.exists():
        words = [secrets.choice(WORDS) for _ in range(4)]
        DEMO_PASSWORD.write_text(f"{'-'.join(words)}-{secrets.randbelow(90) + 10}\n")
        DEMO_PASSWORD.chmod(0o600)
    print(DEMO_PASSWORD.read_text(encoding="utf-8").strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
