"""Person-first language lint."""

from __future__ import annotations

import pytest
from lessons_testkit import edited, line_of

import lessons
from lessons.language import find_terms

Files = dict[str, str]


def language(files: Files) -> list[lessons.Finding]:
    package, findings = lessons.check_files(files)
    assert package is not None, findings
    return [f for f in findings if f.message.startswith("stigmatizing language")]


def test_minimal_package_has_no_language_warnings(files: Files) -> None:
    # It quotes "runner" and "frequent flier" inside a language-to-avoid table and in a
    # check with language_example: true.
    assert "| runner |" in files["01-push-pull.md"]
    assert language(files) == []


def test_term_in_lesson_text_with_line_and_preferred_wording(files: Files) -> None:
    files = edited(files, "02-returning.md", "When a youth returns,", "When a runner returns,")
    assert [(f.level, f.file, f.line, f.message) for f in language(files)] == [
        (
            "warning",
            "02-returning.md",
            line_of(files["02-returning.md"], "When a runner returns"),
            'stigmatizing language "runner": use "a youth who runs" (or "youth who run")',
        )
    ]


@pytest.mark.parametrize(
    ("text", "found", "preferred"),
    [
        ("Two Runners came back.", "Runners", "a youth who runs"),
        ("She was AWOL again.", "AWOL", "missing from care"),
        ("a frequent flyer at the shelter", "frequent flyer", "repeated missing episodes"),
        ("a frequent-flier", "frequent-flier", "repeated missing episodes"),
        ("called a chronic runner", "chronic runner", "repeated missing episodes"),
        ("a child prostitute", "child prostitute", "victim of sex trafficking"),
        ("teen prostitutes", "teen prostitutes", "victim of sex trafficking"),
        ("juvenile prostitute", "juvenile prostitute", "victim of sex trafficking"),
        ("underage prostitute", "underage prostitute", "victim of sex trafficking"),
        ("reports of child prostitution", "child prostitution", "child sex trafficking"),
        ("the prostitution of children", "prostitution of children", "child sex trafficking"),
        ("she absconded", "absconded", "missing from care"),
        ("an absconder", "absconder", "missing from care"),
        ("a willing participant", "willing participant", "cannot consent"),
        ("after a placement failure", "placement failure", "placement disruption"),
        ("a teen sex worker", "teen sex worker", "victim of sex trafficking"),
        ("a 15-year-old prostitute", "15-year-old prostitute", "victim of sex trafficking"),
        ("a 16 year old sex worker", "16 year old sex worker", "victim of sex trafficking"),
        ("girl prostitutes", "girl prostitutes", "victim of sex trafficking"),
        ("boy prostitution rings", "boy prostitution", "child sex trafficking"),
    ],
)
def test_terms(text: str, found: str, preferred: str) -> None:
    ((match, term),) = list(find_terms(text))
    assert match.group() == found
    assert preferred in term.preferred


@pytest.mark.parametrize(
    ("text", "found", "preferred"),
    [
        ("seized child pornography", "child pornography", "child sexual abuse material"),
        ("labeled a habitual runaway", "habitual runaway", "repeated missing episodes"),
        ("a serial runaway", "serial runaway", "repeated missing episodes"),
        ("she engaged in prostitution", "engaged in prostitution", "who was sexually exploited"),
        ("an underage woman", "underage woman", "a child"),
        ("a street kid downtown", "street kid", "a youth experiencing homelessness"),
        ("turning tricks at 15", "turning tricks", "a youth who is being sexually exploited"),
        ("the unit's bolter", "bolter", "a youth who runs"),
        ("AWOLing from the group home", "AWOLing", "missing from care"),
    ],
)
def test_terms_of_issue_22(text: str, found: str, preferred: str) -> None:
    # One case per term: each is found, whole, with person-first wording to use instead.
    ((match, term),) = list(find_terms(text))
    assert match.group() == found
    assert preferred in term.preferred


@pytest.mark.parametrize(
    "text",
    [
        "street youth outreach",
        "a bolt of cloth; she bolted the door",
        "tricks of the trade",
        "engaged in learning",
        "a front-runner in the field",
        "the runner-up",
        "forerunners of this policy",
        "she runs; he ran",
        "a runaway and homeless youth program",
        "read more at https://example.org/runners-guide",
        "[a guide](https://example.org/awol-policy)",
        "<!-- runner -->",
        "a 15-year-old who was exploited",
        "girls who run from care",
    ],
)
def test_not_flagged(text: str) -> None:
    assert list(find_terms(text)) == []


