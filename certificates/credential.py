"""Signed credentials: Open Badges 3.0 / VC 2.0 JSON with eddsa-jcs-2022 and eddsa-rdfc-2022."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .codes import normalize_code
from .keys import generate_signing_key, multikey_of, public_key_pem
from .linked_data import OB_CONTEXT, VC_CONTEXT
from .proofs import (
    NO_JCS_PROOF,
    check_document_proof,
    check_proofs,
    method_for,
    secure_document,
    sign_document,
)
from .record import SAMPLE_NOTICE, CertificateRecord, hours_text

__all__ = [
    "CredentialCheck",
    "Issuer",
    "check_document_proof",
    "generate_signing_key",
    "issue_credential",
    "method_for",
    "multikey_of",
    "public_key_pem",
    "secure_document",
    "sign_document",
    "unsigned_credential",
    "verify_credential",
]

CRITERIA = (
    "Completed every lesson of the course, passed the post-test at the required score "
    "and submitted the course evaluation."
)


@dataclass(frozen=True)
class CredentialCheck:
    """Outcome of checking a signed credential; code is set only when it is valid."""

    valid: bool
    reason: str
    code: str | None = None
    #: Not valid only because its proofs are not the kind this check reads: not shown altered.
    unchecked: bool = False
    #: The certificate code the file names, valid or not: a way to check the record itself.
    named_code: str | None = None


@dataclass(frozen=True)
class Issuer:
    """Who signs: a did:web id that resolves to the profile, a name and a home page."""

    id: str
    name: str
    url: str
    email: str | None = None

    def profile(self) -> dict[str, Any]:
        """Return the Open Badges Profile embedded in credentials."""
        profile: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name,
                                   "url": self.url}
        if self.email:
            profile["email"] = self.email
        return profile


def _xsd_datetime(record: CertificateRecord) -> str:
    """Return issued_at as an XML Schema dateTime in UTC with a Z suffix."""
    return record.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _completion_time(record: CertificateRecord) -> str:
    """Return when the course was completed, as an XML Schema dateTime in the provider's zone.

    Records from before the moment was kept hold only the day; their credentials say noon
    there (it stays that calendar day wherever a wallet shows it, from Hawaii to Maine),
    as they always did, so that what was signed then still signs to the same bytes.
    """
    zone = zoneinfo.ZoneInfo(record.time_zone) if record.time_zone else None
    if record.completed_at is not None:
        moment = record.completed_at.replace(microsecond=0)
        if zone is None:
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        return moment.astimezone(zone).isoformat()
    noon = datetime.datetime.combine(record.completed_on, datetime.time(12))
    if zone is None:  # records from before zones were kept: the day in UTC
        return f"{noon.isoformat()}Z"
    return noon.replace(tzinfo=zone).isoformat()


def _achievement(
    record: CertificateRecord, issuer: dict[str, Any], image_url: str | None
) -> dict[str, Any]:
    """Describe the course version as an Open Badges Achievement."""
    # One stable id per issuer, course title and version, so every learner's credential
    # for the same course version points at the same achievement.
    seed = f"{issuer.get('url', issuer['id'])}\n{record.course_title}\n{record.course_version}"
    description = (
        (f"{SAMPLE_NOTICE}. " if record.sample else "")
        + f"{record.course_title} (version {record.course_version}): "
        f"{hours_text(record.contact_hours)} of continuing education, credit type "
        f"{record.credit_type}. Format: {record.format}."
    )
    if record.authors:
        description += " Authors: " + "; ".join(a.display() for a in record.authors) + "."
    if record.has_approval:
        description += (
            f" Approved by {record.approval_body}, approval number {record.approval_number}. "
            f"{record.approval_statement}"
        )
    achievement: dict[str, Any] = {
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}",
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": record.course_title,
        "description": description,
        "criteria": {"narrative": CRITERIA},
        "creditsAvailable": float(record.contact_hours),
        "version": str(record.course_version),
        "creator": issuer,
    }
    if image_url:
        achievement["image"] = {
            "id": image_url,
            "type": "Image",
            "caption": f"Badge for {record.course_title}",
        }
    return achievement


def _licence(record: CertificateRecord) -> str | None:
    if not record.licence_number:
        return None
    if record.licence_jurisdiction:
        return f"{record.licence_number} ({record.licence_jurisdiction})"
    return record.licence_number


def unsigned_credential(
    record: CertificateRecord,
    issuer: Issuer,
    *,
    status: dict[str, Any] | None = None,
    image_url: str | None = None,
) -> dict[str, Any]:
    """Build the OpenBadgeCredential document for a record, without its proofs."""
    # Every property is an Open Badges 3.0 or VC 2.0 term: a term outside those
    # contexts would be left out of the eddsa-rdfc-2022 signature.
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        # A name in plain text, not hashed: a licensing board has to read it.
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": record.participant_name,
                "identityType": "name",
                "hashed": False,
            }
        ],
        "achievement": _achievement(record, issuer.profile(), image_url),
        # A wallet that shows only the figure would show a sample's hours as credit earned.
        **({} if record.sample else {"creditsEarned": float(record.contact_hours)}),
        "activityEndDate": _completion_time(record),
    }
    licence = _licence(record)
    if licence:
        subject["licenseNumber"] = licence
    # A sample says so in its name and first words, where every wallet and reader shows
    # it (a property of its own would be outside the Open Badges terms, and unsigned).
    sample = f"{SAMPLE_NOTICE}. " if record.sample else ""
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        # The verification page: its last segment is the certificate code.
        "id": record.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer.profile(),
        "validFrom": _xsd_datetime(record),
        "name": f"{sample}Certificate of Completion: {record.course_title}",
        "description": (
            f"{sample}{hours_text(record.contact_hours)}, completed on "
            f"{record.completed_text}. "
            f"Certificate code {record.code}; verify at {record.verify_url}."
        ),
        "credentialSubject": subject,
    }
    if status is not None:
        document["credentialStatus"] = status
    return document


def issue_credential(
    record: CertificateRecord,
    *,
    issuer: Issuer,
    private_pem: bytes,
    status: dict[str, Any] | None = None,
    image_url: str | None = None,
) -> dict[str, Any]:
    """Return the record as a signed OpenBadgeCredential (a JSON-ready dict)."""
    return secure_document(
        unsigned_credential(record, issuer, status=status, image_url=image_url),
        private_pem=private_pem,
        # The issue time, not the wall clock, so the same record signs to the same bytes.
        created=_xsd_datetime(record),
        verification_method=method_for(issuer.id, private_pem),
    )


def _code_of(credential: dict[str, Any]) -> str | None:
    # Credentials issued before Open Badges terms only carried the code in a field
    # of their own; newer ones carry it as the last segment of their id (the
    # verification page).
    legacy = credential.get("certificateCode")
    if legacy is not None:
        return normalize_code(str(legacy))
    ident = credential.get("id")
    if not isinstance(ident, str):
        return None
    # The check symbol may be percent-encoded in the URL ("*" is "%2A").
    return normalize_code(unquote(ident.rstrip("/").rpartition("/")[2]))


def verify_credential(
    credential: dict[str, Any], public_pems: bytes | Iterable[bytes]
) -> CredentialCheck:
    """Check a credential's proofs against the issuer's public keys, offline."""
    keys = [public_pems] if isinstance(public_pems, bytes) else list(public_pems)
    problem = check_proofs(credential, keys)
    if problem is not None:
        named = _code_of(credential) if isinstance(credential, dict) else None
        return CredentialCheck(valid=False, reason=problem, code=None,
                               unchecked=problem == NO_JCS_PROOF, named_code=named)
    types = credential.get("type")
    if not isinstance(types, list) or "OpenBadgeCredential" not in types:
        return CredentialCheck(False, "signed, but not an OpenBadgeCredential", None)
    code = _code_of(credential)
    if code is None:
        return CredentialCheck(False, "signed, but the certificate code is malformed", None)
    return CredentialCheck(valid=True, reason="signature valid", code=code)
