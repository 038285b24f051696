"""Schema findings: each broken package names the right file, line and problem."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from lessons_testkit import edited, errors, line_after, line_of, minimal_files, warnings

import lessons
from lessons import Finding


def test_broken_yaml_in_check_block_points_at_the_md_line(files: dict[str, str]) -> None:
    # The first check's `type:` line is line 18 of the lesson file (line 2 of the block).
    assert files["01-push-pull.md"].splitlines()[17] == "type: single"
    files = edited(files, "01-push-pull.md", "type: single\n", "type: single: oops\n")
    package, findings = lessons.check_files(files)
    assert package is None
    assert findings == [
        Finding(
            "error", "01-push-pull.md", 18, "YAML syntax error: mapping values are not allowed"
            " here. Probably a colon and a space inside a value: put the whole value in quotes"
            " (or this line is indented more than the key above it)"
        )
    ]


def test_misindented_and_tabbed_yaml_say_what_to_fix(files: dict[str, str]) -> None:
    """Indentation and tab errors carry a hint in the author's words, not only PyYAML's."""
    files = edited(files, "01-push-pull.md", "    correct: true\n", "   correct: true\n")
    files = edited(files, "post-test.yaml", "    type: multiple\n", "\ttype: multiple\n")
    _, findings = lessons.check_files(files)
    messages = {f.file: f.message for f in findings}
    assert messages["01-push-pull.md"].endswith(
        "Probably this line is indented unlike its neighbors: line it up, with spaces")
    assert messages["post-test.yaml"].endswith(
        "Probably a tab: YAML indents with spaces only, so replace the tab with spaces")


def test_unclosed_quote_in_check_points_at_the_quote(files: dict[str, str]) -> None:
    old = "prompt: Which of these is a *pull* factor?"
    files = edited(files, "01-push-pull.md", old, 'prompt: "Which of these is a *pull* factor?')
    _, findings = lessons.check_files(files)
    line = line_of(files["01-push-pull.md"], 'prompt: "Which')
    assert [(f.file, f.line) for f in findings] == [("01-push-pull.md", line)]
    assert "found unexpected end of stream" in findings[0].message
    assert "while scanning a quoted scalar" in findings[0].message
    assert findings[0].message.endswith("Probably a quote is opened and not closed")


def test_broken_yaml_in_front_matter_and_post_test(files: dict[str, str]) -> None:
    files = edited(files, "02-returning.md", "objectives: [LO2, LO3]", "objectives: [LO2, LO3")
    files = edited(files, "post-test.yaml", "    type: multiple\n", "    type: multiple\n   x\n")
    _, findings = lessons.check_files(files)
    assert [(f.file, f.line) for f in findings] == [
        ("02-returning.md", 3),
        ("post-test.yaml", line_of(files["post-test.yaml"], "   x")),
    ]
    assert all(f.message.startswith("YAML syntax error") for f in findings)
    assert findings[0].message.endswith(
        "Probably a value that starts with [ is read as a list: put it in quotes, or close the ]")


@dataclass(frozen=True)
class Case:
    """An edit to the minimal package and the one error it must produce."""

    name: str
    file: str
    old: str
    new: str
    needle: str  # the error is on the line with this text in the edited file ("" -> line 1)
    message: str
    after: str = ""  # look for needle only from the line with this text on


# fmt: off
CASES = [
    # unknown keys (usually typos)
    Case("unknown key course", "course.yaml", "title: Youth", "titel: Youth", "titel:",
         "unknown key `titel` (did you mean `title`?)"),
    Case("unknown key check", "01-push-pull.md", "id: push-pull-2\n", "id: push-pull-2\nhint: x\n",
         "hint: x", "check: unknown key `hint`"),
    Case("unknown key choice", "post-test.yaml", "        why: Family ties draw youth toward them.",
         "        feedback: Family ties", "feedback: Family", "choice a: unknown key `feedback`"),
    Case("unknown key evaluation", "evaluation.yaml", "    max: 600", "    maximum: 600",
         "maximum: 600", "unknown key `maximum` (did you mean `max`?)"),
    Case("unknown key front matter", "01-push-pull.md", "title: Push", "tilte: Push",
         "tilte: Push", "front matter: unknown key `tilte`"),
    # missing keys: reported on the first line of the mapping that lacks them
    Case("missing key course", "course.yaml", "audience: Social workers and foster care case "
         "managers\n", "", "", "course.yaml: missing key `audience`"),
    Case("missing key check", "01-push-pull.md", "prompt: Which of these is a *pull* factor?\n",
         "", "id: push-pull-1", "check `push-pull-1`: missing key `prompt`"),
    Case("missing explanation", "post-test.yaml",
         "    explanation: Pull factors draw a youth toward someone or something.\n", "",
         "id: pt-lo1-2", "post-test question `pt-lo1-2`: missing key `explanation`"),
    Case("missing objective", "post-test.yaml",
         "    objective: LO1\n    prompt: Which of these is a pull factor?",
         "    prompt: Which of these is a pull factor?", "id: pt-lo1-2", "missing key `objective`"),
    Case("missing choice text", "post-test.yaml", "      - text: A sibling in another town\n"
         "        correct: true", "      - correct: true", "      - correct: true",
         "choice a: missing key `text`"),
    Case("missing front matter title", "02-returning.md", "title: When a youth returns\n", "",
         "objectives: [LO2", "front matter: missing key `title`"),
    Case("empty value", "course.yaml", "credit_type: General", "credit_type:", "credit_type:",
         "`credit_type` is empty"),
    # wrong types
    Case("wrong type integer", "course.yaml", "passing_score: 80", "passing_score: eighty",
         "passing_score", "`passing_score` must be an integer, not text ('eighty')"),
    Case("wrong type number", "course.yaml", "contact_hours: 0.25", "contact_hours: one",
         "contact_hours", "`contact_hours` must be a number"),
    Case("wrong type bool", "01-push-pull.md", "    correct: true\n    why: Pull",
         '    correct: "yes"\n    why: Pull', 'correct: "yes"', "`correct` must be true or false"),
    Case("wrong type list", "01-push-pull.md", "objectives: [LO1]", "objectives: LO1",
         "objectives: LO1", "`objectives` must be a list, not text ('LO1')"),
    Case("wrong type mapping", "course.yaml", "post_test:\n  draw: 10", "post_test: 10",
         "post_test: 10", "post_test must be a mapping of keys, not an integer"),
    Case("wrong type sequential", "course.yaml", "sequential: true", "sequential: sometimes",
         "sequential:", "`sequential` must be true or false"),
    Case("type not known", "01-push-pull.md", "type: multiple", "type: ranking", "type: ranking",
         "type `ranking` must be one of single, multiple, true_false"),
    Case("type misspelled", "01-push-pull.md", "type: multiple", "type: multipel",
         "type: multipel",
         "type `multipel` must be one of single, multiple, true_false (did you mean `multiple`?)"),
    # duplicate ids
    Case("duplicate id across lessons", "02-returning.md", "id: returning-1", "id: push-pull-1",
         "id: push-pull-1",
         "duplicate question id `push-pull-1` (first at 01-push-pull.md:17): give this one a new"
         " id"),
    Case("duplicate id check and post-test", "post-test.yaml", "id: pt-lo3-4", "id: returning-2",
         "id: returning-2", "duplicate question id `returning-2` (first at 02-returning.md:"),
    Case("duplicate objective id", "course.yaml", "  - id: LO3", "  - id: LO2", "id: LO2",
         "duplicate objective id `LO2`", after="text: Identify"),
    Case("duplicate evaluation id", "evaluation.yaml", "id: device", "id: minutes", "id: minutes",
         "duplicate evaluation item `minutes`", after="type: number"),
    Case("duplicate key", "course.yaml", "version: 1\n", "version: 1\nversion: 2\n",
         "version: 2", "duplicate key `version` (first on the line above)"),
    # choices
    Case("no correct choice", "post-test.yaml", "        correct: true\n        why: Conflict",
         "        why: Conflict", "choices:", "pt-lo1-1`: no choice is marked `correct: true`",
         after="id: pt-lo1-1"),
    Case("single with two correct", "post-test.yaml",
         "        why: An invitation is a pull factor.",
         "        why: An invitation is a pull factor.\n        correct: true", "choices:",
         "a single question has exactly one correct choice, not 2", after="id: pt-lo1-1"),
    Case("multiple with none correct", "01-push-pull.md",
         "    correct: true\n    why: Feeling unheard pushes youth away.\n"
         "  - text: Frequent placement changes\n    correct: true\n",
         "    why: Feeling unheard pushes youth away.\n  - text: Frequent placement changes\n",
         "choices:", "no choice is marked", after="id: push-pull-2"),
    Case("true_false texts", "02-returning.md", 'text: "False"', "text: Nope", "choices:",
         "a true_false question has exactly two choices: True and False", after="returning-1"),
    Case("single with one choice", "post-test.yaml",
         "      - text: Doing homework\n        why: That is not an indicator.\n", "", "choices:",
         "a single question needs at least 2 choices", after="id: pt-lo2-1"),
    # objectives
    Case("unknown objective front matter", "02-returning.md", "objectives: [LO2, LO3]",
         "objectives: [LO2, LO9]", "objectives: [LO2, LO9]", "unknown objective `LO9`"),
    Case("unknown objective post-test", "post-test.yaml", "objective: LO2", "objective: LO9",
         "objective: LO9", "post-test question `pt-lo2-1`: unknown objective `LO9`"),
    Case("unknown objective evaluation", "evaluation.yaml", "objective: LO3", "objective: LO7",
         "objective: LO7", "evaluation item `eval-lo3`: unknown objective `LO7`"),
    # values
    Case("bad level", "course.yaml", "level: introductory", "level: expert", "level:",
         "level `expert` must be one of introductory, intermediate, advanced"),
    Case("contact hours step", "course.yaml", "contact_hours: 0.25", "contact_hours: 1.1",
         "contact_hours", "contact_hours must be more than 0, in steps of 0.25 (for example 0.5,"),
    Case("passing score range", "course.yaml", "passing_score: 80", "passing_score: 180",
         "passing_score", "passing_score is a percent, 0 to 100"),
    Case("bad slug", "course.yaml", "slug: minimal", "slug: Minimal Course", "slug:",
         "slug `Minimal Course` must use only a-z, 0-9 and dashes"),
    Case("bad question id", "post-test.yaml", "id: pt-lo1-3", "id: pt lo1 3", "id: pt lo1 3",
         "id `pt lo1 3` must match"),
    Case("javascript support url", "course.yaml", "url: https://988lifeline.org/",
         "url: javascript:alert(1)", "url: javascript", "support url `javascript:alert(1)` must"),
    Case("evaluation min above max", "evaluation.yaml", "min: 1", "min: 700", "min: 700",
         "min 700 is above max 600"),
    Case("min on a likert item", "evaluation.yaml", "    objective: LO1\n",
         "    objective: LO1\n    min: 2\n", "min: 2", "`min` only applies to number items"),
    Case("choice item with one choice", "evaluation.yaml", "choices: [Phone, Tablet, Computer]",
         "choices: [Phone]", "choices: [Phone]", "a choice item needs 2 or more choices"),
    Case("unclosed check", "02-returning.md", "    why: This labels the youth by a behaviour.\n```",
         "    why: This labels the youth by a behaviour.\n", "```check",
         "check block is not closed", after="## Indicators"),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_schema_error(files: dict[str, str], case: Case) -> None:
    files = edited(files, case.file, case.old, case.new)
    package, findings = lessons.check_files(files)
    assert package is None
    expected_line = line_after(files[case.file], case.after, case.needle) if case.needle else 1
    matching = [f for f in errors(findings) if case.message in f.message]
    assert [(f.file, f.line) for f in matching] == [(case.file, expected_line)], findings


def test_yaml_alias_is_refused(files: dict[str, str]) -> None:
    files = edited(files, "course.yaml", "level: introductory", "level: &lvl introductory")
    files = edited(files, "course.yaml", "credit_type: General", "credit_type: *lvl")
    _, findings = lessons.check_files(files)
    assert findings == [
        Finding("error", "course.yaml", line_of(files["course.yaml"], "*lvl"),
                "YAML aliases (*lvl) are not supported; write the value out")
    ]  # fmt: skip


def test_support_needs_a_contact(files: dict[str, str]) -> None:
    text = files["course.yaml"]
    start, end = text.index("support:"), text.index("sequential:")
    files["course.yaml"] = text[:start] + "support: []\n" + text[end:]
    _, findings = lessons.check_files(files)
    assert [str(f) for f in findings] == [
        f"course.yaml:{line_of(files['course.yaml'], 'support:')}: error: support needs at least"
        " one contact"
    ]


@pytest.mark.parametrize("name", ["intro.md", "1-intro.md", "01-Intro.md", "01_intro.md"])
def test_bad_lesson_file_name(files: dict[str, str], name: str) -> None:
    files[name] = files["01-push-pull.md"]
    package, findings = lessons.check_files(files)
    assert package is None
    assert [(f.file, f.line) for f in errors(findings)] == [(name, 0)]
    assert f"lesson file name `{name}` must look like NN-slug.md" in errors(findings)[0].message


@pytest.mark.parametrize("name", ["README.md", "REVIEW.md"])
def test_review_notes_travel_with_the_package_without_becoming_a_lesson(
    files: dict[str, str], name: str
) -> None:
    _, before = lessons.check_files(files)
    files[name] = "# Review\n\nNotes for the accreditor, not for learners.\n"
    package, findings = lessons.check_files(files)
    assert package is not None and findings == before
    assert name not in [lesson.file for lesson in package.lessons]


def test_duplicate_lesson_slug(files: dict[str, str]) -> None:
    files["03-push-pull.md"] = files["01-push-pull.md"].replace("push-pull-", "other-")
    _, findings = lessons.check_files(files)
    assert [str(f) for f in errors(findings)] == [
        "03-push-pull.md:1: error: duplicate lesson slug `push-pull` (first at 01-push-pull.md:1):"
        " give this one a new slug"
    ]


def test_missing_files_and_no_lessons(files: dict[str, str]) -> None:
    files = {"course.yaml": files["course.yaml"]}
    package, findings = lessons.check_files(files)
    assert package is None
    assert {str(f) for f in findings} == {
        "course.yaml:0: error: the package has no lesson files",
        "evaluation.yaml:0: error: missing: every package needs this file",
        "post-test.yaml:0: error: missing: every package needs this file",
    }


def test_lesson_without_front_matter(files: dict[str, str]) -> None:
    files["01-push-pull.md"] = "# Just text\n"
    _, findings = lessons.check_files(files)
    assert [str(f) for f in findings] == [
        "01-push-pull.md:1: error: a lesson starts with YAML front matter between two `---` lines"
    ]


def test_empty_check_block(files: dict[str, str]) -> None:
    files = edited(
        files, "01-push-pull.md", "## Pull factors\n", "## Pull factors\n\n```check\n```\n"
    )
    _, findings = lessons.check_files(files)
    line = line_of(files["01-push-pull.md"], "## Pull factors") + 3
    assert [(f.file, f.line, f.message) for f in findings] == [
        ("01-push-pull.md", line, "check is empty; expected a mapping of keys")
    ]


def test_check_inside_another_fence_is_just_code(files: dict[str, str]) -> None:
    example = "````markdown\n```check\nid: not-a-question\n```\n````\n"
    files = edited(files, "01-push-pull.md", "## Pull factors\n", f"## Pull factors\n\n{example}")
    package = lessons.load_files(files)
    lesson = package.lessons[0]
    assert [q.id for q in lesson.checks] == ["push-pull-1", "push-pull-2"]
    assert "id: not-a-question" in lesson.html_parts[1]


def test_missing_why_is_a_warning(files: dict[str, str]) -> None:
    files = edited(
        files, "01-push-pull.md", "    why: That pushes a youth away from placement.\n", ""
    )
    package, findings = lessons.check_files(files)
    assert package is not None
    line = line_of(files["01-push-pull.md"], "- text: Conflict with a foster parent")
    assert Finding(
        "warning", "01-push-pull.md", line,
        "check `push-pull-1`, choice b: no `why` feedback for this choice",
    ) in warnings(findings)  # fmt: skip
    assert package.lessons[0].checks[0].choices[1].why_html == ""


def test_strings_are_read_as_written(files: dict[str, str]) -> None:
    # YAML would turn these into a bool and an int; the schema reads text fields as text.
    files = edited(files, "02-returning.md", 'text: "True"', "text: True")
    files = edited(files, "course.yaml", "credit_type: General", "credit_type: 2024")
    package = lessons.load_files(files)
    assert package.lessons[1].checks[0].choices[0].text == "True"
    assert package.credit_type == "2024"


def test_findings_are_sorted_by_file_then_line(files: dict[str, str]) -> None:
    files = edited(files, "post-test.yaml", "id: pt-lo1-3", "id: bad id")
    files = edited(files, "course.yaml", "level: introductory", "level: expert")
    files = edited(files, "course.yaml", "passing_score: 80", "passing_score: x")
    files = edited(files, "01-push-pull.md", "objectives: [LO1]", "objectives: [LO8]")
    _, findings = lessons.check_files(files)
    keys = [(f.file, f.line) for f in findings]
    assert keys == sorted(keys) and len(keys) == 4


def test_unclosed_plain_fence_pairs_like_markdown(files: dict[str, str]) -> None:
    # Markdown closes a bare ``` at the next bare ```, which here ends the check block, so
    # neither Markdown nor the loader sees a check in between.
    files = edited(files, "01-push-pull.md", "## Push factors\n", "```\n\n## Push factors\n")
    lesson = lessons.load_files(files).lessons[0]
    assert [q.id for q in lesson.checks] == ["push-pull-2"]
    assert "id: push-pull-1" in lesson.html_parts[0]


def test_choices_written_as_bare_text_say_how_to_write_them_and_nothing_else():
    """A quiz is usually written as a plain list of answers; the checker says how to write
    each one, without adding "needs at least 2 choices" to two choices it could not read."""
    files = edited(minimal_files(), "01-push-pull.md",
                   "  - text: A friend who offers a place to stay\n    correct: true\n"
                   "    why: Pull factors draw a youth toward something or someone.\n"
                   "  - text: Conflict with a foster parent\n"
                   "    why: That pushes a youth away from placement.\n",
                   "  - A friend who offers a place to stay\n  - Conflict with a foster parent\n")
    _, findings = lessons.check_files(files)
    text = files["01-push-pull.md"]
    found = [(f.line, f.message) for f in errors(findings) if f.file == "01-push-pull.md"]
    how = "with `correct: true` on the next line for a right answer"
    assert found == [
        (line_of(text, "  - A friend who"), "check `push-pull-1`, choice a is only text: write"
         f" it as `- text: A friend who offers a place to stay`, {how}"),
        (line_of(text, "  - Conflict with"), "check `push-pull-1`, choice b is only text: write"
         f" it as `- text: Conflict with a foster parent`, {how}"),
    ]
