"""Send xAPI statements to a learning record store (POST /statements, in batches)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from course.models import OutboxMessage

XAPI_VERSION = "1.0.3"
TIMEOUT_SECONDS = 15


class DeliveryError(Exception):
    """The LRS did not store the statements; the worker tries again later."""


def _post(statements: list[dict[str, Any]], config: Mapping[str, Any],
          http: requests.Session) -> requests.Response:
    url = config["XAPI_ENDPOINT"].rstrip("/") + "/statements"
    auth = None
    if config.get("XAPI_USERNAME"):
        auth = (config["XAPI_USERNAME"], config.get("XAPI_PASSWORD") or "")
    return http.post(url, json=statements, auth=auth, timeout=TIMEOUT_SECONDS,
                     headers={"X-Experience-API-Version": XAPI_VERSION})


def send(messages: list[OutboxMessage], config: Mapping[str, Any],
         http: requests.Session) -> list[tuple[OutboxMessage, str | None]]:
    """Send statements; return each message with None (stored) or why it was not.

    A batch goes in one request. The LRS stores a statement id once: one it already
    holds, identical, is accepted again without a second copy, so a resend after a
    crash or a restore never duplicates anything.
    """
    try:
        response = _post([m.payload for m in messages], config, http)
    except requests.RequestException as exc:
        return [(m, f"LRS unreachable: {exc.__class__.__name__}") for m in messages]
    if response.status_code in (200, 204):
        return [(m, None) for m in messages]
    if response.status_code in (400, 409) and len(messages) > 1:
        # One bad statement refuses the whole batch: find it, let the others through.
        return [outcome for m in messages for outcome in send([m], config, http)]
    return [(m, f"LRS answered HTTP {response.status_code}: {response.text[:300]}")
            for m in messages]
