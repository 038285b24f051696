"""Certificates for CE credit: record in; PDF, verification code and signed credential out."""

# Pure Python on purpose: no web framework, no database and no other package of this
# project, so a CLI or another web framework can issue and check certificates too.

from .codes import new_code, normalize_code, verify_url_for
from .credential import (
    CredentialCheck,
    generate_signing_key,
    issue_credential,
    public_key_pem,
    verify_credential,
)
from .pdf import render_pdf
from .record import AuthorLine, CertificateRecord

__all__ = [
    "AuthorLine",
    "CertificateRecord",
    "CredentialCheck",
    "generate_signing_key",
    "issue_credential",
    "new_code",
    "normalize_code",
    "public_key_pem",
    "render_pdf",
    "verify_credential",
    "verify_url_for",
]
