"""A lesson file as the editor shows it: front-matter boxes, text with check markers."""

from __future__ import annotations

import pytest

from lessons import editing

LESSON = "01-push-pull.md"


def test_a_lesson_saved_with_windows_line_endings_splits_as_the_same_lesson(
    files: dict[str, str],
) -> None:
    # Nothing normalizes an uploaded file's line endings before the editor reads it.
    unix = editing.split_lesson(files[LESSON])
    windows = editing.split_lesson(files[LESSON].replace("\n", "\r\n"))
    assert (windows.title, windows.objectives, windows.body) == (
        unix.title, unix.objectives, unix.body)  # fmt: skip
    assert windows.blocks == unix.blocks and windows.line_map == unix.line_map


def test_the_editor_shows_what_the_front_matter_says_and_nothing_it_does_not() -> None:
    # No title is an empty box (not "None"); one objective written without brackets is
    # still ticked; the text starts on the line after the front matter, blank or not.
    source = editing.split_lesson("---\nobjectives: LO2\n---\nFirst line.\nSecond line.\n")
    assert (source.title, source.objectives) == ("", ("LO2",))
    assert source.body == "First line.\nSecond line.\n" and not source.front_unread
    # A title given as a list is no title; the checker says why.
    assert editing.split_lesson("---\ntitle: [a, b]\n---\n\nText.\n").title == ""


def test_a_lesson_without_front_matter_or_without_text_keeps_what_it_has() -> None:
    # The checker reports the missing front matter; the editor must not say it cannot be
    # read (there is nothing to read), nor drop any of the text.
    source = editing.split_lesson("First line.\n\nSecond line.\n")
    assert (source.title, source.body, source.front_unread) == (
        "", "First line.\n\nSecond line.\n", False)  # fmt: skip
    # A lesson whose text was all deleted opens with an empty text box.
    empty = editing.split_lesson("---\ntitle: New lesson\nobjectives: []\n---\n\n")
    assert (empty.title, empty.body, empty.checks) == ("New lesson", "", ())
    # A finding below its front matter is at the text box's first line.
    assert empty.locate(6) == editing.Location("text", 1)


def test_a_code_block_that_looks_like_a_check_stays_text(files: dict[str, str]) -> None:
    example = "```yaml\nid: example-1\ntype: single\n```\n"
    text = files[LESSON].replace("## Pull factors", example + "\n## Pull factors")
    source = editing.split_lesson(text)
    assert [c.id for c in source.checks] == ["push-pull-1", "push-pull-2"]
    assert example in source.body


def test_locate_points_fence_and_blank_lines_at_the_front_matter_and_the_end_at_the_text(
    files: dict[str, str],
) -> None:
    text = files[LESSON]
    source = editing.split_lesson(text)
    # Lines 1-4 are the front matter with its fences, line 5 the blank line after it.
    assert [source.locate(n).kind for n in (1, 4, 5, 6)] == ["front", "front", "front", "text"]
    # Both fences of a check belong to it: a finding there opens the check's form.
    lines = text.splitlines()
    opening = lines.index("```check") + 1
    closing = lines.index("```", opening) + 1
    for line in (opening, closing):
        assert source.locate(line).check_id == "push-pull-1"
    # A finding after the last line (an unclosed block, say) goes to the text's end.
    after = source.locate(len(text.splitlines()) + 1)
    assert (after.kind, after.line) == ("text", len(source.body.splitlines()))


def test_a_check_at_the_end_of_a_file_without_a_final_newline_can_be_moved(
    files: dict[str, str],
) -> None:
    # Many editors save without a final newline, so the last check's block has none.
    source = editing.split_lesson(files[LESSON].rstrip("\n"))
    body = "[check: push-pull-2]\n" + source.body.replace("[check: push-pull-2]\n", "")
    moved = editing.join_lesson(source.title, source.objectives, body, source.blocks)
    again = editing.split_lesson(moved)
    assert [c.id for c in again.checks] == ["push-pull-2", "push-pull-1"]
    assert again.body.startswith("[check: push-pull-2]\nYouth leave placement")


def test_saving_a_check_another_tab_removed_adds_it_at_the_end(files: dict[str, str]) -> None:
    source = editing.split_lesson(files[LESSON])
    block = "```check\nid: push-pull-3\ntype: single\n```\n"
    saved = editing.replace_check(source, "removed-meanwhile", block)
    assert saved.endswith("why: An invitation pulls rather than pushes.\n```\n\n" + block)


def test_renaming_a_check_keeps_the_text_right_after_its_marker(files: dict[str, str]) -> None:
    text = files[LESSON].replace("```\n\n## Pull factors", "```\n## Pull factors", 1)
    source = editing.split_lesson(text)
    block = source.blocks["push-pull-1"].replace("id: push-pull-1", "id: push-pull-9")
    renamed = editing.split_lesson(editing.replace_check(source, "push-pull-1", block))
    assert "[check: push-pull-9]\n## Pull factors\n" in renamed.body


def test_browser_line_endings_become_newlines() -> None:
    assert editing.newlines("One\r\ntwo\rthree\n") == "One\ntwo\nthree\n"


def test_a_course_of_99_lessons_can_be_reordered_and_100_cannot() -> None:
    # Lesson files are numbered with two digits: a 100th would not be a lesson file.
    files = {editing.lesson_file_name(n, f"l{n}"): f"lesson {n}" for n in range(1, 100)}
    order = [f"l{n}" for n in range(99, 0, -1)]
    moved = editing.renumber(files, order)
    assert moved["01-l99.md"] == "lesson 99" and moved["99-l1.md"] == "lesson 1"
    files["00-extra.md"] = "one too many"
    with pytest.raises(ValueError, match="at most 99 lessons"):
        editing.renumber(files, ["extra", *order])
