"""Assignment and Grade Services: post a learner's score to a platform's line item,
finding or creating the resource link's line item when the launch named none."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
import requests

from course import signing_keys
from course.lti.addresses import RefusedAddress
from course.models import LtiGradeTarget, LtiPlatform

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
#: Marks the line items this tool makes, so it finds its own among an instructor's.
LINEITEM_TAG = "ce-completion"
#: Scores go as a percentage (see course.outbox.scores).
SCORE_MAXIMUM = 100
#: A container with more pages than this is not searched further (a new item is made).
MAX_CONTAINER_PAGES = 20
#: The whole search stops after this long, inside the outbox worker's five-minute claim
#: lease (each request's own time-out is 10 s, so only a platform that drips its pages
#: out slowly meets this).
SEARCH_SECONDS = 240
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TIMEOUT_SECONDS = 10

#: Access tokens by (token URL, client id, scopes), with when to stop using them.
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_lock = threading.Lock()


class DeliveryError(Exception):
    """The platform refused or could not take the score; the worker tries again later."""


class LineItemGone(DeliveryError):
    """The platform no longer has the line item (an instructor deleted the column)."""


@dataclass(frozen=True)
class Caller:
    """What every AGS call needs besides its target: an HTTP session and the tool's key.

    The key is read before any call, so no database read is left open while a platform
    answers.
    """

    http: requests.Session
    kid: str
    private_pem: str

    @classmethod
    def with_current_key(cls, http: requests.Session) -> Caller:
        """Return a caller signing with the tool's current LTI key (made on first use)."""
        key = signing_keys.current_key(signing_keys.LTI)
        return cls(http, key.kid, key.private_pem)


def _client_assertion(platform: LtiPlatform, caller: Caller) -> str:
    now = int(time.time())
    claims = {"iss": platform.client_id, "sub": platform.client_id,
              "aud": platform.token_audience or platform.auth_token_url,
              "iat": now, "exp": now + 300,
              "jti": str(uuid.uuid4())}
    return jwt.encode(claims, caller.private_pem, algorithm="RS256",
                      headers={"kid": caller.kid})


def _token_key(platform: LtiPlatform, scope: str) -> tuple[str, str, str]:
    return platform.auth_token_url, platform.client_id, scope


def _token(platform: LtiPlatform, caller: Caller, scope: str = SCORE_SCOPE) -> str:
    key = _token_key(platform, scope)
    with _lock:
        cached = _tokens.get(key)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    response = caller.http.post(platform.auth_token_url, timeout=TIMEOUT_SECONDS, data={
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": _client_assertion(platform, caller),
        "scope": scope,
    })
    if response.status_code != 200:
        raise DeliveryError(_token_refusal(platform, response))
    body = response.json()
    token = body["access_token"]
    # Renew a minute early, so a token never expires between asking and using it.
    lifetime = max(int(body.get("expires_in", 3600)) - 60, 0)
    with _lock:
        _tokens[key] = (token, time.monotonic() + lifetime)
    return token


def _token_refusal(platform: LtiPlatform, response: requests.Response) -> str:
    """Why the token endpoint refused, naming the setting its OAuth 2 error points at."""
    said = f"token request refused: HTTP {response.status_code}{_oauth_error(response)}"
    code = _oauth_body(response).get("error")
    if code == "invalid_scope":
        # Nothing on this side fixes it: the platform no longer grants what its launches said.
        return (f"{said}; \u201c{platform.name}\u201d refuses this tool the grade services it "
                "asked for: allow Assignment and Grade Services for the tool in the platform (the "
                "score scope, and the line item scope for links that name no grade column)")
    audience = ("" if platform.token_audience else
                ", and its Token audience (D2L Brightspace wants "
                "https://api.brightspace.com/auth/token)")
    return (f"{said}; check the Access token URL and Client ID registered for "
            f"\u201c{platform.name}\u201d{audience} (Administration, LMS connections), and "
            "that the platform has this tool's Public keyset URL")


def _oauth_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _oauth_error(response: requests.Response) -> str:
    """The platform's own OAuth 2 error (RFC 6749 5.2), if it gave one, for the log."""
    body = _oauth_body(response)
    if not body.get("error"):
        return ""
    detail = str(body["error"])[:100]
    if body.get("error_description"):
        detail += f": {str(body['error_description'])[:200]}"
    return f" ({detail})"


def _forget_token(platform: LtiPlatform, scope: str) -> None:
    with _lock:  # a revoked or expired token: the next call asks for a new one
        _tokens.pop(_token_key(platform, scope), None)


