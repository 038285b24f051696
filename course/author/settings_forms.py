"""The course settings form: course.yaml as fields, and back again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional

from course.author.forms import LONG, MAX_ROWS, SHORT, choices_of, to_int
from course.formfields import DateField, at_most
from course.forms import Form as PageForm
from lessons.dump import as_bool, clean_text
from lessons.editing import as_text
from lessons.manifest import DEFAULT_REVIEW

LEVELS = [("introductory", "Introductory"), ("intermediate", "Intermediate"),
          ("advanced", "Advanced")]  # fmt: skip
#: What a post-test review shows (lessons.manifest.REVIEW_POLICIES), in the author's words.
REVIEWS = [
    ("missed", "Answers and explanations; keyed choices after a pass (default)"),
    ("keyed", "Keyed choices after every attempt"),
    ("score", "Only the score by objective after a failed attempt"),
]  # fmt: skip


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


class ObjectiveRow(Form):
    """One learning objective."""

    id = StringField("Id", validators=[at_most(50)])
    text = TextAreaField("Objective", validators=[at_most(SHORT * 2)])


class AuthorRow(Form):
    """One author as printed on the certificate."""

    name = StringField("Name", validators=[at_most(SHORT)])
    credentials = StringField("Credentials", validators=[at_most(SHORT)])
    role = StringField("Role (optional), e.g. Author or Content reviewer",
                       validators=[at_most(SHORT)])  # fmt: skip


class SupportRow(Form):
    """One support contact shown on every course page."""

    name = StringField("Name", validators=[at_most(SHORT)])
    contact = StringField("Contact", validators=[at_most(SHORT)])
    url = StringField("Link (https://, mailto: or tel:)", validators=[at_most(SHORT)])
    note = StringField("Note", validators=[at_most(SHORT)])


class SettingsForm(PageForm):
    """course.yaml as fields."""

    base_revision = HiddenField()
    title = StringField("Title", validators=[at_most(SHORT)])
    summary = TextAreaField("Summary for the catalog", validators=[at_most(LONG)])
    audience = StringField("Audience", validators=[at_most(SHORT)])
    level = SelectField("Level", choices=choices_of(LEVELS))
    format = StringField("Format", validators=[at_most(SHORT)])
    contact_hours = DecimalField(
        "Contact hours", places=None, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    credit_type = StringField("Credit type", validators=[at_most(SHORT)])
    version = IntegerField("Edition", validators=[Optional(), NumberRange(min=0)])
    objectives = FieldList(FormField(ObjectiveRow), max_entries=MAX_ROWS)
    authors = FieldList(FormField(AuthorRow), max_entries=MAX_ROWS)
    disclosure = TextAreaField(
        "Disclosure (Markdown): conflicts of interest and commercial support",
        validators=[at_most(LONG)],
    )
    references = TextAreaField(
        "References, one per line (APA style; Markdown links allowed)",
        validators=[at_most(LONG)],
    )
    provider_name = StringField(
        "Provider named in the package (optional)",
        description="Certificates print the provider this site is set up for; see ce-credit.md.",
        validators=[at_most(SHORT)],
    )
    has_approval = BooleanField("The course is approved for CE credit")
    approval_body = StringField("Approval body", validators=[at_most(SHORT)])
    approval_number = StringField("Approval number", validators=[at_most(SHORT)])
    approval_statement = TextAreaField("Approval statement", validators=[at_most(LONG)])
    approval_start = DateField("Approved from (optional)", validators=[Optional()])
    approval_end = DateField("Approved until, inclusive (optional)", validators=[Optional()])
    passing_score = IntegerField(
        "Passing score (percent)", validators=[Optional(), NumberRange(min=0, max=100)]
    )
    draw = IntegerField(
        "Post-test questions per attempt", validators=[Optional(), NumberRange(min=0, max=1000)]
    )
    max_attempts = IntegerField(
        "Post-test attempts allowed (optional)",
        validators=[Optional(), NumberRange(min=0, max=1000)],
    )
    retake_wait_minutes = IntegerField(
        "Minutes to wait after a failed attempt (optional)",
        validators=[Optional(), NumberRange(min=0, max=100_000)],
    )
    review = SelectField("What a post-test review shows", choices=choices_of(REVIEWS))
    sequential = BooleanField("Lessons open in order")
    min_active_minutes = IntegerField(
        "Minimum active minutes before the post-test",
        validators=[Optional(), NumberRange(min=0, max=100_000)],
    )
    advisory = TextAreaField("Content advisory (Markdown)", validators=[at_most(LONG)])
    support = FieldList(FormField(SupportRow), max_entries=MAX_ROWS)

    @classmethod
    def from_manifest(cls, data: Mapping[str, Any], base: int) -> SettingsForm:
        """A form filled from course.yaml as plain data."""
        provider = data.get("provider") if isinstance(data.get("provider"), dict) else {}
        approval = next(
            (a for a in (data.get("approval"), provider.get("approval")) if isinstance(a, dict)),
            None,
        )
        references = data.get("references") if isinstance(data.get("references"), list) else []
        post_test = data.get("post_test") if isinstance(data.get("post_test"), dict) else {}
        values = {
            key: as_text(data.get(key))
            for key in ("title", "summary", "audience", "level", "format", "credit_type",
                        "advisory", "disclosure")
        }  # fmt: skip
        values.update(
            base_revision=str(base),
            contact_hours=_decimal(data.get("contact_hours")),
            version=to_int(data.get("version")),
            objectives=_rows(data.get("objectives"), ("id", "text")),
            authors=_rows(data.get("authors"), ("name", "credentials", "role")),
            references="\n".join(as_text(r) for r in references),
            provider_name=as_text(provider.get("name")),
            has_approval=approval is not None,
            approval_body=as_text((approval or {}).get("body")),
            approval_number=as_text((approval or {}).get("number")),
            approval_statement=as_text((approval or {}).get("statement")),
            approval_start=_date((approval or {}).get("period_start")),
            approval_end=_date((approval or {}).get("period_end")),
            passing_score=to_int(data.get("passing_score")),
            draw=to_int(post_test.get("draw")),
            max_attempts=to_int(post_test.get("max_attempts")),
            retake_wait_minutes=to_int(post_test.get("retake_wait_minutes")),
            review=as_text(post_test.get("review")) or DEFAULT_REVIEW,
            sequential=as_bool(data.get("sequential")),
            min_active_minutes=to_int(data.get("min_active_minutes")),
            support=_rows(data.get("support"), ("name", "contact", "url", "note")),
        )
        return cls(formdata=None, data=values)

    def field_for(self, path: tuple[str | int, ...]) -> tuple[str, str] | None:
        """The box (its id and a label) that writes a course.yaml key, e.g. ("support", 2,
        "url"): where a checker finding on that key's line is fixed."""
        head, *rest = path or ("",)
        if head in _ROW_NOUNS and rest and isinstance(rest[0], int):
            rows = getattr(self, str(head))
            if rest[0] >= len(rows.entries):
                return None
            row = rows.entries[rest[0]].form
            named = len(rest) > 1 and str(rest[1]) in row._fields
            box = row[str(rest[1])] if named else next(iter(row))
            return box.id, f"{_ROW_NOUNS[head]} {rest[0] + 1}, {box.label.text}"
        name = _NESTED_FIELDS.get(tuple(path[-2:]), str(head) if not rest else "")
        box = self._fields.get(name)
        if box is None or box.type == "FieldList":  # a whole list: no one box to point at
            return None
        return box.id, box.label.text

    def to_manifest(self) -> dict[str, Any]:
        """course.yaml data from the fields (empty rows dropped)."""
        d = self.data
        approval = {
            "body": d["approval_body"], "number": d["approval_number"],
            "statement": d["approval_statement"],
            "period_start": d["approval_start"], "period_end": d["approval_end"],
        } if d["has_approval"] else None  # fmt: skip
        hours = d["contact_hours"]
        return {
            "title": d["title"],
            "version": d["version"],
            "summary": d["summary"],
            "audience": d["audience"],
            "level": d["level"],
            "format": d["format"],
            "contact_hours": None if hours is None else float(hours),
            "credit_type": d["credit_type"],
            "objectives": _filled(d["objectives"]),
            "authors": _filled(d["authors"]),
            "disclosure": d["disclosure"],
            "references": [r for r in clean_text(d["references"]).split("\n") if r.strip()],
            "provider": {"name": d["provider_name"]},
            "approval": approval,
            "passing_score": d["passing_score"],
            "post_test": _post_test(d),
            "advisory": d["advisory"],
            "support": _filled(d["support"]),
            "sequential": d["sequential"],
            "min_active_minutes": d["min_active_minutes"],
        }


