"""Fixtures for the certificates tests."""

from __future__ import annotations

import pytest
from certificates_testkit import BARE, FULL

from certificates import CertificateRecord, render_pdf


@pytest.fixture(scope="session")
def full_pdf() -> bytes:
    """The PDF of a record with every optional field set."""
    return render_pdf(FULL)


@pytest.fixture(scope="session")
def bare_pdf() -> bytes:
    """The PDF of a record with no optional field set."""
    return render_pdf(BARE)


@pytest.fixture
def full_record() -> CertificateRecord:
    """A record with every optional field set."""
    return FULL
