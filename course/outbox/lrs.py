"""Send xAPI statements to a learning record store (POST /statements, in batches)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from course.models import OutboxMessage

XAPI_VERSION = "1.0.3"
TIMEOUT_SECONDS = 15
#: Answers that may be about one statement of a batch, so the batch is sent again one by
#: one: 400 Bad Request (xAPI's own), 409 Conflict, 413 Too Large, and 422, which LRSs
#: built on FastAPI (Ralph) send for a statement they cannot read.
REFUSES_A_STATEMENT = frozenset({400, 409, 413, 422})


class DeliveryError(Exception):
    """The LRS did not store the statements; the worker tries again later."""


def _url(config: Mapping[str, Any]) -> str:
    return config["XAPI_ENDPOINT"].rstrip("/") + "/statements"


def _auth(config: Mapping[str, Any]) -> tuple[str, str] | None:
    if config.get("XAPI_USERNAME"):
        return config["XAPI_USERNAME"], config.get("XAPI_PASSWORD") or ""
    return None


def _post(statements: list[dict[str, Any]], config: Mapping[str, Any],
          http: requests.Session) -> requests.Response:
    return http.post(_url(config), json=statements, auth=_auth(config),
                     timeout=TIMEOUT_SECONDS, headers={"X-Experience-API-Version": XAPI_VERSION})


def _holds(statement_id: str, config: Mapping[str, Any], http: requests.Session) -> bool:
    """Whether the LRS already has a statement with this id, voided or not."""
    # xAPI 1.0.3 lets an LRS answer a statement id it holds with 409 Conflict even when
    # the copy is identical (a resend after a crash, or `xapi resend`); retrying could
    # never succeed. A voided statement is only found by voidedStatementId.
    for parameter in ("statementId", "voidedStatementId"):
        try:
            response = http.get(_url(config), params={parameter: statement_id},
                                auth=_auth(config), timeout=TIMEOUT_SECONDS,
                                headers={"X-Experience-API-Version": XAPI_VERSION})
        except requests.RequestException:
            return False
        if response.status_code == 200:
            return True
    return False


def send(messages: list[OutboxMessage], config: Mapping[str, Any],
         http: requests.Session) -> list[tuple[OutboxMessage, str | None]]:
    """Send statements; return each message with None (stored) or why it was not.

    A batch goes in one request. The LRS stores a statement id once: one it already
    holds is accepted again without a second copy, or refused with 409 Conflict and then
    found there, so a resend after a crash or a restore never duplicates anything.
    """
    try:
        response = _post([m.payload for m in messages], config, http)
    except requests.RequestException as exc:
        unreachable = (f"LRS unreachable at {_url(config)}: {exc.__class__.__name__} "
                       "(check XAPI_ENDPOINT, and that the LRS is up)")
        return [(m, unreachable) for m in messages]
    if response.status_code in (200, 204):
        return [(m, None) for m in messages]
    if response.status_code in REFUSES_A_STATEMENT and len(messages) > 1:
        # One bad statement refuses the whole batch: find it, let the others through.
        return [outcome for m in messages for outcome in send([m], config, http)]
    if response.status_code == 409 and _holds(messages[0].message_id, config, http):
        return [(messages[0], None)]  # the LRS keeps the copy it stored first
    answer = f"LRS answered HTTP {response.status_code}{_what_to_check(response, config)}"
    return [(m, f"{answer}: {response.text[:300]}") for m in messages]


def _what_to_check(response: requests.Response, config: Mapping[str, Any]) -> str:
    """Name the setting that most likely causes an LRS's refusal, for `outbox status`."""
    if response.status_code in (401, 403):
        return " (check XAPI_USERNAME and XAPI_PASSWORD, the LRS's key and secret)"
    if response.status_code in (404, 405):
        return (f" (check XAPI_ENDPOINT: statements went to {_url(config)}; it is the LRS's "
                "xAPI base URL, the part before /statements)")
    return ""
