"""CE rules and the seat-time estimate."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from lessons_testkit import edited, errors, line_of, warnings

import lessons
from lessons.rules import required_draw

Files = dict[str, str]

TRUE_FALSE_QUESTION = """\
  - id: pt-lo1-tf
    type: true_false
    objective: LO1
    prompt: Push factors only come from the placement.
    choices:
      - text: "True"
        why: School, community and peers can push too.
      - text: "False"
        correct: true
        why: School, community and peers can push too.
    explanation: Push factors come from many places.
"""


def two_objectives(files: Files) -> Files:
    """Drop LO3 and move everything that used it to LO2."""
    files = {name: text.replace("LO3", "LO2") for name, text in files.items()}
    text = files["course.yaml"]
    start = text.index("  - id: LO2\n    text: Apply")
    files["course.yaml"] = text[:start] + text[text.index("authors:") :]
    return files


def more_true_false(files: Files) -> Files:
    files = dict(files)
    files["post-test.yaml"] += TRUE_FALSE_QUESTION  # 2 of 13 = 15%
    return files


def lo3_not_assessed(files: Files) -> Files:
    files = dict(files)
    files["post-test.yaml"] = files["post-test.yaml"].replace("objective: LO3", "objective: LO2")
    return files


def lo3_not_evaluated(files: Files) -> Files:
    return edited(files, "evaluation.yaml", "    objective: LO3\n", "")


def one_and_a_half_hours(files: Files) -> Files:
    return edited(files, "course.yaml", "contact_hours: 0.25", "contact_hours: 1.5")


# (edit, file, text on the finding's line or None for line 0, message)
CE_CASES: list[tuple[str, Callable[[Files], Files], str, str, str]] = [
    ("objectives", two_objectives, "course.yaml", "objectives:",
     "CE rule: at least 3 learning objectives (found 2)"),
    ("passing score", lambda f: edited(f, "course.yaml", "passing_score: 80", "passing_score: 75"),
     "course.yaml", "passing_score:", "CE rule: passing_score must be at least 80 (is 75)"),
    ("draw for one hour", lambda f: edited(f, "course.yaml", "draw: 10", "draw: 9"),
     "course.yaml", "draw:", "CE rule: a 0.25-hour course draws at least 10 post-test questions"
     " (10 for the first hour, 5 per additional half hour); draw is 9"),
    ("draw for 1.5 hours", one_and_a_half_hours, "course.yaml", "draw:",
     "CE rule: a 1.5-hour course draws at least 15 post-test questions"),
    ("true/false share", more_true_false, "post-test.yaml", "questions:",
     "CE rule: at most 10% of the post-test may be true/false (2 of 13 questions)"),
    ("bank larger than draw", lambda f: edited(f, "course.yaml", "draw: 10", "draw: 12"),
     "post-test.yaml", "questions:", "CE rule: the bank (12 questions) must be larger than the"
     " draw (12) so that a retake gets different questions"),
    ("objective assessed", lo3_not_assessed, "post-test.yaml", "questions:",
     "CE rule: objective LO3 is not assessed by any post-test question"),
    ("objective evaluated", lo3_not_evaluated, "evaluation.yaml", "items:",
     "CE rule: objective LO3 has no evaluation item (`objective: LO3`)"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "file", "needle", "message"),
                         [c[1:] for c in CE_CASES], ids=[c[0] for c in CE_CASES])  # fmt: skip
def test_ce_rule(files: Files, edit: Callable[[Files], Files], file: str, needle: str,
                 message: str) -> None:  # fmt: skip
    files = edit(files)
    package, findings = lessons.check_files(files)
    assert package is not None  # CE rules are lint errors on a well-formed package
    # An edit can break a second rule on the way (fewer objectives change each one's share
    # of the draw; more hours need more reading): only the rule under test is asserted.
    found = [f for f in errors(findings) if f.message.startswith(message)]
    assert [(f.file, f.line) for f in found] == [(file, line_of(files[file], needle))]
    assert found[0] in lessons.lint(package)


def test_minimal_package_meets_every_ce_rule(package: lessons.CoursePackage) -> None:
    assert errors(lessons.lint(package)) == []


@pytest.mark.parametrize(
    ("hours", "draw"),
    [(0.5, 10), (0.75, 10), (1.0, 10), (1.25, 15), (1.5, 15), (2.0, 20), (2.5, 25), (3.0, 30)],
)
def test_required_draw(hours: float, draw: int) -> None:
    assert required_draw(hours) == draw


def test_true_false_at_ten_percent_is_allowed(files: Files) -> None:
    # Seven more single-choice questions, then a second true/false: 2 of 20 is 10%.
    extra = "".join(
        TRUE_FALSE_QUESTION.replace("pt-lo1-tf", f"pt-extra-{n}").replace("true_false", "single")
        for n in range(7)
    )
    files["post-test.yaml"] += extra
    package, findings = lessons.check_files(files)
    assert package is not None and len(package.post_test) == 19
    assert errors(findings) == []
    files["post-test.yaml"] += TRUE_FALSE_QUESTION
    assert errors(lessons.check_files(files)[1]) == []  # 2 of 20


def with_words(package: lessons.CoursePackage, words: int) -> lessons.CoursePackage:
    """The package with its reading text set to `words` words (split over its lessons)."""
    first, second = package.lessons
    return dataclasses.replace(
        package,
        lessons=(
            dataclasses.replace(first, word_count=words // 2),
            dataclasses.replace(second, word_count=words - words // 2),
        ),
    )


def test_seat_time_arithmetic(package: lessons.CoursePackage) -> None:
    estimate = lessons.seat_time(with_words(package, 8350))
    assert estimate.lesson_words == 8350
    assert estimate.check_words == 103  # prompts, choices and the keyed feedback
    assert estimate.reading_minutes == pytest.approx((8350 + 103) / 167)
    assert estimate.post_test_minutes == 10.0  # draw 10, one minute each
    # three likert, one number, one choice at 0.5 min; one text at 2 min
    assert estimate.evaluation_minutes == 4.5
    assert estimate.total_minutes == pytest.approx((8350 + 103) / 167 + 14.5)


def test_seat_time_of_minimal_package(package: lessons.CoursePackage) -> None:
    words = sum(lesson.word_count for lesson in package.lessons)
    estimate = lessons.seat_time(package)
    assert estimate.lesson_words == words == 136
    assert estimate.total_minutes == pytest.approx((136 + 103) / 167 + 10 + 4.5)


def test_check_words_count_the_prompt_every_choice_and_the_keyed_feedback(
    package: lessons.CoursePackage,
) -> None:
    check = package.lessons[1].checks[1]  # returning-2
    # "A colleague calls a youth "a runner". What is a better way to say it?" (15)
    # + "A youth who runs" (4) + "A chronic runner" (3)
    # + "Person-first language describes the behaviour, not the person." (8)
    assert lessons.rules.check_words(check) == 15 + 4 + 3 + 8


def one_hour(package: lessons.CoursePackage, words: int) -> lessons.CoursePackage:
    """The package claiming 1.0 contact hour, with `words` words of lesson text."""
    return dataclasses.replace(with_words(package, words), contact_hours=1.0)


@pytest.mark.parametrize(
    ("words", "level"),
    [
        # (words + 103 check words) / 167 + post-test 10 + evaluation 4.5, against 60 min:
        # below is an error, more than 15% over (69 min) a warning.
        (0, "error"),  # 15.1 min
        (7490, "error"),  # 59.97 min
        (7496, None),  # 60.004 min
        (8998, None),  # 68.997 min
        (9010, "warning"),  # 69.07 min
    ],
)
def test_an_estimate_below_the_hours_is_an_error_and_far_above_a_warning(
    package: lessons.CoursePackage, words: int, level: str | None
) -> None:
    found = [f for f in lessons.lint(one_hour(package, words)) if "seat-time" in f.message]
    assert [f.level for f in found] == ([level] if level else [])
    if found:
        assert (found[0].file, found[0].line) == ("course.yaml", 10)  # contact_hours


def test_an_estimate_of_exactly_the_hours_is_enough_and_exactly_15_percent_over_is_no_warning(
    package: lessons.CoursePackage,
) -> None:
    # Without one likert item (4.0 evaluation min) the estimate can be whole minutes:
    # (words + 103) / 167 + 10 + 4 is exactly 60 min at 7579 words and 69 min at 9082.
    shorter = dataclasses.replace(package, evaluation=package.evaluation[1:])
    for words in (7579, 9082):
        course = one_hour(shorter, words)
        assert lessons.seat_time(course).total_minutes in (60.0, 69.0)
        assert [f for f in lessons.lint(course) if "seat-time" in f.message] == []


def test_the_lessons_reading_minutes_add_up_to_the_courses(package: lessons.CoursePackage) -> None:
    # Each lesson's share of the minimum time comes from its own estimate; shares that
    # did not add up to the course's reading would ask too much or too little in all.
    minutes = [lessons.lesson_reading_minutes(lesson) for lesson in package.lessons]
    assert sum(minutes) == pytest.approx(lessons.seat_time(package).reading_minutes)
    assert sum(minutes) == pytest.approx((136 + 103) / 167)


def test_seat_time_message_when_short(package: lessons.CoursePackage) -> None:
    (finding,) = [f for f in lessons.lint(one_hour(package, 136)) if "seat" in f.message]
    assert finding.message == (
        "CE rule: seat-time estimate 15.9 min (136 lesson + 103 knowledge-check words at"
        " 167/min = 1.4 + post-test 10.0 + evaluation 4.5) is below the 60 min of"
        " contact_hours 1.0; add reading or lower contact_hours"
    )
    described = lessons.describe_seat_time(lessons.seat_time(package))
    assert finding.message.removeprefix("CE rule: ").startswith(described)


def test_seat_time_message_when_long(package: lessons.CoursePackage) -> None:
    (finding,) = [f for f in lessons.lint(one_hour(package, 12000)) if "seat" in f.message]
    assert finding.message.startswith(
        "seat-time estimate 87.0 min (12,000 lesson + 103 knowledge-check words"
    )
    assert finding.message.endswith(
        "is more than 15% over the 60 min of contact_hours 1.0 (up to 69.0 min);"
        " trim reading or raise contact_hours"
    )


def test_the_checker_states_its_method() -> None:
    method = lessons.rules.SEAT_TIME_METHOD
    assert "knowledge checks (prompt, choices and the keyed choice's feedback)" in method
    assert "167 words a minute" in method and "1 min per drawn post-test question" in method


def test_lint_does_not_repeat_schema_warnings(files: Files) -> None:
    package = lessons.load_files(files)
    # The minimal bank keys choice a every time: the one lint finding, a warning.
    assert [f.message[:35] for f in lessons.lint(package)] == [
        "answer cue: the keyed choice is cho"
    ]
    assert warnings(lessons.lint(package)) == lessons.lint(package)


def test_a_hash_that_cuts_a_lessons_title_or_check_short_is_warned_at_its_line(
    files: Files,
) -> None:
    # A lesson's front matter and check blocks are YAML too: unquoted, "the #1 reason"
    # leaves the prompt "What is the", and learners would read it cut there.
    files = edited(files, "01-push-pull.md", "title: Push and pull factors",
                   "title: Push and pull # the first lesson")  # fmt: skip
    files = edited(files, "01-push-pull.md", "prompt: Which of these is a *pull* factor?",
                   "prompt: What is the #1 pull factor?")  # fmt: skip
    # A code block is shown as written, so a ` #` in it cuts nothing.
    files = edited(files, "01-push-pull.md", "## Pull factors",
                   "```\nCall the hotline # any hour\n```\n\n## Pull factors")  # fmt: skip
    text = files["01-push-pull.md"]
    package, findings = lessons.check_files(files)
    assert package is not None and package.lessons[0].checks[0].prompt == "What is the"
    cut = [f for f in findings if "as a comment" in f.message]
    assert [(f.level, f.file, f.line) for f in cut] == [
        ("warning", "01-push-pull.md", line_of(text, "title: Push and pull")),
        ("warning", "01-push-pull.md", line_of(text, "prompt: What is the #1")),
    ]
    assert "(`the first lesson`)" in cut[0].message
    assert cut[1].message.startswith(
        "the text ends at `What is the`: YAML reads ` #` and the rest of the line"
        " (`1 pull factor?`) as a comment"
    )
