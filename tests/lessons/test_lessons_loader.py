"""Loading the minimal package: every field, the lesson parts and the files kept for export."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
from lessons_testkit import MINIMAL, edited, errors, line_of, minimal_files, warnings

import lessons
from lessons import Approval, Author, Objective, SupportContact


def test_manifest_fields(package: lessons.CoursePackage) -> None:
    assert package.slug == "minimal"
    assert package.title == "Youth Who Run from Foster Care (test course)"
    assert package.version == 1
    assert package.summary.startswith("A two-lesson test course about why youth run")
    assert package.audience == "Social workers and foster care case managers"
    assert package.level == "introductory"
    assert package.format == "Self-paced, reading-based online course (asynchronous)"
    assert package.contact_hours == 0.25 and isinstance(package.contact_hours, float)
    assert package.credit_type == "General"
    assert [o.id for o in package.objectives] == ["LO1", "LO2", "LO3"]
    assert package.objectives[0] == Objective(
        "LO1", "Describe push and pull factors that lead youth to run from placement."
    )
    assert package.authors == (Author("Alex Rivera", "LCSW"), Author("Sam Chen", "MSW, PhD"))
    assert package.provider.name == "Example CE Provider"
    assert package.provider.approval == Approval(
        body="Example Board of Social Work",
        number="886-123",
        statement="This course is approved for 0.25 General continuing-education contact hours.",
    )
    assert package.passing_score == 80
    assert package.post_test_draw == 10
    assert package.advisory.startswith("This course discusses **sexual exploitation**")
    assert "<strong>sexual exploitation</strong>" in package.advisory_html
    assert package.support == (
        SupportContact("988 Suicide & Crisis Lifeline", "Call or text 988",
                       "https://988lifeline.org/", None),
        SupportContact("National Human Trafficking Hotline", "1-888-373-7888",
                       "tel:+18883737888", "Confidential, 24/7"),
    )  # fmt: skip
    assert package.sequential is True
    assert package.min_active_minutes == 20


def test_optional_manifest_fields_default(files: dict[str, str]) -> None:
    files = edited(files, "course.yaml", "sequential: true\nmin_active_minutes: 20\n", "")
    text = files["course.yaml"]
    start, end = text.index("authors:"), text.index("provider:")
    files["course.yaml"] = text[:start] + text[end:]
    package = lessons.load_files(files)
    assert package.sequential is False
    assert package.min_active_minutes is None  # the default share of reading time applies
    reading = lessons.seat_time(package).reading_minutes
    assert lessons.min_active_minutes(package) == int(lessons.DEFAULT_MIN_ACTIVE_SHARE * reading)
    assert package.authors == ()


def test_provider_without_approval(files: dict[str, str]) -> None:
    text = files["course.yaml"]
    start, end = text.index("  approval:"), text.index("passing_score:")
    files["course.yaml"] = text[:start] + "  approval: null\n" + text[end:]
    assert lessons.load_files(files).provider == lessons.Provider("Example CE Provider", None)


def test_lessons_in_file_name_order(package: lessons.CoursePackage) -> None:
    first, second = package.lessons
    assert (first.slug, first.position, first.file) == ("push-pull", 1, "01-push-pull.md")
    assert (second.slug, second.position, second.file) == ("returning", 2, "02-returning.md")
    assert first.title == "Push and pull factors"
    assert first.objectives == ("LO1",)
    assert second.objectives == ("LO2", "LO3")


def test_lesson_markdown_is_the_body_verbatim(package: lessons.CoursePackage) -> None:
    text = (MINIMAL / "01-push-pull.md").read_text(encoding="utf-8")
    body = package.lessons[0].markdown
    assert text.endswith(body)
    assert body.startswith("\nYouth leave placement")
    assert "```check\nid: push-pull-1" in body  # checks stay in the verbatim body


def test_html_parts_surround_checks(package: lessons.CoursePackage) -> None:
    lesson = package.lessons[0]
    assert [q.id for q in lesson.checks] == ["push-pull-1", "push-pull-2"]
    assert len(lesson.html_parts) == len(lesson.checks) + 1
    before, between, after = lesson.html_parts
    assert before.startswith("<p>Youth leave placement")
    assert '<h2 id="section-push-factors">Push factors</h2>' in before
    assert before.endswith("</ul>")
    assert between.startswith('<h2 id="section-pull-factors">Pull factors</h2>')
    assert "<table>" in between and "<td>a youth who runs</td>" in between
    assert after == ""  # the lesson ends with its second check
    joined = "".join(lesson.html_parts)
    assert "check" not in joined.lower() and "LESSONSCHECK" not in joined
    assert "<!--" not in joined


def test_heading_ids_stay_unique_across_parts(files: dict[str, str]) -> None:
    files = edited(files, "01-push-pull.md", "## Pull factors", "## Push factors")
    lesson = lessons.load_files(files).lessons[0]
    assert 'id="section-push-factors"' in lesson.html_parts[0]
    assert 'id="section-push-factors_1"' in lesson.html_parts[1]


def test_check_question_fields(package: lessons.CoursePackage) -> None:
    check = package.lessons[0].checks[0]
    assert check.id == "push-pull-1"
    assert check.type == "single"
    assert check.prompt == "Which of these is a *pull* factor?"
    assert check.prompt_html == "Which of these is a <em>pull</em> factor?"
    assert check.objective is None and check.explanation == "" and check.explanation_html == ""
    assert check.language_example is False
    text = (MINIMAL / "01-push-pull.md").read_text(encoding="utf-8")
    assert (check.file, check.line) == ("01-push-pull.md", line_of(text, "id: push-pull-1"))
    assert [c.key for c in check.choices] == ["a", "b"]
    a, b = check.choices
    assert (a.text, a.correct) == ("A friend who offers a place to stay", True)
    assert a.text_html == "A friend who offers a place to stay"
    assert a.why == "Pull factors draw a youth toward something or someone."
    assert a.why_html == a.why
    assert (b.correct, b.why) == (False, "That pushes a youth away from placement.")
    assert check.correct_keys == frozenset({"a"})
    assert package.lessons[1].checks[1].language_example is True
    assert package.lessons[0].checks[1].correct_keys == frozenset({"a", "b"})


def test_post_test_fields(package: lessons.CoursePackage) -> None:
    assert len(package.post_test) == 12
    question = package.post_test[0]
    assert (question.id, question.type, question.objective) == ("pt-lo1-1", "single", "LO1")
    assert question.explanation == "Push factors make staying in placement feel worse than leaving."
    assert question.explanation_html == f"<p>{question.explanation}</p>"
    assert (question.file, question.line) == ("post-test.yaml", 2)
    assert question.correct_keys == frozenset({"a"})
    true_false = package.post_test[10]
    assert true_false.type == "true_false"
    assert [c.text for c in true_false.choices] == ["True", "False"]


def test_evaluation_fields(package: lessons.CoursePackage) -> None:
    items = {item.id: item for item in package.evaluation}
    assert list(items) == ["eval-lo1", "eval-lo2", "eval-lo3", "minutes", "device", "comments"]
    lo1 = items["eval-lo1"]
    assert (lo1.type, lo1.objective, lo1.required, lo1.choices) == ("likert", "LO1", True, ())
    assert lo1.prompt == "The course helped me describe push and pull factors."
    assert (lo1.file, lo1.line) == ("evaluation.yaml", 2)
    minutes = items["minutes"]
    assert (minutes.type, minutes.minimum, minutes.maximum) == ("number", 1, 600)
    assert items["device"].choices == ("Phone", "Tablet", "Computer")
    assert items["device"].minimum is None
    assert (items["comments"].type, items["comments"].required) == ("text", False)


def test_word_count_excludes_checks_and_markup(files: dict[str, str]) -> None:
    files["01-push-pull.md"] = (
        "---\ntitle: Counting\nobjectives: [LO1]\n---\n\n"
        "## Two words\n\n"
        "Three **bold** [linked words](https://example.org/a-b-c-d-e) here - now.\n\n"
        "```check\nid: count-1\ntype: single\nprompt: Not counted at all here\n"
        "choices:\n  - text: Nope nope\n    correct: true\n    why: No\n  - text: No\n"
        "    why: No\n```\n\n"
        "| Cell one | Cell two |\n| --- | --- |\n| x | y |\n"
        "<!-- a comment is not reading -->\n"
    )
    lesson = lessons.load_files(files).lessons[0]
    # 2 (heading) + 6 (paragraph: the URL and a lone "-" are not words) + 6 (table cells)
    assert lesson.word_count == 2 + 6 + 6


def test_files_and_content_hash(package: lessons.CoursePackage) -> None:
    expected = minimal_files()
    assert dict(package.files) == expected
    payload = json.dumps(sorted(expected.items()))
    assert package.content_hash == hashlib.sha256(payload.encode()).hexdigest()
    changed = edited(expected, "01-push-pull.md", "Youth leave", "Young people leave")
    assert lessons.load_files(changed).content_hash != package.content_hash
    with pytest.raises(TypeError):
        package.files["course.yaml"] = "x"  # type: ignore[index]


def test_package_is_frozen_and_hashable(package: lessons.CoursePackage) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        package.title = "x"  # type: ignore[misc]
    assert hash(package) == hash(lessons.load_package(MINIMAL))


def test_load_files_equals_load_package(package: lessons.CoursePackage) -> None:
    assert lessons.load_files(minimal_files()) == package


def test_ignored_files_warn_and_stay_out_of_files(files: dict[str, str]) -> None:
    files["notes.txt"] = "scratch"
    files[".DS_Store"] = ""
    package, findings = lessons.check_files(files)
    assert package is not None and "notes.txt" not in package.files
    assert lessons.Finding("warning", "notes.txt", 0, "not part of a course package; ignored") in (
        warnings(findings)
    )
    assert not [f for f in findings if f.file == ".DS_Store"]


def test_minimal_package_checks_clean_but_for_two_warnings() -> None:
    package, findings = lessons.check_package(MINIMAL)
    assert package is not None
    assert errors(findings) == []
    # A tiny test course: its 20-minute minimum is more than a learner without JavaScript
    # can be credited for 136 words, and its post-test always keys the first choice.
    assert [f.message.split(" (")[0].split(";")[0] for f in findings] == [
        "min_active_minutes: 20 is more than the 1.4 min reading estimate",
        "answer cue: the keyed choice is choice a in 9 of 9 single-answer post-test questions,"
        " so always picking a scores well without reading",
    ]


def test_a_minimum_no_learner_can_reach_is_an_error(files: dict[str, str]) -> None:
    # Each of the two lessons credits at most 10 minutes, so 21 can never be reached.
    files = edited(files, "course.yaml", "min_active_minutes: 20", "min_active_minutes: 21")
    package, findings = lessons.check_files(files)
    assert package is not None
    assert [(f.file, f.line, f.message.split(" (")[0]) for f in errors(findings)] == [
        ("course.yaml", line_of(files["course.yaml"], "min_active_minutes: 21"),
         "min_active_minutes: 21 is more than the lessons can credit"),
    ]


def test_load_package_checks_slug_against_folder(package_dir: Path) -> None:
    renamed = package_dir.rename(package_dir.parent / "other-name")
    with pytest.raises(lessons.PackageError) as raised:
        lessons.load_package(renamed)
    assert "slug `minimal` must match the folder name `other-name`" in str(raised.value)
    assert lessons.load_files(minimal_files()).slug == "minimal"  # no folder, no check


def test_package_error_lists_findings(files: dict[str, str]) -> None:
    del files["post-test.yaml"]
    files = edited(files, "course.yaml", "level: introductory", "level: expert")
    with pytest.raises(lessons.PackageError) as raised:
        lessons.load_files(files)
    found = {str(f) for f in raised.value.findings}
    assert "post-test.yaml:0: error: missing: every package needs this file" in found
    line = line_of(files["course.yaml"], "level:")
    assert any(s.startswith(f"course.yaml:{line}: error: level `expert`") for s in found)
    assert all(s in str(raised.value) for s in found)
    assert lessons.check_files(files)[0] is None


def test_non_utf8_file_is_an_error(package_dir: Path) -> None:
    (package_dir / "01-push-pull.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    package, findings = lessons.check_package(package_dir)
    assert package is None
    assert any(
        f.file == "01-push-pull.md" and "not valid UTF-8" in f.message for f in errors(findings)
    )


def test_non_utf8_file_is_named_at_its_line_and_holds_up_the_ce_rules(package_dir: Path) -> None:
    lesson = package_dir / "02-returning.md"
    text = lesson.read_bytes()
    lesson.write_bytes(text + b"\nCaf\xe9 au lait.\n")
    manifest = package_dir / "course.yaml"
    manifest.write_bytes(manifest.read_bytes() + b"# r\xe9sum\xe9\n")
    package, findings = lessons.check_package(package_dir)
    assert package is None
    # Only the bytes to fix, each at its line with what to do: not "course.yaml missing",
    # nor the CE rules judging the package without the lesson (LO2 taught by no lesson).
    assert [(f.file, f.line) for f in findings] == [
        ("02-returning.md", text.count(b"\n") + 2),
        ("course.yaml", manifest.read_bytes().count(b"\n")),
    ]
    assert all("save it again with the encoding UTF-8" in f.message for f in findings)


def test_check_package_reads_folder(package_dir: Path) -> None:
    (package_dir / "02-returning.md").unlink()
    package, findings = lessons.check_package(package_dir)
    # Without its second lesson, no lesson teaches LO2 or LO3 any more, and the one left
    # credits at most 10 of the 20 minutes the post-test waits for.
    assert package is None
    assert [f.message for f in errors(findings)] == [
        f"CE rule: objective {oid} is taught by no lesson (list it in a lesson's front matter"
        " `objectives:`, or remove it)"
        for oid in ("LO2", "LO3")
    ] + [
        "min_active_minutes: 20 is more than the lessons can credit (10 min at most), so no"
        " learner could open the post-test"
    ]
    assert [lesson.slug for lesson in lessons.load_package(package_dir).lessons] == ["push-pull"]


def test_finding_str() -> None:
    finding = lessons.Finding("warning", "03-push-pull.md", 12, "no why")
    assert str(finding) == "03-push-pull.md:12: warning: no why"


def test_a_nul_character_is_an_error_with_its_line():
    files = dict(minimal_files())
    name = next(n for n in files if n.endswith(".md"))
    lines = files[name].split("\n")
    lines[3] = "\x00" + lines[3]
    files[name] = "\n".join(lines)
    _, findings = lessons.check_files(files)
    nul = [f for f in findings if "NUL" in f.message]
    assert nul and nul[0].file == name and nul[0].level == "error" and nul[0].line == 4
