"""course.yaml's ``post_test:`` block: the draw, the attempt cap, the retake wait and the
review policy, their defaults, and the count no course can use named at its line."""

from __future__ import annotations

import pytest
from lessons_testkit import edited, errors, line_of, minimal_files

import lessons

BLOCK = "post_test:\n  draw: 10\n"


def _post_test(lines: str) -> dict[str, str]:
    """The minimal package with ``post_test:`` holding ``lines`` in place of its draw."""
    return edited(minimal_files(), "course.yaml", BLOCK, "post_test:\n" + lines)


def test_a_post_test_block_with_only_a_draw_gets_the_default_rules() -> None:
    # No cap, a ten-minute wait after a failed attempt, and reviews without the key.
    package = lessons.load_files(minimal_files())
    assert package.post_test_draw == 10
    assert package.post_test_max_attempts == 0
    assert package.post_test_retake_wait_minutes == 10
    assert package.post_test_review == "missed"


def test_the_rules_are_read_as_written_and_zero_means_none() -> None:
    files = _post_test("  draw: 10\n  max_attempts: 0\n  retake_wait_minutes: 0\n  review: keyed\n")
    package, findings = lessons.check_files(files)
    assert package is not None and not errors(findings)
    assert (package.post_test_max_attempts, package.post_test_retake_wait_minutes) == (0, 0)
    assert package.post_test_review == "keyed"
    package = lessons.load_files(_post_test("  draw: 10\n  max_attempts: 1\n"
                                            "  retake_wait_minutes: 1\n"))  # fmt: skip
    assert (package.post_test_max_attempts, package.post_test_retake_wait_minutes) == (1, 1)


@pytest.mark.parametrize(
    ("lines", "needle", "message"),
    [
        ("  max_attempts: 2\n  draw: 0\n", "draw: 0", "post_test draw must be 1 or more"),
        ("  draw: 10\n  max_attempts: -1\n", "max_attempts:",
         "post_test max_attempts must be 0 or more"),
        ("  draw: 10\n  retake_wait_minutes: -5\n", "retake_wait_minutes:",
         "post_test retake_wait_minutes must be 0 or more"),
        ("  draw: 10\n  review: all\n", "review: all",
         "post_test review `all` must be one of missed, keyed, score"),
    ],
    ids=["no draw", "negative cap", "negative wait", "unknown review"],
)  # fmt: skip
def test_a_setting_no_course_can_use_is_refused_at_its_line(
    lines: str, needle: str, message: str
) -> None:
    files = _post_test(lines)
    package, findings = lessons.check_files(files)
    assert package is None
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("course.yaml", line_of(files["course.yaml"], needle), message)
    ]


def test_a_draw_of_one_is_well_formed() -> None:
    # Too few for credit (a CE rule says so), but not a malformed package.
    package, findings = lessons.check_files(_post_test("  draw: 1\n"))
    assert package is not None
    assert (
        "CE rule: a 0.25-hour course draws at least 10 post-test questions (10 for the first"
        " hour, 5 per additional half hour); draw is 1"
    ) in [f.message for f in errors(findings)]
    assert not [f for f in findings if "must be 1 or more" in f.message]
