"""Changes to one part of a draft: settings, lessons, checks, post-test, evaluation.

Each change is a pure function of the draft's files; ``apply_change`` runs it on the locked
draft, refuses it when someone saved the same part meanwhile, and stores a revision.
A whole uploaded package is in uploads.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from course.author.services import (
    SLUG,
    AuthorError,
    Editor,
    Files,
    Saved,
    Workspace,
    commit_files,
    guard_conflict,
    lock_draft,
)
from lessons import dump
from lessons import editing as ed
from lessons.render import html_text, render_inline
from lessons.yamlkeep import keep_layout

POST_TEST_FILE = "post-test.yaml"
EVALUATION_FILE = "evaluation.yaml"
COURSE_FILE = "course.yaml"
NEW_LESSON_TEXT = "Write the lesson here. Start headings at `##`.\n"


@dataclass(frozen=True)
class Change:
    """New files, the file mainly changed, a one-line summary and notes for the author."""

    files: dict[str, str]
    file: str | None
    summary: str
    notes: tuple[str, ...] = field(default=())


def apply_change(
    space: Workspace,
    editor: Editor,
    change: Callable[[dict[str, str]], Change],
    *,
    base: int | None = None,
    part: Callable[[Files], Any] | None = None,
    action: str = "save",
) -> Saved:
    """Run ``change`` on the locked draft and store the result as a revision.

    :raise EditConflict: when ``part`` changed since revision ``base``.
    """
    if change(space.files).files == space.files:
        return Saved(None)  # nothing to store; do not start a draft for it
    draft = lock_draft(space, editor)
    if part is not None:
        guard_conflict(draft, space, base, part, editor)
    result = change(dict(draft.files))
    revision = commit_files(
        draft, editor, result.files, file=result.file, summary=result.summary, action=action
    )
    return Saved(revision, result.notes)


def lesson_name(files: Files, slug: str) -> str | None:
    """The file name of the lesson with this slug, if the draft has it."""
    return next((n for n in ed.lesson_names(files) if ed.lesson_slug(n) == slug), None)


def _quoted(text: object, limit: int = 60) -> str:
    """A title or prompt on one line in curly quotes, shortened for a message."""
    words = " ".join(ed.as_text(text).split())
    return f"“{words if len(words) <= limit else words[: limit - 1].rstrip() + '…'}”"


def _prompt(markdown: object) -> str:
    """A question's prompt as learners read it ("Select all", not "Select **all**"), quoted."""
    return _quoted(html_text(render_inline(ed.as_text(markdown))))


def _lesson_label(files: Files, name: str) -> str:
    """'lesson 3, “Why youth run”': a lesson as the course page lists it."""
    number = ed.lesson_names(files).index(name) + 1
    title = ed.split_lesson(files[name]).title
    return f"lesson {number}, {_quoted(title)}" if title else f"lesson {number}"


def _lesson(files: Files, slug: str) -> str:
    name = lesson_name(files, slug)
    if name is None:
        raise AuthorError("That lesson is no longer in the draft (it was archived or renamed).")
    return name


def _yaml(files: Files, name: str, key: str) -> list[dict[str, Any]]:
    """The list under ``key`` in a YAML file; refuses a file the editor cannot read."""
    data = ed.read_yaml(files.get(name, "")) if name in files else {key: []}
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise AuthorError(
            f"{name} cannot be read as a list of {key}; restore an earlier revision or "
            "upload a corrected package."
        )
    return items


def _write_yaml(files: dict[str, str], name: str, text: str) -> None:
    """Store a YAML file the editor wrote, keeping the old file's comments and layout."""
    files[name] = keep_layout(files.get(name, ""), text)


# -- course settings -------------------------------------------------------------------


def save_settings(
    space: Workspace, editor: Editor, manifest: Mapping[str, Any], base: int
) -> Saved:
    """Write course.yaml from the settings form's data (the slug never changes)."""

    def change(files: dict[str, str]) -> Change:
        data = _approval_in_its_place(files.get(COURSE_FILE, ""), {**manifest, "slug": space.slug})
        _write_yaml(files, COURSE_FILE, dump.dump_manifest(data))
        return Change(files, COURSE_FILE, "Saved the course settings")

    return apply_change(space, editor, change, base=base, part=lambda f: f.get(COURSE_FILE))


def _approval_in_its_place(old_text: str, data: dict[str, Any]) -> dict[str, Any]:
    """Keep an approval under ``provider:`` where the file had it there (its older place).

    The form writes it at the top level; moving it would rewrite lines the author did not
    touch, so a package that still uses ``provider.approval`` keeps using it.
    """
    old = ed.read_yaml(old_text)
    provider = old.get("provider") if isinstance(old, dict) else None
    if "approval" in (old or {}) or not (isinstance(provider, dict) and "approval" in provider):
        return data
    approval = data.pop("approval", None)
    data["provider"] = {**(data.get("provider") or {}), "approval": approval}
    return data


