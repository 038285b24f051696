"""Operations tests: the app under real servers (gunicorn, nginx, PostgreSQL, Redis).

Every test here is marked ``ops`` (deselect with ``-m "not ops"``) and skips, saying
why, when a program it needs is missing. They run once, in the main (SQLite) pass:
each makes the databases it needs itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ops: real servers under load and faults (deselect with -m 'not ops')"
    )
    config.addinivalue_line(
        "markers", "soak: a long run under repeated faults, for `make soak` (not `make test`)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``ops``; skip them in a PostgreSQL-only pass."""
    again = bool(os.environ.get("TEST_DATABASE_URL"))
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.ops)
            if again:
                item.add_marker(pytest.mark.skip(reason="ops tests run once, in the main pass"))
