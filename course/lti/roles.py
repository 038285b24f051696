"""Who a launch is for, read from its LTI roles: a learner, or course staff looking it over."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from course import secretkeys
from course.lti.ags import LINEITEM_SCOPE, SCORE_SCOPE

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
#: The role Canvas gives its Student View test student (LTI system role).
TEST_USER = "http://purl.imsglobal.org/vocab/lti/system/person#TestUser"
#: LIS context roles: ``MEMBERSHIP#Instructor`` or, a sub-role, ``MEMBERSHIP/Instructor#…``.
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
#: Context roles that teach or run a course rather than take it, as the staff page names them.
STAFF = {
    "Instructor": "an instructor",
    "ContentDeveloper": "a content developer",
    "Administrator": "a course administrator",
    "Mentor": "a mentor",
    "Manager": "a course manager",
}
SUB_ROLES = {"TeachingAssistant": "a teaching assistant", "Grader": "a grader"}
#: Site-wide administrators, who may launch from a course they have no role in.
ADMINISTRATORS = (
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
)


def _context_role(role: str) -> tuple[str, str] | None:
    """Return (role, sub-role) of a context role, or None for a system or institution one."""
    if role.startswith(MEMBERSHIP + "#"):
        return role[len(MEMBERSHIP) + 1:], ""
    if role.startswith(MEMBERSHIP + "/"):
        principal, _, sub = role[len(MEMBERSHIP) + 1:].partition("#")
        return principal, sub
    # LTI 1.1's short names, which some platforms still send beside or instead of URIs.
    return (role, "") if "/" not in role and ":" not in role else None


def _contexts(roles: list[Any]) -> list[tuple[str, str]]:
    return [parsed for role in roles if isinstance(role, str)
            if (parsed := _context_role(role)) is not None]


def staff_role(roles: list[Any]) -> str | None:
    """Name the launcher who teaches or runs the course; None for one who takes it.

    Anyone who is also a learner in the course takes it, and so does a launch whose
    roles say nothing (the platform knows none): only a clear staff role is kept out.
    """
    contexts = _contexts(roles)
    if any(principal == "Learner" for principal, _ in contexts):
        return None
    for principal, sub in contexts:
        if principal in STAFF:
            return SUB_ROLES.get(sub) or STAFF[principal]
    if not contexts and any(role in ADMINISTRATORS for role in roles):
        return "a site administrator"
    return None


def sends_grades(claims: dict[str, Any]) -> bool:
    """Whether a learner's launch of this link would have their results sent back."""
    endpoint = claims.get(AGS) or {}
    scopes = endpoint.get("scope") or []
    if SCORE_SCOPE not in scopes:
        return False
    if endpoint.get("lineitem"):
        return True
    link = (claims.get(LTI + "resource_link") or {}).get("id")
    return bool(endpoint.get("lineitems") and LINEITEM_SCOPE in scopes and link)


def opens_preview(roles: list[Any]) -> bool:
    """Whether a staff launch may read the lessons' answers: anyone who teaches or builds
    the course, not one who is only a mentor (Canvas's observer, whom an agency may give
    to anyone), whatever order the roles come in."""
    if staff_role(roles) is None:
        return False
    contexts = _contexts(roles)  # none: a site administrator
    return not contexts or any(p in STAFF and p != "Mentor" for p, _ in contexts)


@dataclass(frozen=True)
class StaffLook:
    """What a staff launch is shown instead of a learner's course: how the link is set up."""

    course_id: int
    course_slug: str
    course_title: str
    platform_name: str
    role: str
    grades: bool
    name_shared: bool
    #: Whether the launch opened the staff preview (``opens_preview``).
    previews: bool


#: How long the page a staff launch hands over to may be opened: the redirect, a reload.
STAFF_TOKEN_SECONDS = 600


def _staff_signer() -> URLSafeTimedSerializer:
    return secretkeys.serializer("course.lti.staff")


def staff_token(look: StaffLook, browser: str) -> str:
    """Sign what a staff launch found, for the same-site page it hands over to, with
    ``browser``: a digest of what only the launching browser holds (its login's state)."""
    return _staff_signer().dumps({"look": asdict(look), "browser": browser})


def staff_look(token: str) -> tuple[StaffLook, str] | None:
    """Return the staff launch a token carries and its browser digest; None once it is
    forged or over 10 min old."""
    try:
        signed = _staff_signer().loads(token, max_age=STAFF_TOKEN_SECONDS)
        return StaffLook(**signed["look"]), str(signed["browser"])
    except (BadSignature, TypeError, KeyError):
        return None