# -- lessons ---------------------------------------------------------------------------


def save_lesson(
    space: Workspace,
    editor: Editor,
    slug: str,
    title: str,
    objectives: Sequence[str],
    body: str,
    base: int,
    *,
    keep_unknown_markers: bool = False,
) -> Saved:
    """Save a lesson's title, objectives and text; a deleted check marker drops its check.

    ``keep_unknown_markers`` saves a marker naming no check of the lesson as the text it
    is (the checker's error then names its line) instead of refusing the whole save.
    """

    body = ed.newlines(body)

    def change(files: dict[str, str]) -> Change:
        name = _lesson(files, slug)
        source = ed.split_lesson(files[name])
        unknown = ed.unknown_markers(body, source.blocks)
        if unknown and not keep_unknown_markers:
            line, check_id = unknown[0]
            raise AuthorError(
                f"Line {line}: [check: {check_id}] is not a knowledge check of this lesson. "
                "Fix the id, add the check with “Add a knowledge check”, or delete the line. "
                "Nothing was saved; your text is still here.",
                field="body",
            )
        files[name] = ed.join_lesson(title, objectives, body, source.blocks, source.front)
        kept = set(ed.referenced_checks(body))
        notes = tuple(
            f"Knowledge check {check_id} was removed: its line [check: {check_id}] "
            "is no longer in the text."
            for check_id in source.blocks
            if check_id not in kept
        )
        return Change(files, name, f"Saved lesson {slug}", notes)

    return apply_change(space, editor, change, base=base, part=lambda f: _text_of(f, slug))


def _text_of(files: Files, slug: str) -> str | None:
    name = lesson_name(files, slug)
    return files[name] if name else None


def add_lesson(space: Workspace, editor: Editor, slug: str, title: str) -> Saved:
    """Add a lesson at the end of the course."""
    slug = slug.strip().lower()
    if not SLUG.fullmatch(slug):
        raise AuthorError("A lesson slug uses only a-z, 0-9 and dashes, e.g. safety-planning.")
    if space.course is not None and any(
        lesson.slug == slug and lesson.archived_at for lesson in space.course.lessons
    ):
        raise AuthorError(
            f"“{slug}” belonged to an archived lesson; learners' records keep that name. "
            "Choose another slug, or restore a revision that still has the lesson."
        )

    def change(files: dict[str, str]) -> Change:
        names = ed.lesson_names(files)
        if lesson_name(files, slug) is not None:
            raise AuthorError(f"The course already has a lesson “{slug}”.")
        if len(names) >= ed.MAX_LESSONS:
            raise AuthorError(f"A course has at most {ed.MAX_LESSONS} lessons.")
        name = ed.lesson_file_name(len(names) + 1, slug)
        files[name] = dump.dump_lesson(title, [], NEW_LESSON_TEXT)
        return Change(files, name, f"Added lesson {slug}")

    return apply_change(space, editor, change)


def move_lesson(space: Workspace, editor: Editor, slug: str, step: int) -> Saved:
    """Move a lesson one place up (step -1) or down (step 1)."""

    def change(files: dict[str, str]) -> Change:
        _lesson(files, slug)
        order = [ed.lesson_slug(n) or "" for n in ed.lesson_names(files)]
        index = order.index(slug)
        target = min(max(index + step, 0), len(order) - 1)
        order.insert(target, order.pop(index))
        where = "up" if step < 0 else "down"
        return Change(ed.renumber(files, order), None, f"Moved lesson {slug} {where}")

    return apply_change(space, editor, change)


def archive_lesson(space: Workspace, editor: Editor, slug: str) -> Saved:
    """Take a lesson out of the draft; publishing archives it, learners' records stay."""

    def change(files: dict[str, str]) -> Change:
        name = _lesson(files, slug)
        label = _lesson_label(files, name)
        del files[name]
        order = [ed.lesson_slug(n) or "" for n in ed.lesson_names(files)]
        return Change(ed.renumber(files, order), None, f"Archived {label}")

    return apply_change(space, editor, change)


# -- questions -------------------------------------------------------------------------


def question_ids(files: Files) -> dict[str, str]:
    """Every question id in the draft -> where it is (a lesson file or the post-test)."""
    ids: dict[str, str] = {}
    for name in ed.lesson_names(files):
        for check in ed.split_lesson(files[name]).checks:
            ids.setdefault(check.id, name)
    data = ed.read_yaml(files.get(POST_TEST_FILE, ""))
    questions = data.get("questions") if isinstance(data, dict) else None
    for question in questions if isinstance(questions, list) else []:
        if isinstance(question, dict) and ed.as_text(question.get("id")):
            ids.setdefault(ed.as_text(question.get("id")).strip(), POST_TEST_FILE)
    return ids


