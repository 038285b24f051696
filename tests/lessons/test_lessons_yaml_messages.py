"""How the checker names a value of the wrong kind, and where a YAML problem is, in an
author's words: the value as written, the line it is on, what to do about it."""

from __future__ import annotations

import pytest
from lessons_testkit import edited, errors, line_of, minimal_files, refused_edit

import lessons


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2026-01-01", "a date ('2026-01-01')"),
        ("true", "true/false ('true')"),
        ("80.5", "a number ('80.5')"),
        ("{percent: 80}", "a mapping"),
        ("[80, 90]", "a list"),
        ("!score 80", "a value ('80')"),
        ('""', "text"),
        ("Eighty percent, or the score the board has approved for this course",
         "text ('Eighty percent, or the score the board h')"),
    ],
    ids=["date", "true", "decimal", "mapping", "list", "tagged", "empty quotes",
         "long text cut at 40 characters"],
)  # fmt: skip
def test_a_value_of_the_wrong_kind_is_described_as_the_author_wrote_it(
    value: str, said: str
) -> None:
    text, found = refused_edit("course.yaml", "passing_score: 80", f"passing_score: {value}")
    assert found == [
        ("course.yaml", line_of(text, "passing_score:"),
         f"course.yaml: `passing_score` must be an integer, not {said}"),
    ]  # fmt: skip


def test_a_key_given_twice_on_one_line_is_said_to_be_on_this_line() -> None:
    text, found = refused_edit("course.yaml", "post_test:\n  draw: 10\n",
                          "post_test: {draw: 10, draw: 12}\n")
    assert found == [
        ("course.yaml", line_of(text, "post_test:"),
         "post_test: duplicate key `draw` (first on this line)"),
    ]  # fmt: skip


def test_an_empty_text_where_text_is_required_is_named_at_its_line() -> None:
    text, found = refused_edit("course.yaml", "credit_type: General", 'credit_type: ""')
    assert found == [
        ("course.yaml", line_of(text, "credit_type:"), "course.yaml: `credit_type` is empty"),
    ]


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
    text, found = refused_edit(name, old, new)
    char = new.replace(old.rstrip("\n"), "").strip("\n")
    assert found == [
        (name, line_of(text, needle), f"YAML error: unacceptable character #x{ord(char):04x}:"
         " special characters are not allowed. Probably an invisible character pasted from"
         " another program: retype this line"),
    ]  # fmt: skip


def test_an_alias_in_a_check_is_refused_at_its_own_line_of_the_lesson() -> None:
    files = edited(minimal_files(), "01-push-pull.md", "type: single\n", "type: &kind single\n")
    files = edited(files, "01-push-pull.md",
                   "    why: Pull factors draw a youth toward something or someone.\n",
                   "    why: *kind\n")
    _, findings = lessons.check_files(files)
    line = line_of(files["01-push-pull.md"], "why: *kind")
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("01-push-pull.md", line, "YAML aliases (*kind) are not supported; write the value out"),
    ]


def test_an_alias_in_a_list_is_refused_like_one_in_a_mapping() -> None:
    # Refused because a few lines of aliases can expand to millions of values.
    text, found = refused_edit("01-push-pull.md", "objectives: [LO1]", "objectives: [&lo LO1, *lo]")
    assert found == [
        ("01-push-pull.md", line_of(text, "objectives:"),
         "YAML aliases (*lo) are not supported; write the value out"),
    ]  # fmt: skip


def test_a_value_opening_a_brace_is_said_to_be_read_as_a_mapping() -> None:
    text, found = refused_edit("course.yaml", "credit_type: General", "credit_type: {General")
    # PyYAML stops on the next line; its context points back to the brace's own line.
    assert found == [
        ("course.yaml", line_of(text, "credit_type:") + 1,
         "YAML syntax error: expected ',' or '}', but got ':' (while parsing a flow mapping on"
         " the line above). Probably a value that starts with { is read as a mapping: put it"
         " in quotes"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("item", "said"),
    [('""', "a lesson objective is empty"), ("' '", "a lesson objective is empty"),
     ("~", "a lesson objective must be text, not empty"),
     ("[LO2]", "a lesson objective must be text, not a list. Probably a value that starts"
      " with [ is read as a list: put the whole value in quotes")],
    ids=["empty quotes", "a space", "null", "list"],
)  # fmt: skip
def test_an_item_of_a_text_list_that_is_no_text_is_named_at_its_line(item: str, said: str) -> None:
    # An empty quoted item was refused as "must be text, not text".
    text, found = refused_edit("01-push-pull.md", "objectives: [LO1]",
                          f"objectives:\n  - LO1\n  - {item}")
    assert found == [("01-push-pull.md", line_of(text, f"  - {item}"), said)]


def test_a_quote_left_open_to_the_end_of_a_file_is_named_where_it_opens() -> None:
    # Many editors save without a newline at the end: the parser then stops exactly at the
    # end of the text, and the quote's own line is still the one to show.
    files = minimal_files()
    files["course.yaml"] = edited(files, "course.yaml", "sequential: true",
                                  'sequential: "true')["course.yaml"].rstrip("\n")
    _, findings = lessons.check_files(files)
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("course.yaml", line_of(files["course.yaml"], "sequential:"),
         "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar on"
         " this line). Probably a quote is opened and not closed"),
    ]  # fmt: skip


def test_a_title_written_as_a_list_is_refused_as_no_text() -> None:
    text, found = refused_edit("course.yaml", "title: Youth Who Run from Foster Care (test course)",
                          "title: [Youth, Foster care]")
    assert found == [
        ("course.yaml", line_of(text, "title:"), "course.yaml: `title` must be text, not a list."
         " Probably a value that starts with [ is read as a list: put the whole value in quotes")
    ]


