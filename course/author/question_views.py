"""The post-test bank and the evaluation, edited as forms."""

from __future__ import annotations

from dataclasses import replace

from flask import abort, flash, redirect, render_template, request, url_for

from course.author import bp, reading
from course.author import editing as edits
from course.author import services as drafts
from course.author.forms import ActionForm
from course.author.question_forms import EvaluationForm, QuestionForm
from course.author.viewkit import editor, flash_undoable, handle_form, learners_keep, status
from course.extensions import db
from course.formpages import form_page

POST_TEST = edits.POST_TEST_FILE


@bp.get("/courses/<slug>/post-test")
def post_test(slug: str):
    """List the post-test bank with its findings."""
    space = drafts.get_workspace_or_404(slug)
    findings, elsewhere = reading.post_test_findings(space)
    return render_template(
        "author/post_test.html",
        space=space,
        questions=reading.yaml_items(space.files, POST_TEST, "questions"),
        findings=findings,
        elsewhere=elsewhere,
        action=ActionForm(),
    )


def _question_form(space: drafts.Workspace, questions: list[dict], qid: str | None):
    if request.method == "POST":
        return QuestionForm()
    if qid is None:
        data = {"id": "", "type": "single", "choices": [{"text": ""}, {"text": ""}]}
    else:
        data = next((q for q in questions if str(q.get("id", "")).strip() == qid), None)
        if data is None:
            abort(404)
    return QuestionForm.from_data(data, space.revision)


@bp.route("/courses/<slug>/post-test/new-question", methods=["GET", "POST"])
@bp.route("/courses/<slug>/post-test/questions/<qid>", methods=["GET", "POST"])
def question(slug: str, qid: str | None = None):
    """Edit a post-test question as fields; a new one is added at the end of the bank."""
    space = drafts.get_workspace_or_404(slug)
    questions = reading.yaml_items(space.files, POST_TEST, "questions") or []
    form, done = handle_form(
        _question_form(space, questions, qid),
        lambda f, base: edits.save_question(space, editor(), qid, f.to_data(post_test=True), base),
        lambda f: url_for("author.question", slug=slug, qid=f.id.data.strip()),
    )
    if done:
        return done
    form.set_objectives(reading.objectives(space.files))
    index = next((i for i, q in enumerate(questions) if str(q.get("id", "")).strip() == qid), -1)
    findings = [replace(f, message=reading.in_form_words(f.message))
                for f in reading.post_test_findings(space)[0] if f.item == index]  # fmt: skip
    return render_template(
        "author/question.html", space=space, form=form, check_id=qid, findings=findings,
        post_test=True, action=ActionForm(),
    ), status(form)  # fmt: skip


@bp.post("/courses/<slug>/post-test/questions/<qid>/remove")
@form_page("author.question")
def remove_question(slug: str, qid: str):
    """Remove a question from the post-test bank."""
    space = drafts.get_workspace_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        flash_undoable(slug, edits.remove_question(space, editor(), qid),
                       learners_keep(space, question=qid))
    except drafts.AuthorError as exc:
        flash(str(exc), "error")
    db.session.commit()
    return redirect(url_for("author.post_test", slug=slug))


@bp.route("/courses/<slug>/evaluation", methods=["GET", "POST"])
def evaluation(slug: str):
    """Edit the evaluation form's items as fields."""
    space = drafts.get_workspace_or_404(slug)
    items = reading.yaml_items(space.files, edits.EVALUATION_FILE, "items")
    form = EvaluationForm() if request.method == "POST" else EvaluationForm.from_items(
        items or [], space.revision)  # fmt: skip
    form.set_objectives(reading.objectives(space.files))
    form, done = handle_form(
        form,
        lambda f, base: edits.save_evaluation(space, editor(), f.to_items(), base),
        lambda f: url_for("author.evaluation", slug=slug),
    )
    if done:
        return done
    form.set_objectives(reading.objectives(space.files))
    findings, elsewhere = reading.evaluation_findings(space)
    return render_template(
        "author/evaluation.html", space=space, form=form, findings=findings,
        elsewhere=elsewhere, unreadable=items is None,
    ), status(form)  # fmt: skip
