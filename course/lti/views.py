"""LTI 1.3 endpoints the platform calls: login initiation, launch, and the tool's keys."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from course import signing_keys
from course.auth.sessions import start_session, this_device
from course.db import DatabaseBusy, reads_first, utcnow, write_transaction
from course.extensions import csrf, limiter
from course.learn import preview as previews
from course.lti import bp, canvas, deep_linking, linking, logins, refusals
from course.lti import services as lti
from course.lti.keys import public_jwk
from course.lti.roles import staff_look, staff_token
from course.provider import base_url
from course.security import FRAMEABLE_CONTENT_SECURITY_POLICY, KEYS_MAX_AGE

#: The state cookies' names begin so; each login has its own (``state_cookie``).
STATE_COOKIE = "lti_state"


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


#: Unfinished logins a browser keeps a state cookie for, besides the one it starts: enough
#: for a double click and a few courses opened at once.
KEEP_STATE_COOKIES = 4


def state_cookie(state: str, *, secure: bool | None = None) -> str:
    """The name of the cookie that holds one login's state.

    ``secure``: whether the site is reached over HTTPS (by default, as this request is).
    """
    # One cookie a login: two launches started at once in a browser (a double click, two
    # courses opened one after the other) would otherwise overwrite each other's, and
    # the first would be refused as if it came from another browser.
    return _cookie_named(_digest(state), _secure() if secure is None else secure)


def _cookie_named(digest: str, secure: bool) -> str:
    # Over HTTPS the name is __Host-, as the site's other cookies' are (ASVS 3.3.1, 3.3.3):
    # a browser then takes it only from this very host over a secure page, with Path=/
    # and no Domain, so neither plain HTTP nor a sibling subdomain can plant or shadow
    # it. Over plain HTTP (development) no prefix can hold, as both need Secure.
    prefix = "__Host-" if secure else ""
    return f"{prefix}{STATE_COOKIE}_{digest[:16]}"


def _held_by_this_browser(digest: str) -> bool:
    """Whether this browser holds the login state whose digest a staff hand-over names."""
    state = request.cookies.get(_cookie_named(digest, _secure()), "")
    return bool(state) and hmac.compare_digest(_digest(state), digest)


def _limit() -> str:
    return current_app.config["LTI_RATE_LIMIT"]


def launch_url() -> str:
    """The redirect URI registered with platforms: BASE_URL/lti/launch."""
    return base_url() + "/lti/launch"


#: Told on a new LMS account's first launch; it links to where the two can be joined.
LINK_OFFER = {"text": "Welcome. Already made an account on this site yourself?",
              "link_text": "Link it to this one", "quiet": True}
#: Said when the browser reports the launch inside another page (Sec-Fetch-Dest).
EMBEDDED = (
    "Your learning system shows the course inside its own page, and the course needs a "
    "window of its own, where it keeps your sign-in and your answers.")
#: The login's parameters a framed refusal sends again from a window of its own.
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id",
                "lti_deployment_id")


def _refused(error: lti.LaunchError, reopen: dict[str, str] | None = None, *,
             framed: bool = False, platform_id: int | None = None):
    current_app.logger.warning("LTI launch refused: %s", error)
    if platform_id is not None:
        _note_refusal(platform_id, str(error))
    page = render_template("lti/refused.html", reason=str(error), reopen=reopen, framed=framed,
                           works=error.connection_works)
    # Shown where the LMS put it, in its frame too. Its one form (a framed login) only
    # starts the same login again in a new window, where the platform's own sign-in and
    # this site's cookies both work.
    return page, 400, {"Content-Security-Policy": FRAMEABLE_CONTENT_SECURITY_POLICY}


def _note_refusal(platform_id: int, reason: str) -> None:
    """Keep the refusal on its platform's row, for LMS connections; never holds it up."""
    now = utcnow()
    if not refusals.due(platform_id, now):  # read first: a flood takes no write lock
        return
    try:
        with write_transaction(brief_wait=True):
            refusals.record(platform_id, reason, now)
    except DatabaseBusy:  # the page matters more than the count
        current_app.logger.info("LTI refusal not counted: the database was busy")


def _login_platform(params: dict[str, str]) -> int | None:
    return refusals.platform_for_login(params.get("iss"), params.get("client_id"))


def _embedded() -> bool:
    # Sent by current browsers; without it the launch goes on and fails later, if at all.
    return request.headers.get("Sec-Fetch-Dest") in ("iframe", "frame")


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_limit)
def login():
    """OIDC login initiation: remember a state and nonce, send the browser to the platform."""
    params = {**request.args.to_dict(), **request.form.to_dict()}
    reopen = {key: params[key] for key in LOGIN_PARAMS if params.get(key)}
    if _embedded() and _names_a_course(params):
        return _refused(lti.LaunchError(EMBEDDED), reopen, framed=True,
                        platform_id=_login_platform(params))
    try:
        with write_transaction():
            # Framed, but perhaps a teacher's deep linking, which works in the frame: only
            # the launch tells. Kept so a learner refused there gets the same way out.
            started = logins.start_login(params, launch_url(), base_url(),
                                         reopen if _embedded() else None)
        held = [value for name, value in request.cookies.items() if _is_state_cookie(name)]
        stale = logins.states_to_forget(held, keep=KEEP_STATE_COOKIES) if held else []
    except lti.LaunchError as error:
        return _refused(error, platform_id=_login_platform(params))
    response = redirect(started.url)
    for state in stale:
        response.delete_cookie(state_cookie(state), **_cookie_attributes())
    response.set_cookie(state_cookie(started.state), started.state, max_age=600,
                        **_cookie_attributes())
    return response


