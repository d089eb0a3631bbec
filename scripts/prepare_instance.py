"""Make the instance folder for a local installation: a config with a random secret key and
a bank details key, and a demo password, each written once and reused. A config written
before bank details existed gets a bank details key added.

Prints the demo password, so that ``make run`` can show it with the demo sign-ins.
"""

from __future__ import annotations

import base64
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


def new_fernet_key() -> str:
    """A key in Fernet's format (what Fernet.generate_key() makes), from the standard library."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def bank_details_keys_line() -> str:
    """The config line holding a new bank details key."""
    return (
        "# Encrypts bank details: keep it, or stored bank details cannot be read. Newest first.\n"
        f'BANK_DETAILS_KEYS = ["{new_fernet_key()}"]\n'
    )


def main() -> int:
    """Write what is missing and print the demo password."""
    INSTANCE.mkdir(exist_ok=True)
    if not CONFIG.exists():
        CONFIG.write_text(
            "# Local settings for this installation (not committed). See README.md.\n"
            f'SECRET_KEY = "{secrets.token_hex(32)}"\n'
            'ENVIRONMENT = "development"\n'
            'ORGANISATION_NAME = "Riverside Recovery College (demo)"\n' + bank_details_keys_line(),
            encoding="utf-8",
        )
        CONFIG.chmod(0o600)
    else:
        existing = CONFIG.read_text(encoding="utf-8")
        if "BANK_DETAILS_KEYS" not in existing:
            with CONFIG.open("a", encoding="utf-8") as config:
                config.write(("" if existing.endswith("\n") else "\n") + bank_details_keys_line())
    if not DEMO_PASSWORD.exists():
        words = [secrets.choice(WORDS) for _ in range(4)]
        DEMO_PASSWORD.write_text(f"{'-'.join(words)}-{secrets.randbelow(90) + 10}\n")
        DEMO_PASSWORD.chmod(0o600)
    print(DEMO_PASSWORD.read_text(encoding="utf-8").strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
