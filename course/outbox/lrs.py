"""Send xAPI statements to a learning record store (POST /statements, in batches)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from course.db import utcnow
from course.models import OutboxMessage

#: The xAPI version said in each request when the settings name none (``XAPI_VERSION``).
XAPI_VERSION = "1.0.3"
TIMEOUT_SECONDS = 15
#: Answers that may be about one statement of a batch, so the batch is sent again one by
#: one: 400 Bad Request (xAPI's own), 409 Conflict, 413 Too Large, and 422, which LRSs
#: built on FastAPI (Ralph) send for a statement they cannot read.
REFUSES_A_STATEMENT = frozenset({400, 409, 413, 422})
#: Answers to one statement that the LRS would give it again, however often it came: it
#: cannot read or validate it (400, 422), or will not take one that large (413). Every
#: other refusal may pass once someone acts or time passes: 401/403/404/405 name a
#: setting to fix, 408 and 429 ask for later, and a 409 may mean the LRS holds it
#: already (``_holds``). An answer not listed here is tried again, as it may be the LRS's.
REFUSES_FOR_GOOD = frozenset({400, 413, 422})
#: Answers whose Retry-After header says when to try again.
SAYS_WHEN = frozenset({429, 503})


@dataclass(frozen=True)
class Outcome:
    """What became of one statement: stored (no error), or why not and what follows."""

    message: OutboxMessage
    error: str | None = None
    #: The LRS refused the statement itself, and would refuse it again unchanged.
    refused: bool = False
    #: How long the LRS asked the sender to wait (429, 503 with Retry-After), if it said.
    retry_after: timedelta | None = None


class DeliveryError(Exception):
    """The LRS did not store the statements; the worker tries again later."""


def _url(config: Mapping[str, Any]) -> str:
    return config["XAPI_ENDPOINT"].rstrip("/") + "/statements"


def _auth(config: Mapping[str, Any]) -> tuple[str, str] | None:
    if config.get("XAPI_USERNAME"):
        return config["XAPI_USERNAME"], config.get("XAPI_PASSWORD") or ""
    return None


def _headers(config: Mapping[str, Any]) -> dict[str, str]:
    # Every request to the LRS must say the version it is written to (xAPI 1.0.3 and 2.0):
    # the statements built here are valid in both.
    return {"X-Experience-API-Version": config.get("XAPI_VERSION") or XAPI_VERSION}


def _post(statements: list[dict[str, Any]], config: Mapping[str, Any],
          http: requests.Session) -> requests.Response:
    return http.post(_url(config), json=statements, auth=_auth(config),
                     timeout=TIMEOUT_SECONDS, headers=_headers(config))


def _holds(statement_id: str, config: Mapping[str, Any],
           http: requests.Session) -> bool | None:
    """Whether the LRS already has a statement with this id, voided or not; None when it
    lets these credentials write statements but not read them (a write-only key)."""
    # xAPI 1.0.3 lets an LRS answer a statement id it holds with 409 Conflict even when
    # the copy is identical (a resend after a crash, or `xapi resend`); retrying could
    # never succeed. A voided statement is only found by voidedStatementId.
    unreadable = False
    for parameter in ("statementId", "voidedStatementId"):
        try:
            response = http.get(_url(config), params={parameter: statement_id},
                                auth=_auth(config), timeout=TIMEOUT_SECONDS,
                                headers=_headers(config))
        except requests.RequestException:
            return False
        if response.status_code == 200:
            return True
        unreadable = unreadable or response.status_code in (401, 403)
    return None if unreadable else False


def retry_after(response: requests.Response) -> timedelta | None:
    """Return the wait a 429 or 503 asks for in Retry-After (seconds or an HTTP date)."""
    value = response.headers.get("Retry-After", "").strip()
    if response.status_code not in SAYS_WHEN or not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # neither form: the usual back-off
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # RFC 9110 dates are GMT
    return max(when - utcnow(), timedelta(0))


def send(messages: list[OutboxMessage], config: Mapping[str, Any],
         http: requests.Session) -> list[Outcome]:
    """Send statements; return what became of each, stored or why not.

    A batch goes in one request. The LRS stores a statement id once: one it already
    holds is accepted again without a second copy, or refused with 409 Conflict and then
    found there, so a resend after a crash or a restore never duplicates anything.
    """
    try:
        response = _post([m.payload for m in messages], config, http)
    except requests.RequestException as exc:
        unreachable = (f"LRS unreachable at {_url(config)}: {exc.__class__.__name__} "
                       "(check XAPI_ENDPOINT, and that the LRS is up)")
        return [Outcome(m, unreachable) for m in messages]
    if response.status_code in (200, 204):
        return [Outcome(m) for m in messages]
    version_refused = _refuses_version(response)
    if response.status_code in REFUSES_A_STATEMENT and len(messages) > 1 and not version_refused:
        # One bad statement refuses the whole batch: find it, let the others through.
        return [outcome for m in messages for outcome in send([m], config, http)]
    held = _holds(messages[0].message_id, config, http) if response.status_code == 409 else False
    if held:
        return [Outcome(messages[0])]  # the LRS keeps the copy it stored first
    answer = f"LRS answered HTTP {response.status_code}{_what_to_check(response, config)}"
    if held is None:
        # Retried for ever otherwise, with nothing saying why it cannot be settled.
        answer += (" (it may already hold this statement, but these credentials may not read "
                   "statements, so that cannot be checked: give the LRS key of XAPI_USERNAME "
                   "read access as well)")
    # A batch is only refused for good one statement at a time (split above).
    # A refused version is a setting to fix, after which every statement goes through.
    refused = (response.status_code in REFUSES_FOR_GOOD and len(messages) == 1
               and not version_refused)
    wait = retry_after(response)
    return [Outcome(m, f"{answer}: {response.text[:300]}", refused, wait) for m in messages]


def _refuses_version(response: requests.Response) -> bool:
    """Whether the LRS refused the request's xAPI version (400, naming the version header)."""
    # xAPI 1.0.3 and 2.0 both answer a version the LRS does not take with 400 Bad Request.
    # The header's name, not the word "version": a statement refused for its own version
    # property is that statement's fault, and must not hold its batch back for ever.
    return response.status_code == 400 and "experience-api-version" in response.text.lower()


def _what_to_check(response: requests.Response, config: Mapping[str, Any]) -> str:
    """Name the setting that most likely causes an LRS's refusal, for `outbox status`."""
    if response.status_code in (401, 403):
        return " (check XAPI_USERNAME and XAPI_PASSWORD, the LRS's key and secret)"
    if _refuses_version(response):
        return (f" (check XAPI_VERSION: the requests said xAPI "
                f"{config.get('XAPI_VERSION') or XAPI_VERSION}; set the version the LRS takes)")
    if response.status_code in (404, 405):
        return (f" (check XAPI_ENDPOINT: statements went to {_url(config)}; it is the LRS's "
                "xAPI base URL, the part before /statements)")
    return ""
