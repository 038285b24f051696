"""Template filters and globals."""

from __future__ import annotations

from flask import Flask

from course.contacts import contact_links
from course.dates import date_label, stamp_label, time_label
from course.provider import SAMPLE_NOTICE, current_provider
from lessons.rules import WORDS_PER_MINUTE


def hours_label(hours: float) -> str:
    """Return "1 contact hour" or "1.5 contact hours"."""
    return f"{hours:g} contact hour" + ("" if hours == 1 else "s")


def duration_label(seconds: int | None) -> str:
    """Return a duration as "1 h 05 min" or "12 min"."""
    minutes = round((seconds or 0) / 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """Return "1 event" or "3 events": the number and the noun that agrees with it."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def reading_minutes(words: int) -> str:
    """Return a lesson's reading time at the CE rate, as "about 6 min"."""
    return f"about {max(1, round(words / WORDS_PER_MINUTE))} min"


def pairs(values: list[str]) -> list[tuple[str, str]]:
    """Return [(value, value), ...] so plain choices render like labelled ones."""
    return [(value, value) for value in values]


def init_app(app: Flask) -> None:
    """Register filters and site-wide template variables."""
    app.add_template_filter(hours_label, "hours")
    # Dates and times in the provider's time zone (course/dates.py).
    app.add_template_filter(date_label, "date")
    app.add_template_filter(time_label, "time")
    app.add_template_filter(stamp_label, "stamp")
    # The old name of "stamp", from when audit pages showed UTC; kept for templates
    # written against it.
    app.add_template_filter(stamp_label, "utc_stamp")
    app.add_template_filter(duration_label, "duration")
    app.add_template_filter(pairs, "pairs")
    app.add_template_filter(contact_links, "contact_links")
    app.add_template_filter(reading_minutes, "reading_minutes")
    app.add_template_filter(counted, "counted")

    @app.context_processor
    def site_globals() -> dict[str, object]:
        return {
            "site_name": app.config["SITE_NAME"],
            "ce_provider": current_provider(),
            "sample_notice": SAMPLE_NOTICE,
        }
