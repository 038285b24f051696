"""Fixtures for the lessons tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lessons_testkit import MINIMAL, minimal_files

import lessons


@pytest.fixture
def files() -> dict[str, str]:
    """The minimal package as file name -> text, safe to modify."""
    return minimal_files()


@pytest.fixture(scope="session")
def package() -> lessons.CoursePackage:
    """The minimal package, loaded once (it is immutable)."""
    return lessons.load_package(MINIMAL)


@pytest.fixture
def package_dir(tmp_path: Path) -> Path:
    """A writable copy of the minimal package folder, named like its slug."""
    target = tmp_path / "minimal"
    shutil.copytree(MINIMAL, target)
    return target
