"""CE rules that gate publishing: objectives taught, approval backed, every objective's share."""

from __future__ import annotations

from lessons_testkit import edited, errors, line_of, minimal_files

import lessons

Files = dict[str, str]
UNTAUGHT = (
    "CE rule: objective LO3 is taught by no lesson (list it in a lesson's front matter"
    " `objectives:`, or remove it)"
)
NO_PROVIDER = (
    "CE rule: the course claims an approval but no provider is named: set PROVIDER_NAME for"
    " this site (or `provider: name:` in the package)"
)
NO_AUTHORS = (
    "CE rule: the course claims an approval but names no authors: add `authors:` with each"
    " author's name and credentials"
)


def _errors(files: Files, provider_name: str = "") -> list[lessons.Finding]:
    return errors(lessons.check_files(files, provider_name=provider_name)[1])


def test_an_objective_no_lesson_teaches_is_an_error_on_its_line() -> None:
    files = edited(minimal_files(), "02-returning.md", "objectives: [LO2, LO3]",
                   "objectives: [LO2]")  # fmt: skip
    found = _errors(files)
    assert [(f.file, f.line, f.message) for f in found] == [
        ("course.yaml", line_of(files["course.yaml"], "  - id: LO3"), UNTAUGHT)
    ]
    package, _ = lessons.check_files(files)
    assert package is not None  # a CE rule, not a schema error: the checker still loads it


def _without_package_provider(files: Files) -> Files:
    return edited(files, "course.yaml", "  name: Example CE Provider\n", "")


def test_an_approval_without_any_provider_is_an_error() -> None:
    files = _without_package_provider(minimal_files())
    found = _errors(files)
    assert [(f.file, f.line, f.message) for f in found] == [
        ("course.yaml", line_of(files["course.yaml"], "  approval:"), NO_PROVIDER)
    ]


def test_the_deployments_provider_backs_an_approval() -> None:
    files = _without_package_provider(minimal_files())
    assert _errors(files, provider_name="Riverside Center for Child Welfare Training") == []


def test_an_approval_without_authors_is_an_error() -> None:
    text = minimal_files()["course.yaml"]
    authors = text[text.index("authors:") : text.index("provider:")]
    files = edited(minimal_files(), "course.yaml", authors, "")
    assert [f.message for f in _errors(files, provider_name="X")] == [NO_AUTHORS]


def test_a_course_without_approval_needs_neither_provider_nor_authors() -> None:
    text = minimal_files()["course.yaml"]
    block = text[text.index("authors:") : text.index("passing_score:")]
    assert _errors(edited(minimal_files(), "course.yaml", block, "")) == []


def test_each_objective_needs_its_share_of_the_draw_in_the_bank() -> None:
    files = minimal_files()
    for qid in ("pt-lo3-1", "pt-lo3-2"):  # two of LO3's four questions move to LO1
        files = edited(files, "post-test.yaml", f"id: {qid}\n    type: single\n    objective: LO3",
                       f"id: {qid}\n    type: single\n    objective: LO1")  # fmt: skip
    found = _errors(files)
    assert [(f.file, f.line) for f in found] == [
        ("post-test.yaml", line_of(files["post-test.yaml"], "questions:"))
    ]
    assert found[0].message == (
        "CE rule: objective LO3 has 2 post-test questions; a draw of 10 gives each of the 3"
        " objectives at least 3, so the bank needs 1 more for LO3"
    )
    # Three questions for LO3 are its share: moving only one away is fine.
    one_moved = edited(minimal_files(), "post-test.yaml",
                       "id: pt-lo3-1\n    type: single\n    objective: LO3",
                       "id: pt-lo3-1\n    type: single\n    objective: LO1")  # fmt: skip
    assert _errors(one_moved) == []


def _lo3_questions_moved_to_lo1(count: int) -> Files:
    """The minimal package with the first ``count`` of LO3's four questions moved to LO1."""
    files = minimal_files()
    blocks = files["post-test.yaml"].split("  - id: ")
    for n in range(1, count + 1):
        (index,) = [i for i, block in enumerate(blocks) if block.startswith(f"pt-lo3-{n}\n")]
        blocks[index] = blocks[index].replace("objective: LO3", "objective: LO1")
    files["post-test.yaml"] = "  - id: ".join(blocks)
    return files


def test_an_objective_with_a_single_question_is_short_of_its_share_and_one_with_none_unassessed():
    # One question where the draw gives each objective three: the draw would ask it alone.
    files = _lo3_questions_moved_to_lo1(3)
    assert [f.message for f in _errors(files)] == [
        "CE rule: objective LO3 has 1 post-test question; a draw of 10 gives each of the 3"
        " objectives at least 3, so the bank needs 2 more for LO3"
    ]
    # None at all: said once, as an objective no question assesses.
    assert [f.message for f in _errors(_lo3_questions_moved_to_lo1(4))] == [
        "CE rule: objective LO3 is not assessed by any post-test question"
    ]


