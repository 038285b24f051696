"""Friendly error pages that never show a stack trace."""

from __future__ import annotations

from flask import Flask, current_app, flash, g, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import (
    Forbidden,
    HTTPException,
    NotFound,
    RequestEntityTooLarge,
    TooManyRequests,
)

from course.db import DatabaseBusy, is_busy_error
from course.extensions import db

#: Seconds a client is asked to wait before sending a refused write again.
RETRY_AFTER_SECONDS = 5
# Methods a 307 makes the browser send again as they were (body included).
_RESENDABLE = frozenset({"GET", "HEAD", "POST"})


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        from course.auth.sessions import keep_answers_of_a_stale_page, return_path

        if keep_answers_of_a_stale_page(exc.description):
            flash("This page was open for a long time, so for your safety your answers were "
                  "saved but not sent. Please check them and submit again.", "info")  # fmt: skip
            return redirect(return_path() or "/", 303)
        return render_template("errors/error.html", error=exc, csrf=True), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):
        db.session.rollback()
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return render_template("errors/error.html", error=exc, limit=size_label(limit)), 413

    @app.errorhandler(TooManyRequests)
    def too_many(exc: TooManyRequests):
        # Flask-Limiter adds Retry-After (RATELIMIT_HEADERS_ENABLED) after this.
        db.session.rollback()
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error="too_many_requests"), 429
        if request.method != "POST":
            return render_template("errors/error.html", error=exc), 429
        return resend_page("limited", 429, {"Cache-Control": "no-store"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # A refusal with its own description explains itself; the stock one says nothing.
        return render_template(
            "errors/error.html", error=exc, default_forbidden=Forbidden.description,
            default_not_found=NotFound.description,
        ), exc.code  # fmt: skip

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
        return render_template("errors/error.html", error=None), 500


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
        dropped_password=any("password" in name.lower() for name in request.form),
        dropped_files=bool(request.files),
    )
    return page, status, headers


def size_label(size: int | None) -> str:
    """Return a byte count as "5 MB" or "800 KB" (binary units, as file managers show)."""
    if not size:
        return ""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{max(size / 1024, 1):.3g} KB"
