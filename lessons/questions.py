"""Question types: schema rules, parsing from YAML and grading."""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import ClassVar

from yaml.nodes import Node, ScalarNode

from .model import Choice, Question
from .render import render_inline, render_markdown
from .yamlread import MapReader, Source

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
CHOICE_KEYS = string.ascii_lowercase

CHECK_KEYS = ("id", "type", "prompt", "choices", "language_example")
POST_TEST_KEYS = CHECK_KEYS + ("objective", "explanation")
CHOICE_FIELDS = ("text", "correct", "why")


@dataclass(frozen=True)
class ChoiceFeedback:
    """What the learner chose for one choice, whether it was right, and why."""

    key: str
    text_html: str
    selected: bool
    correct: bool
    why_html: str


@dataclass(frozen=True)
class GradeResult:
    """The verdict on one answer, with feedback for every choice in order."""

    correct: bool
    feedback: tuple[ChoiceFeedback, ...]


class QuestionType:
    """Base class: subclasses state their schema rules and when an answer is correct."""

    name: ClassVar[str] = ""

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        """Schema problems with the question's choices, as messages (empty when fine)."""
        raise NotImplementedError

    @classmethod
    def is_correct(cls, question: Question, selected: frozenset[str]) -> bool:
        """Whether the selected keys (already known to exist) answer the question."""
        raise NotImplementedError

    @classmethod
    def grade(cls, question: Question, selected: Collection[str]) -> GradeResult:
        """Grade an answer; raises ValueError for keys the question does not have."""
        chosen = _as_key_set(question, selected)
        return GradeResult(
            correct=bool(chosen) and cls.is_correct(question, chosen),
            feedback=tuple(
                ChoiceFeedback(c.key, c.text_html, c.key in chosen, c.correct, c.why_html)
                for c in question.choices
            ),
        )


class SingleChoice(QuestionType):
    """Two or more choices, exactly one of them correct."""

    name = "single"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        """Schema problems with the question's choices, as messages (empty when fine)."""
        problems = []
        if len(question.choices) < 2:
            problems.append("a single question needs at least 2 choices")
        return problems + _one_correct(question)

    @classmethod
    def is_correct(cls, question: Question, selected: frozenset[str]) -> bool:
        """Correct when the one correct key, and nothing else, is selected."""
        return selected == question.correct_keys


class TrueFalse(SingleChoice):
    """Exactly two choices, True and False, one of them correct."""

    name = "true_false"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        """Schema problems with the question's choices, as messages (empty when fine)."""
        problems = []
        texts = sorted(c.text.lower() for c in question.choices)
        if texts != ["false", "true"]:
            problems.append("a true_false question has exactly two choices: True and False")
        return problems + _one_correct(question)


class MultipleChoice(QuestionType):
    """Two or more choices, one or more of them correct; all correct ones must be chosen."""

    name = "multiple"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        """Schema problems with the question's choices, as messages (empty when fine)."""
        problems = []
        if len(question.choices) < 2:
            problems.append("a multiple question needs at least 2 choices")
        if not question.correct_keys:
            problems.append("no choice is marked `correct: true`")
        return problems

    @classmethod
    def is_correct(cls, question: Question, selected: frozenset[str]) -> bool:
        """Correct when the selection is exactly the set of correct keys."""
        return selected == question.correct_keys


def choice_problems(qtype: str, choices: Sequence[tuple[str, bool]]) -> list[str]:
    """What the checker says of a question's choices, given as (text, correct) pairs, in
    the words it uses for a package; empty for an unknown type (reported on its own)."""
    kind = QUESTION_TYPES.get(qtype)
    if kind is None:
        return []
    question = Question(
        id="", type=qtype, prompt="", prompt_html="",
        choices=tuple(
            Choice(key=chr(ord("a") + n), text=text, text_html="", correct=correct,
                   why="", why_html="")
            for n, (text, correct) in enumerate(choices)
        ),
        objective=None, explanation="", explanation_html="", language_example=False,
        file="", line=0,
    )  # fmt: skip
    return kind.validate(question)


def _one_correct(question: Question) -> list[str]:
    correct = len(question.correct_keys)
    if correct == 0:
        return ["no choice is marked `correct: true`"]
    if correct > 1:
        return [
            f"a {question.type} question has exactly one correct choice, not {correct}"
            " (use type: multiple for more)"
        ]
    return []


