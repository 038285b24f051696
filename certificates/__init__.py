"""Certificates for CE credit: record in; PDF, verification code and signed credential out."""

# Pure Python on purpose: no web framework, no database and no other package of this
# project, so a CLI or another web framework can issue and check certificates too.

from .codes import SPECIMEN_CODE, new_code, normalize_code, verify_qr_svg, verify_url_for
from .credential import (
    CredentialCheck,
    Issuer,
    issue_credential,
    verify_credential,
)
from .issuer import did_document, did_document_path, did_web
from .keys import generate_signing_key, multikey_of, public_key_pem
from .pdf import VoidNotice, render_pdf
from .proofs import method_for, secure_document
from .record import AuthorLine, CertificateRecord
from .status_list import LIST_SIZE, status_entry, status_list_credential

__all__ = [
    "SPECIMEN_CODE",
    "LIST_SIZE",
    "AuthorLine",
    "CertificateRecord",
    "CredentialCheck",
    "Issuer",
    "VoidNotice",
    "did_document",
    "did_document_path",
    "did_web",
    "generate_signing_key",
    "issue_credential",
    "method_for",
    "multikey_of",
    "new_code",
    "normalize_code",
    "public_key_pem",
    "render_pdf",
    "secure_document",
    "status_entry",
    "status_list_credential",
    "verify_credential",
    "verify_qr_svg",
    "verify_url_for",
]
