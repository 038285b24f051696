"""Answer-cue warnings: the keyed choice's position, its length, "all/none of the above"."""

from __future__ import annotations

import dataclasses

import pytest
from lessons_testkit import minimal_files

import lessons
from lessons.cues import cue_findings
from lessons.model import Choice, Question

PACKAGE = lessons.load_files(minimal_files())


def item(qid: str, texts: list[str], keyed: int, file: str = "post-test.yaml", line: int = 1,
         kind: str = "single") -> Question:  # fmt: skip
    """A question with the given choice texts, choice number `keyed` (0-based) correct."""
    choices = tuple(
        Choice(chr(97 + n), text, text, n == keyed, "", "") for n, text in enumerate(texts)
    )
    return Question(qid, kind, "Which?", "Which?", choices, "LO1", "", "", False, file, line)


def with_banks(checks: list[Question], post_test: list[Question]) -> lessons.CoursePackage:
    first, second = PACKAGE.lessons
    return dataclasses.replace(
        PACKAGE,
        lessons=(dataclasses.replace(first, checks=tuple(checks)),
                 dataclasses.replace(second, checks=())),
        post_test=tuple(post_test),
    )  # fmt: skip


FOUR = ["Alpha one", "Beta two", "Gamma three", "Delta four"]


def varied(n: int, file: str = "post-test.yaml") -> list[Question]:
    """n four-choice items, keyed a, b, c, d in turn, all choices equally long."""
    return [item(f"v{i}", FOUR, i % 4, file, 10 * i + 2) for i in range(n)]


def test_the_same_keyed_position_across_the_post_test_is_a_warning_at_its_first_item() -> None:
    bank = [item(f"q{i}", FOUR, 0, "post-test.yaml", 10 * i + 2) for i in range(8)]
    bank[3] = item("q3", FOUR, 2, "post-test.yaml", 32)
    (found,) = cue_findings(with_banks(varied(8, "01-push-pull.md"), bank))
    assert (found.level, found.file, found.line) == ("warning", "post-test.yaml", 2)
    assert found.message == (
        "answer cue: the keyed choice is choice a in 7 of 8 single-answer post-test questions,"
        " so always picking a scores well without reading; vary its position (first here: `q0`)"
    )


def test_checks_are_judged_apart_from_the_post_test() -> None:
    checks = [item(f"c{i}", FOUR, 1, "01-push-pull.md", 5 + i) for i in range(6)]
    (found,) = cue_findings(with_banks(checks, varied(8)))
    assert (found.file, found.line) == ("01-push-pull.md", 5)
    assert "choice b in 6 of 6 single-answer knowledge checks" in found.message


@pytest.mark.parametrize(
    ("keys", "warns"),
    [
        ([0, 0, 0], False),  # three items say nothing yet
        ([0, 0, 1, 2, 3, 0, 1, 2], False),  # a in 3 of 8: not a majority
        ([0, 0, 0, 0, 0, 1, 2, 3], True),  # a in 5 of 8
    ],
)
def test_a_position_warning_needs_enough_items_and_a_majority(keys: list[int], warns: bool) -> None:
    bank = [item(f"q{i}", FOUR, key) for i, key in enumerate(keys)]
    assert bool(cue_findings(with_banks([], bank))) is warns


def test_two_choice_items_must_beat_their_higher_chance() -> None:
    two = ["Yes, always", "No, never"]
    # Keyed first in 3 of 4: more than half, but chance alone gives 2, and 3 is not > 1.5 x 2.
    bank = [item(f"q{i}", two, 0 if i < 3 else 1) for i in range(4)]
    assert cue_findings(with_banks([], bank)) == []
    bank = [item(f"q{i}", two, 0) for i in range(4)]
    assert len(cue_findings(with_banks([], bank))) == 1


def test_the_keyed_choice_usually_longest_is_a_warning() -> None:
    long, short = "A much longer and more careful answer", ["Short", "Brief one"]
    # The long keyed choice moves about (c, a, b, a, c), so only its length gives it away.
    bank = [
        item(f"q{i}", short[:key] + [long] + short[key:], key, line=10 * i + 2)
        for i, key in enumerate([2, 0, 1, 0, 2])
    ]
    messages = [f.message for f in cue_findings(with_banks([], bank))]
    assert messages == [
        "answer cue: the keyed choice is the longest in 5 of 5 single-answer post-test"
        " questions with three or more choices; test-wise learners pick the longest answer."
        " Make the other choices as long and as specific (first here: `q0`)"
    ]


def test_a_keyed_choice_that_is_sometimes_longest_is_fine() -> None:
    bank = [item(f"q{i}", ["One two", "Three four", "Five six seven"], i % 3) for i in range(6)]
    assert cue_findings(with_banks([], bank)) == []


@pytest.mark.parametrize(
    "text", ["All of the above", "none of these", "Both of the above", "Neither of them"]
)
def test_all_or_none_of_the_above_is_a_warning_on_its_question(text: str) -> None:
    bank = varied(4) + [item("q-all", ["Red", "Blue", text], 2, "post-test.yaml", 77)]
    found = [f for f in cue_findings(with_banks([], bank)) if "stand on its own" in f.message]
    assert [(f.level, f.file, f.line) for f in found] == [("warning", "post-test.yaml", 77)]
    assert f'`q-all` choice c says "{text}"' in found[0].message


def test_multiple_and_true_false_items_are_not_judged_by_position_or_length() -> None:
    bank = [item(f"t{i}", ["True", "False"], 0, kind="true_false") for i in range(6)]
    assert cue_findings(with_banks([], bank)) == []


def test_the_minimal_package_warns_about_its_first_choice_bank_only() -> None:
    _, findings = lessons.check_files(minimal_files())
    cues = [f for f in findings if f.message.startswith("answer cue")]
    assert [(f.file, f.line) for f in cues] == [("post-test.yaml", 2)]
