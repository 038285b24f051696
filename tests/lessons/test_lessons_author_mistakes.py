"""Mistakes an author makes typing a package by hand, each named at the line to fix and
told how to fix it in plain words."""

from __future__ import annotations

import pytest
import yaml
from lessons_testkit import edited, errors, line_of, minimal_files, refused_edit, warnings

import lessons
from lessons.yamlsyntax import syntax_error

KEY_HINT = ("YAML syntax error: could not find expected ':' (while scanning a simple key on"
            " this line). Probably a key without its colon: write the key, a colon and a"
            " space, then the value")  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "new", "needle"),
    [("course.yaml", "slug: minimal\n", "title Youth who run\n", "title Youth"),
     ("course.yaml", "slug: minimal\n", "slug minimal\n\n", "slug minimal"),
     ("01-push-pull.md", "title: Push", "title Push", "title Push"),
     ("01-push-pull.md", "id: push-pull-1", "id push-pull-1", "id push-pull-1"),
     ("course.yaml", "  - name: Sam Chen", "  - name Sam Chen", "name Sam Chen"),
     ("course.yaml", "  name: Example CE Provider", "  name Example CE Provider",
      "name Example CE")],
    ids=["course.yaml", "before a blank line", "front matter", "check", "list item",
         "nested mapping"],
)  # fmt: skip
def test_a_key_without_its_colon_on_a_first_line_is_named_there(
    name: str, old: str, new: str, needle: str
) -> None:
    # PyYAML reads it on into the next line: that line was named, told to quote a colon
    # it does not hold (or, after a blank line, "expected '<document start>'").
    text, found = refused_edit(name, old, new)
    assert found == [(name, line_of(text, needle), KEY_HINT)]


def test_running_text_below_its_key_with_a_colon_in_it_is_told_of_the_colon() -> None:
    # Below `summary:` on lines of their own, lowercase words then "push factors: ..."
    # are a value with a colon in it, not a key that lost its colon.
    text, found = refused_edit("course.yaml", SUMMARY,
                               "summary:\n  the course covers\n  push factors: family\n")
    assert found == [
        ("course.yaml", line_of(text, "push factors"), "YAML syntax error: mapping values are"
         " not allowed here. Probably a colon and a space inside a value: put the whole value"
         " in quotes (or this line is indented more than the key above it)"),
    ]  # fmt: skip


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
    text, found = refused_edit(name, old, new)
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
    text, found = refused_edit(name, old, new.format(stars=STARS))
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


def test_an_optional_key_indented_into_a_block_above_is_warned_of() -> None:
    # No error (the key is optional, and YAML reads the line as words of the summary), so
    # nothing told the author that learners would read "min_active_minutes: 20".
    files = edited(minimal_files(), "course.yaml", "min_active_minutes: 20\n", "")
    files = edited(files, "course.yaml", SUMMARY, SUMMARY + "  min_active_minutes: 20\n")
    package, findings = lessons.check_files(files)
    assert package is not None and "min_active_minutes: 20" in package.summary
    text = files["course.yaml"]
    assert [(f.file, f.line, f.message) for f in warnings(findings) if "read as" in f.message] == [
        ("course.yaml", line_of(text, "  min_active_minutes:"), "course.yaml:"
         " `min_active_minutes` is read as text, not as a key, and learners would see it: this"
         " line is indented into the text of `summary` above; line it up with `summary`"),
    ]  # fmt: skip


TITLE = "title: Youth Who Run from Foster Care (test course)"
RUNS_ON = "a quote is opened and not closed on this line (it runs on to a quote {} lines below)"
CURLY_CLOSES = ("a quote closed with a curly quote (\u201d or \u2019, from a word processor),"
                " which YAML does not treat as a quote: type a straight quote instead")  # fmt: skip


