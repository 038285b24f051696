"""LTI Deep Linking 2.0: a teacher adding the tool in the LMS gets the course's link back."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from sqlalchemy import select

from course import signing_keys
from course.db import utcnow
from course.extensions import db
from course.lti import services as lti
from course.lti.ags import LINEITEM_TAG, SCORE_MAXIMUM, SCORE_SCOPE
from course.lti.roles import AGS, LTI
from course.lti.wording import shown
from course.models import Course, LtiLogin, LtiPlatform

#: The message a platform sends when a teacher picks content from the tool.
REQUEST = "LtiDeepLinkingRequest"
RESPONSE = "LtiDeepLinkingResponse"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
RESOURCE_LINK = "ltiResourceLink"
#: The response is posted back at once; the platform refuses it after this long.
RESPONSE_SECONDS = 600
#: A host as a return URL may name one: letters, digits, dots, dashes, an IPv6 literal
#: and a port. Nothing else goes into the page's Content-Security-Policy.
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


@dataclass(frozen=True)
class CheckedRequest:
    """A deep linking request whose token, state and settings checked out."""

    login: LtiLogin
    claims: dict[str, Any]
    settings: dict[str, Any]
    #: The course its target names, or None: the teacher picks one.
    course: Course | None
    #: Every course offered now, by title: read once per request, for the check and the
    #: choices alike.
    offered: tuple[Course, ...] = ()


@dataclass(frozen=True)
class Choice:
    """One course the teacher may add, with the signed response that adds it."""

    title: str
    response: str


@dataclass(frozen=True)
class ResponsePage:
    """Where the response goes back, the origin the page may post to, and the choices."""

    platform_name: str
    return_url: str
    return_origin: str
    choices: tuple[Choice, ...]


def is_request(id_token: str) -> bool:
    """Whether a token says it is a deep linking request (unverified: it only picks the path)."""
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    return isinstance(claims, dict) and claims.get(LTI + "message_type") == REQUEST


def _origin(return_url: Any) -> str:
    """The return URL's origin, or refuse a URL a browser could not post to plainly."""
    parts = urlsplit(str(return_url or ""))
    if parts.scheme not in ("https", "http") or not _HOST.fullmatch(parts.netloc):
        raise lti.LaunchError(
            f"The deep linking request's deep_link_return_url is {shown(return_url)}, not an "
            "http(s) address of the platform this tool could send the course's link back to.")
    return f"{parts.scheme}://{parts.netloc}"


def _settings(claims: dict[str, Any]) -> dict[str, Any]:
    settings = claims.get(DL + "deep_linking_settings")
    if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
        raise lti.LaunchError("The deep linking request has no deep_linking_settings claim "
                              "with a deep_link_return_url, which Deep Linking 2.0 requires.")
    accepted = settings.get("accept_types") or []
    if RESOURCE_LINK not in accepted:
        raise lti.LaunchError(
            f"The deep linking request accepts only {shown(', '.join(map(str, accepted)))}, "
            f"not an LTI resource link ({RESOURCE_LINK}), which is what this tool offers: "
            "add the course as an external tool activity or assignment, not as a link or file.")
    return settings


def _named_course(claims: dict[str, Any], base_url: str,
                  offered: dict[str, Course]) -> Course | None:
    """The course a request's target or custom parameter names; None when it names none."""
    slug = (claims.get(LTI + "custom") or {}).get("course")
    path = urlsplit(str(claims.get(LTI + "target_link_uri") or "")).path
    rest = path[len(urlsplit(base_url).path.rstrip("/")):].strip("/").split("/")
    if not slug and len(rest) >= 2 and rest[0] == "courses":
        slug = rest[1]
    return offered.get(slug) if slug else None


def _offered() -> dict[str, Course]:
    courses = db.session.scalars(
        select(Course).where(Course.archived_at.is_(None), Course.current_version_id.is_not(None))
        .order_by(Course.title))
    return {course.slug: course for course in courses}


def check_request(id_token: str, state: str, browser_state: str | None,
                  base_url: str) -> CheckedRequest:
    """Check a deep linking request as a launch is checked; reads only.

    :raise LaunchError: for anything a platform or an attacker got wrong.
    """
    login = lti.login_for(state, browser_state)
    claims = lti.check_id_token(id_token, login)
    lti.check_deployment(claims, login.platform)
    settings = _settings(claims)
    _origin(settings["deep_link_return_url"])
    lti.check_same_target(claims, login)
    offered = _offered()
    if not offered:
        raise lti.LaunchError("No course is offered on this site yet, so there is none to add.")
    return CheckedRequest(login=login, claims=claims, settings=settings,
                          course=_named_course(claims, base_url, offered),
                          offered=tuple(offered.values()))


def _grades_on(checked: CheckedRequest) -> bool:
    # A grade column only where the platform takes one and grants the tool the score
    # scope: otherwise the teacher would get a column that never fills.
    scopes = (checked.claims.get(AGS) or {}).get("scope") or []
    return checked.settings.get("accept_lineitem") is not False and SCORE_SCOPE in scopes


def _item(course: Course, checked: CheckedRequest, base_url: str) -> dict[str, Any]:
    item: dict[str, Any] = {"type": RESOURCE_LINK, "title": course.title,
                            "url": f"{base_url.rstrip('/')}/courses/{course.slug}",
                            "custom": {"course": course.slug}}
    if "window" in (checked.settings.get("accept_presentation_document_targets") or []):
        item["window"] = {"targetName": "_blank"}  # a course framed in the LMS is refused
    if _grades_on(checked):
        item["lineItem"] = {"scoreMaximum": SCORE_MAXIMUM, "label": course.title,
                            "resourceId": course.slug, "tag": LINEITEM_TAG}
    return item


def _signed(checked: CheckedRequest, item: dict[str, Any], key: Any) -> str:
    platform: LtiPlatform = checked.login.platform
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "iss": platform.client_id, "aud": platform.issuer, "iat": now,
        "exp": now + RESPONSE_SECONDS, "nonce": secrets.token_urlsafe(24),
        LTI + "message_type": RESPONSE, LTI + "version": "1.3.0",
        LTI + "deployment_id": checked.claims[LTI + "deployment_id"],
        DL + "content_items": [item],
    }
    if "data" in checked.settings:  # echoed exactly, as the platform may need it
        claims[DL + "data"] = checked.settings["data"]
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


def respond(checked: CheckedRequest, base_url: str) -> ResponsePage:
    """Spend the login and sign a response for the course, or one per course offered."""
    lti.spend(checked.login)
    key = signing_keys.current_key(signing_keys.LTI)
    courses = [checked.course] if checked.course else list(checked.offered)
    return_url = str(checked.settings["deep_link_return_url"])
    return ResponsePage(
        platform_name=checked.login.platform.name, return_url=return_url,
        return_origin=_origin(return_url),
        choices=tuple(Choice(course.title, _signed(checked, _item(course, checked, base_url),
                                                   key)) for course in courses))
