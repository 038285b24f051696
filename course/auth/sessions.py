"""The browser side of a sign-in: starting and ending sessions, time-outs, safe redirects."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from flask import (
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_url, login_user, logout_user
from flask_wtf.csrf import validate_csrf
from werkzeug.wrappers import Response
from wtforms.validators import ValidationError

from course.auth.browsers import device_label, end_browser_session, open_browser_session
from course.auth.devices import trust_this_browser
from course.auth.held import HELD_FOR, held_for
from course.db import utcnow
from course.extensions import db
from course.models import User

logger = logging.getLogger(__name__)

#: Seconds since the epoch when this session signed in with a password.
SIGNED_IN_AT = "auth_signed_in_at"
#: Seconds since the epoch of the last request seen, refreshed at most once a minute.
SEEN_AT = "auth_seen_at"
#: True when the person ticked "keep me signed in".
REMEMBERED = "auth_remembered"

#: "Remember me" never lasts longer than this, whatever the configuration says.
MAX_REMEMBER = timedelta(days=30)
SEEN_REFRESH_SECONDS = 60

#: Forms whose answers outlive a session that timed out: endpoint -> a function that
#: keeps what the form carried for its signed-in owner and returns True when it did (or a
#: sentence saying where it kept it, shown instead of the learner's "answers are saved"),
#: or None when the form carried nothing that was not kept already (nothing was lost).
Keeper = Callable[[User], bool | str | None]
_KEEPERS: dict[str, Keeper] = {}
#: Endpoints whose keeper also keeps what the same page sends after the sign-out.
_KEPT_AFTER_SIGN_OUT: set[str] = set()
#: Session key, after an idle sign-out, of [the account it was, until when (epoch s)].
KEPT_FOR = "auth_kept_for"
#: How long after an idle sign-out the page left open may still send answers to keep.
KEEP_AFTER_SIGN_OUT_SECONDS = 30 * 60
#: Session key set when a keeper saved answers a page sent as its session timed out.
ANSWERS_KEPT = "auth_answers_kept"
#: Said at the next sign-in, on the page the learner returns to.
KEPT_ANSWERS_SHOWN = "The answers you sent as you were signed out are saved and shown here."


def keep_through_timeout(*endpoints: str, after_sign_out: bool = False
                         ) -> Callable[[Keeper], Keeper]:
    """Register a keeper for forms sent to ``endpoints`` after the session timed out.

    The keeper runs before the sign-out, for the account the expired session belongs
    to, after the CSRF check passed: it stores the answers where the owner finds them
    after signing in again, and never submits anything for them. With
    ``after_sign_out`` it also runs for what the same page sends in the half hour after
    that sign-out (a post-test answered on after the dialog was closed); such a keeper
    must use only the account it is given, as nobody is signed in then.
    """

    def register(keeper: Keeper) -> Keeper:
        for endpoint in endpoints:
            _KEEPERS[endpoint] = keeper
            if after_sign_out:
                _KEPT_AFTER_SIGN_OUT.add(endpoint)
        return keeper

    return register


def flash_once(message: str | dict[str, str], category: str) -> None:
    """Flash a message unless the same one already waits to be shown."""
    # A page saving every answer as it is given sends many requests after a sign-out,
    # each with the same news: the next page should say it once.
    if [category, message] not in [list(pending) for pending in session.get("_flashes", [])]:
        flash(message, category)


def keep_answers_of_a_stale_page(reason: str) -> bool | str:
    """Keep the answers of a form refused only because its page stood open too long.

    A CSRF token expires (``WTF_CSRF_TIME_LIMIT``) while a post-test waits overnight.
    The token must still be this session's and correctly signed: only its age is
    forgiven, up to the longest a sign-in lasts, and only to keep the answers for their
    owner, never to submit them.
    """
    if reason != "The CSRF token has expired." or request.method != "POST":
        return False
    if request.endpoint not in _KEEPERS or not current_user.is_authenticated:
        return False
    try:
        validate_csrf(request.form.get("csrf_token"), time_limit=int(MAX_REMEMBER.total_seconds()))
    except ValidationError:
        return False
    return _keep_posted_answers()


def _keep_posted_answers(user: User | None = None) -> bool | str | None:
    """Keep what a form sent after the time-out carried, when its page asks for that."""
    keeper = _KEEPERS.get(request.endpoint or "")
    if keeper is None or request.method != "POST":
        return False
    try:
        return keeper(user or current_user._get_current_object())
    except Exception:  # a keeper that fails must not keep the person from signing in
        logger.exception("could not keep the answers of a form sent after a time-out")
        return False


def signed_in_account() -> User:
    """The signed-in user's account as the ORM ``User``, for a view that edits it.

    ``current_user`` is a read-only ``SignedInUser``: most requests only read it.
    """
    user = db.session.get_one(User, current_user.id)
    user.browser_token = current_user.browser_token
    return user


def remember_duration() -> timedelta:
    """Return the "remember me" lifetime: the configured one, at most 30 days."""
    return min(current_app.config["REMEMBER_COOKIE_DURATION"], MAX_REMEMBER)


def _lifetime(remembered: bool) -> timedelta:
    if remembered:
        return remember_duration()
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


def this_device() -> str | None:
    """A coarse name for the requesting browser, such as "Firefox on Windows".

    Work it out before the write transaction: the parser's first call in a process
    compiles its patterns, which no one should wait for behind the write lock.
    """
    return device_label(request.headers.get("User-Agent", ""))


def start_session(user: User, *, remember: bool, device: str | None = None) -> None:
    """Sign the user in on a brand-new session (any earlier session data is dropped).

    Call it inside the write transaction: it records this browser's sign-in, named
    ``device`` (from ``this_device``), gives the browser its device cookie and stamps the
    account's last sign-in (here, not at the password: a second step may never follow).
    """
    remembered = bool(remember)
    user.last_login_at = utcnow()
    if current_user.is_authenticated:
        # Signing in again on this browser (to confirm it is you) replaces its sign-in.
        end_browser_session(current_user._get_current_object())
    held = held_for(user.id)  # what a keeper held for this account; anyone else's is dropped
    session.clear()
    open_browser_session(user, remembered=remembered, lifetime=_lifetime(remembered), device=device)
    _log_in(user, remembered)
    trust_this_browser(user)
    if held:
        session[HELD_FOR] = held


def answers_kept_for(user: User) -> bool:
    """Whether answers sent as this browser's session timed out were kept for ``user``.

    Asked at sign-in, before ``start_session`` clears the session: the page the learner
    returns to shows them, and a screen reader should be told so rather than have to
    check every question.
    """
    mark = session.get(KEPT_FOR)
    return bool(session.get(ANSWERS_KEPT)) and bool(mark) and mark[0] == user.id


def renew_session(user: User) -> None:
    """Sign in again after the session version changed, on this browser's same sign-in."""
    remembered = bool(session.get(REMEMBERED))
    session.clear()
    _log_in(user, remembered)


