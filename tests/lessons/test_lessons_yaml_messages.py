"""How the checker names a value of the wrong kind, and where a YAML problem is, in an
author's words: the value as written, the line it is on, what to do about it."""

from __future__ import annotations

import pytest
from lessons_testkit import edited, errors, line_of, minimal_files

import lessons


def _errors(name: str, old: str, new: str) -> tuple[str, list[tuple[str, int, str]]]:
    files = edited(minimal_files(), name, old, new)
    package, findings = lessons.check_files(files)
    assert package is None
    return files[name], [(f.file, f.line, f.message) for f in errors(findings)]


@pytest.mark.parametrize(
    ("name", "old", "new", "needle"),
    [
        ("course.yaml", "format: Self-paced,", "format: Self-paced,\x0b", "format:"),
        ("01-push-pull.md", "type: single\n", "type: single\x07\n", "type: single"),
        ("01-push-pull.md", "objectives: [LO1]", "objectives: [LO1]\x07", "objectives:"),
    ],
    ids=["course", "check", "front matter"],
)
def test_a_control_character_is_named_at_its_own_line(
    name: str, old: str, new: str, needle: str
) -> None:
    # Word pastes its line break as U+000B. The error named the file's first line (or the
    # first line of the check) and PyYAML's "position 9 of <unicode string>".
    text, found = _errors(name, old, new)
    char = new.replace(old.rstrip("\n"), "").strip("\n")
    assert found == [
        (name, line_of(text, needle), f"YAML error: unacceptable character #x{ord(char):04x}:"
         " special characters are not allowed. Probably an invisible character pasted from"
         " another program: retype this line"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("item", "said"),
    [('""', "a lesson objective is empty"), ("' '", "a lesson objective is empty"),
     ("~", "a lesson objective must be text, not empty"),
     ("[LO2]", "a lesson objective must be text, not a list")],
    ids=["empty quotes", "a space", "null", "list"],
)  # fmt: skip
def test_an_item_of_a_text_list_that_is_no_text_is_named_at_its_line(item: str, said: str) -> None:
    # An empty quoted item was refused as "must be text, not text".
    text, found = _errors("01-push-pull.md", "objectives: [LO1]",
                          f"objectives:\n  - LO1\n  - {item}")
    assert found == [("01-push-pull.md", line_of(text, f"  - {item}"), said)]


@pytest.mark.parametrize("char", ["@", "`"])
def test_a_value_starting_with_a_reserved_character_is_told_to_be_quoted(char: str) -> None:
    # It had no hint at all; a tab's hint must not be given for it either.
    text, found = _errors("course.yaml", "title: Youth", f"title: {char}Youth")
    assert found == [
        ("course.yaml", line_of(text, "title:"), f"YAML syntax error: found character '{char}'"
         " that cannot start any token. Probably a value that starts with @ or `, which YAML"
         " keeps for itself: put the whole value in quotes"),
    ]  # fmt: skip
