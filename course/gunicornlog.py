"""gunicorn's own log lines in the app's format, so one parser reads the whole journal.

Set ``logger_class = "course.gunicornlog.Logger"`` in gunicorn.conf.py. gunicorn's lines
(workers booting, timeouts, the access log) then follow ``LOG_FORMAT`` as the app's do:
the same UTC times, level and logger fields. An access line carries the request id the
app answered with (``X-Request-ID``) in the same ``request_id`` field as the app's lines
for that request; in JSON it also has ``remote``, ``request``, ``status``, ``bytes`` and
``duration_ms`` as fields of their own.

gunicorn reads the environment of its master, where the service's settings are loaded
(``EnvironmentFile``), so ``LOG_FORMAT`` is the app's.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from course.logs import FORMATS, make_formatter

#: gunicorn's access-log atoms given their own JSON fields: (atom, field, as a number).
_ACCESS_FIELDS = (
    ("h", "remote", False),
    ("r", "request", False),
    ("s", "status", True),
    ("B", "bytes", True),
    ("M", "duration_ms", True),
)
_REQUEST_ID_ATOM = "{x-request-id}o"


class _ErrorLineFields(logging.Filter):
    """gunicorn's own lines belong to no request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = "-"
        return True


class _AccessLineFields(logging.Filter):
    """Lift the request id and the access atoms out of the line's arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms: Any = record.args if isinstance(record.args, dict) else {}
        record.request_id = atoms.get(_REQUEST_ID_ATOM, "-")
        for atom, field, numeric in _ACCESS_FIELDS:
            value = atoms.get(atom)
            setattr(record, field, _number(value) if numeric else value)
        return True


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # gunicorn's "-": no body, say


def log_format() -> str:
    """The ``LOG_FORMAT`` the app runs with (text when unset or unknown to it)."""
    value = os.environ.get("LOG_FORMAT", "text").strip().lower()
    return value if value in FORMATS else "text"


class Logger(GunicornLogger):
    """gunicorn's logger with the app's formatter on every handler gunicorn sets up."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up as usual, then give them the app's line format."""
        super().setup(cfg)
        chosen = log_format()
        own_lines = ((self.error_log, _ErrorLineFields), (self.access_log, _AccessLineFields))
        for log, fields in own_lines:
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(make_formatter(chosen))
                    handler.addFilter(fields())