def test_each_lesson_must_show_half_its_share_of_the_minimum() -> None:
    lesson_floor_seconds = lessons.timing.lesson_floor_seconds
    # A 23-minute minimum over a 46.6-minute estimate: a 6.8-minute lesson needs 1 min 40 s.
    assert lesson_floor_seconds(23, 6.8, 46.6) == int(0.5 * 23 * 60 * 6.8 / 46.6) == 100
    assert lesson_floor_seconds(0, 6.8, 46.6) == 0  # no minimum, no floor
    assert lesson_floor_seconds(23, 6.8, 0) == 0  # no estimate to share it by
    # However the figures were stored, no lesson is asked for more than half the minimum.
    assert lesson_floor_seconds(23, 99.0, 46.6) == 23 * 30


def test_a_statement_cut_short_by_a_hash_is_named_with_what_it_dropped() -> None:
    # NASW words its statement "(Approval # 886…)": unquoted, YAML keeps "(Approval" only,
    # and every certificate would print the statement cut there.
    statement = ("    statement: This program was approved by the National Association of Social"
                 " Workers (Approval # 886000000-1234) for 1 contact hour.\n")
    files = minimal_files()
    start = files["course.yaml"].index("    statement:")
    end = files["course.yaml"].index("\n", start) + 1
    cut = edited(files, "course.yaml", files["course.yaml"][start:end], statement)
    package, found = lessons.check_files(cut)
    assert package is not None and package.approval.statement.endswith("(Approval")
    warned = [f for f in found if "as a comment" in f.message]
    assert [(f.level, f.file, f.line) for f in warned] == [
        ("warning", "course.yaml", line_of(cut["course.yaml"], statement.rstrip("\n")))]
    assert "`886000000-1234) for 1 contact hour.`" in warned[0].message
    # Quoted, the whole statement is kept, and nothing is said.
    quoted = statement.replace("statement: ", 'statement: "').replace(".\n", '."\n')
    package, found = lessons.check_files(edited(cut, "course.yaml", statement, quoted))
    assert package.approval.statement.endswith("for 1 contact hour.")
    assert not [f for f in found if "as a comment" in f.message]


def _with_statement(statement: str) -> tuple[Files, str]:
    files = minimal_files()
    start = files["course.yaml"].index("    statement:")
    end = files["course.yaml"].index("\n", start)
    line = f"    statement: {statement}"
    return edited(files, "course.yaml", files["course.yaml"][start:end], line), line


def _hours_warnings(files: Files) -> list[lessons.Finding]:
    return [f for f in lessons.check_files(files)[1] if "approval statement gives" in f.message]


def test_an_approval_statement_giving_other_hours_than_the_course_is_warned_on_its_line() -> None:
    # The minimal course gives 0.25 contact hours; its certificate would print both.
    files, line = _with_statement(
        "Approved by the Example Board (approval 886000000-1234) for 1 contact hour.")
    (warning,) = _hours_warnings(files)
    assert (warning.level, warning.file) == ("warning", "course.yaml")
    assert warning.line == line_of(files["course.yaml"], line)
    assert warning.message.startswith(
        "the approval statement gives 1.0 hours, but `contact_hours` is 0.25")


def test_a_statement_with_the_courses_hours_or_none_at_all_is_not_warned() -> None:
    assert not _hours_warnings(minimal_files())  # "approved for 0.25 General ... contact hours"
    files, _ = _with_statement("Approved by the Example Board, approval number 886-123.")
    assert not _hours_warnings(files)
    files, _ = _with_statement("Approved for 0.25 CE hours until 2027 (1 of 3 courses).")
    assert not _hours_warnings(files)


def test_findings_on_a_top_level_approval_name_its_own_lines() -> None:
    # The newer layout: `approval:` at the top level, and here no provider in the package.
    files = edited(minimal_files(), "course.yaml", """provider:
  name: Example CE Provider
  approval:
    body: Example Board of Social Work
    number: "886-123"
    statement: This course is approved for 0.25 General continuing-education contact hours.
""", """approval:
  body: Example Board of Social Work
  number: "886-123"
  statement: Approved for 1 contact hour; for 1.5 CE hours in Ohio.
""")  # fmt: skip
    text = files["course.yaml"]
    assert [(f.line, f.message) for f in _errors(files)] == [
        (line_of(text, "approval:"), NO_PROVIDER)
    ]
    (warning,) = _hours_warnings(files)
    assert warning.line == line_of(text, "statement:")
    assert warning.message.startswith(
        "the approval statement gives 1.0 or 1.5 hours, but `contact_hours` is 0.25")
