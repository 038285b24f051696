"""The lesson editor (text, preview, findings) and its knowledge checks as forms."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from course.author import bp, reading
from course.author import editing as edits
from course.author import services as drafts
from course.author.forms import ActionForm, LessonForm
from course.author.question_forms import QuestionForm
from course.author.viewkit import editor, flash_undoable, handle_form, learners_keep, status
from course.extensions import db
from course.formpages import form_page


def _lesson_or_404(space: drafts.Workspace, lesson: str) -> reading.LessonView:
    view = reading.lesson_view(space, lesson)
    if view is None:
        abort(404)
    return view


def _edited(form: LessonForm) -> tuple[str, list[str], str]:
    return form.title.data or "", form.objectives.data or [], form.body.data or ""


def _preview_key() -> str:
    # The learner template asks for a submission key; a preview never submits.
    return "preview"


@bp.route("/courses/<slug>/lessons/<lesson>", methods=["GET", "POST"])
def lesson(slug: str, lesson: str):
    """Edit a lesson's title, objectives and Markdown; Preview shows it as learners will."""
    space = drafts.get_workspace_or_404(slug)
    view = _lesson_or_404(space, lesson)
    form = LessonForm() if request.method == "POST" else LessonForm.from_source(
        view.source, space.revision)  # fmt: skip
    form.set_objectives(reading.objectives(space.files))
    form, done = handle_form(
        form,
        lambda f, base: edits.save_lesson(space, editor(), lesson, *_edited(f), base=base),
        lambda f: url_for("author.lesson", slug=slug, lesson=lesson),
    )
    if done:
        return done
    if request.method == "POST":  # Preview, or a refused save: show the text as typed
        view = reading.lesson_view(space, lesson, _edited(form)) or view
    return render_template(
        "author/lesson.html", space=space, view=view, form=form, action=ActionForm(),
        previewing=request.method == "POST", preview_key=_preview_key,
        learners=reading.lesson_status(space, lesson),
    ), status(form)  # fmt: skip


def _new_check_id(space: drafts.Workspace, lesson: str) -> str:
    taken = edits.question_ids(space.files)
    return next(f"{lesson}-{n}" for n in range(1, 1000) if f"{lesson}-{n}" not in taken)


def _check_form(space: drafts.Workspace, view: reading.LessonView, check_id: str | None):
    if request.method == "POST":
        return QuestionForm()
    if check_id is None:
        blank = [{"text": ""}, {"text": ""}]
        data = {"id": _new_check_id(space, view.slug), "type": "single", "choices": blank}
    else:
        block = view.source.check(check_id)
        if block is None:
            abort(404)
        data = block.data
    return QuestionForm.from_data(data, space.revision)


@bp.route("/courses/<slug>/lessons/<lesson>/new-check", methods=["GET", "POST"])
@bp.route("/courses/<slug>/lessons/<lesson>/checks/<check_id>", methods=["GET", "POST"])
def check(slug: str, lesson: str, check_id: str | None = None):
    """Edit a knowledge check as fields; a new one is added at the end of the lesson."""
    space = drafts.get_workspace_or_404(slug)
    view = _lesson_or_404(space, lesson)
    form, done = handle_form(
        _check_form(space, view, check_id),
        lambda f, base: edits.save_check(
            space, editor(), lesson, check_id, f.to_data(post_test=False), base
        ),
        lambda f: url_for("author.check", slug=slug, lesson=lesson, check_id=f.id.data.strip()),
    )
    if done:
        return done
    findings = reading.on_check_form(
        [f for f in view.findings if check_id and f.check_id == check_id], check_id or ""
    )
    return render_template(
        "author/question.html", space=space, view=view, form=form, check_id=check_id,
        findings=findings, post_test=False, action=ActionForm(),
    ), status(form)  # fmt: skip


@bp.post("/courses/<slug>/lessons/<lesson>/checks/<check_id>/remove")
@form_page("author.check")
def remove_check(slug: str, lesson: str, check_id: str):
    """Remove a knowledge check from its lesson."""
    space = drafts.get_workspace_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        saved = edits.remove_check(space, editor(), lesson, check_id)
        flash_undoable(slug, saved, learners_keep(space, question=check_id))
    except drafts.AuthorError as exc:
        flash(str(exc), "error")
    db.session.commit()
    return redirect(url_for("author.lesson", slug=slug, lesson=lesson))
