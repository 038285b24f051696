"""Template filters and globals."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from flask import Flask, has_request_context, request
from markupsafe import Markup, escape

from certificates.codes import spoken_code
from certificates.record import hours_text
from course.contacts import contact_links
from course.dates import date_label, stamp_label, time_label, zone_label
from course.forms import page_title
from course.names import hidden_character
from course.provider import SAMPLE_NOTICE, current_provider
from lessons.timing import outline_minutes, reading_minutes_of


def _as_certified(hours: float | Decimal) -> Decimal:
    # Issuing records a package's contact hours as Decimal(str(float)): "1.0", "1.25".
    return Decimal(str(float(hours)))


def hours_figure(hours: float | Decimal) -> str:
    """Contact hours as a certificate states them ("1.0", "1.25")."""
    return f"{_as_certified(hours):f}"


def hours_label(hours: float | Decimal) -> str:
    """Return "1.0 contact hour" or "1.5 contact hours", in the certificate's own words."""
    return hours_text(_as_certified(hours))


def duration_label(seconds: int | None) -> str:
    """Return a duration as "1 h 05 min" or "12 min", in whole minutes served."""
    # Down, never up: 44 min 40 s read as "45 min" beside "1 more minute to go" of a
    # 45-minute minimum, and a record must not state time not yet spent.
    minutes = (seconds or 0) // 60
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def with_article(noun: str) -> str:
    """Return "an author" or "a reviewer": the noun after the article that fits it."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """Return "1 event" or "3 events": the number and the noun that agrees with it."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def full_stop(text: str | None) -> str:
    """Return the period a sentence ending in ``text`` still needs ("" when it has one)."""
    # Staff type reasons as sentences, often with their own period: "... account.." read
    # as a typo on the very pages an accreditor is shown.
    return "" if (text or "").rstrip().rstrip("\"'”’)").endswith((".", "!", "?")) else "."


_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")


def demote_headings(html: str, by: int = 2) -> Markup:
    """Return rendered (already safe) HTML with each heading ``by`` levels lower, at most h6.

    For a page shown inside another (the editor's preview of a lesson): its h1 and h2
    would otherwise sit beside the editor's own sections in the headings list.
    """
    return Markup(_HEADING_TAG.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) + by)}", str(html)))


def pairs(values: list[str]) -> list[tuple[str, str]]:
    """Return [(value, value), ...] so plain choices render like labelled ones."""
    return [(value, value) for value in values]


#: ``url_for``'s own options but ``_anchor``: a link that names one (an external link
#: names the request's host) is always built, never remembered.
_BUILT_EACH_TIME = frozenset({"_external", "_scheme", "_method"})


def cached_url_for(app: Flask, size: int = 4096) -> Callable[..., str]:
    """Return the app's ``url_for`` for templates, remembering the links it built.

    A page builds 15 to 20 links and Werkzeug works each out anew, most of them the same
    on every page (style sheets, the menu, the lesson's own). A link depends only on its
    endpoint, its values and where the app is mounted, so those are the key; external
    links (which name the request's host) and relative endpoints are always built.
    The values are sorted by name, so a link's query arguments come in that order.
    """
    build = app.url_for

    @lru_cache(maxsize=size)
    def remembered(script_root: str, endpoint: str, values: tuple) -> str:
        return build(endpoint, **dict(values))

    def url_for(endpoint: str, **values: object) -> str:
        if (
            endpoint.startswith(".")
            or not has_request_context()
            or not _BUILT_EACH_TIME.isdisjoint(values)
        ):
            return build(endpoint, **values)
        try:
            return remembered(request.script_root, endpoint, tuple(sorted(values.items())))
        except TypeError:  # a value that cannot be a key (a list of query values)
            return build(endpoint, **values)

    return url_for


_CODE_SPAN = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> Markup:
    """A checker message for a page: its `backticked` names as code, the rest as text."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))


def certificate_code(code: str) -> Markup:
    """A certificate code as <code>, its check symbol named for screen readers."""
    spoken = spoken_code(code)
    if spoken is None:
        return Markup("<code>{}</code>").format(code)
    # The spoken words stay out of a copy (code-spoken): a learner copying the code
    # into an email to a board must get the code alone.
    return Markup('<code><span aria-hidden="true">{}</span>'
                  '<span class="visually-hidden code-spoken">{}</span></code>').format(code, spoken)


def licence_ending(number: str, count: int = 4) -> str:
    """The end of a license number from its last ``count`` letters or digits on, and never
    more than half of them: a short number is not published whole.

    Punctuation and spaces do not count: "LCSW 12345-B" ends in "345-B", not "45-B".
    """
    # Hidden and direction characters (refused on entry now, but older accounts may hold
    # them) print as nothing on the PDF; a browser obeys them, so drop them to agree.
    number = "".join(ch for ch in number if not hidden_character(ch))
    count = min(count, sum(ch.isalnum() for ch in number) // 2)
    if count < 1:
        return ""
    seen = 0
    for index in range(len(number) - 1, -1, -1):
        seen += number[index].isalnum()
        if seen == count:
            return number[index:].strip()
    return number.strip()


def init_app(app: Flask) -> None:
    """Register filters and site-wide template variables."""
    app.jinja_env.globals["url_for"] = cached_url_for(app)
    app.jinja_env.globals["outline_minutes"] = outline_minutes
    app.jinja_env.globals["reading_minutes_of"] = reading_minutes_of
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
    app.add_template_filter(demote_headings, "demote_headings")
    app.add_template_filter(full_stop, "full_stop")
    app.add_template_filter(contact_links, "contact_links")
    app.add_template_filter(counted, "counted")
    app.add_template_filter(code_spans, "code_spans")
    app.add_template_filter(certificate_code, "certificate_code")
    app.add_template_filter(licence_ending, "licence_ending")
    app.add_template_filter(page_title, "page_title")

    @app.context_processor
    def site_globals() -> dict[str, object]:
        provider = current_provider()
        return {
            "site_name": app.config["SITE_NAME"],
            "ce_provider": provider,
            # Times on pages are in the provider's zone; column headings name it.
            "time_zone": zone_label(provider.time_zone),
            "sample_notice": SAMPLE_NOTICE,
        }
