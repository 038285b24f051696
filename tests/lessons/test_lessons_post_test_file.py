"""post-test.yaml as a whole: a file without its question list is named at the line to fix."""

from __future__ import annotations

import pytest
from lessons_testkit import line_of, minimal_files

import lessons
from lessons import Finding


def _findings(post_test: str) -> list[Finding]:
    files = minimal_files()
    files["post-test.yaml"] = post_test
    package, findings = lessons.check_files(files)
    assert package is None
    return findings


def test_an_empty_question_list_is_one_error_at_its_line() -> None:
    # Not "the bank must be larger than the draw" or an unassessed objective: the file is
    # what the author has to fix first, and it says so at the `questions:` line.
    text = "# The post-test bank, still to be written.\nquestions: []\n"
    assert _findings(text) == [
        Finding("error", "post-test.yaml", 2, "post-test.yaml: `questions` is empty")
    ]


@pytest.mark.parametrize(
    ("text", "needle", "message"),
    [
        ("", "", "post-test.yaml is empty; expected a mapping of keys"),
        ("- id: pt-1\n  type: single\n", "- id: pt-1",
         "post-test.yaml must be a mapping of keys, not a list"),
        ("\nquestions: the bank\n", "questions:",
         "post-test.yaml: `questions` must be a list, not text ('the bank')"),
        ("\n\nquestions:\n", "questions:", "post-test.yaml: `questions` is empty"),
    ],
    ids=["empty file", "a list", "questions as text", "questions left empty"],
)  # fmt: skip
def test_a_post_test_file_without_a_question_list_says_so_at_its_line(
    text: str, needle: str, message: str
) -> None:
    line = line_of(text, needle) if needle else 1
    assert _findings(text) == [Finding("error", "post-test.yaml", line, message)]


def test_a_misspelled_questions_key_is_named_with_the_key_it_means() -> None:
    text = minimal_files()["post-test.yaml"].replace("questions:", "\nquestion:", 1)
    assert _findings(text) == [
        Finding("error", "post-test.yaml", 2,
                "post-test.yaml: unknown key `question` (did you mean `questions`?)"),
        Finding("error", "post-test.yaml", 2, "post-test.yaml: missing key `questions`"),
    ]  # fmt: skip


def test_every_post_test_question_is_read_in_file_order() -> None:
    package = lessons.load_files(minimal_files())
    text = minimal_files()["post-test.yaml"]
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines, start=1) if line.startswith("  - id: ")]
    assert [(q.id, q.line) for q in package.post_test] == [
        (lines[n - 1].removeprefix("  - id: "), n) for n in starts
    ]
    assert len(starts) > 10
