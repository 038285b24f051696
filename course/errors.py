"""Friendly error pages that never show a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from course.extensions import db


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_template("errors/error.html", error=exc, csrf=True), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return render_template("errors/error.html", error=exc), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("Unhandled error: %s", exc)
        db.session.rollback()
        return render_template("errors/error.html", error=None), 500