def _log_in(user: User, remembered: bool) -> None:
    login_user(user, remember=remembered, duration=remember_duration())
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    session[REMEMBERED] = remembered


def end_session() -> None:
    """Forget the user, the remember cookie and the session in this browser's cookies."""
    pending = session.get("_flashes")
    logout_user()
    session.clear()
    # logout_user() asked for the remember cookie to be deleted; keep that request.
    session["_remember"] = "clear"
    if pending:  # messages not shown yet are for this browser, whoever signs in next
        session["_flashes"] = pending


def safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _session_expired(now: int) -> bool:
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        # Restored from a "remember me" cookie (or begun elsewhere): start the clocks.
        session[SIGNED_IN_AT] = session[SEEN_AT] = now
        session[REMEMBERED] = True
        return False
    if session.get(REMEMBERED):
        # "Keep me signed in" has no idle limit, only the remember-me lifetime.
        return now - signed_in_at > remember_duration().total_seconds()
    config = current_app.config
    if now - signed_in_at > config["PERMANENT_SESSION_LIFETIME"].total_seconds():
        return True
    return now - seen_at > config["SESSION_IDLE_MINUTES"] * 60


def come_back_to(path: str) -> None:
    """Let a keeper say where to come back to after the sign-in (default: the form's page)."""
    g.come_back_to = path


def return_path() -> str | None:
    """Return where to come back to after signing in again (for a form: its page)."""
    if g.get("come_back_to"):
        return safe_next(g.come_back_to)
    if request.method == "GET":
        if request.endpoint == "auth.login":  # the sign-in page itself: keep its own next
            return safe_next(request.args.get("next"))
        return safe_next(request.full_path.rstrip("?"))
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    return safe_next(urlunsplit(("", "", referrer.path, referrer.query, "")))


#: How an idle sign-out's notice begins; each of its endings asks to sign in again.
SIGNED_OUT_NOTICE = "For your safety you were signed out after a period without activity."


def ask_to_sign_in() -> Response:
    """Send someone not signed in to sign in (Flask-Login's unauthorized handler), saying
    why, unless an idle sign-out's notice waits to be shown: it asks that already, and
    the sign-in page said so twice."""
    manager = current_app.login_manager
    if not _signed_out_notice_waits():
        flash(manager.login_message, manager.login_message_category)
    return redirect(login_url(manager.login_view, next_url=request.url))


