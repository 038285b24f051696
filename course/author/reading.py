"""What the editor pages show: draft data for the forms, previews, and findings placed."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import lessons
from course.author.diffing import FileDiff, diff_files
from course.author.editing import EVALUATION_FILE, POST_TEST_FILE, lesson_name, question_ids
from course.author.imports import TakenBack, import_taken_back
from course.author.services import Files, Workspace, check_draft, package_files
from course.models import DraftRevision, User
from course.teams import review
from course.teams import services as teams
from lessons import editing as ed
from lessons.yamlpaths import key_lines


@dataclass(frozen=True)
class Placed:
    """A checker finding, with where the author fixes it in the editor."""

    level: str
    file: str
    line: int
    message: str
    where: str
    #: The line in the lesson text box, or the check's id, when the finding is there.
    text_line: int | None = None
    check_id: str | None = None
    item: int | None = None
    #: The id of the form box that fixes it, when the page has one.
    field_id: str | None = None


@dataclass(frozen=True)
class PreviewCheck:
    """A knowledge check shaped like the learner template's question."""

    key: str
    type: str
    prompt_html: str
    choices: tuple[lessons.Choice, ...]

    @property
    def id(self) -> str:
        """The template looks answers up by id; a preview has none."""
        return self.key


@dataclass(frozen=True)
class LessonView:
    """A lesson in the editor: its fields, the rendered preview and its findings."""

    slug: str
    file: str
    source: ed.LessonSource
    title: str
    html_parts: tuple[str, ...]
    checks: tuple[PreviewCheck, ...]
    findings: tuple[Placed, ...]
    errors_elsewhere: int


@dataclass(frozen=True)
class ReviewView:
    """The review and publish page: findings, changes, comments, and who may publish."""

    findings: list[lessons.Finding]
    errors: int
    estimate: lessons.SeatTime | None
    diffs: list[FileDiff]
    comments: review.Comments
    edits: list[DraftRevision]
    check: review.PublishCheck
    #: The course's reviewers other than the viewer: who to tell that the draft is ready.
    reviewers: list[User]
    #: Question ids learners have now that publishing takes away (removed or renamed),
    #: and the new ids, each with the file it is in: what changes for learners part-way.
    dropped_questions: list[tuple[str, str]]
    added_questions: list[tuple[str, str]]
    #: A command-line import's changes that publishing this draft would undo.
    taken_back: TakenBack | None = None

    @property
    def open_comments(self) -> int:
        """How many comments are not resolved yet."""
        return sum(c.resolved_at is None for c in self.comments.current)

    @property
    def offers_publish(self) -> bool:
        """Whether the page shows the Publish form: no errors, changes, and the right to."""
        return not self.errors and bool(self.diffs) and self.check.allowed


def review_view(space: Workspace, user: User, *, allow_self: bool) -> ReviewView:
    """What a reviewer (or an author waiting for one) sees before publishing."""
    package, findings = check_draft(space)
    published = space.published.files if space.published else {}
    estimate = lessons.seat_time(package) if package else None
    before, after = question_ids(published), question_ids(package_files(space.files))
    return ReviewView(
        findings=findings,
        errors=sum(f.level == "error" for f in findings),
        estimate=estimate,
        diffs=diff_files(published, package_files(space.files)),
        comments=review.comments(space.draft),
        edits=review.unpublished_edits(space.draft),
        check=review.publish_check(
            user, space.slug, space.title, space.draft, allow_self=allow_self
        ),
        reviewers=[
            m.user
            for m in teams.members(space.slug)
            if m.role.value == "reviewer" and m.user_id != user.id
        ],
        dropped_questions=[(q, where) for q, where in before.items() if q not in after],
        added_questions=[(q, where) for q, where in after.items() if q not in before]
        if before
        else [],
        taken_back=import_taken_back(space),
    )


def manifest(files: Files) -> dict[str, Any]:
    """course.yaml as plain data ({} when it cannot be read)."""
    data = ed.read_yaml(files.get("course.yaml", ""))
    return data if isinstance(data, dict) else {}


def objectives(files: Files) -> list[tuple[str, str]]:
    """The draft's learning objectives as (id, text)."""
    data = ed.read_yaml(files.get("course.yaml", ""))
    items = data.get("objectives") if isinstance(data, dict) else None
    return [
        (ed.as_text(o.get("id")), ed.as_text(o.get("text")))
        for o in items if isinstance(o, dict) and ed.as_text(o.get("id"))
    ] if isinstance(items, list) else []  # fmt: skip


