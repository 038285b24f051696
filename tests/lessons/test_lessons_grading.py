"""Grading answers to single, multiple and true/false questions."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

import pytest

import lessons
from lessons import Question
from lessons.questions import choice_problems


def question_by_id(package: lessons.CoursePackage, qid: str) -> Question:
    everything = [q for lesson in package.lessons for q in lesson.checks] + list(package.post_test)
    return next(q for q in everything if q.id == qid)


@pytest.mark.parametrize(
    ("qid", "selected", "correct"),
    [
        # single: a is correct
        ("push-pull-1", ["a"], True),
        ("push-pull-1", ["b"], False),
        ("push-pull-1", ["a", "b"], False),
        ("push-pull-1", [], False),
        ("push-pull-1", ("a", "a"), True),  # a repeated key is still one answer
        # multiple: a and b are correct, c is not
        ("push-pull-2", {"a", "b"}, True),
        ("push-pull-2", ["b", "a"], True),
        ("push-pull-2", ["a"], False),
        ("push-pull-2", ["a", "b", "c"], False),
        ("push-pull-2", ["c"], False),
        ("push-pull-2", [], False),
        # true_false: b ("False") is correct
        ("returning-1", ["b"], True),
        ("returning-1", ["a"], False),
        ("returning-1", ["a", "b"], False),
        ("returning-1", frozenset(), False),
    ],
)
def test_grade(
    package: lessons.CoursePackage, qid: str, selected: Collection[str], correct: bool
) -> None:
    question = question_by_id(package, qid)
    result = lessons.grade(question, selected)
    assert result.correct is correct
    # The type's own grade() is the same pure function the dispatcher calls.
    assert lessons.QUESTION_TYPES[question.type].grade(question, selected) == result


def test_feedback_covers_every_choice_in_order(package: lessons.CoursePackage) -> None:
    question = question_by_id(package, "push-pull-2")
    result = lessons.grade(question, ["a", "c"])
    assert result.correct is False
    assert result.feedback == (
        lessons.ChoiceFeedback(
            "a", "Feeling unheard at home", True, True, "Feeling unheard pushes youth away."
        ),
        lessons.ChoiceFeedback(
            "b", "Frequent placement changes", False, True, "Instability pushes youth away."
        ),
        lessons.ChoiceFeedback(
            "c", "A friend's invitation", True, False, "An invitation pulls rather than pushes."
        ),
    )


@pytest.mark.parametrize("selected", [["z"], ["a", "z"], ["A"], [""], ["1"]])
def test_unknown_keys_raise_value_error(
    package: lessons.CoursePackage, selected: list[str]
) -> None:
    for qid in ("push-pull-1", "push-pull-2", "returning-1"):
        with pytest.raises(ValueError, match="has no choice"):
            lessons.grade(question_by_id(package, qid), selected)


def test_a_bare_string_is_refused(package: lessons.CoursePackage) -> None:
    # "ab" is a Collection[str] too; silently reading it as {"a", "b"} would grade wrongly.
    with pytest.raises(TypeError):
        lessons.grade(question_by_id(package, "push-pull-2"), "ab")


def test_unknown_type_raises_value_error(package: lessons.CoursePackage) -> None:
    question = dataclasses.replace(question_by_id(package, "push-pull-1"), type="essay")
    with pytest.raises(ValueError, match="unknown type 'essay'"):
        lessons.grade(question, ["a"])


def test_registry() -> None:
    assert set(lessons.QUESTION_TYPES) == {"single", "multiple", "true_false"}
    for name, kind in lessons.QUESTION_TYPES.items():
        assert issubclass(kind, lessons.QuestionType)
        assert kind.name == name


def test_validate_is_the_schema_rule(package: lessons.CoursePackage) -> None:
    single = question_by_id(package, "push-pull-1")
    assert lessons.QUESTION_TYPES["single"].validate(single) == []
    both = tuple(dataclasses.replace(c, correct=True) for c in single.choices)
    assert lessons.QUESTION_TYPES["single"].validate(dataclasses.replace(single, choices=both)) == [
        "a single question has exactly one correct choice, not 2 (use type: multiple for more)"
    ]
    assert (
        lessons.QUESTION_TYPES["multiple"].validate(dataclasses.replace(single, choices=both)) == []
    )
    assert lessons.QUESTION_TYPES["true_false"].validate(single) == [
        "a true_false question has exactly two choices: True and False"
    ]


def test_an_editors_choices_get_the_checkers_words_before_any_save() -> None:
    assert choice_problems("single", [("A", False), ("B", False)]) == [
        "no choice is marked `correct: true`"]
    assert choice_problems("multiple", [("A", True)]) == [
        "a multiple question needs at least 2 choices"]
    assert choice_problems("true_false", [("True", True), ("False", False)]) == []
    assert choice_problems("no-such-type", []) == []  # reported as the type's problem
