"""Logging: one record per line with a request id, level and format from the settings.

Every request gets an id: the one a trusted reverse proxy sent in ``X-Request-ID`` (nginx's
``$request_id``) when it looks sane, otherwise a new random one. It goes on every log
line written while the request runs, back to the client in the response's
``X-Request-ID`` header (so gunicorn's access log and a learner's bug report can quote
it) and on error reports. ``LOG_FORMAT`` is ``text`` (``time level logger
request_id=... message``) or ``json`` (one object a line, for a log shipper).

With ``SENTRY_DSN`` set, errors also go to Sentry (or a compatible server) through
``sentry-sdk``'s Flask integration, an optional dependency (``pip install '.[sentry]'``).
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from typing import Any, TextIO

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

from course.config import SettingError

REQUEST_ID_HEADER = "X-Request-ID"
#: What an incoming id may look like: nginx's 32 hex digits, a UUID, or similar tokens.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=-]{7,127}")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
_HANDLER_NAME = "course"
#: Libraries that narrate their own start-up at INFO, in every worker.
_QUIET_AT_INFO = ("alembic.runtime.plugins",)


def current_request_id() -> str:
    """Return this request's id, taking the proxy's or making one on first use."""
    request_id = g.get("request_id")
    if request_id is None:
        request_id = _trusted_incoming_id() or secrets.token_hex(16)  # as random as a UUID4
        g.request_id = request_id
    return request_id


def _trusted_incoming_id() -> str | None:
    # Only a proxy the app trusts (TRUST_PROXY) may name the request: a client talking
    # to gunicorn directly could otherwise plant text in the logs.
    if not current_app.config.get("TRUST_PROXY"):
        return None
    value = request.headers.get(REQUEST_ID_HEADER, "")
    return value if SANE_REQUEST_ID.fullmatch(value) else None


def _assign_request_id() -> None:
    current_request_id()


def _echo_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = current_request_id()
    return response


class RequestIdFilter(logging.Filter):
    """Put the request id (or "-" outside a request) on every record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() if has_request_context() else "-"
        return True


class _UTCTimes:
    """ISO 8601 times in UTC with milliseconds, the same on every server."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class TextFormatter(_UTCTimes, logging.Formatter):
    """``2026-12-02T15:04:05.123Z INFO course.mail request_id=... Email sent``."""


class JsonLineFormatter(_UTCTimes, JsonFormatter):
    """One JSON object a line: time, level, logger, request_id, message (and exc_info)."""


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def make_formatter(log_format: str) -> logging.Formatter:
    """Return the formatter for a ``LOG_FORMAT`` value."""
    if log_format == "json":
        return JsonLineFormatter(
            _JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return TextFormatter(TEXT_FORMAT)


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """Send every logger's records at ``level`` and above to stderr (or ``stream``).

    Idempotent: a second call replaces the handler the first one installed.
    """
    if log_format not in FORMATS:
        raise SettingError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise SettingError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    handler: logging.Handler = _StderrHandler() if stream is None else logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(make_formatter(log_format))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in _QUIET_AT_INFO:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    return handler


def init_app(app: Flask) -> None:
    """Configure logging (unless ``LOG_CONFIGURE`` is off), request ids and error reports."""
    if app.config.get("LOG_CONFIGURE", True):
        configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
        # Flask's own handler would write the app's records a second time, unformatted.
        app.logger.removeHandler(default_handler)
    # First in the list, so that even a request refused by another hook has its id.
    app.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)
    app.after_request(_echo_request_id)
    if app.config.get("SENTRY_DSN"):
        _init_sentry(app)


def _init_sentry(app: Flask) -> None:
    try:
        import sentry_sdk
        from sentry_sdk.integrations.flask import FlaskIntegration
    except ImportError as exc:
        raise SettingError(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install '.[sentry]'"
        ) from exc
    from sentry_sdk.utils import BadDsn

    try:
        sentry_sdk.init(
            dsn=app.config["SENTRY_DSN"],
            integrations=[FlaskIntegration()],
            environment=app.config.get("SENTRY_ENVIRONMENT") or app.config["ENV_NAME"],
            # Learners' names, email and addresses stay out of the reports.
            send_default_pii=False,
            traces_sample_rate=0.0,
            before_send=_tag_request_id,
        )
    except BadDsn as exc:
        raise SettingError(
            f"SENTRY_DSN must be the address the error tracker gives, like "
            f"https://KEY@sentry.example.org/7, not {app.config['SENTRY_DSN']!r} ({exc})"
        ) from exc


def _tag_request_id(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """Name the request in the report, so it can be matched with the log lines."""
    if has_request_context():
        event.setdefault("tags", {})["request_id"] = current_request_id()
    return event
