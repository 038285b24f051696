"""The lesson editor (text, preview, findings) and its knowledge checks as forms."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from course.author import bp, reading
from course.author import editing as edits
from course.author import services as drafts
from course.author.forms import ActionForm, LessonForm, list_action
from course.author.question_forms import QuestionForm
from course.author.viewkit import base_revision, editor, flash_saved
from course.extensions import db


def _lesson_or_404(space: drafts.Workspace, lesson: str) -> reading.LessonView:
    view = reading.lesson_view(space, lesson)
    if view is None:
        abort(404)
    return view


@bp.route("/courses/<slug>/lessons/<lesson>", methods=["GET", "POST"])
def lesson(slug: str, lesson: str):
    """Edit a lesson's title, objectives and Markdown; Preview shows it as learners will."""
    space = drafts.get_workspace_or_404(slug)
    view = _lesson_or_404(space, lesson)
    form = LessonForm() if request.method == "POST" else LessonForm(formdata=None, data={
        "title": view.source.title, "objectives": list(view.source.objectives),
        "body": view.source.body, "base_revision": str(space.revision)})  # fmt: skip
    form.set_objectives(reading.objectives(space.files))
    if request.method == "POST" and form.validate_on_submit():
        edited = (form.title.data or "", form.objectives.data or [], form.body.data or "")
        if request.form.get("action") == "save":
            try:
                saved = edits.save_lesson(
                    space, editor(), lesson, *edited, base=base_revision(form.base_revision.data)
                )
            except drafts.AuthorError as exc:
                form.form_errors.append(str(exc))
            else:
                db.session.commit()
                flash_saved(saved)
                return redirect(url_for("author.lesson", slug=slug, lesson=lesson))
        view = reading.lesson_view(space, lesson, edited) or view
    return render_template("author/lesson.html", space=space, view=view, form=form,
                           action=ActionForm(), previewing=request.method == "POST",
                           preview_key=_preview_key), (
        422 if form.errors else 200)  # fmt: skip


def _preview_key() -> str:
    # The learner template asks for a submission key; a preview never submits.
    return "preview"


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
    form = _check_form(space, view, check_id)
    relisted = list_action(form, request.form.get("action"))
    if relisted is not None:
        form = relisted
    elif request.method == "POST" and form.validate_on_submit():
        try:
            saved = edits.save_check(
                space,
                editor(),
                lesson,
                check_id,
                form.to_data(False),
                base_revision(form.base_revision.data),
            )
        except drafts.AuthorError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash_saved(saved)
            return redirect(
                url_for("author.check", slug=slug, lesson=lesson, check_id=form.id.data.strip())
            )
    findings = [f for f in view.findings if check_id and f.check_id == check_id]
    return render_template("author/question.html", space=space, view=view, form=form,
                           check_id=check_id, findings=findings, post_test=False,
                           action=ActionForm()), (422 if form.errors else 200)  # fmt: skip


@bp.post("/courses/<slug>/lessons/<lesson>/checks/<check_id>/remove")
def remove_check(slug: str, lesson: str, check_id: str):
    """Remove a knowledge check from its lesson."""
    space = drafts.get_workspace_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        flash_saved(edits.remove_check(space, editor(), lesson, check_id))
    except drafts.AuthorError as exc:
        flash(str(exc), "error")
    db.session.commit()
    return redirect(url_for("author.lesson", slug=slug, lesson=lesson))