def _unique(files: Files, old_id: str | None, new_id: str) -> None:
    where = question_ids(files).get(new_id)
    if where is not None and new_id != old_id:
        raise AuthorError(f"The id {new_id} is already used by a question in {where}.")


def save_check(
    space: Workspace,
    editor: Editor,
    slug: str,
    old_id: str | None,
    data: Mapping[str, Any],
    base: int,
) -> Saved:
    """Save a knowledge check of a lesson (a new one goes at the end of the text)."""
    new_id = str(data["id"])

    def change(files: dict[str, str]) -> Change:
        name = _lesson(files, slug)
        source = ed.split_lesson(files[name])
        if old_id is not None and source.check(old_id) is None:
            raise AuthorError(f"The lesson no longer has the knowledge check {old_id}.")
        _unique(files, old_id, new_id)
        files[name] = ed.replace_check(source, old_id, dump.dump_check(data))
        verb = "Saved" if old_id else "Added"
        return Change(files, name, f"{verb} knowledge check {new_id} in lesson {slug}")

    return apply_change(space, editor, change, base=base, part=lambda f: _check_of(f, slug, old_id))


def _check_of(files: Files, slug: str, check_id: str | None) -> str | None:
    text = _text_of(files, slug)
    check = ed.split_lesson(text).check(check_id) if text and check_id else None
    return check.text if check else None


def remove_check(space: Workspace, editor: Editor, slug: str, check_id: str) -> Saved:
    """Remove a knowledge check (and its marker) from a lesson."""

    def change(files: dict[str, str]) -> Change:
        name = _lesson(files, slug)
        source = ed.split_lesson(files[name])
        check = source.check(check_id)
        if check is None:
            return Change(files, name, f"Knowledge check {check_id} was already removed")
        label = _lesson_label(files, name)
        files[name] = ed.remove_check(source, check_id)
        prompt = _prompt(check.data.get("prompt"))
        return Change(files, name, f"Removed knowledge check {check_id}, {prompt}, from {label}")

    return apply_change(space, editor, change)


def _question_of(files: Files, qid: str | None) -> Any:
    try:
        questions = _yaml(files, POST_TEST_FILE, "questions")
    except AuthorError:
        return None
    return next((q for q in questions if ed.as_text(q.get("id")).strip() == qid), None)


def save_question(
    space: Workspace, editor: Editor, old_id: str | None, data: Mapping[str, Any], base: int
) -> Saved:
    """Save a post-test question (a new one goes at the end of the bank)."""
    new_id = str(data["id"])

    def change(files: dict[str, str]) -> Change:
        questions = _yaml(files, POST_TEST_FILE, "questions")
        ids = [ed.as_text(q.get("id")).strip() for q in questions]
        if old_id is not None and old_id not in ids:
            raise AuthorError(f"The post-test no longer has the question {old_id}.")
        _unique(files, old_id, new_id)
        if old_id is None:
            questions.append(dict(data))
        else:
            questions[ids.index(old_id)] = dict(data)
        _write_yaml(files, POST_TEST_FILE, dump.dump_post_test(questions))
        verb = "Saved" if old_id else "Added"
        return Change(files, POST_TEST_FILE, f"{verb} post-test question {new_id}")

    return apply_change(space, editor, change, base=base, part=lambda f: _question_of(f, old_id))


def remove_question(space: Workspace, editor: Editor, qid: str) -> Saved:
    """Remove a question from the post-test bank."""

    def change(files: dict[str, str]) -> Change:
        questions = _yaml(files, POST_TEST_FILE, "questions")
        kept = [q for q in questions if ed.as_text(q.get("id")).strip() != qid]
        if len(kept) == len(questions):
            return Change(files, POST_TEST_FILE, f"Post-test question {qid} was already removed")
        _write_yaml(files, POST_TEST_FILE, dump.dump_post_test(kept))
        gone = next(q for q in questions if ed.as_text(q.get("id")).strip() == qid)
        prompt = _prompt(gone.get("prompt"))
        return Change(files, POST_TEST_FILE, f"Removed post-test question {qid}, {prompt}")

    return apply_change(space, editor, change)


def save_evaluation(
    space: Workspace, editor: Editor, items: Sequence[Mapping[str, Any]], base: int
) -> Saved:
    """Write evaluation.yaml from the evaluation form's items."""

    def change(files: dict[str, str]) -> Change:
        _write_yaml(files, EVALUATION_FILE, dump.dump_evaluation(items))
        return Change(files, EVALUATION_FILE, "Saved the evaluation")

    return apply_change(space, editor, change, base=base, part=lambda f: f.get(EVALUATION_FILE))