QUESTION_TYPES: dict[str, type[QuestionType]] = {
    t.name: t for t in (SingleChoice, MultipleChoice, TrueFalse)
}


def _as_key_set(question: Question, selected: Collection[str]) -> frozenset[str]:
    # A bare string is a Collection[str] too; "ab" would silently mean {"a", "b"}.
    if isinstance(selected, str):
        raise TypeError("selected must be a collection of choice keys, not a string")
    chosen = frozenset(selected)
    unknown = chosen - {c.key for c in question.choices}
    if unknown:
        raise ValueError(
            f"question {question.id!r} has no choice {', '.join(sorted(map(repr, unknown)))}"
        )
    return chosen


def grade(question: Question, selected: Collection[str]) -> GradeResult:
    """Grade the selected choice keys; ValueError for unknown keys or an unknown type."""
    kind = QUESTION_TYPES.get(question.type)
    if kind is None:
        raise ValueError(f"question {question.id!r} has unknown type {question.type!r}")
    return kind.grade(question, selected)


def parse_question(
    source: Source, node: Node | None, post_test: bool, objective_ids: Collection[str] | None
) -> Question | None:
    """Read one check or post-test question, reporting schema problems; None if unusable."""
    what = "post-test question" if post_test else "check"
    reader = MapReader(source, node, what, POST_TEST_KEYS if post_test else CHECK_KEYS)
    if not reader.ok:
        return None
    qid = reader.string("id") or ""
    if qid:
        reader.what = f"{what} `{qid}`"
        if not ID_PATTERN.fullmatch(qid):
            source.error(
                reader.line_of("id"), f"{what}: id `{qid}` must match {ID_PATTERN.pattern}"
            )
    qtype = reader.string("type") or ""
    if qtype and qtype not in QUESTION_TYPES:
        close = difflib.get_close_matches(qtype.lower(), QUESTION_TYPES, n=1)
        source.error(
            reader.line_of("type"),
            f"{reader.what}: type `{qtype}` must be one of {', '.join(QUESTION_TYPES)}"
            + (f" (did you mean `{close[0]}`?)" if close else ""),
        )
    prompt = reader.string("prompt") or ""
    objective = explanation = None
    if post_test:
        objective = reader.string("objective")
        explanation = reader.string("explanation")
        if objective and objective_ids is not None and objective not in objective_ids:
            source.error(
                reader.line_of("objective"), f"{reader.what}: unknown objective `{objective}`"
            )
    choices, all_read = _parse_choices(source, reader)
    question = Question(
        id=qid,
        type=qtype,
        prompt=prompt,
        prompt_html=render_inline(prompt),
        choices=choices,
        objective=objective,
        explanation=explanation or "",
        explanation_html=render_markdown(explanation) if explanation else "",
        language_example=reader.boolean("language_example", False),
        file=source.file,
        line=reader.line,
    )
    kind = QUESTION_TYPES.get(qtype)
    # A choice that could not be read is reported already: counting the choices without it
    # would add "needs at least 2 choices" to two choices written as bare text.
    if kind is not None and reader.has("choices") and all_read:
        for problem in kind.validate(question):
            source.error(reader.line_of("choices"), f"{reader.what}: {problem}")
    return question


def _parse_choices(source: Source, reader: MapReader) -> tuple[tuple[Choice, ...], bool]:
    """The choices read, and whether every one of them could be."""
    nodes = reader.sequence("choices") or []
    if len(nodes) > len(CHOICE_KEYS):
        source.error(reader.line_of("choices"), f"{reader.what}: at most 26 choices")
    choices, all_read = [], True
    for key, node in zip(CHOICE_KEYS, nodes, strict=False):
        if isinstance(node, ScalarNode) and node.value.strip():
            # The likeliest slip: a list of answers, as a quiz is usually written.
            source.error(source.line(node), f"{reader.what}, choice {key} is only text: write "
                         f"it as `- text: {node.value.strip()}`, with `correct: true` on the "
                         "next line for a right answer")
            all_read = False
            continue
        item = MapReader(source, node, f"{reader.what}, choice {key}", CHOICE_FIELDS)
        if not item.ok:
            all_read = False
            continue
        text = item.string("text") or ""
        why = item.string("why", required=False) or ""
        if not why:
            source.warning(item.line, f"{item.what}: no `why` feedback for this choice")
        correct = item.boolean("correct", False)
        choices.append(Choice(key, text, render_inline(text), correct, why, render_inline(why)))
    return tuple(choices), all_read