def unreachable(platform: LtiPlatform, exc: requests.RequestException) -> str:
    """Why a score did not reach a platform that did not answer, naming what to check."""
    if isinstance(exc, RefusedAddress):
        return (f"\u201c{platform.name}\u201d was not sent the score: {exc}. Correct its "
                "URLs under Administration, LMS connections, or, for a line-item URL (which the "
                "platform's own launches name), in the LMS; the score is tried again later")
    url = exc.request.url if exc.request is not None else platform.auth_token_url
    host = urlsplit(url or "").netloc or "the platform"
    return (f"\u201c{platform.name}\u201d did not answer at {host} "
            f"({exc.__class__.__name__}): check that it is up, and its Access token URL "
            "under Administration, LMS connections; the score is sent again later")


def _authorized(platform: LtiPlatform, caller: Caller, scope: str, method: str,
                url: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
    """Send one AGS request with a bearer token, asking for a new token once on 401."""
    for retry in (False, True):
        bearer = {"Authorization": f"Bearer {_token(platform, caller, scope)}"}
        response = caller.http.request(method, url, headers={**headers, **bearer},
                                timeout=TIMEOUT_SECONDS, **kwargs)
        if response.status_code != 401 or retry:
            break
        _forget_token(platform, scope)
    return response


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


def _own_line_item(items: Any, link: str) -> str | None:
    """The id of this tool's line item for the link among a container page's items."""
    if not isinstance(items, list):
        raise DeliveryError("line items: the platform did not answer with a list")
    for item in items:
        # A platform may ignore the filters, or send the link id as a number: check here.
        if (isinstance(item, dict) and item.get("tag") == LINEITEM_TAG
                and str(item.get("resourceLinkId")) == link and item.get("id")):
            return str(item["id"])
    return None


def find_or_create_line_item(target: LtiGradeTarget, caller: Caller) -> str:
    """Return the URL of the target's resource-link line item, made on the platform if
    it has none yet; raise DeliveryError when the platform refuses either step."""
    platform, link = target.platform, target.resource_link_id or ""
    scope = f"{LINEITEM_SCOPE} {SCORE_SCOPE}"
    page: str | None = _with_query(target.lineitems_url or "", resource_link_id=link,
                                   tag=LINEITEM_TAG)
    deadline = time.monotonic() + SEARCH_SECONDS
    for _ in range(MAX_CONTAINER_PAGES):
        if time.monotonic() > deadline:
            raise DeliveryError("line items: the platform's container took too long to list")
        listed = _authorized(platform, caller, scope, "GET", page or "",
                             headers={"Accept": LINEITEMS_TYPE})
        if listed.status_code != 200:
            raise DeliveryError(f"line items not listed: HTTP {listed.status_code}")
        found = _own_line_item(listed.json(), link)
        if found:
            return found
        page = listed.links.get("next", {}).get("url")  # the spec's paging, by Link header
        if not page:
            break
    made = _authorized(
        platform, caller, scope, "POST", target.lineitems_url or "",
        json={"scoreMaximum": SCORE_MAXIMUM, "label": target.course.title,
              "resourceId": target.course.slug, "resourceLinkId": link, "tag": LINEITEM_TAG},
        headers={"Content-Type": LINEITEM_TYPE, "Accept": LINEITEM_TYPE},
    )
    if made.status_code not in (200, 201):
        raise DeliveryError(f"line item not created: HTTP {made.status_code}")
    created = made.json()  # the line item as stored; a platform need not echo every field
    if not isinstance(created, dict) or not created.get("id"):
        raise DeliveryError("line item created, but the platform's answer lacks its id")
    return str(created["id"])


def scores_url(lineitem_url: str) -> str:
    """Return a line item's scores endpoint: "/scores" added to its path, query kept."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def post_score(target: LtiGradeTarget, body: dict[str, Any], caller: Caller) -> None:
    """Send one score; raise DeliveryError when the platform does not accept it."""
    scope = SCORE_SCOPE if target.resource_link_id is None else f"{LINEITEM_SCOPE} {SCORE_SCOPE}"
    response = _authorized(target.platform, caller, scope, "POST",
                           scores_url(target.lineitem_url or ""), json=body,
                           headers={"Content-Type": SCORE_TYPE})
    if response.status_code in (404, 410):
        raise LineItemGone(f"score refused: HTTP {response.status_code}, no such line item")
    if response.status_code in (401, 403):
        raise DeliveryError(
            f"score refused: HTTP {response.status_code}; the platform did not let this "
            "tool post scores: allow Assignment and Grade Services (the score scope) for "
            "the tool in the platform")
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"score refused: HTTP {response.status_code}")
