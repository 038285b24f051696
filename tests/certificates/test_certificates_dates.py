"""Certificate dates: stated in the provider's zone, with the zone named on the page."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from certificates_testkit import FULL, pdf_text

from certificates import CertificateRecord, render_pdf
from certificates.record import format_date, zone_label

# Issued at 05:30 UTC on November 23: still November 22 in Chicago.
EARLY = dataclasses.replace(
    FULL,
    issued_at=datetime.datetime(2026, 11, 23, 5, 30, tzinfo=datetime.UTC),
    time_zone="America/Chicago",
)


def test_dates_are_written_the_us_way() -> None:
    assert format_date(datetime.date(2026, 12, 2)) == "December 2, 2026"


def test_every_month_is_written_out_in_full() -> None:
    # Only December was ever printed in a test: a certificate completed in January
    # could have read " 4, 2027".
    names = ("January February March April May June July August September October"
             " November December").split()
    assert [format_date(datetime.date(2027, month, 4)) for month in range(1, 13)] == [
        f"{name} 4, 2027" for name in names
    ]


@pytest.mark.parametrize(
    ("zone", "label"),
    [("America/Chicago", "Central Time"), ("America/Los_Angeles", "Pacific Time"),
     ("America/Phoenix", "Mountain Time (Arizona)"), ("Europe/Paris", "Europe/Paris time"),
     ("America/Port_of_Spain", "America/Port of Spain time")],
)  # fmt: skip
def test_zones_are_named_as_readers_know_them(zone: str, label: str) -> None:
    assert zone_label(zone) == label


@pytest.mark.parametrize(
    ("zone", "label"),
    [("America/New_York", "Eastern Time"), ("America/Detroit", "Eastern Time"),
     ("America/Indiana/Indianapolis", "Eastern Time"),
     ("America/Kentucky/Louisville", "Eastern Time"), ("America/Denver", "Mountain Time"),
     ("America/Boise", "Mountain Time"), ("America/Anchorage", "Alaska Time"),
     ("Pacific/Honolulu", "Hawaii Time"), ("America/Puerto_Rico", "Atlantic Time"),
     ("UTC", "UTC")],
)  # fmt: skip
def test_every_us_zone_a_provider_may_use_has_its_everyday_name(zone: str, label: str) -> None:
    # Only three zones were tested: a provider in New York could have printed
    # "America/New York time" on every certificate without a test failing.
    assert zone_label(zone) == label
    day = datetime.date(2026, 12, 2)
    record = dataclasses.replace(FULL, time_zone=zone, completed_on=day)
    assert record.completed_text == f"December 2, 2026 ({label})"


def test_the_pdf_names_the_zone_of_the_completion_date_and_issues_on_the_local_day() -> None:
    text = pdf_text(render_pdf(EARLY))
    assert "Completed on November 21, 2026 (Central Time)" in text
    assert "Issued November 22, 2026 (Central Time)" in text  # the zone named, as completed
    assert EARLY.issued_on == datetime.date(2026, 11, 22)
    assert EARLY.issued_text == "November 22, 2026 (Central Time)"


def test_a_record_from_before_time_zones_reads_as_issued() -> None:
    data = EARLY.to_dict()
    del data["time_zone"]
    old = CertificateRecord.from_dict(data)
    assert old.time_zone is None and old.issued_on == datetime.date(2026, 11, 23)  # UTC
    assert old.completed_text == "November 21, 2026"
    assert old.issued_text == "November 23, 2026"
    assert CertificateRecord.from_dict(EARLY.to_dict()) == EARLY


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="not an IANA zone"):
        dataclasses.replace(FULL, time_zone="Central Time")
