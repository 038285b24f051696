"""Friendly error pages that never show a stack trace."""

from __future__ import annotations

import math
import time

from flask import (
    Flask,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    RequestEntityTooLarge,
    TooManyRequests,
    default_exceptions,
)

from course import formpages
from course.db import DatabaseBusy, is_busy_error
from course.extensions import db, limiter
from course.forms import mark_refused
from course.models import Course, Role

#: Seconds a client is asked to wait before sending a refused write again.
RETRY_AFTER_SECONDS = 5
# Methods a 307 makes the browser send again as they were (body included).
_RESENDABLE = frozenset({"GET", "HEAD", "POST"})


def log_form_refusal(exc: CSRFError) -> None:
    """Log why a form was refused: behind a proxy that drops the port from Host, every
    form fails the referrer check, and the operator must see that reason somewhere."""
    current_app.logger.warning("Form refused (%s): %s", request.endpoint, exc.description)


def log_refused_access() -> None:
    """Log a refusal for want of a role or a team place: a learner's account trying staff
    pages one after another must show in the log, with whose it was and from where."""
    who = (f"account {current_user.id} ({current_user.role})"
           if current_user.is_authenticated else "nobody signed in")  # fmt: skip
    current_app.logger.warning("Access refused (%s %s): %s, from %s", request.method,
                               request.path, who, request.remote_addr)


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        from course.auth.sessions import flash_once, keep_answers_of_a_stale_page, return_path

        log_form_refusal(exc)
        kept = keep_answers_of_a_stale_page(exc.description)
        if kept and request.accept_mimetypes.best == "application/json":
            # A page saving answers as they are given: they are kept, and the page goes
            # on saying so (a redirect would read to it as a sign-out).
            return jsonify(saved=True)
        if isinstance(kept, str):
            flash_once(f"This page was open for a long time. {kept}", "info")
            return redirect(return_path() or "/", 303)
        if kept:
            flash_once("This page was open for a long time, so for your safety your answers "
                       "were saved but not sent. Please check them and submit again.", "info")
            return redirect(return_path() or "/", 303)
        return error_page(exc, 400, csrf=True)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):
        db.session.rollback()
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return error_page(exc, 413, limit=size_label(limit))

    @app.errorhandler(TooManyRequests)
    def too_many(exc: TooManyRequests):
        # Flask-Limiter adds Retry-After (RATELIMIT_HEADERS_ENABLED) after this.
        db.session.rollback()
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error="too_many_requests"), 429
        if request.method != "POST":
            return error_page(exc, 429, wait=retry_seconds())
        return resend_page("limited", 429, {"Cache-Control": "no-store"})

    @app.errorhandler(MethodNotAllowed)
    def method_not_allowed(exc: MethodNotAllowed):
        # A form's address opened by GET (a reload, a bookmark, a sign-in's next=).
        page = formpages.reopened_page()
        return redirect(page, 303) if page else error_page(exc, 405)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 403:
            log_refused_access()
        return error_page(exc, exc.code)

    @app.errorhandler(DatabaseBusy)
    def database_busy(exc: DatabaseBusy):
        return busy_response(exc)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if exc.connection_invalidated and request.method in _RESENDABLE:
            return stale_connection(exc)
        if is_busy_error(exc):
            return busy_response(exc)
        return server_error(exc)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("Unhandled error: %s", exc)
        db.session.rollback()
        return error_page(None, 500)


def stale_connection(exc: DBAPIError):
    """Have the client send the request again: the pool's connections were just replaced.

    Pooled connections are not pinged before use, so after the database server restarted
    (or killed a connection) the first request on each old one fails. SQLAlchemy has
    then discarded every connection of the pool; a 307 makes the browser (or fetch) send
    the very same request again, which gets a fresh connection. Whatever that request
    stores is stored once: a transaction on a dropped connection never committed, and
    every form that stores something may be sent twice.
    """
    db.session.rollback()
    current_app.logger.warning("Database connection lost; %s %s sent again (%s)",
                               request.method, request.path, exc.orig)
    return redirect(request.full_path.rstrip("?"), 307)


def busy_response(exc: Exception):
    """Answer 503 "busy, please try again", keeping what the learner sent.

    A form comes back as a page whose "Try again" button sends the same fields again
    (passwords excepted: a page never holds one); the forms that store something are
    safe to send twice. A script gets JSON. Either way, a Retry-After header.
    """
    db.session.rollback()
    # What the rest of the request reads (the signed-in user, when the busy lock met
    # its first query) is read without asking for the lock again.
    g.writes = False
    current_app.logger.warning("Database busy: %s %s refused (%s)", request.method,
                               request.path, exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error="busy", retry_after=RETRY_AFTER_SECONDS), 503, headers
    return resend_page("busy", 503, headers)


