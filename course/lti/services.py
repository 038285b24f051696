"""LTI 1.3 tool: the resource-link launch, checked claim by claim (its login: ``logins``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from sqlalchemy import select

from course import outbox
from course.auth.twofactor import factor_of
from course.db import utcnow
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.learn.services import enrol
from course.lti.addresses import guarded
from course.lti.grade_targets import remember_grade_target
from course.lti.jwks import signing_key_for
from course.lti.logins import LaunchError, login_for, origin_of, spend
from course.lti.roles import (
    LTI,
    TEST_USER,
    StaffLook,
    opens_preview,
    sends_grades,
    staff_role,
)
from course.lti.wording import ADMIN_PAGE, DEACTIVATED, shown, token_problem
from course.models import (
    Course,
    LtiIdentity,
    LtiLogin,
    LtiPlatform,
    Role,
    User,
)
from course.names import LMS_STAND_IN_NAME, is_stand_in, name_or
from course.users import create_user

#: Clock difference tolerated between the platform and this server.
LEEWAY_SECONDS = 60


class StudentViewLaunch(LaunchError):
    """A test student's launch: the connection works, but the course keeps no record for one."""

    connection_works = True


@dataclass(frozen=True)
class Launch:
    """A checked launch: who, into which course, and where the grade goes back."""

    user: User
    course: Course
    platform: LtiPlatform
    created: bool


def check_id_token(id_token: str, login: LtiLogin) -> dict[str, Any]:
    """Verify the id_token's signature against the platform's JWKS and its core claims."""
    platform = login.platform
    try:
        key = signing_key_for(platform.jwks_url, id_token, guard=guarded())
        claims = jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
        )
    except jwt.PyJWTError as exc:
        raise LaunchError(token_problem(exc, id_token, platform)) from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # LTI Security Framework 5.1.3: the azp, when present (with one audience too), must be
    # this tool's client id; with several audiences it must be present.
    azp = claims.get("azp")
    if azp is None and len(audiences) > 1:
        raise LaunchError(
            "The launch token names several audiences but no azp (authorized party), which "
            f"must then be this tool's Client ID, {shown(platform.client_id)}: have the "
            "platform send it.")
    if azp is not None and azp != platform.client_id:
        raise LaunchError(
            f"The launch token's azp (authorized party) is {shown(azp)}, not "
            f"{shown(platform.client_id)}, the Client ID registered for "
            f"\u201c{platform.name}\u201d: correct it under {ADMIN_PAGE}.")
    if claims["nonce"] != login.nonce:
        raise LaunchError("The launch token's nonce does not belong to this login.")
    return claims


def _check_message(claims: dict[str, Any], platform: LtiPlatform) -> None:
    kind = claims.get(LTI + "message_type")
    if kind != "LtiResourceLinkRequest":
        raise LaunchError(
            f"The launch is a {shown(kind)} message, but this tool takes only resource-link "
            "launches (LtiResourceLinkRequest) and deep linking requests "
            "(LtiDeepLinkingRequest).")
    check_deployment(claims, platform)
    _check_resource_link(claims)


def check_deployment(claims: dict[str, Any], platform: LtiPlatform) -> None:
    """Check what every LTI 1.3 message carries: its version and a registered deployment."""
    if claims.get(LTI + "version") != "1.3.0":
        raise LaunchError(f"The launch is LTI version {shown(claims.get(LTI + 'version'))}; "
                          "only LTI 1.3.0 launches are supported.")
    deployment = claims.get(LTI + "deployment_id")
    if not deployment:
        raise LaunchError("The launch token has no deployment_id claim, which LTI 1.3 requires.")
    if deployment not in (platform.deployment_ids or []):
        raise LaunchError(
            f"The deployment {shown(deployment)} is not registered with this tool: add it to "
            f"the Deployment IDs of \u201c{platform.name}\u201d under {ADMIN_PAGE}.")