@pytest.mark.parametrize(
    ("new", "said", "hint"),
    [("title: \u201cYouth who run: a guide\u201d", "mapping values are not allowed here",
      "curly quotes (\u201c \u201d or \u2018 \u2019, from a word processor), which YAML does"
      " not treat as quotes: put the whole value in straight quotes instead"),
     ('title: "Youth who run: a guide\u201d', "expected <block end>, but found '<scalar>'"
      " (while scanning a quoted scalar on this line)", CURLY_CLOSES),
     ("title: 'Youth who run\u2019", "found unexpected end of stream (while scanning a quoted"
      " scalar on this line)", CURLY_CLOSES),
     ('title: "Youth who run', "expected <block end>, but found '<scalar>' (while scanning a"
      " quoted scalar on this line)", RUNS_ON.format(26))],
    ids=["curly quotes", "closed with a curly quote", "single, to the end", "left open"],
)  # fmt: skip
def test_a_quote_pasted_from_a_word_processor_or_left_open_is_named_where_it_opens(
    new: str, said: str, hint: str
) -> None:
    # A straight quote closed with a curly one runs on to the next quote in the file: that
    # line (26 lines below) was named, told of "words after the closing quote"; curly
    # quotes around a colon were told to be put in quotes.
    text, found = refused_edit("course.yaml", TITLE, new)
    assert found == [
        ("course.yaml", line_of(text, "title:"), f"YAML syntax error: {said}. Probably {hint}")
    ]


def test_a_value_over_two_lines_with_words_after_its_quote_keeps_its_hint() -> None:
    text, found = refused_edit("course.yaml", TITLE, 'title: "Youth who\n  run" from care')
    assert found == [
        ("course.yaml", line_of(text, 'run" from care'), "YAML syntax error: expected <block"
         " end>, but found '<scalar>' (while parsing a block mapping 2 lines above). Probably"
         " words after the closing quote: put the whole value in quotes, or none of it"),
    ]  # fmt: skip


DASH_HINT = ("a list item without its dash: start each item of the list with a dash and a"
             " space, like the one above")  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "new", "said"),
    [("course.yaml", "  - id: LO2", "  id: LO2", "expected <block end>, but found '?' (while"
      " parsing a block collection 2 lines above)"),
     ("01-push-pull.md", "  - text: Conflict", "  text: Conflict", "expected <block end>, but"
      " found '?' (while parsing a block collection 3 lines above)"),
     ("course.yaml", "passing_score:", "references:\n  - Polaris. (2023).\n  Shared Hope"
      " (2024).\npassing_score:", "could not find expected ':' (while scanning a simple key"
      " on this line)")],
    ids=["objective", "choice", "text item"],
)  # fmt: skip
def test_a_list_item_without_its_dash_is_told_so(name: str, old: str, new: str, said: str) -> None:
    # It was told "indented unlike its neighbors" (it lines up with them) or "a key without
    # its colon" (it is no key).
    text, found = refused_edit(name, old, new)
    line = line_of(text, "Shared Hope" if "Shared Hope" in new else new)
    assert found == [(name, line, f"YAML syntax error: {said}. Probably {DASH_HINT}")]


def test_a_dash_without_its_space_is_told_so() -> None:
    text, found = refused_edit("course.yaml", "  - id: LO2", "  -id: LO2")
    assert found == [
        ("course.yaml", line_of(text, "-id: LO2"), "YAML syntax error: expected <block end>,"
         " but found '?' (while parsing a block collection 2 lines above). Probably a dash"
         " without a space after it: put a space after the dash"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "new", "said"),
    [("course.yaml", "  - id: LO2", "    id: LO2", "objective: duplicate key `id` (first 2"
      " lines above)"),
     ("01-push-pull.md", "  - text: Conflict", "    text: Conflict", "check `push-pull-1`,"
      " choice a: duplicate key `text` (first 3 lines above)")],
    ids=["objective", "choice"],
)  # fmt: skip
def test_a_list_item_whose_dash_became_a_space_is_told_so(
    name: str, old: str, new: str, said: str
) -> None:
    # Read as the item above given its first key twice: "duplicate key" with no word of
    # the dash.
    text, found = refused_edit(name, old, new)
    assert (name, line_of(text, new), f"{said}. Probably {DASH_HINT}") in found


