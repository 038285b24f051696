"""Feedback wording: a right answer's feedback does not open with a second verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from lessons_testkit import edited, line_of

import lessons

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "running-behavior"
PULL = "why: Pull factors draw a youth toward something or someone."


def verdicts(package_findings) -> list[lessons.Finding]:
    return [f for f in package_findings if "already says" in f.message]


@pytest.mark.parametrize("opening", ["Right.", "Correct!", "Yes,", "That's right,"])
def test_a_right_choice_s_feedback_opening_with_a_verdict_is_a_warning(files, opening) -> None:
    files = edited(files, "01-push-pull.md", PULL, PULL.replace("why: ", f"why: {opening} "))
    _, findings = lessons.check_files(files)
    (finding,) = verdicts(findings)
    assert (finding.level, finding.file) == ("warning", "01-push-pull.md")
    assert finding.line == line_of(files["01-push-pull.md"], "id: push-pull-1")
    assert f'starts with "{opening}"' in finding.message


def test_a_wrong_choice_or_a_verdict_later_in_the_sentence_is_fine(files) -> None:
    files = edited(files, "01-push-pull.md", PULL, PULL.replace("why: ", "why: It is right: "))
    files = edited(files, "01-push-pull.md", "why: That pushes", "why: Correct only for pushes")
    assert verdicts(lessons.check_files(files)[1]) == []


def test_the_shipped_course_gives_one_verdict_per_answer() -> None:
    _, findings = lessons.check_package(SHIPPED)
    assert verdicts(findings) == []
