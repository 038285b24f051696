"""Fixtures shared by every test room."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def minimal_package_dir() -> Path:
    """The small valid course package used across the suite."""
    return DATA / "packages" / "minimal"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the root logger back as it was after each test.

    An app built with ``LOG_CONFIGURE`` on (as production builds it) installs its handler
    on the root logger; left there, later tests in the process print their libraries' INFO
    lines (the SMTP test server's) into the run's output.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
