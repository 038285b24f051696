"""Friendly error pages that never show a stack trace."""

from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from course.extensions import db


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_template("errors/error.html", error=exc, csrf=True), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):
        db.session.rollback()
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return render_template("errors/error.html", error=exc, limit=size_label(limit)), 413

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return render_template("errors/error.html", error=exc), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("Unhandled error: %s", exc)
        db.session.rollback()
        return render_template("errors/error.html", error=None), 500


def size_label(size: int | None) -> str:
    """Return a byte count as "5 MB" or "800 KB" (binary units, as file managers show)."""
    if not size:
        return ""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{max(size / 1024, 1):.3g} KB"
