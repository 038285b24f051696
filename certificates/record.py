"""The certificate record: everything a certificate states, as a frozen, JSON-safe value."""

from __future__ import annotations

import datetime
import decimal
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "SAMPLE_NOTICE",
    "AuthorLine",
    "CertificateRecord",
    "format_date",
    "hours_text",
    "zone_label",
]

#: What a sample certificate says in words, wherever it is shown.
SAMPLE_NOTICE = "Sample, not valid for continuing-education credit"

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


#: How people in the United States name the zones a US provider is likely to use.
US_ZONE_NAMES = {
    "America/New_York": "Eastern Time",
    "America/Detroit": "Eastern Time",
    "America/Indiana/Indianapolis": "Eastern Time",
    "America/Kentucky/Louisville": "Eastern Time",
    "America/Chicago": "Central Time",
    "America/Denver": "Mountain Time",
    "America/Boise": "Mountain Time",
    "America/Phoenix": "Mountain Time (Arizona)",
    "America/Los_Angeles": "Pacific Time",
    "America/Anchorage": "Alaska Time",
    "Pacific/Honolulu": "Hawaii Time",
    "America/Puerto_Rico": "Atlantic Time",
    "UTC": "UTC",
}


def format_date(day: datetime.date) -> str:
    """Format a date as "November 21, 2026" (US style), independent of the process locale."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def zone_label(zone: str) -> str:
    """Name a time zone as a reader knows it: "Central Time", else "Europe/Paris time"."""
    return US_ZONE_NAMES.get(zone, f"{zone.replace('_', ' ')} time")


def hours_text(hours: decimal.Decimal) -> str:
    """Return "1.0 contact hour" or "1.5 contact hours", keeping the figure as recorded."""
    return f"{hours:f} contact hour{'' if hours == 1 else 's'}"


@dataclass(frozen=True)
class AuthorLine:
    """One course author as printed: a name, their credentials and role (may be empty)."""

    name: str
    credentials: str
    role: str = ""

    def display(self) -> str:
        """Return "Name, CREDENTIALS (Role)", leaving out the parts that are empty."""
        credentials = self.credentials.strip()
        text = f"{self.name.strip()}, {credentials}" if credentials else self.name.strip()
        return f"{text} ({self.role.strip()})" if self.role.strip() else text

    def to_dict(self) -> dict[str, str]:
        """Return the author as JSON-safe data; the role only when there is one."""
        data = {"name": self.name, "credentials": self.credentials}
        if self.role:
            data["role"] = self.role
        return data


# Fields that are plain strings in both the record and its dict; checked in one loop.
_REQUIRED_TEXT = (
    "code",
    "participant_name",
    "course_title",
    "credit_type",
    "format",
    "provider_name",
    "verify_url",
)
_OPTIONAL_TEXT = (
    "licence_number",
    "licence_jurisdiction",
    "approval_body",
    "approval_number",
    "approval_statement",
    "signatory_name",
    "signatory_title",
    "provider_contact",
    "time_zone",
)


def _check_utc(name: str, moment: object) -> None:
    if not isinstance(moment, datetime.datetime):
        raise TypeError(f"{name} must be a datetime.datetime")
    offset = moment.utcoffset()
    if offset is None or offset != datetime.timedelta(0):
        # Databases such as SQLite hand back naive datetimes; guessing their zone
        # would silently misdate a legal record.
        raise ValueError(f"{name} must be timezone-aware UTC (tzinfo=datetime.UTC)")


@dataclass(frozen=True)
class CertificateRecord:
    """A completion as it is certified; the same record always renders the same PDF."""

    code: str
    participant_name: str
    licence_number: str | None
    licence_jurisdiction: str | None
    course_title: str
    course_version: int
    completed_on: datetime.date
    issued_at: datetime.datetime
    contact_hours: decimal.Decimal
    credit_type: str
    format: str
    authors: tuple[AuthorLine, ...]
    provider_name: str
    approval_body: str | None
    approval_number: str | None
    approval_statement: str | None
    verify_url: str
    signatory_name: str | None = None
    signatory_title: str | None = None
    #: True until a real provider is set: the certificate then says SAMPLE_NOTICE.
    sample: bool = False
    #: Where to ask for a correction (an email address, telephone number or web page).
    provider_contact: str | None = None
    #: The IANA time zone its dates are stated in (the provider's); None in older records.
    time_zone: str | None = None
    #: The moment the course was completed (UTC), whose day ``completed_on`` states;
    #: None in records from before it was kept, which hold only the day.
    completed_at: datetime.datetime | None = None

    def __post_init__(self) -> None:
        # A record is kept for years and shown to licensing boards, so a wrong type is
        # refused here, where the caller can see it, rather than printed or stored.
        for name in _REQUIRED_TEXT:
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a non-empty string")
        for name in _OPTIONAL_TEXT:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a string or None")
        if not isinstance(self.sample, bool):
            raise TypeError("sample must be a bool")
        if self.time_zone is not None:
            try:
                zoneinfo.ZoneInfo(self.time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"time_zone {self.time_zone!r} is not an IANA zone") from exc
        if isinstance(self.course_version, bool) or not isinstance(self.course_version, int):
            raise TypeError("course_version must be an int")
        if self.course_version < 1:
            raise ValueError("course_version must be 1 or more")
        # datetime is a subclass of date; a datetime here would not round-trip as a date.
        if type(self.completed_on) is not datetime.date:
            raise TypeError("completed_on must be a datetime.date (not a datetime)")
        _check_utc("issued_at", self.issued_at)
        if self.completed_at is not None:
            _check_utc("completed_at", self.completed_at)
        if not isinstance(self.contact_hours, decimal.Decimal):
            raise TypeError("contact_hours must be a decimal.Decimal, e.g. Decimal('1.0')")
        if not self.contact_hours.is_finite() or self.contact_hours <= 0:
            raise ValueError("contact_hours must be a positive, finite number")
        if not isinstance(self.authors, tuple) or not all(
            isinstance(a, AuthorLine) for a in self.authors
        ):
            raise TypeError("authors must be a tuple of AuthorLine")

    @property
    def issued_on(self) -> datetime.date:
        """The day it was issued, in the zone its dates are stated in (UTC for old records)."""
        zone = zoneinfo.ZoneInfo(self.time_zone) if self.time_zone else datetime.UTC
        return self.issued_at.astimezone(zone).date()

    @property
    def issued_text(self) -> str:
        """The issue date with its zone named, as ``completed_text`` gives the completion's."""
        return self._zoned(self.issued_on)

    @property
    def completed_text(self) -> str:
        """The completion date with its zone named: "December 2, 2026 (Central Time)"."""
        return self._zoned(self.completed_on)

    def _zoned(self, day: datetime.date) -> str:
        text = format_date(day)
        return f"{text} ({zone_label(self.time_zone)})" if self.time_zone else text

    @property
    def has_approval(self) -> bool:
        """True when body, number and statement are all set; otherwise no approval is claimed."""
        return all(
            value is not None and value.strip()
            for value in (self.approval_body, self.approval_number, self.approval_statement)
        )

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-safe snapshot: dates in ISO 8601, Decimal as a string."""
        data: dict[str, object] = {}
        for field in fields(self):
            data[field.name] = getattr(self, field.name)
        data["completed_on"] = self.completed_on.isoformat()
        data["issued_at"] = self.issued_at.isoformat()
        data["completed_at"] = self.completed_at and self.completed_at.isoformat()
        data["contact_hours"] = str(self.contact_hours)
        data["authors"] = [author.to_dict() for author in self.authors]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CertificateRecord:
        """Rebuild a record from to_dict() output; raises ValueError on a malformed snapshot."""
        known = {field.name for field in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown certificate fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        try:
            values["completed_on"] = datetime.date.fromisoformat(data["completed_on"])
            values["issued_at"] = datetime.datetime.fromisoformat(data["issued_at"])
            if data.get("completed_at") is not None:
                values["completed_at"] = datetime.datetime.fromisoformat(data["completed_at"])
            hours = data["contact_hours"]
            if not isinstance(hours, str):
                # A float here would already have lost the exact value that was certified.
                raise TypeError("contact_hours must be a decimal string")
            values["contact_hours"] = decimal.Decimal(hours)
            values["authors"] = tuple(
                AuthorLine(name=a["name"], credentials=a["credentials"], role=a.get("role", ""))
                for a in data["authors"]
            )
            return cls(**values)
        except (KeyError, TypeError, decimal.InvalidOperation) as exc:
            raise ValueError(f"malformed certificate snapshot: {exc!r}") from exc
