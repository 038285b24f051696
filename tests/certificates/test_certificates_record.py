"""The certificate record: validation and its JSON-safe snapshot."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import zoneinfo

import pytest
from certificates_testkit import BARE, FULL

from certificates import AuthorLine, CertificateRecord
from certificates.record import hours_text


@pytest.mark.parametrize("record", [FULL, BARE], ids=["full", "bare"])
def test_snapshot_round_trips_through_json(record: CertificateRecord) -> None:
    data = record.to_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert CertificateRecord.from_dict(json.loads(text)) == record
    assert CertificateRecord.from_dict(data) == record


def test_snapshot_uses_iso_dates_and_decimal_strings() -> None:
    data = FULL.to_dict()
    assert data["completed_on"] == "2026-11-21"
    assert data["issued_at"] == "2026-11-23T09:30:00+00:00"
    assert data["contact_hours"] == "1.0"
    assert data["authors"] == [
        {"name": "Maria Alvarez", "credentials": "PhD, LCSW"},
        {"name": "Sam Okafor", "credentials": "MSW"},
    ]
    assert data["participant_name"] == "Zoë Nguyễn-O'Brien"
    assert data["approval_number"] == "886123456-7890"
    assert BARE.to_dict()["approval_body"] is None


def test_snapshot_keeps_the_exact_hours() -> None:
    record = dataclasses.replace(FULL, contact_hours=decimal.Decimal("1.50"))
    again = CertificateRecord.from_dict(record.to_dict())
    assert str(again.contact_hours) == "1.50"


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        ("1.0", "1.0 contact hour"),
        ("1", "1 contact hour"),
        # Only exactly one hour is singular: a quarter hour or an hour and a half is not.
        ("0.25", "0.25 contact hours"),
        ("0.75", "0.75 contact hours"),
        ("1.25", "1.25 contact hours"),
        ("1.5", "1.5 contact hours"),
        ("1.50", "1.50 contact hours"),
        ("2.0", "2.0 contact hours"),
    ],
)
def test_hours_are_said_as_certified_and_singular_only_for_one(hours: str, said: str) -> None:
    assert hours_text(decimal.Decimal(hours)) == said


def test_the_completion_moment_round_trips_and_older_snapshots_have_none() -> None:
    moment = datetime.datetime(2026, 11, 21, 21, 47, 13, tzinfo=datetime.UTC)
    record = dataclasses.replace(FULL, completed_at=moment)
    assert record.to_dict()["completed_at"] == "2026-11-21T21:47:13+00:00"
    assert CertificateRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    older = {k: v for k, v in FULL.to_dict().items() if k != "completed_at"}
    assert CertificateRecord.from_dict(older).completed_at is None


def test_issued_at_in_another_zone_with_zero_offset_round_trips() -> None:
    utc = zoneinfo.ZoneInfo("UTC")
    record = dataclasses.replace(FULL, issued_at=FULL.issued_at.replace(tzinfo=utc))
    assert CertificateRecord.from_dict(record.to_dict()) == record


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"issued_at": datetime.datetime(2026, 11, 23, 9, 30)}, ValueError),  # naive
        (
            {"issued_at": datetime.datetime(2026, 11, 23, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))},
            ValueError,
        ),
        ({"completed_on": datetime.datetime(2026, 11, 21, tzinfo=datetime.UTC)}, TypeError),
        ({"contact_hours": 1.0}, TypeError),
        ({"contact_hours": decimal.Decimal("0")}, ValueError),
        ({"contact_hours": decimal.Decimal("NaN")}, ValueError),
        ({"course_version": 0}, ValueError),
        ({"course_version": "1"}, TypeError),
        ({"course_version": True}, TypeError),  # a bool is an int to Python, not a version
        ({"participant_name": "  "}, ValueError),
        ({"code": ""}, ValueError),
        ({"authors": [AuthorLine("A", "B")]}, TypeError),  # a list, not a tuple
        ({"authors": ("Maria Alvarez, PhD",)}, TypeError),  # a name, not an AuthorLine
        ({"course_title": 42}, ValueError),  # not text at all
        ({"licence_number": 12345}, TypeError),
        ({"completed_at": datetime.datetime(2026, 11, 21, 21, 47)}, ValueError),  # naive
        ({"completed_at": datetime.date(2026, 11, 21)}, TypeError),
    ],
)
def test_record_refuses_wrong_values(changes: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        dataclasses.replace(FULL, **changes)


def test_from_dict_refuses_unknown_or_missing_fields() -> None:
    data = FULL.to_dict()
    with pytest.raises(ValueError, match="unknown"):
        CertificateRecord.from_dict({**data, "grade": "A"})
    del data["code"]
    with pytest.raises(ValueError):
        CertificateRecord.from_dict(data)


def test_from_dict_refuses_float_hours() -> None:
    with pytest.raises(ValueError):
        CertificateRecord.from_dict({**FULL.to_dict(), "contact_hours": 1.0})


def test_record_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        FULL.participant_name = "Someone Else"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("body", "number", "statement", "expected"),
    [
        ("NASW", "886", "Approved for 1 hour.", True),
        ("NASW", "886", None, False),
        ("NASW", None, "Approved for 1 hour.", False),
        (None, "886", "Approved for 1 hour.", False),
        ("NASW", "886", "   ", False),
    ],
)
def test_approval_needs_all_three_parts(
    body: str | None, number: str | None, statement: str | None, expected: bool
) -> None:
    record = dataclasses.replace(
        FULL, approval_body=body, approval_number=number, approval_statement=statement
    )
    assert record.has_approval is expected
