"""How tests build their apps: the settings every test app uses, the test password and key,
and the database a test session shares."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from payclaims.benefits.rules.store import restore_seed_rules
from payclaims.extensions import db

POSTGRES_URL_VARIABLE = "PAYCLAIMS_TEST_POSTGRES_URL"
FAST_HASH = "pbkdf2:sha256:1000"
# A fixed key for tests only (bank details are encrypted with it); never used anywhere else.
TEST_BANK_DETAILS_KEY = "-NrB2XCmncW4XwW0tLlTO-CVuTE_jops7m-ksaGtX3s="
PASSWORD = "kettle river purple socks"

# Tables whose triggers refuse UPDATE and DELETE (migrations 0001 and 0004).
APPEND_ONLY_TABLES = ("audit_events", "claim_events")


def base_test_config(database_url: str) -> dict[str, Any]:
    """Settings every test app uses; tests override single keys."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "BASE_URL": "http://localhost",
        "WTF_CSRF_ENABLED": False,
        "MAIL_BACKEND": "locmem",
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "ORGANISATION_NAME": "Riverside Recovery College",
        "BANK_DETAILS_KEYS": [TEST_BANK_DETAILS_KEY],
    }


@dataclass
class TestDatabase:
    """Where the migrated schema lives for this session, and how to give each test a clean one."""

    __test__ = False  # not a test class, though its name starts with Test

    url: str
    dialect: str
    template: Path | None = None

    def url_for_test(self, tmp_path: Path) -> str:
        """A database for one test: a copy of the migrated file (SQLite) or the shared one."""
        if self.template is None:
            return self.url
        target = tmp_path / "payclaims.sqlite"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def clean(self, app: Flask) -> None:
        """Empty every table after a test, restart every sequence at its start value, then
        re-seed the benefit rules (PostgreSQL; SQLite tests get a fresh copy of the migrated
        file).

        DELETE, not TRUNCATE, where it can: a test leaves a handful of rows, and TRUNCATE's
        fixed cost per table (new files on disk) made cleaning ~20 times slower here (~0.5 s
        against ~30 ms a test). The append-only tables refuse DELETE (a trigger), so they
        alone are truncated.
        """
        if self.template is not None:
            return
        with app.app_context(), db.engine.begin() as connection:
            append_only = ", ".join(APPEND_ONLY_TABLES)
            connection.exec_driver_sql(f"TRUNCATE {append_only} RESTART IDENTITY CASCADE")
            for table in reversed(db.metadata.sorted_tables):  # children before parents
                if table.name not in APPEND_ONLY_TABLES:
                    connection.execute(table.delete())
            connection.exec_driver_sql(
                "SELECT setval(format('%%I.%%I', schemaname, sequencename)::regclass, "
                "start_value, false) FROM pg_sequences WHERE schemaname = current_schema()"
            )
            # The benefit rule figures are reference data the migration seeds: put them back.
            restore_seed_rules(connection)
