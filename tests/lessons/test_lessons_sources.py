"""A course whose lessons quote figures must list where they come from."""

from __future__ import annotations

from pathlib import Path

import pytest
from lessons_testkit import edited, line_of

import lessons
from lessons.sources import FIGURE, source_findings

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "running-behavior"
Files = dict[str, str]
SENTENCE = "listen. Avoid blame: the time away often had reasons the youth could not name."


def source_warnings(files: Files) -> list[lessons.Finding]:
    package, findings = lessons.check_files(files)
    assert package is not None, findings
    return [f for f in findings if "lists no `references`" in f.message]


def test_the_minimal_course_quotes_no_figure_and_needs_no_references(files: Files) -> None:
    assert "references" not in files["course.yaml"]
    assert source_warnings(files) == []


@pytest.mark.parametrize("figure", ["About 80%", "Roughly 12.5 percent", "3 in 5", "1 out of 4"])
def test_a_figure_with_no_references_is_named_with_its_file_and_line(
    files: Files, figure: str
) -> None:
    files = edited(files, "02-returning.md", SENTENCE, f"{SENTENCE}\n{figure} come back.")
    [warning] = source_warnings(files)
    assert (warning.level, warning.file) == ("warning", "02-returning.md")
    assert warning.line == line_of(files["02-returning.md"], f"{figure} come back.")
    assert f"(`{figure.removeprefix('About ').removeprefix('Roughly ')}`)" in warning.message


def test_listed_references_answer_the_warning(files: Files) -> None:
    files = edited(files, "02-returning.md", SENTENCE, f"{SENTENCE}\nAbout 80% come back.")
    files["course.yaml"] += (
        '\nreferences:\n  - "Example Agency (2024). Returns from care. <https://example.org>"\n'
    )
    assert source_warnings(files) == []


def test_a_year_or_a_lesson_count_is_not_a_figure(files: Files) -> None:
    text = f"{SENTENCE}\nIn 2024, lesson 1 in this course of 2 lessons says so."
    assert source_warnings(edited(files, "02-returning.md", SENTENCE, text)) == []


def test_the_shipped_course_quotes_figures_and_lists_their_sources() -> None:
    shipped = lessons.load_package(SHIPPED)
    assert any(FIGURE.search(lesson.markdown) for lesson in shipped.lessons)
    assert shipped.references
    assert source_findings(shipped) == []


@pytest.mark.parametrize("text", [
    "You need 80% on the post-test to pass.",  # the course's own pass mark
    "See [the guide](https://example.org/a%20b?page=2%20) for more.",
    '<img src="/static/chart.png" alt="Chart" width="50%">',
    "Of the reports made 1 in 2023, most were closed.",
])
def test_what_is_no_statistic_is_not_a_figure(files: Files, text: str) -> None:
    assert source_warnings(edited(files, "02-returning.md", SENTENCE, f"{SENTENCE}\n{text}")) == []


@pytest.mark.parametrize(("text", "quoted"), [
    ("About one in four youth return within a week.", "one in four"),
    ("It happens in 1 in 10,000 placements.", "1 in 10,000"),
])
def test_rates_in_words_and_large_numbers_are_figures(files: Files, text: str, quoted: str) -> None:
    [warning] = source_warnings(edited(files, "02-returning.md", SENTENCE, f"{SENTENCE}\n{text}"))
    assert f"(`{quoted}`)" in warning.message
