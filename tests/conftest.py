"""Fixtures shared by every test room."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def minimal_package_dir() -> Path:
    """The small valid course package used across the suite."""
    return DATA / "packages" / "minimal"