def _signed_out(kept: bool | str | None) -> Response:
    """Send the browser to sign in again, saying what became of what it sent."""
    if kept is None:
        # Everything the page sent was kept already, by an earlier request whose notice
        # (if it waits) says so: a second notice would tell the learner to send it again.
        if not _signed_out_notice_waits():
            _flash_signed_out("Please sign in again; your progress is saved.")
        return redirect(url_for("auth.login", next=return_path()))
    if isinstance(kept, str):  # the keeper says where it kept them
        then = f"Please sign in again. {kept}"
    elif kept:
        then = ("Please sign in again: the answers you sent are saved, and you can check"
                " them before you submit.")  # fmt: skip
        session[ANSWERS_KEPT] = True  # the sign-in then says where they are
    elif request.method == "POST":
        then = ("Please sign in again; your progress is saved, but what this page just sent"
                " was not: send it again once you are signed in.")  # fmt: skip
    else:
        then = "Please sign in again; your progress is saved."
    _flash_signed_out(then)
    return redirect(url_for("auth.login", next=return_path()))


def _flash_signed_out(then: str) -> None:
    # A mapping, so the sign-in page gives it focus (_flashes.html): a screen reader does
    # not read a status already on a page as it opens, and this one says the answers
    # are safe.
    flash_once({"text": f"{SIGNED_OUT_NOTICE} {then}"}, "info")


def _signed_out_notice_waits() -> bool:
    """Whether an idle sign-out's notice waits to be shown in this browser."""
    waiting = [message for _, message in session.get("_flashes", [])]
    return any(str(message.get("text", "") if isinstance(message, dict) else message)
               .startswith(SIGNED_OUT_NOTICE) for message in waiting)


def _end_timed_out_session(user_id: int, now: int) -> None:
    # The page left open keeps its form token working, and the session remembers whose
    # it was for a while: answers it sends next are kept for that account, not lost
    # behind a refused form (``_keep_for_signed_out_page``). Nobody is signed in.
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    secret, held = session.get(field), held_for(user_id)
    end_session()
    if secret:
        session[field] = secret
    if held:  # what a keeper held for this account waits for its next sign-in (held.py)
        session[HELD_FOR] = held
    session[KEPT_FOR] = [user_id, now + KEEP_AFTER_SIGN_OUT_SECONDS]


def _keep_for_signed_out_page() -> Response | None:
    """Keep what a page sends after its session's idle sign-out, for that account."""
    mark = session.get(KEPT_FOR)
    if not mark or request.method != "POST" or request.endpoint not in _KEEPERS:
        return None
    user_id, until = mark
    user = None
    if time.time() <= until and request.endpoint in _KEPT_AFTER_SIGN_OUT:
        user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        # Said plainly (an editor's text, or a page left far too long), not as a form
        # refused for coming from elsewhere.
        return _signed_out(False)
    return _signed_out(_keep_posted_answers(user))


def enforce_session_timeouts() -> Response | None:
    """Sign out a session that sat idle too long or outlived its absolute lifetime."""
    if request.endpoint == "static":
        return None
    if not current_user.is_authenticated:
        return _keep_for_signed_out_page() if KEPT_FOR in session else None
    now = int(time.time())
    if _session_expired(now):
        kept = _keep_posted_answers()
        _end_timed_out_session(current_user.id, now)
        return _signed_out(kept)
    if now - session.get(SEEN_AT, 0) >= SEEN_REFRESH_SECONDS:
        session[SEEN_AT] = now
    return None


def session_clock() -> dict[str, int] | None:
    """Return how long this sign-in lasts without activity, for the page's warning.

    ``expires_in`` counts from now, ``idle`` is the whole allowance and ``warning`` how
    long before the end the learner is asked whether to stay signed in (WCAG 2.2.1).
    None when nobody is signed in or "keep me signed in" was ticked (no idle limit).
    """
    if not has_request_context() or not current_user.is_authenticated:
        return None
    if session.get(REMEMBERED):
        return None
    seen_at = session.get(SEEN_AT)
    if not isinstance(seen_at, int):
        return None
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    return {
        "expires_in": max(0, idle - (int(time.time()) - seen_at)),
        "idle": idle,
        # A few minutes to answer, never less than 20 seconds, at most half the allowance.
        "warning": max(20, min(current_app.config["SESSION_WARNING_SECONDS"], idle // 2)),
    }


#: On a script's request, how many seconds this sign-in has left without activity.
EXPIRES_IN_HEADER = "X-Session-Expires-In"


def tell_session_clock(response: Response) -> Response:
    """Tell a page's script the seconds left before an idle sign-out, as the server counts.

    The server notes activity at most once a minute (``SEEN_REFRESH_SECONDS``), so a page
    guessing from its own last request said "You were signed out" up to a minute early.
    Only requests that ask for JSON (heartbeats, saves) get it; pages carry it already.
    """
    # The raw header first: parsing it for every page view cost the lesson page 7 calls.
    if ("json" in request.headers.get("Accept", "")
            and request.accept_mimetypes.best == "application/json"):
        clock = session_clock()
        if clock is not None:
            response.headers[EXPIRES_IN_HEADER] = str(clock["expires_in"])
    return response


def stay_signed_in() -> int:
    """Count this moment as activity; return the seconds until an idle sign-out."""
    session[SEEN_AT] = int(time.time())
    return current_app.config["SESSION_IDLE_MINUTES"] * 60
