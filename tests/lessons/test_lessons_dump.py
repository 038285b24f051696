"""Writing package files back: YAML and lessons the checker reads as they were written."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from lessons_testkit import edited, errors, line_of

import lessons
from lessons import dump, editing

LESSON = "01-push-pull.md"


def _choices(question: lessons.Question) -> list[dict[str, Any]]:
    return [{"text": c.text, "correct": c.correct, "why": c.why} for c in question.choices]


def _question(question: lessons.Question) -> dict[str, Any]:
    data = {
        "id": question.id,
        "type": question.type,
        "objective": question.objective,
        "prompt": question.prompt,
        "choices": _choices(question),
        "explanation": question.explanation,
        "language_example": question.language_example,
    }
    return data


def _manifest(package: lessons.CoursePackage) -> dict[str, Any]:
    approval = package.provider.approval
    return {
        "slug": package.slug,
        "title": package.title,
        "version": package.version,
        "summary": package.summary,
        "audience": package.audience,
        "level": package.level,
        "format": package.format,
        "contact_hours": package.contact_hours,
        "credit_type": package.credit_type,
        "objectives": [{"id": o.id, "text": o.text} for o in package.objectives],
        "authors": [{"name": a.name, "credentials": a.credentials} for a in package.authors],
        "provider": {
            "name": package.provider.name,
            "approval": None if approval is None else vars(approval),
        },
        "passing_score": package.passing_score,
        "post_test": {"draw": package.post_test_draw},
        "advisory": package.advisory,
        "support": [vars(s) for s in package.support],
        "sequential": package.sequential,
        "min_active_minutes": package.min_active_minutes,
    }


def _evaluation_item(item: lessons.EvaluationItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "type": item.type,
        "prompt": item.prompt,
        "objective": item.objective,
        "required": item.required,
        "min": item.minimum,
        "max": item.maximum,
        "choices": list(item.choices),
    }


def _rewritten(package: lessons.CoursePackage, files: dict[str, str]) -> dict[str, str]:
    """Every file of the package written back from its parsed data."""
    result = {
        "course.yaml": dump.dump_manifest(_manifest(package)),
        "post-test.yaml": dump.dump_post_test([_question(q) for q in package.post_test]),
        "evaluation.yaml": dump.dump_evaluation([_evaluation_item(i) for i in package.evaluation]),
    }
    for lesson in package.lessons:
        source = editing.split_lesson(files[lesson.file])
        blocks = {c.id: dump.dump_check(_question(c)) for c in lesson.checks}
        result[lesson.file] = editing.join_lesson(
            source.title, source.objectives, source.body, blocks
        )
    return result


def _shape(package: lessons.CoursePackage) -> dict[str, Any]:
    """What a learner sees of a package, without file names and line numbers."""

    def question(q: lessons.Question) -> tuple:
        return (q.id, q.type, q.prompt_html, q.objective, q.explanation_html, q.choices)

    return {
        "manifest": {k: v for k, v in _manifest(package).items()},
        "advisory_html": package.advisory_html,
        "lessons": [
            (lesson.slug, lesson.title, lesson.objectives, lesson.html_parts,
             [question(c) for c in lesson.checks])
            for lesson in package.lessons
        ],
        "post_test": [question(q) for q in package.post_test],
        "evaluation": [
            (i.id, i.type, i.prompt, i.required, i.choices, i.objective, i.minimum, i.maximum)
            for i in package.evaluation
        ],
    }  # fmt: skip


def test_a_package_written_back_loads_to_the_same_course(
    package: lessons.CoursePackage, files: dict[str, str]
) -> None:
    again, findings = lessons.check_files(_rewritten(package, files))
    assert again is not None, findings
    assert not errors(findings)
    assert _shape(again) == _shape(package)


def test_written_files_keep_the_documented_layout(
    package: lessons.CoursePackage, files: dict[str, str]
) -> None:
    rewritten = _rewritten(package, files)
    # The minimal package is written the way the format page shows, so most of it is
    # byte-identical; course.yaml differs only where folded text becomes one line.
    assert rewritten["post-test.yaml"] == files["post-test.yaml"]
    assert rewritten[LESSON] == files[LESSON]
    manifest = rewritten["course.yaml"]
    assert manifest.startswith("slug: minimal\ntitle: ")
    assert "objectives:\n  - id: LO1\n" in manifest
    assert "advisory: |\n  This course discusses **sexual exploitation**" in manifest
    assert 'number: "886-123"' in manifest or "number: 886-123" in manifest
    assert "choices: [Phone, Tablet, Computer]" in rewritten["evaluation.yaml"]


def test_dump_yaml_keeps_text_as_text() -> None:
    text = dump.dump_yaml({"a": "True", "b": "2024", "c": "x: y", "d": "one\ntwo\n"})
    assert editing.read_yaml(text) == {"a": "True", "b": "2024", "c": "x: y", "d": "one\ntwo\n"}
    assert "d: |\n  one\n  two\n" in text
    assert not text.endswith("...\n")


def test_defaults_are_left_out() -> None:
    check = dump.question_data(
        {
            "id": "q1",
            "type": "single",
            "prompt": "Which?",
            "choices": [
                {"text": "A", "correct": "false", "why": " "},
                {"text": "B", "correct": True},
            ],
            "language_example": False,
        },
        post_test=False,
    )
    assert check == {
        "id": "q1",
        "type": "single",
        "prompt": "Which?",
        "choices": [{"text": "A"}, {"text": "B", "correct": True}],
    }
    item = dump.evaluation_item_data(
        {"id": "e", "type": "likert", "prompt": "P", "required": True, "min": 1, "choices": ["x"]}
    )
    assert item == {"id": "e", "type": "likert", "prompt": "P"}


def test_a_fence_in_question_text_cannot_close_the_check_block(files: dict[str, str]) -> None:
    block = dump.dump_check(
        {
            "id": "fence-1",
            "type": "true_false",
            "prompt": "```\n# not a heading\n```",
            "choices": [{"text": "True", "correct": True, "why": "```"}, {"text": "False"}],
        }
    )
    source = editing.split_lesson(files[LESSON])
    files[LESSON] = editing.replace_check(source, None, block)
    package, findings = lessons.check_files(files)
    assert package is not None, findings
    check = package.lessons[0].checks[-1]
    assert check.id == "fence-1"
    assert check.prompt == "```\n# not a heading\n```"
    assert [c.text for c in check.choices] == ["True", "False"]


def test_split_lesson_shows_checks_as_markers(files: dict[str, str]) -> None:
    source = editing.split_lesson(files[LESSON])
    assert source.title == "Push and pull factors"
    assert source.objectives == ("LO1",)
    assert [c.id for c in source.checks] == ["push-pull-1", "push-pull-2"]
    assert "[check: push-pull-1]\n" in source.body
    assert "```" not in source.body
    assert source.body.startswith("Youth leave placement")
    assert editing.referenced_checks(source.body) == ["push-pull-1", "push-pull-2"]
    assert source.check("push-pull-2").data["type"] == "multiple"
    assert (
        editing.join_lesson(source.title, source.objectives, source.body, source.blocks)
        == (files[LESSON])
    )


def test_locate_maps_file_lines_to_what_the_editor_shows(files: dict[str, str]) -> None:
    text = files[LESSON]
    source = editing.split_lesson(text)
    lines = text.splitlines()
    body = source.body.splitlines()
    assert source.locate(0).kind == "file"
    assert source.locate(2).kind == "front"  # title
    check_line = lines.index("type: multiple") + 1
    located = source.locate(check_line)
    assert (located.kind, located.check_id) == ("check", "push-pull-2")
    assert body[located.line - 1] == "[check: push-pull-2]"
    runner_line = next(n for n, line in enumerate(lines, 1) if line.startswith("| runner"))
    located = source.locate(runner_line)
    assert located.kind == "text"
    assert body[located.line - 1].startswith("| runner")


def test_unreadable_check_blocks_stay_in_the_text_as_written(files: dict[str, str]) -> None:
    broken = files[LESSON].replace(
        "id: push-pull-1\ntype: single", "id: [push-pull-1\ntype: single"
    )
    source = editing.split_lesson(broken)
    assert [c.id for c in source.checks] == ["push-pull-2"]
    assert "```check\nid: [push-pull-1" in source.body
    assert editing.join_lesson(source.title, source.objectives, source.body, source.blocks) == (
        broken
    )


def test_markers_in_code_and_unknown_markers_stay_text(files: dict[str, str]) -> None:
    source = editing.split_lesson(files[LESSON])
    body = source.body + "\n```\n[check: push-pull-1]\n```\n\n[check: nowhere]\n"
    joined = editing.join_lesson(source.title, source.objectives, body, source.blocks)
    assert joined.count("id: push-pull-1") == 1
    assert "```\n[check: push-pull-1]\n```" in joined
    assert "[check: nowhere]" in joined


def test_a_marker_for_a_check_the_lesson_lacks_is_an_error_at_its_line(
    files: dict[str, str],
) -> None:
    files = edited(files, LESSON, "## Pull factors", "[check: does-not-exist]\n\n## Pull factors")
    files = edited(
        files, LESSON, "## Push factors", "```\n[check: in-code]\n```\n\n## Push factors"
    )
    text = files[LESSON]
    assert errors(lessons.check_files(files)[1]) == [
        lessons.Finding(
            "error",
            LESSON,
            line_of(text, "[check: does-not-exist]"),
            "[check: does-not-exist] refers to a knowledge check this lesson does not have; "
            "add the check or delete the line (learners would see the bracketed text)",
        )
    ]


def test_markers_are_read_from_text_with_browser_line_endings(files: dict[str, str]) -> None:
    body = editing.split_lesson(files[LESSON]).body.replace("\n", "\r\n")
    assert editing.referenced_checks(body) == ["push-pull-1", "push-pull-2"]
    typed = body + "[check: nope]\r\n"
    assert editing.unknown_markers(typed, {"push-pull-1"}) == [
        (line_of(typed, "[check: push-pull-2]"), "push-pull-2"),
        (line_of(typed, "[check: nope]"), "nope"),
    ]


def test_deleting_a_marker_drops_its_check(files: dict[str, str]) -> None:
    source = editing.split_lesson(files[LESSON])
    body = source.body.replace("[check: push-pull-1]\n", "")
    joined = editing.join_lesson(source.title, source.objectives, body, source.blocks)
    assert "push-pull-1" not in joined
    assert "id: push-pull-2" in joined


def test_replace_rename_and_remove_a_check(files: dict[str, str]) -> None:
    source = editing.split_lesson(files[LESSON])
    data = dict(source.check("push-pull-1").data, id="push-pull-9", prompt="Renamed?")
    renamed = editing.replace_check(source, "push-pull-1", dump.dump_check(data))
    again = editing.split_lesson(renamed)
    assert [c.id for c in again.checks] == ["push-pull-9", "push-pull-2"]
    assert again.check("push-pull-9").data["prompt"] == "Renamed?"
    removed = editing.remove_check(again, "push-pull-9")
    assert [c.id for c in editing.split_lesson(removed).checks] == ["push-pull-2"]
    assert "[check:" not in removed


def test_a_lesson_without_front_matter_gets_one(files: dict[str, str]) -> None:
    source = editing.split_lesson("Just text.\n")
    assert (source.title, source.objectives, source.body) == ("", (), "Just text.\n")
    written = editing.join_lesson("A title", ["LO1"], source.body, {})
    assert written == "---\ntitle: A title\nobjectives: [LO1]\n---\n\nJust text.\n"


def test_renumber_orders_lesson_files(files: dict[str, str]) -> None:
    moved = editing.renumber(files, ["returning", "push-pull"])
    assert editing.lesson_names(moved) == ["01-returning.md", "02-push-pull.md"]
    assert moved["01-returning.md"] == files["02-returning.md"]
    assert moved["course.yaml"] == files["course.yaml"]
    with pytest.raises(ValueError):
        editing.renumber(files, ["returning"])


def test_read_yaml_refuses_aliases_and_broken_text() -> None:
    assert editing.read_yaml("a: &x [1]\nb: *x\n") is None
    assert editing.read_yaml("a: [\n") is None
    assert editing.read_yaml("a: 1\na: 2\n") == {"a": "1"}


@pytest.mark.parametrize("word", ["true", "True", "yes", "Yes", "on", "ON", "false", "no", "off"])
def test_the_editor_reads_true_and_false_as_yaml_does(word: str) -> None:
    # `sequential: yes` loads as true; an editor box showing it unticked would save false.
    assert dump.as_bool(word) is yaml.safe_load(f"x: {word}")["x"]


def test_text_typed_in_a_browser_keeps_its_lines() -> None:
    # A browser sends a text box's lines ending in \r\n (an old Mac file, in \r alone).
    prompt = "First line.  \r\nSecond line.\r\n\r\n"
    choices = [{"text": "Agree", "correct": "on"}, {"text": "Disagree"}]  # a ticked box: "on"
    block = dump.dump_check({"id": "q1", "type": "single", "prompt": prompt, "choices": choices})
    assert "prompt: |\n  First line.\n  Second line.\nchoices:\n" in block
    assert "  - text: Agree\n    correct: true\n" in block
    assert dump.clean_text("One\rtwo\r\n\r\n") == "One\ntwo"


def test_course_yaml_leaves_out_what_an_author_left_blank_and_keeps_text_as_typed() -> None:
    manifest = {
        "slug": "minimal",
        "title": "Youth who run — “a runner” no more  ",
        "objectives": [{"text": "Describe push and pull factors.\r\n", "id": "LO1", "note": "x"}],
        "authors": [{"role": " ", "name": "Alex Rivera", "credentials": "LCSW"}],
        "provider": {"name": " ", "approval": {"body": "Example Board", "number": "886-123",
                     "statement": "Approved.", "period_start": "", "period_end": None}},
        "approval": {"body": "Example Board", "number": "886-123", "statement": "Approved.",
                     "period_start": " "},
        "references": ["", "  "],
        "disclosure": " \r\n",
        "support": [{"name": "988 Lifeline", "contact": "Call or text 988", "url": "",
                     "note": " "}],
    }  # fmt: skip
    # A blank optional value written out would read as an empty role, date or note,
    # which the checker refuses; non-ASCII text is kept as typed, not escaped.
    assert dump.dump_manifest(manifest) == (
        "slug: minimal\n"
        "title: Youth who run — “a runner” no more\n"
        "objectives:\n  - id: LO1\n    text: Describe push and pull factors.\n"
        "authors:\n  - name: Alex Rivera\n    credentials: LCSW\n"
        "provider:\n  approval:\n    body: Example Board\n    number: 886-123\n"
        "    statement: Approved.\n"
        "support:\n  - name: 988 Lifeline\n    contact: Call or text 988\n"
        "approval:\n  body: Example Board\n  number: 886-123\n  statement: Approved.\n"
    )
    empty = {"slug": "minimal", "authors": [], "provider": {"name": "", "approval": None},
             "approval": {}}  # fmt: skip
    assert dump.dump_manifest(empty) == "slug: minimal\n"