def _is_state_cookie(name: str) -> bool:
    return name.removeprefix("__Host-").startswith(f"{STATE_COOKIE}_")


def _names_a_course(params: dict[str, str]) -> bool:
    # A teacher adding the tool (deep linking) works in the LMS's frame, and needs no
    # sign-in here: only a login for a course's own page is sent to a window of its own.
    path = urlsplit(params.get("target_link_uri", "")).path
    return path.startswith(urlsplit(base_url()).path.rstrip("/") + "/courses/")


def _secure() -> bool:
    """Whether the browser reaches the site over HTTPS, so its state cookie is Secure."""
    return request.is_secure or base_url().startswith("https://")


def _cookie_attributes() -> dict[str, Any]:
    """The state cookie's attributes, the same for setting and deleting it."""
    secure = _secure()
    # The launch comes back as a cross-site POST: only a SameSite=None cookie (which
    # browsers accept only when Secure) rides along. Partitioned keeps it working in
    # an LMS iframe where third-party cookies are blocked; a browser deletes a
    # partitioned cookie only when told with the same attribute. Path=/, as __Host- asks
    # (it also reaches the launch on a site served under a path, BASE_URL/lti/launch).
    return {"httponly": True, "secure": secure, "samesite": "None" if secure else "Lax",
            "partitioned": secure, "path": "/"}


@bp.post("/launch")
@csrf.exempt
@limiter.limit(_limit)
@reads_first
def launch():
    """The resource-link launch: check the id_token, sign the learner in, open the course."""
    form = request.form
    state = form.get("state", "")
    if deep_linking.is_request(form.get("id_token", "")):
        return _deep_link(form.get("id_token", ""), state)
    if _embedded():
        return _refused(lti.LaunchError(EMBEDDED), logins.reopen_for(state), framed=True,
                        platform_id=refusals.platform_for_state(state))
    try:
        checked = lti.check_launch(form.get("id_token", ""), state,
                                   request.cookies.get(state_cookie(state)), base_url())
        device = this_device()
        with write_transaction():
            if checked.staff:
                look = lti.look_over(checked)
            else:
                done = lti.complete_launch(checked)
                start_session(done.user, remember=False, device=device)
    except lti.LaunchError as error:
        return _refused(error, platform_id=refusals.platform_for_state(state))
    if checked.staff:
        # On to a page of this site: this cross-site POST carries no session cookie, so
        # any session written here would replace the browser's, signing out whoever is
        # signed in. The GET that follows carries it (SameSite=Lax lets top-level GETs).
        # The hand-over opens only in the browser holding this login's state cookie, kept
        # for it (it lapses with the hand-over): its address, copied, grants nothing.
        token = staff_token(look, _digest(state))
        return redirect(url_for("lti.staff", look=token), 303)
    response = redirect(url_for("learn.course_page", slug=done.course.slug))
    session[linking.LAUNCHED_AT] = int(utcnow().timestamp())  # this browser's own launch
    if done.created:  # a learner who signed up here before now has two accounts
        flash({**LINK_OFFER, "link": url_for("lti.link_account")}, "info")
    # Only this launch's: another started in the same browser may still be on its way.
    response.delete_cookie(state_cookie(state), **_cookie_attributes())
    return response


def _deep_link(id_token: str, state: str):
    """Answer a deep linking request: a page posting the signed course link back."""
    try:
        checked = deep_linking.check_request(id_token, state,
                                             request.cookies.get(state_cookie(state)), base_url())
        with write_transaction():
            page = deep_linking.respond(checked, base_url())
    except lti.LaunchError as error:
        return _refused(error, platform_id=refusals.platform_for_state(state))
    # Shown in the LMS's frame, and posting to the platform: both allowed for this page.
    policy = FRAMEABLE_CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {page.return_origin}")
    response = make_response(render_template("lti/deep_link.html", page=page))
    response.headers.update({"Content-Security-Policy": policy,
                             "Cache-Control": "private, no-store"})
    response.delete_cookie(state_cookie(state), **_cookie_attributes())
    return response


@bp.get("/staff")
def staff():
    """How the link a staff launch came by is set up; opens the preview for those who teach."""
    look, browser = staff_look(request.args.get("look", "")) or (None, "")
    if look is None or not _held_by_this_browser(browser):
        return render_template("lti/staff_expired.html"), 400
    if look.previews:  # the lessons with their answers; it records nothing
        session[previews.SESSION_KEY] = previews.granted(
            session.get(previews.SESSION_KEY), look.course_id, utcnow())
    page = render_template("lti/staff.html", look=look, preview_hours=previews.PREVIEW_HOURS)
    return page, {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/jwks.json")
def jwks():
    """The tool's public keys, current and retired, for platforms to check its messages."""
    keys = signing_keys.all_keys(signing_keys.LTI)
    response = jsonify(keys=[public_jwk(key.private_pem) for key in keys])
    # Short, as the DID document's: a platform's old copy lacks a key just rotated in.
    response.headers["Cache-Control"] = f"public, max-age={KEYS_MAX_AGE}"
    response.headers["Content-Disposition"] = 'attachment; filename="jwks.json"'
    return response


@bp.get("/canvas.json")
def canvas_configuration():
    """The Canvas developer key's JSON configuration, for its "Enter URL" method."""
    response = jsonify(canvas.configuration(base_url(), current_app.config["SITE_NAME"]))
    response.headers["Cache-Control"] = f"public, max-age={KEYS_MAX_AGE}"
    response.headers["Content-Disposition"] = 'attachment; filename="canvas.json"'
    return response
