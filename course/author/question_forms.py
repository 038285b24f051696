"""Question and evaluation forms: choices and items grow and shrink with list buttons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional, Regexp

from course.author.forms import ID_MESSAGE, LONG, MAX_ROWS, choices_of, to_int
from course.author.reading import in_form_words
from course.formfields import at_most
from course.forms import Form as PageForm
from lessons.dump import as_bool, clean_text
from lessons.editing import as_text
from lessons.questions import ID_PATTERN, choice_problems

QUESTION_TYPES = [("single", "One correct answer"), ("multiple", "One or more correct answers"),
                  ("true_false", "True or false")]  # fmt: skip
ITEM_TYPES = [("likert", "Agree-disagree scale (1-5)"), ("number", "Number"),
              ("text", "Comment"), ("choice", "Choice")]  # fmt: skip


# -- questions -------------------------------------------------------------------------


#: Rows a question's form shows at least: no question type has fewer choices.
MIN_CHOICE_ROWS = 2


class ChoiceRow(Form):
    """One answer option."""

    text = StringField("Choice", validators=[at_most(LONG)])
    correct = BooleanField("Correct")
    why = TextAreaField("Why (feedback for this choice)", validators=[at_most(LONG)])


class QuestionForm(PageForm):
    """A knowledge check or post-test question as fields."""

    base_revision = HiddenField()
    id = StringField(
        "Question id",
        description="Learners' answers are kept under it: change it only for a new question.",
        validators=[
            InputRequired(),
            at_most(100),
            Regexp(ID_PATTERN.pattern + r"\Z", message=ID_MESSAGE),
        ],
    )
    type = SelectField("Type", choices=choices_of(QUESTION_TYPES))
    # The checker reports an unknown objective; the form only offers the known ones.
    objective = SelectField("Objective", choices=[], validate_choice=False)
    prompt = TextAreaField("Question (Markdown)", validators=[at_most(LONG)])
    choices = FieldList(FormField(ChoiceRow), max_entries=26)
    explanation = TextAreaField(
        "Explanation shown in the review (Markdown)", validators=[at_most(LONG)]
    )
    language_example = BooleanField("This question quotes language to avoid on purpose")

    @classmethod
    def from_data(cls, data: Mapping[str, Any], base: int) -> QuestionForm:
        """A form filled from a question as plain data."""
        values = {
            "base_revision": str(base),
            "id": as_text(data.get("id")),
            "type": as_text(data.get("type")) or "single",
            "objective": as_text(data.get("objective")),
            "prompt": as_text(data.get("prompt")),
            "explanation": as_text(data.get("explanation")),
            "language_example": as_bool(data.get("language_example")),
            "choices": [
                {"text": as_text(c.get("text")), "correct": as_bool(c.get("correct")),
                 "why": as_text(c.get("why"))}
                for c in data.get("choices") or [] if isinstance(c, dict)
            ],
        }  # fmt: skip
        # A question saved with its choices still blank (they are dropped) opens with
        # empty rows to fill in, not with none: every question needs two.
        blank = {"text": "", "correct": False, "why": ""}
        values["choices"] += [dict(blank) for _ in range(MIN_CHOICE_ROWS - len(values["choices"]))]
        return cls(formdata=None, data=values)

    #: Problems of a whole list of rows, by the list's name: shown at the list and in the
    #: error summary, in the form's order (``author/_macros.html``).
    list_errors: dict[str, list[str]] = {}  # noqa: RUF012  (replaced, never changed)

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields; a form refused anyway also says what its choices lack."""
        valid = super().validate(extra_validators)
        if not valid:
            # Saving without a correct choice is allowed (a draft may be unfinished): it
            # is a checker finding once saved. A form refused for another reason says it
            # now, so one submit lists every problem, not one after another.
            rows = [(clean_text(c["text"]), bool(c["correct"]))
                    for c in self.to_data(post_test=False)["choices"]]
            problems = [in_form_words(p) for p in choice_problems(self.type.data, rows)]
            if problems:
                self.list_errors = {"choices": problems}
        return valid

    def to_data(self, post_test: bool) -> dict[str, Any]:
        """The question as plain data (blank choices dropped)."""
        d = self.data
        data: dict[str, Any] = {
            "id": d["id"].strip(),
            "type": d["type"],
            "prompt": d["prompt"],
            "choices": [c for c in d["choices"] if clean_text(c["text"]) or clean_text(c["why"])],
            "language_example": d["language_example"],
        }
        if post_test:
            data["objective"] = d["objective"]
            data["explanation"] = d["explanation"]
        return data

    def set_objectives(self, known: list[tuple[str, str]]) -> None:
        """Offer the course's objectives (post-test) or drop the field (knowledge checks)."""
        current = self.objective.data or ""
        choices = [("", "Choose an objective")] + [(o, f"{o}: {t}") for o, t in known]
        if current and current not in {o for o, _ in known}:
            choices.append((current, f"{current} (not in the course settings)"))
        self.objective.choices = choices_of(choices)


# -- evaluation ------------------------------------------------------------------------


class ItemRow(Form):
    """One evaluation item."""

    id = StringField("Id", validators=[at_most(100)])
    type = SelectField("Type", choices=choices_of(ITEM_TYPES))
    prompt = TextAreaField("Question", validators=[at_most(LONG)])
    objective = SelectField("Objective it measures", choices=[], validate_choice=False)
    required = BooleanField("Answer required")
    min = IntegerField("Smallest number", validators=[Optional()])
    max = IntegerField("Largest number", validators=[Optional()])
    choices = TextAreaField("Choices, one per line", validators=[at_most(LONG)])


class EvaluationForm(PageForm):
    """evaluation.yaml as fields."""

    base_revision = HiddenField()
    items = FieldList(FormField(ItemRow), max_entries=MAX_ROWS)

    @classmethod
    def from_items(cls, items: list[dict[str, Any]], base: int) -> EvaluationForm:
        """A form filled from the evaluation's items as plain data."""
        rows = [
            {
                "id": as_text(i.get("id")),
                "type": as_text(i.get("type")) or "likert",
                "prompt": as_text(i.get("prompt")),
                "objective": as_text(i.get("objective")),
                "required": as_bool(i["required"]) if "required" in i else True,
                "min": to_int(i.get("min")),
                "max": to_int(i.get("max")),
                "choices": "\n".join(as_text(c) for c in i.get("choices") or []
                                     if isinstance(i.get("choices"), list)),
            }
            for i in items
        ]  # fmt: skip
        return cls(formdata=None, data={"base_revision": str(base), "items": rows})

    def to_items(self) -> list[dict[str, Any]]:
        """The items as plain data (blank rows dropped)."""
        items = []
        for row in self.data["items"]:
            if not (clean_text(row["id"]) or clean_text(row["prompt"])):
                continue
            choices = [c.strip() for c in (row["choices"] or "").splitlines() if c.strip()]
            items.append({**row, "choices": choices})
        return items

    def set_objectives(self, known: list[tuple[str, str]]) -> None:
        """Offer the course's objectives on every item."""
        for entry in self.items:
            field = entry.form.objective
            choices = [("", "None")] + [(o, f"{o}: {t}") for o, t in known]
            if field.data and field.data not in {o for o, _ in known}:
                choices.append((field.data, f"{field.data} (not in the course settings)"))
            field.choices = choices_of(choices)