def test_a_key_given_twice_outside_a_list_is_not_told_of_a_dash() -> None:
    text, found = refused_edit("course.yaml", "version: 1", "version: 1\nslug: again")
    assert found == [
        ("course.yaml", line_of(text, "slug: again"),
         "course.yaml: duplicate key `slug` (first 3 lines above)"),
    ]  # fmt: skip


NBSP_HINT = ("a non-breaking space (pasted from a web page or a word processor), which YAML"
             " does not read as a space: delete the spaces on this line and type them"
             " again")  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new"),
    [("    credentials: LCSW", "  \u00a0 credentials: LCSW"),
     ("  - name: Sam Chen", "\u00a0 - name: Sam Chen"),
     ("  - name: Sam Chen", "  -\u00a0name: Sam Chen"),
     ("level: introductory", "level:\u00a0introductory")],
    ids=["indentation", "before a dash", "after a dash", "after a colon"],
)  # fmt: skip
def test_a_non_breaking_space_is_named_at_its_line_and_told_so(old: str, new: str) -> None:
    # It looks like a space: the author was told of a missing dash or colon, or of a
    # colon in a value on the line below.
    text, found = refused_edit("course.yaml", old, new)
    assert [(file, line) for file, line, _ in found] == [("course.yaml", line_of(text, new))]
    assert found[0][2].startswith("YAML syntax error: ")
    assert found[0][2].endswith(f". Probably {NBSP_HINT}")


