"""Mistakes an author makes typing a package by hand, each named at the line to fix and
told how to fix it in plain words."""

from __future__ import annotations

import pytest
from lessons_testkit import edited, errors, line_of, minimal_files

import lessons

KEY_HINT = ("YAML syntax error: could not find expected ':' (while scanning a simple key on"
            " this line). Probably a key without its colon: write the key, a colon and a"
            " space, then the value")  # fmt: skip


def _errors(name: str, old: str, new: str) -> tuple[str, list[tuple[str, int, str]]]:
    files = edited(minimal_files(), name, old, new)
    package, findings = lessons.check_files(files)
    assert package is None
    return files[name], [(f.file, f.line, f.message) for f in errors(findings)]


@pytest.mark.parametrize(
    ("name", "old", "new", "needle"),
    [("course.yaml", "slug: minimal\n", "title Youth who run\n", "title Youth"),
     ("course.yaml", "slug: minimal\n", "slug minimal\n\n", "slug minimal"),
     ("01-push-pull.md", "title: Push", "title Push", "title Push"),
     ("01-push-pull.md", "id: push-pull-1", "id push-pull-1", "id push-pull-1"),
     ("course.yaml", "  - name: Sam Chen", "  - name Sam Chen", "name Sam Chen")],
    ids=["course.yaml", "before a blank line", "front matter", "check", "list item"],
)  # fmt: skip
def test_a_key_without_its_colon_on_a_first_line_is_named_there(
    name: str, old: str, new: str, needle: str
) -> None:
    # PyYAML reads it on into the next line: that line was named, told to quote a colon
    # it does not hold (or, after a blank line, "expected '<document start>'").
    text, found = _errors(name, old, new)
    assert found == [(name, line_of(text, needle), KEY_HINT)]


def test_a_file_of_one_line_without_its_colon_is_told_so() -> None:
    files = minimal_files()
    files["course.yaml"] = "title Youth who run\n"
    _, findings = lessons.check_files(files)
    assert [(f.file, f.line, f.message) for f in errors(findings) if f.file == "course.yaml"] == [
        ("course.yaml", 1, "course.yaml must be a mapping of keys, not text ('title Youth who"
         " run'). Probably a key without its colon: write the key, a colon and a space, then"
         " the value"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "new", "said"),
    [("course.yaml", "title: Youth Who Run from Foster Care (test course)", "title: {Youth}",
      "course.yaml: `title` must be text, not a mapping"),
     ("01-push-pull.md", "prompt: Which of these is a *pull* factor?", "prompt: {Which}",
      "check `push-pull-1`: `prompt` must be text, not a mapping"),
     ("01-push-pull.md", "objectives: [LO1]", "objectives: [{LO1}]",
      "a lesson objective must be text, not a mapping")],
    ids=["title", "prompt", "list item"],
)  # fmt: skip
def test_text_in_braces_alone_is_told_to_be_quoted(
    name: str, old: str, new: str, said: str
) -> None:
    # Valid YAML (a mapping), so no syntax error's hint: "must be text, not a mapping"
    # alone left the author to guess what a mapping is and why braces make one.
    text, found = _errors(name, old, new)
    assert found == [
        (name, line_of(text, new), f"{said}. Probably a value that starts with {{ is read as a"
         " mapping: put the whole value in quotes"),
    ]  # fmt: skip


STARS = "*" * 51
SUMMARY = ("summary: >\n  A two-lesson test course about why youth run from foster care"
           " placements\n  and how to respond when they come back.\n")  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "new", "said"),
    [("course.yaml", SUMMARY, "summary: >\n  A two-lesson course.\n  A {stars} b\n",
      "course.yaml: `summary`"),
     ("course.yaml", SUMMARY, "summary: >\n\n  A two-lesson course.\n\n  A {stars} b\n",
      "course.yaml: `summary`"),
     ("course.yaml", SUMMARY, "summary: A two-lesson course\n  about A {stars} b\n",
      "course.yaml: `summary`"),
     ("course.yaml", SUMMARY, 'summary: "A two-lesson course\n  about A {stars} b"\n',
      "course.yaml: `summary`"),
     ("01-push-pull.md", "prompt: Which of these is a *pull* factor?",
      "prompt: >\n  Which of these is a\n  A {stars} b factor?",
      "check `push-pull-1`: `prompt`"),
     ("course.yaml", "passing_score:",
      "references:\n  - >\n    Polaris. (2023).\n    A {stars} b\npassing_score:",
      "a reference")],
    ids=["folded", "folded with blank lines", "plain", "quoted", "folded in a check",
         "folded list item"],
)  # fmt: skip
def test_a_folded_value_past_the_markdown_limits_is_named_at_its_own_line(
    name: str, old: str, new: str, said: str
) -> None:
    # YAML folds `key: >` (and a plain or quoted value over several lines) into one line:
    # the finding named the value's first line, not the one at fault.
    text, found = _errors(name, old, new.format(stars=STARS))
    assert found == [(name, line_of(text, STARS), f"{said}: a run of more than 50 asterisks")]


SAVED = "  you need to; your progress is saved.\n"


@pytest.mark.parametrize(
    ("old", "new", "block"),
    [(SUMMARY, SUMMARY + "  audience: Social workers\n", "summary"),
     (SAVED, SAVED + "  audience: Social workers\n", "advisory")],
    ids=["folded", "literal"],
)  # fmt: skip
def test_a_key_indented_into_a_block_above_is_named_at_its_line(
    old: str, new: str, block: str
) -> None:
    # The key became text of the block, and its absence was named at the file's first line.
    files = edited(minimal_files(), "course.yaml",
                   "audience: Social workers and foster care case managers\n", "")
    files = edited(files, "course.yaml", old, new)
    _, findings = lessons.check_files(files)
    text = files["course.yaml"]
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("course.yaml", line_of(text, "  audience:"), "course.yaml: missing key `audience`:"
         f" this line is indented into the text of `{block}` above; line it up with `{block}`"),
    ]  # fmt: skip
