"""Stored questions as the pure questions of ``lessons``, which grade them."""

from __future__ import annotations

import lessons
from course.models import Question


def as_spec(question: Question) -> lessons.Question:
    """Return the pure question a stored row stands for (enough to grade it)."""
    choices = tuple(
        lessons.Choice(
            key=choice.key,
            text="",
            text_html=choice.text_html,
            correct=choice.is_correct,
            why="",
            why_html=choice.why_html,
        )
        for choice in question.choices
    )
    return lessons.Question(
        id=question.key,
        type=question.type,
        prompt="",
        prompt_html=question.prompt_html,
        choices=choices,
        objective=question.objective,
        explanation="",
        explanation_html=question.explanation_html,
        language_example=False,
        file="",
        line=0,
    )

