"""LTI 1.3 tool: OIDC login initiation and the resource-link launch, checked claim by claim."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from sqlalchemy import delete, func, select, update

from course import outbox
from course.auth.twofactor import factor_of
from course.db import utcnow
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.learn.services import enrol
from course.lti.addresses import guarded
from course.lti.grade_targets import remember_grade_target
from course.lti.jwks import signing_key_for
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

#: A login not finished in this time is refused (the platform answers in seconds).
LOGIN_LIFETIME = timedelta(minutes=10)
KEEP_LOGINS = timedelta(days=1)
#: The longest target_link_uri a login may name (the column's size).
MAX_TARGET = 2000
#: The longest login parameter kept for a framed login's new window (``reopen``).
MAX_HINT = 4000
#: Clock difference tolerated between the platform and this server.
LEEWAY_SECONDS = 60


class LaunchError(Exception):
    """A login or launch was refused; the message says why, for the person and the log."""

    #: The connection is set up right and only this launch does not open (a test student).
    connection_works = False


class StudentViewLaunch(LaunchError):
    """A test student's launch: the connection works, but the course keeps no record for one."""

    connection_works = True


@dataclass(frozen=True)
class LoginRedirect:
    """Where to send the browser to finish the OIDC login, and the state to bind to it."""

    url: str
    state: str


@dataclass(frozen=True)
class Launch:
    """A checked launch: who, into which course, and where the grade goes back."""

    user: User
    course: Course
    platform: LtiPlatform
    created: bool


def find_platform(issuer: str, client_id: str | None) -> LtiPlatform:
    """Return the active platform registered for an issuer (and client id, if given)."""
    registered = db.session.scalars(select(LtiPlatform).where(LtiPlatform.issuer == issuer)).all()
    if not registered:
        near = db.session.scalar(select(LtiPlatform.name).where(
            func.rtrim(LtiPlatform.issuer, "/") == issuer.rstrip("/")).limit(1))
        hint = (f" (\u201c{near}\u201d is registered with an Issuer that differs only by a "
                "final \u201c/\u201d)") if near else ""
        raise LaunchError(f"No platform is registered here with the issuer {shown(issuer)}"
                          f"{hint}: register it, with that exact Issuer (iss), under "
                          f"{ADMIN_PAGE}.")
    if client_id:
        registered = [p for p in registered if p.client_id == client_id]
        if not registered:
            raise LaunchError(
                f"The platform {shown(issuer)} is registered here, but not with the client "
                f"ID {shown(client_id)}: correct its Client ID under {ADMIN_PAGE}.")
    platforms = [p for p in registered if p.active]
    if not platforms:
        # Often on purpose (a pause, a contract ended): the learner reads that first.
        raise LaunchError(f"Launches from the platform \u201c{registered[0].name}\u201d are "
                          "paused by the administrators of this site, so the course cannot open "
                          "from it now. If that is a mistake, they turn on \u201cAllow "
                          f"launches\u201d under {ADMIN_PAGE}.")
    if len(platforms) > 1:
        raise LaunchError("Several registrations share this issuer and the login named no "
                          "client ID: have the platform send client_id with its login request.")
    return platforms[0]


def start_login(params: dict[str, str], launch_url: str, base_url: str,
                reopen: dict[str, str] | None = None) -> LoginRedirect:
    """Answer a platform's login initiation: store a fresh state and nonce; flushes.

    ``reopen``: a framed login's parameters, kept for a refusal in the frame to start it
    again in a new window (``reopen_for``).
    """
    for name in ("iss", "login_hint", "target_link_uri"):
        if not params.get(name):
            raise LaunchError(f"The login request has no {name}.")
    if len(params["target_link_uri"]) > MAX_TARGET:
        raise LaunchError(f"The login request's target_link_uri is longer than {MAX_TARGET} "
                          "characters.")
    target = urlsplit(params["target_link_uri"])
    if f"{target.scheme}://{target.netloc}" != _origin(base_url):
        raise LaunchError(
            f"The launch points at {shown(params['target_link_uri'])}, not at this site "
            f"({base_url}): the tool's URLs in the platform must start with this site's "
            "address (BASE_URL).")
    platform = find_platform(params["iss"], params.get("client_id"))
    # Logins are worth nothing once used or stale: clear old ones as new ones come in.
    db.session.execute(delete(LtiLogin).where(LtiLogin.created_at < utcnow() - KEEP_LOGINS))
    login = LtiLogin(platform_id=platform.id, state=secrets.token_urlsafe(32),
                     nonce=secrets.token_urlsafe(32), created_at=utcnow(),
                     target_link_uri=params["target_link_uri"],
                     reopen=reopen if reopen and _fits(reopen) else None)
    db.session.add(login)
    db.session.flush()
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "login_hint": params["login_hint"],
        "state": login.state,
        "nonce": login.nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if urlsplit(platform.auth_login_url).query else "?"
    return LoginRedirect(url=platform.auth_login_url + separator + urlencode(query),
                         state=login.state)


def _fits(params: dict[str, str]) -> bool:
    # A platform's hints are short (an id, a signed token): anything far longer is kept
    # out of the table, and its refusal then offers no new window.
    return all(len(value) <= MAX_HINT for value in params.values())


def reopen_for(state: str) -> dict[str, str] | None:
    """The parameters of the framed login a launch's state names, while it can still be
    started again (unspent and fresh); None otherwise. Reads only."""
    if not state:
        return None
    login = db.session.scalar(select(LtiLogin).where(LtiLogin.state == state))
    if login is None or login.used_at is not None or login.created_at <= utcnow() - LOGIN_LIFETIME:
        return None
    return login.reopen


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def login_for(state: str, browser_state: str | None) -> LtiLogin:
    """Return the unspent, fresh login a launch's state names; reads only."""
    if not state:
        raise LaunchError("The launch has no state.")
    if browser_state != state:
        raise LaunchError(
            "This launch was not started in this browser, or the browser did not send its "
            "cookie back (state cookie missing). That happens when the LMS opens the course "
            "inside its own page (set the tool's launch container to \u201cNew window\u201d "
            "in the LMS), and when the LMS is on another site and this one is not served "
            "over HTTPS (BASE_URL): a browser sends a cookie back to another site only "
            "over HTTPS.")
    login = db.session.scalar(select(LtiLogin).where(LtiLogin.state == state))
    if login is None or login.used_at is not None or login.created_at <= utcnow() - LOGIN_LIFETIME:
        raise LaunchError("This launch has expired or was already used; start it again.")
    return login


def spend(login: LtiLogin) -> None:
    """Mark a login used; exactly one of two racing launches with its state wins."""
    spent = db.session.execute(
        update(LtiLogin)
        .where(LtiLogin.id == login.id, LtiLogin.used_at.is_(None))
        .values(used_at=utcnow(), reopen=None)  # the platform's hints: no longer needed
    )
    if spent.rowcount != 1:
        raise LaunchError("This launch has expired or was already used; start it again.")


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
    if _origin(target_text) != _origin(base_url):
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
