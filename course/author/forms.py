"""Authoring forms: fields check shape only; the package checker judges the content.

List fields (objectives, choices, questions...) grow and shrink with buttons named
``action`` (``add:choices``, ``remove:choices:2``) that re-render the form unsaved, so
editing works without JavaScript. The re-rendered form carries a ``ListChange`` that the
page turns into a message at the row that changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FieldList,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from course.formfields import SelectChoice, at_most
from course.forms import Form
from lessons.editing import LessonSource, newlines

SHORT, LONG = 300, 20_000
ID_MESSAGE = "Use letters, digits, dashes and underscores, starting with a letter or digit."


def choices_of(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


MAX_ROWS = 60

F = TypeVar("F", bound=FlaskForm)


def to_int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class ActionForm(Form):
    """A button that changes the draft (move, archive, restore, publish): the CSRF token only."""


# -- lessons ---------------------------------------------------------------------------


class NewLessonForm(Form):
    """Add a lesson at the end of the course."""

    title = StringField("Title", validators=[InputRequired(), at_most(SHORT)])
    slug = StringField(
        "Slug (its web address)",
        description="a-z, 0-9 and dashes, e.g. safety-planning; learners' records use it.",
        validators=[InputRequired(), at_most(90)],
    )


class LessonForm(Form):
    """A lesson's front matter as fields and its Markdown text."""

    base_revision = HiddenField()
    title = StringField("Title", validators=[at_most(SHORT)])
    objectives = SelectMultipleField("Objectives this lesson serves", choices=[])
    #: Browsers send a text box's line breaks as CRLF; the package keeps LF.
    body = TextAreaField(
        "Lesson text (Markdown)",
        validators=[
            Length(
                max=500_000,
                message="The text is longer than 500,000 characters; a lesson file may hold "
                "at most 512 KB. Split it into several lessons. Nothing was saved.",
            )
        ],
        filters=[lambda text: newlines(text) if text else text],
    )

    @classmethod
    def from_source(cls, source: LessonSource, base: int) -> LessonForm:
        """A form filled from a lesson split for editing."""
        data = {"title": source.title, "objectives": list(source.objectives),
                "body": source.body, "base_revision": str(base)}  # fmt: skip
        return cls(formdata=None, data=data)

    def set_objectives(self, known: list[tuple[str, str]]) -> None:
        """Offer the course's objectives, keeping any unknown ones the lesson names."""
        ids = [oid for oid, _ in known]
        extra = [(o, f"{o} (not in the course settings)") for o in self.objectives.data or []
                 if o not in ids]  # fmt: skip
        self.objectives.choices = choices_of(
            [(oid, f"{oid}: {text}") for oid, text in known] + extra
        )


# -- review ----------------------------------------------------------------------------


class CommentForm(Form):
    """A review comment on the draft's latest revision."""

    #: The revision the page showed: a comment kept through a time-out needs it unchanged.
    revision = HiddenField()
    body = TextAreaField(
        "Comment",
        validators=[DataRequired("Write the comment first."), at_most(5000)],
        filters=[lambda text: newlines(text).strip() if text else text],
    )
    file = SelectField("About the file (optional)", choices=[], validate_choice=False)

    def set_files(self, names: list[str]) -> None:
        """Offer the package's files to comment on."""
        self.file.choices = choices_of([("", "The whole draft")] + [(n, n) for n in names])


#: The longest note Publish takes (kept with the version and in the audit log).
MAX_PUBLISH_NOTE = 300


class PublishForm(Form):
    """Publish the draft, with the publisher's note on what changed and why."""

    #: The draft revision the page showed: publishing takes that one or none.
    revision = HiddenField()

    note = TextAreaField(
        "What changed and why (kept with the version and in the audit log)",
        validators=[
            DataRequired("Say what changed and why: learners' credit follows this version."),
            Length(max=MAX_PUBLISH_NOTE, message="Keep the note to 300 characters or fewer."),
        ],
        filters=[lambda text: " ".join(text.split()) if text else text],
    )


class ReviewRequestForm(Form):
    """Ask for review of the draft's latest revision, with an optional note to the reviewers."""

    #: The revision the page showed: a request kept through a time-out needs it unchanged.
    revision = HiddenField()
    #: Not "note": the Publish form on the same page has one, and ids must differ.
    request_note = TextAreaField(
        "Note for the reviewers (optional)",
        validators=[Length(max=500, message="Keep the note to 500 characters or fewer.")],
        filters=[lambda text: newlines(text).strip() if text else text],
    )


# -- packages --------------------------------------------------------------------------


class UploadForm(Form):
    """Upload a course package as a ZIP."""

    package = FileField("Course package (ZIP)", validators=[FileRequired("Choose a ZIP file.")])


# -- list buttons ----------------------------------------------------------------------

BLANK_ROWS = {
    "objectives": {"id": "", "text": ""},
    "authors": {"name": "", "credentials": "", "role": ""},
    "support": {"name": "", "contact": "", "url": "", "note": ""},
    "choices": {"text": "", "correct": False, "why": ""},
    "items": {"id": "", "type": "likert", "prompt": "", "objective": "", "required": True,
              "min": None, "max": None, "choices": ""},
}  # fmt: skip


@dataclass(frozen=True)
class ListChange:
    """What a list button did to the unsaved form, for the message shown where it did it."""

    name: str  #: the list, e.g. "choices"
    index: int  #: the row that now stands where the change was (the list's length: its end)
    kind: str  #: "added", "removed" or "full" (nothing added: the list is at its limit)
    limit: int


def list_action(form: F, action: str | None) -> F | None:
    """Apply an ``add:<list>`` or ``remove:<list>:<n>`` button; None for any other action.

    The new form's ``list_change`` says what changed (None when nothing did: a row that
    is no longer there).
    """
    parts = (action or "").split(":")
    if parts[0] not in ("add", "remove") or len(parts) < 2 or parts[1] not in BLANK_ROWS:
        return None
    name = parts[1]
    if not isinstance(getattr(form, name, None), FieldList):
        return None
    data = dict(form.data)
    data.pop("csrf_token", None)
    rows = list(data[name])
    limit = getattr(form, name).max_entries
    change = None
    if parts[0] == "add" and len(rows) < limit:
        rows.append(dict(BLANK_ROWS[name]))
        change = ListChange(name, len(rows) - 1, "added", limit)
    elif parts[0] == "add":
        change = ListChange(name, len(rows), "full", limit)
    elif len(parts) == 3 and parts[2].isdigit() and int(parts[2]) < len(rows):
        del rows[int(parts[2])]
        change = ListChange(name, int(parts[2]), "removed", limit)
    data[name] = rows
    relisted = type(form)(formdata=None, data=data)
    relisted.list_change = change
    return relisted
