"""Small helpers the account pages share: rate limits, refusals, private pages, links."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, make_response, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from course.auth import signin
from course.provider import base_url


def limit(key: str, default: str) -> Callable[[], str]:
    """Return a rate limit read from the configuration when the request comes in."""
    return lambda: current_app.config.get(key, default)


def home() -> str:
    """Return where people land after signing out or deleting their account."""
    return url_for("learn.catalogue")


def show_error(form: FlaskForm, exc: signin.AuthError) -> None:
    """Attach a service's refusal to its field, or to the form as a whole."""
    if exc.field and exc.field in form:
        field = form[exc.field]
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def private(body: str, status: int = 200) -> Response:
    """Return a page whose address holds a secret: never cached, never sent as a referrer."""
    response = make_response(body, status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def external(endpoint: str) -> Callable[[str | None], str]:
    """Return a maker of full links to ``endpoint`` (with its token, if it takes one)."""
    base = base_url()
    return lambda token: base + (
        url_for(endpoint, token=token) if token is not None else url_for(endpoint)
    )
