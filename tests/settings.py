"""Settings the tests share: the test password and, for building apps, the test configuration."""

from __future__ import annotations

PASSWORD = "kettle river purple socks"
