"""The course evaluation page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from course.auth.sessions import keep_through_timeout
from course.db import reads_first, write_transaction
from course.formpages import form_page
from course.issuing import issue_after_completion
from course.learn import assessment as tests
from course.learn import bp, drafts
from course.learn import evaluation as evaluations
from course.learn import services as learn
from course.learn.forms import EvaluationForm
from course.learn.limits import learner_writes
from course.learn.replies import saved_reply
from course.names import is_stand_in


def _enrolled(slug: str):
    course = learn.get_course_or_404(slug)
    return course, learn.require_enrolment(current_user, course)


@bp.route("/courses/<slug>/evaluation", methods=["GET", "POST"])
@login_required
@learner_writes
@reads_first
def evaluation(slug: str):
    """Show and store the course evaluation (required before the course is complete)."""
    course, enrolment = _enrolled(slug)
    try:
        progress = evaluations.ensure_evaluation_open(course, enrolment)
    except tests.NotYetOpen as exc:
        return render_template("learn/not_open.html", course=course, manifest=course.manifest,
                               step="Evaluation", reason=exc.reason), 403
    if progress.evaluated:
        return _sent_already(slug)
    items, form = evaluations.evaluation_items(course), EvaluationForm()
    values = _values(items) if form.is_submitted() else drafts.evaluation_draft(enrolment)
    errors = evaluations.validate_evaluation(items, values) if form.is_submitted() else {}
    if form.validate_on_submit() and not errors:
        sent = _save_evaluation(course, enrolment, values)
        if sent is not None:
            return sent
    status = 422 if form.is_submitted() else 200
    if errors and form.validate_on_submit():  # what was answered is kept meanwhile
        try:
            with write_transaction():
                drafts.save_evaluation_draft(course, enrolment, values)
        except tests.InvalidSubmission:  # another tab sent it since the check above
            return _sent_already(slug)
    return render_template("learn/evaluation.html", course=course, manifest=course.manifest,
                           items=items, values=values, errors=errors, form=form,
                           summary=evaluations.error_summary(items, values, errors),
                           likert=evaluations.LIKERT_LABELS,
                           name_needed=is_stand_in(current_user.full_name)), status


def _sent_already(slug: str):
    """The evaluation is stored already: a second click, or another tab; the first counted."""
    if request.method == "POST":
        flash({"text": "Your evaluation is saved and the course is complete. It counted "
                       "once: sending it again, from another tab or with a second click, "
                       "changed nothing."}, "success")
    return redirect(url_for("learn.completion", slug=slug))


def _save_evaluation(course, enrolment, values: dict[str, str]):
    """Store the evaluation, issue the certificate and go to it; None to show the form again
    (it changed meanwhile, or the certificate needs the learner's name first)."""
    try:
        with write_transaction():  # checked again inside: the lookups above only read
            evaluations.submit_evaluation(course, enrolment, values)
    except tests.InvalidSubmission:
        flash("The evaluation changed while you were answering it. "
              "Please check your answers and send it again.", "error")
        return None
    except evaluations.NameNeeded as exc:
        try:
            with write_transaction():
                drafts.save_evaluation_draft(course, enrolment, values)
        except tests.InvalidSubmission:  # another tab, with the name given, sent it since
            return _sent_already(course.slug)
        flash(str(exc), "error")
        return None
    issue_after_completion(enrolment)  # renders the PDF, then a short write of its own
    # As a mapping it takes focus on the certificate page, so it is read on arrival.
    flash({"text": "Thank you. Your evaluation is saved and the course is complete."},
          "success")
    return redirect(url_for("learn.completion", slug=course.slug), 303)


def _values(items) -> dict[str, str]:
    """The evaluation form's answers: item key -> value."""
    return {item.key: request.form.get(f"item-{item.id}", "") for item in items}


@bp.post("/courses/<slug>/evaluation/save")
@form_page("learn.evaluation")
@login_required
@learner_writes
@reads_first
def save_evaluation(slug: str):
    """Keep the evaluation answers given so far ("Save and finish later", or the page)."""
    course, enrolment = _enrolled(slug)
    if not EvaluationForm().validate_on_submit():
        abort(400)
    page = url_for("learn.evaluation", slug=slug)
    try:
        with write_transaction():
            drafts.save_evaluation_draft(
                course, enrolment, _values(evaluations.evaluation_items(course))
            )
    except (tests.NotYetOpen, tests.InvalidSubmission):  # not open yet, or already sent
        return saved_reply(False, "evaluation", page)
    if request.args.get("then") == "profile":  # "Check or change your details", kept
        flash({"text": "Your answers are saved. Check your details here, then go back to "
                       "the evaluation to submit it."}, "success")
        return redirect(url_for("auth.profile", next=page), 303)
    return saved_reply(True, "evaluation", page)


@keep_through_timeout("learn.evaluation", "learn.save_evaluation", after_sign_out=True)
def _keep_evaluation_answers(user) -> bool:
    """Keep the answers of an evaluation sent after the session timed out."""
    course = learn.get_course_or_404(request.view_args["slug"])
    enrolment = learn.find_enrolment(user, course)
    if enrolment is None:
        return False
    try:
        with write_transaction():
            drafts.save_evaluation_draft(
                course, enrolment, _values(evaluations.evaluation_items(course))
            )
    except (tests.NotYetOpen, tests.InvalidSubmission):
        return False
    return True