def lesson_rows(files: Files) -> list[tuple[str, str, str]]:
    """The draft's lessons in order as (file, slug, title)."""
    rows = []
    for name in ed.lesson_names(files):
        source = ed.split_lesson(files[name])
        rows.append((name, ed.lesson_slug(name) or "", source.title or name))
    return rows


def lesson_status(space: Workspace, slug: str) -> tuple[str, bool]:
    """What learners see of this lesson now, in one sentence, and whether the draft differs."""
    if space.published is None:
        return "Learners see nothing of this course yet: it has never been published.", False
    number, published = space.published.number, dict(space.published.files)
    old_name, new_name = lesson_name(published, slug), lesson_name(space.files, slug)
    if old_name is None:
        return "New in the draft: learners do not see this lesson until it is published.", True
    if published[old_name] != space.files.get(new_name or ""):
        return (
            f"Learners see this lesson as in published version {number}, without the changes "
            "saved here, until a reviewer publishes the draft."
        ), True
    moved = "; its place in the course changes when the draft is published" if (
        old_name != new_name) else ""  # fmt: skip
    return f"Learners see this lesson as saved here (published version {number}){moved}.", False


def lesson_view(
    space: Workspace, slug: str, edited: tuple[str, Sequence[str], str] | None = None
) -> LessonView | None:
    """A lesson as saved, or with unsaved (title, objectives, text), rendered and checked."""
    files = space.files
    name = lesson_name(files, slug)
    if name is None:
        return None
    if edited is not None:
        saved = ed.split_lesson(files[name])
        files[name] = ed.join_lesson(*edited, saved.blocks, saved.front)
    package, findings = check_draft(space, files)
    lesson = next((x for x in package.lessons if x.file == name), None) if package else None
    if lesson is None:
        ids = {oid for oid, _ in objectives(files)} or None
        lesson, more = ed.preview_lesson(name, files[name], ids)
        findings = findings or more
    source = ed.split_lesson(files[name])
    checks = tuple(
        PreviewCheck(q.id, q.type, q.prompt_html, q.choices)
        for q in (lesson.checks if lesson else ())
    )
    return LessonView(
        slug=slug,
        file=name,
        source=source,
        title=lesson.title if lesson else source.title,
        html_parts=lesson.html_parts if lesson else (),
        checks=checks,
        findings=tuple(place_lesson(f, source) for f in findings if f.file == name),
        errors_elsewhere=sum(f.level == "error" and f.file != name for f in findings),
    )


#: The checker's words for a package's YAML, said as the question form says them.
_FORM_WORDS = (
    ("no choice is marked `correct: true`",
     "no choice is checked as correct: check “Correct” under the right one"),
    ("(use type: multiple for more)", "(choose “One or more correct answers” for more)"),
    ("a true_false question", "a true-or-false question"),
    ("a single question", "a question with one correct answer"),
    ("a multiple question", "a question with one or more correct answers"),
    ("`prompt` is empty", "the question is empty: write it in “Question (Markdown)”"),
)  # fmt: skip


def in_form_words(message: str) -> str:
    """A checker message with the YAML terms a question's form does not show in its words."""
    for yaml_words, form_words in _FORM_WORDS:
        message = message.replace(yaml_words, form_words)
    return message


def on_check_form(findings: Sequence[Placed], check_id: str) -> list[Placed]:
    """A knowledge check's findings as its own form shows them: in the form's words,
    placed on its choices, without the lesson text's line numbers."""
    shown = []
    for finding in findings:
        raw = finding.message.removeprefix(f"check `{check_id}`: ")
        message = in_form_words(raw)
        # Placed on the box it is about, linked, as the form names it.
        if "`prompt`" in raw:
            where, field_id = "Question", "prompt"
        elif "choice" in message:
            where, field_id = "Choices", "choices-0-text"
        else:
            where, field_id = "This knowledge check", None
        shown.append(replace(finding, message=message, where=where, field_id=field_id))
    return shown


#: "(first at 04-push-and-pull.md:65)": a file line, which the editor's text box lacks.
_FIRST_AT = re.compile(r"\(first at (?P<file>[^():]+):(?P<line>\d+)\)")