@pytest.mark.parametrize(
    ("new", "said"),
    [("summary: > A two-lesson course.\n", "expected a comment or a line break, but found 'A'"),
     ("summary: >A two-lesson course.\n", "expected chomping or indentation indicators, but"
      " found 'A'")],
    ids=["after a space", "right after"],
)  # fmt: skip
def test_text_on_the_line_of_its_block_sign_is_told_to_go_below(new: str, said: str) -> None:
    text, found = refused_edit("course.yaml", SUMMARY, new)
    assert found == [
        ("course.yaml", line_of(text, "summary:"), f"YAML syntax error: {said} (while scanning"
         " a block scalar on this line). Probably text on the same line as its | or >: start"
         " the text on the next line, indented under its key (or leave the | or > out)"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [(SUMMARY, "summary: >\nA two-lesson course\nabout youth who run.\n", "A two-lesson"),
     ("    credentials: LCSW", "    credentials: |-\n    LCSW", "    LCSW")],
    ids=["at the left edge", "in a list item"],
)  # fmt: skip
def test_the_text_of_a_block_left_unindented_is_told_to_be_indented(
    old: str, new: str, needle: str
) -> None:
    # It was told to be "a key without its colon".
    text, found = refused_edit("course.yaml", old, new)
    assert found == [
        ("course.yaml", line_of(text, needle), "YAML syntax error: could not find expected ':'"
         " (while scanning a simple key on this line). Probably the text below a | or > is not"
         " indented: indent each of its lines more than its key, with spaces"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [("course.yaml", TITLE, "title: Youth who run:"),
     ("01-push-pull.md", "title: Push and pull factors", "title: Push and pull factors:")],
    ids=["course", "lesson"],
)  # fmt: skip
def test_a_colon_at_the_end_of_a_title_is_told_so(name: str, old: str, new: str) -> None:
    # It was told of "a colon and a space inside a value", which it does not have.
    text, found = refused_edit(name, old, new)
    assert found == [
        (name, line_of(text, new), "YAML syntax error: mapping values are not allowed here."
         " Probably a colon at the end of a value: put the whole value in quotes, or leave the"
         " colon out"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "needle", "said"),
    [("objectives: [LO1]\n---\n", "objectives: [LO1]\n", "---", "the front matter opened here"
      " is never closed: put a line of three hyphens, `---`, after its `objectives`"),
     ("objectives: [LO1]\n---\n", "objectives: [LO1]\n\u2014\n", "\u2014", "this line is"
      " `\u2014`: front matter closes with a line of exactly three hyphens, `---` (retype it"
      " if a word processor made a dash)"),
     ("---\ntitle:", "--\ntitle:", "--", "the first line is `--`: front matter opens with a"
      " line of exactly three hyphens, `---` (retype it if a word processor made a dash)")],
    ids=["never closed", "closed with a dash", "opened with two hyphens"],
)  # fmt: skip
def test_front_matter_without_its_dashes_is_named_where_they_go(
    old: str, new: str, needle: str, said: str
) -> None:
    # All three were told "a lesson starts with YAML front matter between two `---` lines",
    # which the author believes it does.
    text, found = refused_edit("01-push-pull.md", old, new)
    line = text.splitlines().index(needle) + 1
    assert found == [("01-push-pull.md", line, said)]


def test_front_matter_never_closed_before_a_rule_in_the_text_is_told_so() -> None:
    # It ran on to the rule's `---`, and the lesson's first sentence was told to be "a key
    # without its colon".
    files = edited(minimal_files(), "01-push-pull.md", "objectives: [LO1]\n---\n",
                   "objectives: [LO1]\n")
    files["01-push-pull.md"] += "\n---\n\nMore text.\n"
    _, findings = lessons.check_files(files)
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("01-push-pull.md", 1, "the front matter opened here is never closed: put a line of"
         " three hyphens, `---`, after its `objectives`"),
    ]  # fmt: skip


def test_a_reference_over_two_lines_with_a_colon_is_not_said_to_lack_one() -> None:
    # It starts as no key does, so it is not "a key without its colon".
    text, found = refused_edit("course.yaml", "passing_score:", "references:\n  - Polaris. (2023)."
                          " Hidden in plain sight\n    Trafficking: a review\npassing_score:")
    assert found == [
        ("course.yaml", line_of(text, "Trafficking:"), "YAML syntax error: mapping values are"
         " not allowed here. Probably a colon and a space inside a value: put the whole value"
         " in quotes (or this line is indented more than the key above it)"),
    ]  # fmt: skip


def test_a_key_below_a_list_at_the_left_edge_is_not_said_to_lack_a_dash() -> None:
    # The list's dashes line up with the key, but `provider` is a key, not an item.
    authors = "  - name: Alex Rivera\n    credentials: LCSW\n  - name: Sam Chen\n"
    text, found = refused_edit("course.yaml", f"{authors}    credentials: MSW, PhD\nprovider:",
                          "- name: Sam Chen\n  credentials: MSW, PhD\nprovider")
    assert found == [
        ("course.yaml", line_of(text, "provider"), "YAML syntax error: could not find expected"
         " ':' (while scanning a simple key on this line). Probably a key without its colon:"
         " write the key, a colon and a space, then the value"),
    ]  # fmt: skip


def test_a_key_for_the_item_above_indented_too_little_is_not_said_to_lack_a_dash() -> None:
    # `note:` below `- name:` lines up with the dash, but belongs to that item: it is the
    # indentation to fix, not a dash to add.
    text, found = refused_edit("course.yaml", "    note: Confidential, 24/7",
                               "  note: Confidential")
    assert found == [
        ("course.yaml", line_of(text, "  note: Confidential"), "YAML syntax error: expected"
         " <block end>, but found '?' (while parsing a block collection 6 lines above)."
         " Probably this line is indented unlike its neighbors: line it up, with spaces"),
    ]  # fmt: skip


def test_an_error_whose_marks_hold_no_text_still_gets_its_line_and_hint() -> None:
    # libyaml's marks hold no text: the hints that read the line must do without it.
    mark = yaml.Mark("course.yaml", 5, 1, 0, None, None)
    error = yaml.parser.ParserError("while parsing a block collection", mark,
                                    "expected <block end>, but found '?'", mark)  # fmt: skip
    assert syntax_error(error, 0, 100) == (
        2, "YAML syntax error: expected <block end>, but found '?' (while parsing a block"
        " collection on this line). Probably this line is indented unlike its neighbors: line"
        " it up, with spaces",
    )  # fmt: skip