def test_term_across_a_line_break(files: Files) -> None:
    files = edited(
        files, "02-returning.md", "Avoid blame:", "Avoid frequent\nflier labels and blame:"
    )
    (finding,) = language(files)
    assert finding.line == line_of(files["02-returning.md"], "Avoid frequent")
    assert '"frequent flier"' in finding.message


def test_exempt_passage_is_skipped_and_text_after_it_is_not(files: Files) -> None:
    marker_end = "<!-- /language-to-avoid -->\n"
    files = edited(files, "01-push-pull.md", marker_end, marker_end + "\nNever say AWOL.\n")
    (finding,) = language(files)
    assert finding.line == line_of(files["01-push-pull.md"], "Never say AWOL.")


def test_without_markers_the_table_is_flagged(files: Files) -> None:
    files = edited(files, "01-push-pull.md", "<!-- language-to-avoid -->\n", "")
    files = edited(files, "01-push-pull.md", "<!-- /language-to-avoid -->\n", "")
    text = files["01-push-pull.md"]
    assert [f.line for f in language(files)] == [
        line_of(text, "| runner |"),
        line_of(text, "| frequent flier |"),
    ]


def test_unclosed_marker_is_a_warning_and_exempts_nothing(files: Files) -> None:
    files = edited(files, "01-push-pull.md", "<!-- /language-to-avoid -->\n", "")
    package, findings = lessons.check_files(files)
    text = files["01-push-pull.md"]
    assert (
        lessons.Finding(
            "warning",
            "01-push-pull.md",
            line_of(text, "<!-- language-to-avoid -->"),
            "language-to-avoid passage has no closing <!-- /language-to-avoid -->",
        )
        in findings
    )
    assert len([f for f in findings if "stigmatizing" in f.message]) == 2


def test_language_example_question_is_exempt(files: Files) -> None:
    assert language(files) == []
    files = edited(files, "02-returning.md", "language_example: true\n", "")
    text = files["02-returning.md"]
    assert [(f.line, f.message.split(":")[0]) for f in language(files)] == [
        (line_of(text, 'calls a youth "a runner"'), 'stigmatizing language "runner"'),
        (line_of(text, "- text: A chronic runner"), 'stigmatizing language "chronic runner"'),
    ]


def test_check_text_fields_are_linted(files: Files) -> None:
    files = edited(
        files, "01-push-pull.md", "why: That pushes a youth away", "why: That pushes AWOL"
    )
    (finding,) = language(files)
    assert (finding.file, finding.line) == (
        "01-push-pull.md",
        line_of(files["01-push-pull.md"], "why: That pushes AWOL"),
    )


def test_post_test_fields_are_linted(files: Files) -> None:
    old = "explanation: Start with safety and basic needs."
    files = edited(
        files, "post-test.yaml", old, "explanation: Even for an absconder, start with safety."
    )
    files = edited(
        files, "post-test.yaml", "      - text: blame", "      - text: blaming the runner"
    )
    text = files["post-test.yaml"]
    assert [(f.file, f.line) for f in language(files)] == [
        ("post-test.yaml", line_of(text, "absconder")),
        ("post-test.yaml", line_of(text, "blaming the runner")),
    ]


def test_course_yaml_text_fields_are_linted(files: Files) -> None:
    files = edited(files, "course.yaml", "  and how to respond", "  and how to respond to runners")
    files = edited(
        files, "course.yaml", "Take a break", "Unlike a willing participant, take a break"
    )
    files = edited(
        files, "course.yaml", "    text: Apply trauma", "    text: Apply to AWOL youth trauma"
    )
    text = files["course.yaml"]
    assert [f.line for f in language(files)] == [
        line_of(text, "respond to runners"),
        line_of(text, "text: Apply to AWOL"),
        line_of(text, "willing participant"),
    ]


def test_evaluation_and_title_are_linted(files: Files) -> None:
    files = edited(files, "evaluation.yaml", "What device", "What device did the runner")
    files = edited(
        files, "02-returning.md", "title: When a youth returns", "title: When a runner returns"
    )
    found = {(f.file, f.line) for f in language(files)}
    assert found == {
        ("evaluation.yaml", line_of(files["evaluation.yaml"], "the runner")),
        ("02-returning.md", 2),
    }


def test_same_term_twice_on_a_line_is_reported_once(files: Files) -> None:
    files = edited(files, "02-returning.md", "Ask open questions", "AWOL, AWOL: ask open questions")
    assert len(language(files)) == 1
