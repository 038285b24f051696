"""The project's form base: a form that refuses what was sent marks the page as an error."""

from __future__ import annotations

from typing import Any

from flask import g, get_flashed_messages, has_request_context
from flask_wtf import FlaskForm
from wtforms import Field

#: What a page's title starts with when a form on it was refused (WCAG 3.3.1, 2.4.2).
ERROR_TITLE = "Error: "


class Form(FlaskForm):
    """A FlaskForm whose refusal puts "Error: " first in the page's title.

    The title is the first thing a screen reader reads of a page and what a browser tab
    shows: a refusal said only in the error summary was heard once focus reached it.
    """

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        if not valid:
            mark_refused()
        return valid

    def refuse(self, field: Field | None, message: str) -> None:
        """Refuse what a field holds for a reason found after validation (by a service).

        With no field, the message is the form's own (``form_errors``): the error summary
        says it first.
        """
        if field is None:
            self.form_errors.append(message)
        elif isinstance(field.errors, list):
            field.errors.append(message)
        else:  # a tuple until the field has been validated
            field.errors = [*field.errors, message]
        mark_refused()


def mark_refused() -> None:
    """Mark the page as drawn after a refusal: its title starts with "Error: ".

    For a refusal said outside a form's errors, such as a report's query string that
    names an option the report does not have.
    """
    if has_request_context():
        g.form_refused = True


def page_title(title: str) -> str:
    """The page's title, with "Error: " first when a form on the page was refused or the
    page shows an error message (one flashed before a redirect, say)."""
    # Flask keeps the flashes it takes from the session for the rest of the request, so
    # the page's own message area still shows them after this look.
    refused = has_request_context() and (
        g.get("form_refused", False) or bool(get_flashed_messages(category_filter=["error"]))
    )
    return ERROR_TITLE + title if refused and not title.startswith(ERROR_TITLE) else title
