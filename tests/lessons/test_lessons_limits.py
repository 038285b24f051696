"""A hostile package is refused quickly, with the file and line, never a RecursionError.

Each case once kept a worker busy for seconds to minutes or crashed the check: YAML or
Markdown nested thousands deep, thousands of brackets open in one paragraph, a lesson of
many megabytes, fences that never close.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lessons_testkit import edited, errors, minimal_files

import lessons
from lessons.limits import MAX_FILE_BYTES
from lessons.render import render_markdown

LESSON = "01-push-pull.md"
DEEP_LIST = "\n".join("    " * level + "- item" for level in range(300))


def _refused(files: dict[str, str], file: str, line: int, words: str) -> None:
    package, findings = lessons.check_files(files)
    assert package is None
    found = [f for f in errors(findings) if f.file == file and words in f.message]
    assert found, findings
    assert found[0].line == line, found[0]


def test_yaml_nested_200000_deep_is_an_error_at_its_line() -> None:
    deep = "[" * 200_000 + "]" * 200_000
    files = edited(minimal_files(), "course.yaml", "level: introductory",
                   f"level: introductory\nextra: {deep}")  # fmt: skip
    line = files["course.yaml"].splitlines().index(f"extra: {deep}") + 1
    _refused(files, "course.yaml", line, "nested more than 20 levels")


def test_block_yaml_nested_deep_in_the_post_test_is_an_error() -> None:
    deep = "".join("  " * level + "- \n" for level in range(1, 300))
    files = minimal_files()
    files["post-test.yaml"] = "questions:\n" + deep
    # The mapping is level 1; the list opened on line 21 is level 21.
    _refused(files, "post-test.yaml", 21, "nested more than 20 levels")


def test_front_matter_and_check_blocks_nested_deep_name_the_lesson_line() -> None:
    files = edited(minimal_files(), LESSON, "objectives: [LO1]", "objectives: " + "[" * 5000)
    _refused(files, LESSON, 3, "nested more than 20 levels")
    files = edited(minimal_files(), LESSON, "type: single", "type: single\nx: " + "[" * 5000)
    text = files[LESSON]
    line = text.splitlines().index("x: " + "[" * 5000) + 1
    _refused(files, LESSON, line, "nested more than 20 levels")


@pytest.mark.parametrize(
    ("body", "words", "past"),
    [
        (DEEP_LIST, "nested more than 16 levels", 16),  # the 17th level's line
        ("> " * 3000 + "x", "nested more than 16 levels", 0),
        ("- " * 3000 + "x", "nested more than 16 levels", 0),
        ("[" * 20_000 + "x" + "]" * 20_000, "brackets or parentheses", 0),
        ("[a](" * 5000, "brackets or parentheses", 0),
        ("*" * 20_000 + "x" + "*" * 20_000, "asterisks", 0),
    ],
    ids=["list", "quotes", "markers", "brackets", "links", "emphasis"],
)
def test_markdown_nested_or_bracketed_past_the_limits_is_an_error(body, words, past) -> None:
    files = edited(minimal_files(), LESSON, "## Push factors", "## Push factors\n\n" + body)
    line = files[LESSON].splitlines().index("## Push factors") + 3 + past
    _refused(files, LESSON, line, words)


def test_a_prompt_with_thousands_of_brackets_is_an_error_in_its_file() -> None:
    files = edited(minimal_files(), LESSON, "prompt: Which of these is a *pull* factor?",
                   "prompt: 'Which " + "[" * 20_000 + "'")  # fmt: skip
    line = next(n for n, text in enumerate(files[LESSON].splitlines(), 1) if "[[[" in text)
    _refused(files, LESSON, line, "brackets or parentheses")
    # Rendering such text directly (outside the checker) shows it as text, quickly.
    assert render_markdown("[" * 20_000).startswith("<pre>[[[")


def test_a_lesson_over_the_size_limit_is_an_error_at_the_line_past_it() -> None:
    filler = "Reading text for the lesson, a line of it.\n" * (MAX_FILE_BYTES // 40)
    files = edited(minimal_files(), LESSON, "## Push factors", "## Push factors\n\n" + filler)
    line = files[LESSON][:MAX_FILE_BYTES].count("\n") + 1
    _refused(files, LESSON, line, "at most 512 KB")


def test_checking_stops_with_an_error_once_its_time_is_spent() -> None:
    package, findings = lessons.check_files(minimal_files(), seconds=0)
    assert package is None
    assert any("checking stopped here" in f.message for f in errors(findings)), findings
    package, findings = lessons.check_files(minimal_files())
    assert package is not None and not errors(findings)


def test_many_fences_that_never_close_are_an_error() -> None:
    # Each opening once looked ahead to the end of the file (here and in Python-Markdown):
    # 40,000 such lines took minutes.
    files = edited(minimal_files(), LESSON, "## Push factors",
                   "## Push factors\n\n" + "~~~text\n" * 40_000)  # fmt: skip
    line = files[LESSON].splitlines().index("## Push factors") + 3 + 20
    _refused(files, LESSON, line, "never closed")


def test_a_folder_package_never_follows_links_or_reads_stray_files(tmp_path: Path) -> None:
    folder = tmp_path / "minimal"
    folder.mkdir()
    for name, text in minimal_files().items():
        (folder / name).write_text(text, encoding="utf-8")
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Not yours\n---\nA private file.\n", encoding="utf-8")
    (folder / "03-secret.md").symlink_to(secret)
    with open(folder / "backup.tar", "wb") as stray:  # 200 MB, but sparse: nothing written
        stray.truncate(200 * 1024 * 1024)
    package, findings = lessons.check_package(folder)
    assert package is None
    assert lessons.Finding("error", "03-secret.md", 0, "is a link; links are refused") in findings
    assert lessons.Finding("warning", "backup.tar", 0,
                           "not part of a course package; ignored") in findings  # fmt: skip
    (folder / "03-secret.md").unlink()
    with open(folder / "03-huge.md", "wb") as huge:
        huge.truncate(3 * MAX_FILE_BYTES)
    package, findings = lessons.check_package(folder)
    assert package is None
    assert any(f.file == "03-huge.md" and "1536 KB" in f.message for f in errors(findings))