def place_lesson(finding: lessons.Finding, source: ed.LessonSource) -> Placed:
    """Say where in the lesson editor a finding is."""
    spot = source.locate(finding.line)

    def in_the_text(match: re.Match[str]) -> str:
        first = source.locate(int(match["line"]))
        if match["file"] != finding.file or first.kind not in ("text", "check"):
            return match.group(0)
        return f"(first at line {first.line} of the text)"

    message = _FIRST_AT.sub(in_the_text, finding.message)
    where = {
        "file": "the lesson file",
        "front": "the title or objectives",
        "text": f"line {spot.line} of the text",
        "check": f"knowledge check {spot.check_id} (line {spot.line} of the text)",
    }[spot.kind]
    text_line = spot.line if spot.kind in ("text", "check") else None
    return Placed(
        finding.level,
        finding.file,
        finding.line,
        message,
        where,
        text_line=text_line,
        check_id=spot.check_id,
    )


def yaml_items(files: Files, name: str, key: str) -> list[dict[str, Any]] | None:
    """The list under ``key`` of a YAML file as plain data, or None when it cannot be read."""
    data = ed.read_yaml(files.get(name, ""))
    items = data.get(key) if isinstance(data, dict) else None
    if isinstance(items, list) and all(isinstance(i, dict) for i in items):
        return items
    return None


def place_items(findings: Sequence[lessons.Finding], text: str, key: str) -> list[Placed]:
    """Findings of a list file (post-test, evaluation), each tied to its item where possible."""
    lines = key_lines(text) if text else {}
    starts = sorted(
        (line, path[1]) for path, line in lines.items()
        if len(path) == 2 and path[0] == key and isinstance(path[1], int)
    )  # fmt: skip
    placed = []
    for f in findings:
        index = next((i for start, i in reversed(starts) if start <= f.line), None)
        label = f"line {f.line}" if index is None else f"item {index + 1}, line {f.line}"
        placed.append(Placed(f.level, f.file, f.line, f.message, label, item=index))
    return placed


def place_on_fields(
    findings: Sequence[lessons.Finding], text: str,
    field_for: Callable[[tuple[str | int, ...]], tuple[str, str] | None],
) -> list[Placed]:
    """Findings of a settings file, each tied to the box that writes the key on its line."""
    lines = key_lines(text) if text else {}
    by_line: dict[int, tuple[str | int, ...]] = {}
    for path, line in sorted(lines.items(), key=lambda item: len(item[0])):
        by_line[line] = path  # the deepest key on a line wins: "- id: x" is the row's id
    placed = []
    for f in findings:
        box = field_for(by_line[f.line]) if f.line in by_line else None
        where, field_id = (box[1], box[0]) if box else (f"line {f.line}", None)
        placed.append(Placed(f.level, f.file, f.line, f.message, where, field_id=field_id))
    return placed


@dataclass(frozen=True)
class BoxFindings:
    """What the findings placed on one form box add to it: the ids of their list items,
    which describe the box, and whether any is an error, which marks it invalid."""

    ids: tuple[str, ...]
    invalid: bool


def findings_by_box(placed: Sequence[Placed], list_id: str) -> dict[str, BoxFindings]:
    """Each box's findings, by box id; ``findings_list`` numbers its items ``list_id-N``."""
    boxes: dict[str, BoxFindings] = {}
    for number, finding in enumerate(placed, start=1):
        if finding.field_id is None:
            continue
        known = boxes.get(finding.field_id, BoxFindings((), False))
        boxes[finding.field_id] = BoxFindings(
            (*known.ids, f"{list_id}-{number}"), known.invalid or finding.level == "error"
        )
    return boxes


def file_findings(space: Workspace, name: str) -> tuple[list[lessons.Finding], int]:
    """The checker's findings for one file of the draft, and the errors in other files."""
    _, findings = check_draft(space)
    mine = [f for f in findings if f.file == name]
    return mine, sum(f.level == "error" and f.file != name for f in findings)


def post_test_findings(space: Workspace) -> tuple[list[Placed], int]:
    """post-test.yaml's findings placed on its questions, and errors elsewhere."""
    mine, elsewhere = file_findings(space, POST_TEST_FILE)
    return place_items(mine, space.files.get(POST_TEST_FILE, ""), "questions"), elsewhere


def evaluation_findings(space: Workspace) -> tuple[list[Placed], int]:
    """evaluation.yaml's findings placed on its items, and errors elsewhere."""
    mine, elsewhere = file_findings(space, EVALUATION_FILE)
    return place_items(mine, space.files.get(EVALUATION_FILE, ""), "items"), elsewhere
