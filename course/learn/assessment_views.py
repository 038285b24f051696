"""Post-test, review, evaluation and completion pages."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from course.db import reads_first, write_transaction
from course.issuing import issue_after_completion
from course.learn import assessment as tests
from course.learn import bp
from course.learn import services as learn
from course.learn.forms import EvaluationForm, PostTestForm


def _enrolled(slug: str):
    course = learn.get_course_or_404(slug)
    return course, learn.require_enrolment(current_user, course)


def _not_open(course, step: str, exc: tests.NotYetOpen):
    """Say in plain words why a step is not open yet (403)."""
    return render_template("learn/not_open.html", course=course, manifest=course.manifest,
                           step=step, reason=exc.reason), 403


@bp.get("/courses/<slug>/post-test")
@login_required
def post_test(slug: str):
    """Show the open attempt (drawn once and stored), or say why it is not open yet."""
    course, enrolment = _enrolled(slug)
    try:
        progress, attempt = tests.post_test_state(course, enrolment)
    except tests.NotYetOpen as exc:
        return _not_open(course, "Post-test", exc)
    if progress.passed_attempt:
        return redirect(url_for("learn.attempt_review", slug=slug,
                                number=progress.passed_attempt.number))
    if attempt is None:
        draw = tests.prepare_draw(course)
        with write_transaction():  # only storing the draw writes; a reload just reads
            attempt = tests.store_draw(course, enrolment, draw)
        if attempt is None:  # another tab passed meanwhile: show that
            return redirect(url_for("learn.post_test", slug=slug))
    return _render_attempt(course, attempt, {}, None)


def _render_attempt(course, attempt, selected, error, missing=()):
    form = PostTestForm(attempt=str(attempt.id))
    return render_template("learn/post_test.html", course=course, manifest=course.manifest,
                           attempt=attempt, drawn=tests.drawn_questions(attempt),
                           selected=selected, error=error, missing=list(missing), form=form)


@bp.post("/courses/<slug>/post-test")
@login_required
@reads_first
def submit_post_test(slug: str):
    """Grade and record the attempt once, then show the review."""
    course, enrolment = _enrolled(slug)
    form = PostTestForm()
    if not form.validate_on_submit() or not (form.attempt.data or "").isdigit():
        abort(400)
    attempt = next((a for a in enrolment.attempts if a.id == int(form.attempt.data)), None)
    if attempt is None:
        abort(404)
    try:  # the rules that opened the post-test hold at submit too, not only for page views
        tests.ensure_post_test_open(course, enrolment)
    except tests.NotYetOpen as exc:
        return _not_open(course, "Post-test", exc)
    answers = {key[2:]: request.form.getlist(key) for key in request.form if key.startswith("q-")}
    try:
        graded = tests.grade_attempt(course, attempt, answers)
        with write_transaction():  # grading only read; the lock is held for the record
            attempt, _ = tests.record_attempt(attempt, graded)
    except tests.InvalidSubmission:
        abort(400)
    except tests.NotYetOpen as exc:
        missing = exc.numbers if isinstance(exc, tests.Unanswered) else ()
        return _render_attempt(course, attempt, answers, exc.reason, missing), 422
    return redirect(url_for("learn.attempt_review", slug=slug, number=attempt.number), 303)


@bp.get("/courses/<slug>/post-test/attempts/<int:number>")
@login_required
def attempt_review(slug: str, number: int):
    """Review a submitted attempt: score, what was missed and why."""
    course, enrolment = _enrolled(slug)
    try:
        attempt = tests.get_attempt_or_404(enrolment, number)
    except LookupError:
        abort(404)
    if attempt.submitted_at is None:
        return redirect(url_for("learn.post_test", slug=slug))
    return render_template("learn/review.html", course=course, manifest=course.manifest,
                           attempt=attempt, drawn=tests.drawn_questions(attempt),
                           answers=tests.answers_by_question(attempt))


@bp.route("/courses/<slug>/evaluation", methods=["GET", "POST"])
@login_required
@reads_first
def evaluation(slug: str):
    """Show and store the course evaluation (required before the course is complete)."""
    course, enrolment = _enrolled(slug)
    try:
        progress = tests.ensure_evaluation_open(course, enrolment)
    except tests.NotYetOpen as exc:
        return _not_open(course, "Evaluation", exc)
    if progress.evaluated:
        return redirect(url_for("learn.completion", slug=slug))
    items, form = tests.evaluation_items(course), EvaluationForm()
    values = {item.key: request.form.get(f"item-{item.id}", "") for item in items}
    errors = tests.validate_evaluation(items, values) if form.is_submitted() else {}
    if form.validate_on_submit() and not errors and _save_evaluation(course, enrolment, values):
        flash("Thank you. Your evaluation is saved and the course is complete.", "success")
        return redirect(url_for("learn.completion", slug=slug), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("learn/evaluation.html", course=course, manifest=course.manifest,
                           items=items, values=values, errors=errors, form=form,
                           likert=tests.LIKERT_LABELS), status


def _save_evaluation(course, enrolment, values: dict[str, str]) -> bool:
    """Store the evaluation, then issue the certificate; False if the form changed meanwhile."""
    try:
        with write_transaction():  # checked again inside: the lookups above only read
            tests.submit_evaluation(course, enrolment, values)
    except tests.InvalidSubmission:
        flash("The evaluation changed while you were answering it. "
              "Please check your answers and send it again.", "error")
        return False
    issue_after_completion(enrolment)  # renders the PDF, then a short write of its own
    return True