def _check_resource_link(claims: dict[str, Any]) -> None:
    if not (claims.get(LTI + "resource_link") or {}).get("id"):
        raise LaunchError("The launch token has no resource_link id, which LTI 1.3 requires.")
    # LTI 1.3 requires the roles claim on every launch, though the list may be empty;
    # its absence is a platform that does not follow the standard, so say so up front.
    if not isinstance(claims.get(LTI + "roles"), list):
        raise LaunchError("The launch token has no roles claim (a list, empty when the "
                          "platform knows no role), which LTI 1.3 requires.")
    # A test student (Canvas's Student View) would become a learner here with a real CE
    # record: registry statements, a certificate, a grade. Said as what it is, not an error.
    if TEST_USER in claims[LTI + "roles"]:
        raise StudentViewLaunch(
            "The connection works: this launch came from the LMS's test student (Canvas's "
            "Student View). Each course here keeps a continuing-education record for every "
            "learner, so it does not open for a test student; to try it, open it from the "
            "LMS with an account made for testing.")


def _course_for(claims: dict[str, Any], base_url: str) -> Course:
    # The resource link's target is the course's own page, BASE_URL/courses/<slug>; a
    # custom parameter course=<slug> works too, for platforms that fix the target URL.
    slug = (claims.get(LTI + "custom") or {}).get("course")
    target_text = str(claims.get(LTI + "target_link_uri") or "")
    if not target_text:
        raise LaunchError("The launch token has no target_link_uri claim, which LTI 1.3 "
                          "requires.")
    if origin_of(target_text) != origin_of(base_url):
        raise LaunchError(
            f"The launch points at {shown(target_text)}, not at this site ({base_url}): "
            "the tool's URLs in the platform must start with this site's address (BASE_URL).")
    if not slug:
        target = urlsplit(target_text)
        parts = [p for p in target.path.split("/") if p]
        base_parts = [p for p in urlsplit(base_url).path.split("/") if p]
        rest = parts[len(base_parts):]
        if len(rest) >= 2 and rest[0] == "courses":
            slug = rest[1]
    course = db.session.scalar(
        select(Course).where(Course.slug == slug, Course.archived_at.is_(None))
    ) if slug else None
    if course is None or course.current_version_id is None:
        raise LaunchError(
            f"The launch points at no course offered here ({shown(slug or target_text)}): "
            "the link's target in the platform must be a course's own address "
            f"({base_url}/courses/<course>), or carry the custom parameter course=<course>.")
    return course


def _claimed_name(claims: dict[str, Any]) -> str:
    name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    return str(name).strip()[:200]


def _learner_for(claims: dict[str, Any], platform: LtiPlatform) -> tuple[User, bool]:
    """Return the account for (platform, sub), making one without a password if new."""
    identity = db.session.scalar(
        select(LtiIdentity).where(LtiIdentity.platform_id == platform.id,
                                  LtiIdentity.subject == claims["sub"])
    )
    name = _claimed_name(claims)
    if identity is not None:
        identity.last_launch_at = utcnow()
        # The platform shared no name at first (a privacy setting since changed): take the
        # one it sends now, but never over a name the learner typed themselves.
        shared = name_or(name, "")
        if shared and is_stand_in(identity.user.full_name):
            identity.user.full_name = shared
        return identity.user, False
    # Never matched by email: a platform's claim that someone owns an address here
    # would hand them that account. Platform learners get an address of their own.
    user = create_user(
        email=f"lti-{platform.id}-{secrets.token_hex(8)}@lti.invalid",
        password_hash=f"!lti!{secrets.token_urlsafe(32)}",  # no password can match
        # A platform's name goes on certificates too: hidden characters are dropped, and
        # a name with no letter left or one a certificate cannot print is replaced, as a
        # launch cannot ask again (the learner can type it on their profile).
        full_name=name_or(name, LMS_STAND_IN_NAME),
        role=Role.LEARNER,
    )
    insert_ignoring_duplicates(
        LtiIdentity,
        {"platform_id": platform.id, "subject": claims["sub"], "user_id": user.id,
         "created_at": utcnow(), "last_launch_at": utcnow()},
    )
    identity = db.session.scalar(
        select(LtiIdentity).where(LtiIdentity.platform_id == platform.id,
                                  LtiIdentity.subject == claims["sub"])
    )
    return identity.user, identity.user_id == user.id


