"""The OIDC login that begins every LTI launch: the platform found by its issuer, a fresh
state and nonce stored, and the login spent exactly once by the launch that follows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete, func, select, update

from course.db import utcnow
from course.extensions import db
from course.lti.wording import ADMIN_PAGE, shown
from course.models import LtiLogin, LtiPlatform

#: A login not finished in this time is refused (the platform answers in seconds).
LOGIN_LIFETIME = timedelta(minutes=10)
KEEP_LOGINS = timedelta(days=1)
#: The longest target_link_uri a login may name (the column's size).
MAX_TARGET = 2000
#: The most a framed login's parameters may hold, all together, to be kept for its new
#: window (``reopen``): a platform's hints are an id and a signed token. Anyone can start
#: a login, so each stored row stays small.
MAX_REOPEN = 4000


class LaunchError(Exception):
    """A login or launch was refused; the message says why, for the person and the log."""

    #: The connection is set up right and only this launch does not open (a test student).
    connection_works = False


@dataclass(frozen=True)
class LoginRedirect:
    """Where to send the browser to finish the OIDC login, and the state to bind to it."""

    url: str
    state: str


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
    if f"{target.scheme}://{target.netloc}" != origin_of(base_url):
        raise LaunchError(
            f"The launch points at {shown(params['target_link_uri'])}, not at this site "
            f"({base_url}): the tool's URLs in the platform must start with this site's "
            "address (BASE_URL).")
    platform = find_platform(params["iss"], params.get("client_id"))
    # Logins are worth nothing once used or stale: clear old ones as new ones come in.
    db.session.execute(delete(LtiLogin).where(LtiLogin.created_at < utcnow() - KEEP_LOGINS))
    # A framed login's hints (an LMS user id, the platform's token) are of use only while
    # it can be started again; the row itself stays the day, for the launch's refusal.
    db.session.execute(update(LtiLogin).where(
        LtiLogin.reopen.is_not(None), LtiLogin.created_at < utcnow() - LOGIN_LIFETIME,
    ).values(reopen=None))
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
    # Anything longer is kept out of the table, and its refusal then offers no new window.
    return sum(len(key) + len(value) for key, value in params.items()) <= MAX_REOPEN


def reopen_for(state: str) -> dict[str, str] | None:
    """The parameters of the framed login a launch's state names, while it can still be
    started again (unspent and fresh); None otherwise. Reads only."""
    if not state:
        return None
    login = db.session.scalar(select(LtiLogin).where(LtiLogin.state == state))
    if login is None or login.used_at is not None or login.created_at <= utcnow() - LOGIN_LIFETIME:
        return None
    return login.reopen


def origin_of(url: str) -> str:
    """The scheme and host of ``url``, as a browser compares sites."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def states_to_forget(states: list[str], keep: int) -> list[str]:
    """Of the login states a browser holds, those whose cookies can go: logins used,
    lapsed or unknown, and beyond the ``keep`` newest of the rest. Reads only.

    Every state cookie rides on every request to the site (``Path=/``), so a page that
    sends a browser through many logins would otherwise swell its cookies past what a
    server takes (8 KB), and the learner could open no page until they expired.
    """
    live = db.session.execute(
        select(LtiLogin.state).where(
            LtiLogin.state.in_(states),
            LtiLogin.used_at.is_(None),
            LtiLogin.created_at > utcnow() - LOGIN_LIFETIME,
        ).order_by(LtiLogin.created_at.desc(), LtiLogin.id.desc())
    ).scalars().all()
    kept = set(live[:keep])
    return [state for state in states if state not in kept]


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