#: What one row of a list in course.yaml is called on the settings page.
_ROW_NOUNS = {"objectives": "Objective", "authors": "Author", "support": "Support contact"}
#: course.yaml keys one level down, by their last two steps, and the box that writes them.
_NESTED_FIELDS = {
    ("provider", "name"): "provider_name",
    ("approval", "body"): "approval_body",
    ("approval", "number"): "approval_number",
    ("approval", "statement"): "approval_statement",
    ("approval", "period_start"): "approval_start",
    ("approval", "period_end"): "approval_end",
    ("post_test", "draw"): "draw",
    ("post_test", "max_attempts"): "max_attempts",
    ("post_test", "retake_wait_minutes"): "retake_wait_minutes",
    ("post_test", "review"): "review",
}


def _post_test(d: Mapping[str, Any]) -> dict[str, Any]:
    """``post_test:`` from the fields: a blank box, or the default review, writes no line."""
    post_test = {"draw": d["draw"]}
    for key in ("max_attempts", "retake_wait_minutes"):
        if d[key] is not None:
            post_test[key] = d[key]
    if d["review"] != DEFAULT_REVIEW:
        post_test["review"] = d["review"]
    return post_test


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(as_text(value).strip())
    except ValueError:
        return None


def _rows(items: object, keys: tuple[str, ...]) -> list[dict[str, str]]:
    if not isinstance(items, list):
        return []
    return [{k: as_text(i.get(k)) for k in keys} for i in items if isinstance(i, dict)]


def _filled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if any(clean_text(v) for v in row.values())]
