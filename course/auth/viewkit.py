"""Small helpers the account pages share: rate limits, refusals, private pages, links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, make_response, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from course.auth import devices, signin
from course.auth.sessions import safe_next
from course.extensions import limiter
from course.forms import Form
from course.provider import base_url

#: The pages the profile offers a way back to, with the link's words. Only these: a
#: ``next`` that names any other page (or another site) gets no link.
BACK_TO = {"learn.evaluation": "Back to the evaluation"}


@dataclass(frozen=True)
class BackLink:
    """A link back to the page that sent the learner here."""

    path: str
    text: str


def limit(key: str, default: str) -> Callable[[], str]:
    """Return a rate limit read from the configuration when the request comes in."""
    return lambda: current_app.config.get(key, default)


def _trusted_browser() -> bool:
    """Exempt a browser that signed in to this account before from the per-address limit."""
    email = request.form.get("email")
    return bool(email) and signin.is_trusted_browser(email, devices.client())


#: Every form that checks an existing account's password (the sign-in page and the page
#: linking an LMS account) draws on one count per address: two counts would let one
#: address try twice as many passwords.
password_checks = limiter.shared_limit(
    limit("LOGIN_RATE_LIMIT", "20 per minute; 200 per hour"),
    scope="password-checks",
    methods=["POST"],
    exempt_when=_trusted_browser,
)

def home() -> str:
    """Return where people land after signing out or deleting their account."""
    return url_for("learn.catalogue")


def show_error(form: Form, exc: signin.AuthError) -> None:
    """Attach a service's refusal to its field, or to the form as a whole (the page's
    title then says "Error: " first)."""
    form.refuse(form[exc.field] if exc.field and exc.field in form else None, exc.message)


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


def back_link(target: str | None) -> BackLink | None:
    """Return the link back to ``target`` when it is a page of this site in ``BACK_TO``."""
    path = safe_next(target)
    if path is None:
        return None
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(urlsplit(path).path)
    except HTTPException:
        return None
    return BackLink(path, BACK_TO[endpoint]) if endpoint in BACK_TO else None