def test_a_reference_past_the_markdown_limits_is_named_at_its_own_line() -> None:
    stars = "*" * 51
    text, found = refused_edit("course.yaml", "passing_score:",
                          f"references:\n  - Polaris. (2023).\n  - A {stars} b\npassing_score:")
    assert found == [
        ("course.yaml", line_of(text, stars), "a reference: a run of more than 50 asterisks")
    ]


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [("advisory: |\n  This course", "advisory: |\n  Read this.\n  A {stars} b\n  This course",
      "course.yaml: `advisory`: a run of more than 50 asterisks"),
     ("  - Polaris. (2023).", "  - |\n\n    Polaris. (2023).\n    A {stars} b",
      "a reference: a run of more than 50 asterisks"),
     ("title: Youth Who Run from Foster Care (test course)", "title:\n  A {stars} b",
      "course.yaml: `title`: a run of more than 50 asterisks")],
    ids=["value", "list item after a blank line", "plain value below its key"],
)  # fmt: skip
def test_text_past_the_markdown_limits_below_its_key_is_named_at_its_own_line(
    old: str, new: str, said: str
) -> None:
    # A block's text starts below its `|`, a value may start below its key: the line above
    # the one at fault was named.
    files = edited(minimal_files(), "course.yaml", "passing_score:",
                   "references:\n  - Polaris. (2023).\npassing_score:")
    stars = "*" * 51
    files = edited(files, "course.yaml", old, new.format(stars=stars))
    _, findings = lessons.check_files(files)
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("course.yaml", line_of(files["course.yaml"], stars), said)
    ]


@pytest.mark.parametrize(
    ("value", "hint"),
    [("{Youth} Who Run", "a value that starts with { is read as a mapping: put the whole value"
      " in quotes"),
     ("[Youth] Who Run", "a value that starts with [ is read as a list: put the whole value in"
      " quotes"),
     ('"Youth" Who Run', "words after the closing quote: put the whole value in quotes, or none"
      " of it")],
    ids=["braces", "brackets", "quotes"],
)  # fmt: skip
def test_words_after_a_closed_value_are_not_said_to_be_misindented(value: str, hint: str) -> None:
    # "title: {Youth} Who Run" was told "this line is indented unlike its neighbors".
    text, found = refused_edit("course.yaml", "title: Youth Who Run", f"title: {value}")
    assert found == [
        ("course.yaml", line_of(text, "title:"), "YAML syntax error: expected <block end>, but"
         " found '<scalar>' (while parsing a block mapping on the line above). Probably " + hint),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [("course.yaml", "title: Youth", "title Youth"),
     ("course.yaml", "    credentials: LCSW", "    credentials LCSW")],
    ids=["top level", "in a list item"],
)  # fmt: skip
def test_a_key_without_its_colon_is_named_at_its_line_and_told_so(
    name: str, old: str, new: str
) -> None:
    # It had no hint, and was named at the next line, where PyYAML gave up looking.
    text, found = refused_edit(name, old, new)
    assert found == [
        (name, line_of(text, new), "YAML syntax error: could not find expected ':' (while"
         " scanning a simple key on this line). Probably a key without its colon: write the"
         " key, a colon and a space, then the value"),
    ]  # fmt: skip


@pytest.mark.parametrize("char", ["@", "`"])
def test_a_value_starting_with_a_reserved_character_is_told_to_be_quoted(char: str) -> None:
    # It had no hint at all; a tab's hint must not be given for it either.
    text, found = refused_edit("course.yaml", "title: Youth", f"title: {char}Youth")
    assert found == [
        ("course.yaml", line_of(text, "title:"), f"YAML syntax error: found character '{char}'"
         " that cannot start any token. Probably a value that starts with @ or `, which YAML"
         " keeps for itself: put the whole value in quotes"),
    ]  # fmt: skip


def test_a_control_character_below_a_blank_first_line_is_counted_from_the_file_start() -> None:
    files = minimal_files()
    files["course.yaml"] = "\n" + files["course.yaml"].replace("level: intro", "level: \x0bintro")
    _, findings = lessons.check_files(files)
    assert [(f.file, f.line) for f in errors(findings)] == [
        ("course.yaml", line_of(files["course.yaml"], "level:"))
    ]


def test_a_syntax_error_no_hint_covers_is_given_none() -> None:
    # Better no hint than another problem's: "put it in quotes" would not fix this one.
    text, found = refused_edit("course.yaml", "level: introductory", "level: !x!y introductory")
    assert found == [
        ("course.yaml", line_of(text, "level:"), "YAML syntax error: found undefined tag handle"
         " '!x!' (while parsing a node on this line)"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "problem"),
    [('"C:\\Users\\caseworker"', "expected escape sequence of 8 hexadecimal numbers, but found"
      " 's'"),
     ('"C:\\Documents"', "found unknown escape character 'D'")],
    ids=["backslash U", "backslash D"],
)  # fmt: skip
def test_a_backslash_in_double_quotes_is_named_not_an_unclosed_quote(
    value: str, problem: str
) -> None:
    # A Windows path in double quotes was said to be "a quote opened and not closed".
    text, found = refused_edit("course.yaml", "credit_type: General", f"credit_type: {value}")
    assert found == [
        ("course.yaml", line_of(text, "credit_type:"), f"YAML syntax error: {problem} (while"
         " scanning a double-quoted scalar on this line). Probably a backslash inside double"
         " quotes starts an escape: use single quotes, or write \\\\ for each backslash"),
    ]  # fmt: skip
