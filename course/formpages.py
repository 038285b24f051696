"""A form's address opened by GET leads to the page that holds the form.

A browser asks for a form's address by GET when a refused form's page is reloaded or
gone Back to, from a bookmark, and after signing in again: Flask-Login's ``next`` is the
address the form was sent to. A POST-only address would answer "405 Method Not Allowed".
A view marked ``@form_page(...)`` names its form's page instead, and ``init_app`` gives
each of its addresses a GET rule that only redirects there. Nothing is done by GET, and
the page does its own sign-in, role and owner checks (as do the blueprint's own hooks,
which the GET rule shares: its endpoint is in the same blueprint).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, redirect, url_for

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
    """Give every POST-only address of a marked view a GET rule leading to its page.

    Run after the blueprints are registered. A mistake fails here, at start-up, not on
    someone's click: an unknown page's endpoint, or a mark on an address that is a page's
    own (a GET there would be ambiguous).
    """
    rules = list(app.url_map.iter_rules())
    pages = {rule.rule for rule in rules if "GET" in (rule.methods or ())}
    companions: dict[str, Callable[..., Any]] = {}
    for rule in rules:
        page = getattr(app.view_functions[rule.endpoint], "form_page", None)
        if page is None:
            continue
        if rule.rule in pages:
            raise ValueError(f"{rule.endpoint}: {rule.rule} answers GET itself; drop @form_page")
        endpoint = f"{rule.endpoint}_reopened"
        if endpoint not in companions:
            companions[endpoint] = _leads_to(page, _arguments(app, page.endpoint))
        app.add_url_rule(rule.rule, endpoint, companions[endpoint], methods=["GET"])


def _arguments(app: Flask, endpoint: str) -> frozenset[str]:
    """The view arguments any of the endpoint's rules takes."""
    return frozenset().union(*(rule.arguments for rule in app.url_map.iter_rules(endpoint)))


def _leads_to(page: FormPage, accepted: frozenset[str]) -> Callable[..., Any]:
    def reopened(**values: Any):
        # The form's own values (a member, a comment) stay behind: the page takes fewer.
        kept = {name: value for name, value in values.items() if name in accepted}
        anchor = page.anchor.format(**values) if page.anchor else None
        return redirect(url_for(page.endpoint, _anchor=anchor, **kept), 303)

    reopened.__doc__ = f"Open {page.endpoint} when its form's address is opened by GET."
    return reopened
