"""Dates as the provider states them: in its time zone, the US way ("December 2, 2026").

Every ``*_at`` column holds a UTC instant. A learner in California who finishes at 5 pm
has finished that day, not on the next UTC day, so every date the engine shows or
exports is taken in the provider's time zone (``PROVIDER_TIMEZONE``). Templates use the
filters registered in ``course.templating``: ``{{ value|date }}`` (``date(zone=True)``
names the zone), ``{{ value|time }}`` and ``{{ value|stamp }}`` for audit records; CSV
files use ``local_iso``, which keeps the UTC offset so the instant stays exact.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from certificates.record import format_date, zone_label
from course.provider import current_provider

__all__ = [
    "date_label",
    "day_bounds",
    "local_date",
    "local_datetime",
    "local_iso",
    "provider_zone",
    "stamp_label",
    "time_label",
    "zone_label",
]


def provider_zone() -> ZoneInfo:
    """The provider's time zone (needs an app context)."""
    return current_provider().zone


def local_datetime(value: dt.datetime) -> dt.datetime:
    """An instant in the provider's time zone; a naive value is read as UTC, never local."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(provider_zone())


def local_date(value: dt.datetime | dt.date | None) -> dt.date | None:
    """The calendar date of an instant in the provider's time zone; a date passes through."""
    if isinstance(value, dt.datetime):
        return local_datetime(value).date()
    return value


def date_label(value: dt.datetime | dt.date | None, zone: bool = False) -> str:
    """ "December 2, 2026"; with ``zone``, " (Central Time)" after it."""
    day = local_date(value)
    if day is None:
        return ""
    text = format_date(day)
    return f"{text} ({zone_label(current_provider().time_zone)})" if zone else text


def time_label(value: dt.datetime | None, seconds: bool = False) -> str:
    """The clock time the US way in the provider's zone, zone named: "5:04 PM PST"."""
    if value is None:
        return ""
    local = local_datetime(value)
    hour = local.hour % 12 or 12
    second = f":{local.second:02d}" if seconds else ""
    return f"{hour}:{local.minute:02d}{second} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"


def stamp_label(value: dt.datetime | None) -> str:
    """Date and time to the second, for audit records: "December 2, 2026, 5:04:09 PM PST"."""
    if value is None:
        return ""
    return f"{date_label(value)}, {time_label(value, seconds=True)}"


def day_bounds(
    start: dt.date | None, end: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Local dates from ``start`` to ``end`` (inclusive) as UTC instants [from, before)."""
    zone = provider_zone()

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)

    return (
        midnight(start) if start else None,
        midnight(end + dt.timedelta(days=1)) if end else None,
    )


def local_iso(value: dt.datetime | None) -> str | None:
    """An instant as ISO 8601 with the provider's UTC offset, for CSV files and exports."""
    if value is None:
        return None
    return local_datetime(value).replace(microsecond=0).isoformat()
