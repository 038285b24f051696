"""Template filters and globals."""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def hours_label(hours: float) -> str:
    """Return "1 contact hour" or "1.5 contact hours"."""
    return f"{hours:g} contact hour" + ("" if hours == 1 else "s")


def date_label(value: datetime | None) -> str:
    """Return a date as "21 November 2026"."""
    return "" if value is None else f"{value.day} {value:%B %Y}"


def init_app(app: Flask) -> None:
    """Register filters and site-wide template variables."""
    app.add_template_filter(hours_label, "hours")
    app.add_template_filter(date_label, "date")

    @app.context_processor
    def site_globals() -> dict[str, object]:
        return {"site_name": app.config["SITE_NAME"]}
