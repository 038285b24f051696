"""YAML mistakes as an author meets them: `course check` on a package folder, and the
lesson editor's Save, each naming the line to fix and how."""

from __future__ import annotations

from html import unescape

from tests.course.author_kit import LESSON, lesson_text, submit


def _checked(runner, package, name: str, old: str, new: str) -> tuple[list[str], str]:
    path = package / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = runner.invoke(args=["course", "check", str(package)])
    assert result.exit_code == 1
    return path.read_text(encoding="utf-8").splitlines(), result.output


def test_course_check_names_a_first_key_without_its_colon_at_its_own_line(runner, package_copy):
    lines, output = _checked(runner, package_copy, "course.yaml", "slug: minimal", "slug minimal")
    assert lines[0] == "slug minimal"
    assert ("minimal/course.yaml:1: error: YAML syntax error: could not find expected ':'"
            in output)  # fmt: skip
    assert "Probably a key without its colon" in output
    assert "course.yaml:2:" not in output


def test_course_check_tells_text_in_braces_to_be_quoted(runner, package_copy):
    lines, output = _checked(runner, package_copy, "course.yaml",
                             "title: Youth Who Run from Foster Care (test course)",
                             "title: {Youth}")  # fmt: skip
    line = lines.index("title: {Youth}") + 1
    assert (f"minimal/course.yaml:{line}: error: course.yaml: `title` must be text, not a"
            " mapping. Probably a value that starts with { is read as a mapping: put the whole"
            " value in quotes") in " ".join(output.split())  # fmt: skip


def test_course_check_names_a_folded_summarys_line_past_the_markdown_limits(
    runner, package_copy
):
    stars = "*" * 51
    lines, output = _checked(runner, package_copy, "course.yaml",
                             "  and how to respond when they come back.",
                             f"  and how to respond {stars} when they come back.")  # fmt: skip
    line = next(n for n, text in enumerate(lines, start=1) if stars in text)
    assert lines[line - 3] == "summary: >"  # the block's second line
    assert (f"minimal/course.yaml:{line}: error: course.yaml: `summary`: a run of more than"
            " 50 asterisks") in output  # fmt: skip


def test_course_check_names_a_quote_closed_with_a_curly_one_where_it_opens(
    runner, package_copy
):
    lines, output = _checked(runner, package_copy, "course.yaml",
                             "title: Youth Who Run from Foster Care (test course)",
                             'title: "Youth Who Run from Foster Care\u201d')  # fmt: skip
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("title:"))
    assert f"minimal/course.yaml:{line}: error: YAML syntax error:" in output
    assert "Probably a quote closed with a curly quote" in " ".join(output.split())


def test_the_editor_names_a_pasted_checks_first_key_without_its_colon_at_its_line(
    author_client,
):
    # A check pasted into the text box with its first line mistyped stays there as written;
    # its finding pointed at the line below, and told the author to quote a colon.
    pasted = ("```check\nid push-pull-9\ntype: single\nprompt: Which is a pull factor?\n"
              "choices:\n  - text: A friend\n    correct: true\n  - text: A conflict\n"
              "```\n")  # fmt: skip
    body = lesson_text(author_client).rstrip("\n") + "\n\n" + pasted
    assert submit(author_client, LESSON, "save", body=body).status_code == 302  # a draft
    page = " ".join(unescape(author_client.get(LESSON).get_data(as_text=True)).split())
    line = lesson_text(author_client).splitlines().index("id push-pull-9") + 1
    assert f"line {line} of the text" in page
    assert "Probably a key without its colon" in page
    assert f"line {line + 1} of the text" not in page
