"""Assignment and Grade Services: post a learner's score to a platform's line item."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt
import requests

from course import signing_keys
from course.models import LtiGradeTarget, LtiPlatform

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TIMEOUT_SECONDS = 10

#: Access tokens by (token URL, client id), with when to stop using them.
_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_lock = threading.Lock()


class DeliveryError(Exception):
    """The platform refused or could not take the score; the worker tries again later."""


def _client_assertion(platform: LtiPlatform) -> str:
    key = signing_keys.current_key(signing_keys.LTI)
    now = int(time.time())
    claims = {"iss": platform.client_id, "sub": platform.client_id,
              "aud": platform.auth_token_url, "iat": now, "exp": now + 300,
              "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


def _token_key(platform: LtiPlatform) -> tuple[str, str]:
    return platform.auth_token_url, platform.client_id


def _token(platform: LtiPlatform, http: requests.Session) -> str:
    with _lock:
        cached = _tokens.get(_token_key(platform))
    if cached and cached[1] > time.monotonic():
        return cached[0]
    response = http.post(platform.auth_token_url, timeout=TIMEOUT_SECONDS, data={
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": _client_assertion(platform),
        "scope": SCORE_SCOPE,
    })
    if response.status_code != 200:
        raise DeliveryError(f"token request refused: HTTP {response.status_code}")
    body = response.json()
    token = body["access_token"]
    # Renew a minute early, so a token never expires between asking and using it.
    lifetime = max(int(body.get("expires_in", 3600)) - 60, 0)
    with _lock:
        _tokens[_token_key(platform)] = (token, time.monotonic() + lifetime)
    return token


def scores_url(lineitem_url: str) -> str:
    """Return a line item's scores endpoint: "/scores" added to its path, query kept."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def post_score(target: LtiGradeTarget, body: dict[str, Any], http: requests.Session) -> None:
    """Send one score; raise DeliveryError when the platform does not accept it."""
    platform = target.platform
    for retry in (False, True):
        headers = {"Authorization": f"Bearer {_token(platform, http)}",
                   "Content-Type": SCORE_TYPE}
        response = http.post(scores_url(target.lineitem_url), json=body, headers=headers,
                             timeout=TIMEOUT_SECONDS)
        if response.status_code == 401 and not retry:
            with _lock:  # a revoked or expired token: ask for a new one, once
                _tokens.pop(_token_key(platform), None)
            continue
        if 200 <= response.status_code < 300:
            return
        raise DeliveryError(f"score refused: HTTP {response.status_code}")