@dataclass(frozen=True)
class CheckedLaunch:
    """A launch whose token, state and claims all checked out, not yet acted on."""

    login: LtiLogin
    claims: dict[str, Any]
    course: Course
    #: How the launcher is named when they teach or run the course; None for a learner.
    staff: str | None


def check_launch(
    id_token: str, state: str, browser_state: str | None, base_url: str
) -> CheckedLaunch:
    """Check a resource-link launch; reads only, so the platform's JWKS is fetched unlocked.

    :raise LaunchError: for anything a platform or an attacker got wrong.
    """
    login = login_for(state, browser_state)
    claims = check_id_token(id_token, login)
    _check_message(claims, login.platform)
    course = _course_for(claims, base_url)
    check_same_target(claims, login)
    return CheckedLaunch(login=login, claims=claims, course=course,
                         staff=staff_role(claims[LTI + "roles"]))


def check_same_target(claims: dict[str, Any], login: LtiLogin) -> None:
    """Refuse a token whose target_link_uri is not the one its login named."""
    # The platform must send the login's target again in the token (LTI 1.3); a
    # token for another link than the one the browser started would open what no one chose.
    target = str(claims.get(LTI + "target_link_uri") or "")
    if login.target_link_uri is not None and target != login.target_link_uri:
        raise LaunchError(
            f"The launch token points at {shown(target)}, but its login named "
            f"{shown(login.target_link_uri)}: LTI 1.3 requires the platform to send the "
            "same target_link_uri in both. Start the launch again from the platform.")


def look_over(checked: CheckedLaunch) -> StaffLook:
    """Spend a staff launch's login and say how the link is set up; makes no account."""
    # An instructor checking the link would otherwise be enrolled as a learner: an
    # enrollment on the provider's roster and statements in the agency's LRS for someone
    # who teaches the course. Learners in the LMS course still launch as before.
    spend(checked.login)
    return StaffLook(course_id=checked.course.id, course_slug=checked.course.slug,
                     course_title=checked.course.title,
                     platform_name=checked.login.platform.name, role=checked.staff or "",
                     grades=sends_grades(checked.claims),
                     name_shared=bool(name_or(_claimed_name(checked.claims), "")),
                     previews=opens_preview(checked.claims[LTI + "roles"]))


def complete_launch(checked: CheckedLaunch) -> Launch:
    """Spend the login, find or make the learner, enrol them; flushes (write transaction)."""
    spend(checked.login)
    platform, claims, course = checked.login.platform, checked.claims, checked.course
    user, created = _learner_for(claims, platform)
    if not user.is_active:
        raise LaunchError(DEACTIVATED)
    if user.role != Role.LEARNER:
        # An account linked as a learner's and later made an author or admin: a platform's
        # word must never open a session with rights to change courses or records.
        raise LaunchError(
            "The account this learning-system user opens here authors or runs courses, and "
            "a learning system cannot open such an account. Sign in on this site instead.")
    if factor_of(user) is not None:
        # Linking refuses such an account; one that got a factor some other way is still
        # not opened on a platform's word alone, without the code.
        raise LaunchError(
            "The account this learning-system user opens here has two-step verification "
            "on, and a learning system cannot open it without the code. Sign in on this "
            "site instead.")
    before = utcnow()
    enrolment = enrol(user, course)
    if enrolment.enrolled_at < before:
        outbox.launched(enrolment)  # a new enrolment announces its own launch
    remember_grade_target(claims, platform, user, course, enrolment)
    return Launch(user=user, course=course, platform=platform, created=created)