def resend_page(reason: str, status: int, headers: dict[str, str]):
    """A page whose "Try again" button sends the refused form's fields again.

    ``reason`` is "busy" (the database) or "limited" (too many requests). Passwords are
    never kept in a page, and a file cannot be.
    """
    fields = [
        (name, value)
        for name, values in request.form.lists()
        for value in values
        if "password" not in name.lower()
    ]
    page = render_template(
        "errors/busy.html",
        reason=reason,
        resend=request.method == "POST",
        action=request.full_path.rstrip("?"),
        fields=fields,
        status=status,
        way_back=way_back,
        dropped_password=any("password" in name.lower() for name in request.form),
        dropped_files=bool(request.files),
    )
    return page, status, headers


def error_page(error: HTTPException | None, status: int, **context: object):
    """Render the plain-words error page for ``error`` (None: our own failure)."""
    # Its helpers go in this page's context, not every template's globals: Jinja copies
    # the globals into each render, and the lesson page would pay for them too.
    if status == 400:
        # Refused for what was sent (a form, a filter, a stale form's token): "Error: "
        # first in the title, as any page drawn after a refusal says it, and whether or
        # not a form's validators ran before the refusal.
        mark_refused()
    page = render_template("errors/error.html", error=error, own_words=own_words,
                           way_back=way_back, wait_label=wait_label, **context)  # fmt: skip
    return page, status


def own_words(exc: HTTPException | None) -> str | None:
    """The refusal's own explanation, or None when it carries only the stock HTTP one."""
    # abort(403, description=...) explains itself; the stock text is written for
    # developers ("The browser (or proxy) sent a request...") and says nothing to a learner.
    if exc is None or not exc.description:
        return None
    stock = default_exceptions.get(exc.code)  # a subclass's own class text is its own words
    return None if stock and exc.description == stock.description else exc.description


def way_back(status: int) -> tuple[str, str]:
    """The link an error page offers back to where the person was, in words they know."""
    # A licensing board's verifier knows nothing of "the courses"; a learner mid-lesson
    # wants the lesson; the course list is for everyone else.
    area, _, rest = request.path.strip("/").partition("/")
    if area == "verify":
        return url_for("verify.lookup"), "Back to Verify a certificate"
    # Someone refused the area (or who typed an address in it) cannot use its home.
    if area == "admin" and _holds(Role.ADMIN):
        return url_for("admin.home"), "Back to Administration"
    if area == "author" and _holds(Role.AUTHOR):
        return url_for("author.home"), "Back to Authoring"
    if area == "me" and rest and current_user.is_authenticated:
        return url_for("learn.transcript"), "Back to my transcript"
    slug, _, rest = rest.partition("/")
    part, _, lesson_slug = rest.partition("/")
    # A 404 may be for the course itself; a missing page in a course that is there (an
    # old lesson's address, a mistyped one) leads back to the course.
    if area == "courses" and slug and (status != 404 or _course_is_open(slug)):
        if status == 404:
            return url_for("learn.course_page", slug=slug), "Back to the course"
        lesson_slug = lesson_slug.partition("/")[0]
        if part == "lessons" and lesson_slug and status != 403:  # 403: not enrolled
            return url_for("learn.lesson", slug=slug, lesson_slug=lesson_slug), "Back to the lesson"
        return url_for("learn.course_page", slug=slug), "Back to the course"
    return url_for("learn.catalogue"), "Back to the courses"


def _course_is_open(slug: str) -> bool:
    found = select(Course.id).where(Course.slug == slug, Course.archived_at.is_(None))
    return db.session.scalar(found) is not None


def _holds(role: Role) -> bool:
    return current_user.is_authenticated and current_user.has_role(role)


def retry_seconds() -> int | None:
    """Seconds until the limit that refused this request lets one through; None if unknown."""
    limit = limiter.current_limit
    if limit is None:
        return None
    return max(1, int(limit.reset_at - time.time()))  # as Flask-Limiter rounds it


def wait_label(seconds: int) -> str:
    """Return a wait as "about 40 seconds", "about 1 minute" or "about 2 hours"."""
    seconds = max(seconds, 1)
    if seconds < 60:
        return f"about {seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"about {minutes} minute{'' if minutes == 1 else 's'}"
    hours = round(minutes / 60)
    return f"about {hours} hour{'' if hours == 1 else 's'}"


def size_label(size: int | None) -> str:
    """Return a byte count as "5 MB" or "800 KB" (binary units, as file managers show)."""
    if not size:
        return ""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{max(size / 1024, 1):.3g} KB"
