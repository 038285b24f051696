"""A form's address opened by GET leads to the page that holds the form.

A browser asks for a form's address by GET when a refused form's page is reloaded or
gone Back to, from a bookmark, and after signing in again: Flask-Login's ``next`` is the
address the form was sent to. A POST-only address would answer "405 Method Not Allowed".
A view marked ``@form_page(...)`` names its form's page instead: the 405 handler asks
``reopened_page`` and answers 303 there. Nothing is done by GET, and the page does its
own sign-in, role and owner checks.

Answered from the 405 handler rather than by a GET rule for each address: Werkzeug
compiles every rule of every app, and 34 more rules added a quarter to the cost of
building the app, which the test suite does once a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, request, url_for
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class FormPage:
    """Where a form lives: a GET endpoint, and the id to open it at."""

    endpoint: str
    #: May name the form's view arguments: ``"check-{key}"``.
    anchor: str | None = None


def form_page(endpoint: str, anchor: str | None = None) -> Callable[[View], View]:
    """Mark a POST view: a GET on its address answers 303 to ``endpoint``, at ``anchor``."""

    def mark(view: View) -> View:
        view.form_page = FormPage(endpoint, anchor)  # type: ignore[attr-defined]
        return view

    return mark


def init_app(app: Flask) -> None:
    """Check every mark at start-up, after the blueprints are registered.

    A mistake fails here, not on someone's click: a page's endpoint that does not exist,
    or a mark on an address that is a page's own (a GET there would be ambiguous).
    """
    rules = list(app.url_map.iter_rules())
    endpoints = {rule.endpoint for rule in rules}
    adapter = app.url_map.bind("localhost")
    for rule in rules:
        page = getattr(app.view_functions[rule.endpoint], "form_page", None)
        if page is None:
            continue
        # A GET there reaches a page (its own, or another rule's: /verify/<code>), never
        # the 405 handler: the mark would do nothing.
        path = rule.build(dict.fromkeys(rule.arguments, "1"))[1]
        try:
            endpoint, _ = adapter.match(path, method="GET")
        except HTTPException:
            pass
        else:
            raise ValueError(f"{rule.endpoint}: a GET on {rule.rule} opens {endpoint}; "
                             "drop @form_page and give the address a GET view")  # fmt: skip
        if page.endpoint not in endpoints:
            raise ValueError(f"{rule.endpoint}: @form_page names no page: {page.endpoint}")


def reopened_page() -> str | None:
    """The address of the form's page when this GET found a marked form's address; else None."""
    if request.method not in ("GET", "HEAD") or request_ctx.url_adapter is None:
        return None
    try:
        endpoint, values = request_ctx.url_adapter.match(method="POST")
    except HTTPException:
        return None
    page: FormPage | None = getattr(current_app.view_functions.get(endpoint), "form_page", None)
    if page is None:
        return None
    # The form's own values (a member, a comment) stay behind: the page takes fewer.
    accepted = set().union(*(r.arguments for r in current_app.url_map.iter_rules(page.endpoint)))
    kept = {name: value for name, value in values.items() if name in accepted}
    anchor = page.anchor.format(**values) if page.anchor else None
    return url_for(page.endpoint, _anchor=anchor, **kept)
