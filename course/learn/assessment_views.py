"""The post-test and its reviews."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from course.auth.sessions import keep_through_timeout
from course.db import reads_first, write_transaction
from course.formpages import form_page
from course.learn import assessment as tests
from course.learn import bp, drafts, fragments, posttest, retakes
from course.learn import services as learn
from course.learn.forms import PostTestForm
from course.learn.home import next_step
from course.learn.limits import learner_writes
from course.learn.replies import saved_reply


def _enrolled(slug: str):
    """The open course, its published content (in memory) and the learner's enrolment."""
    course, content = learn.get_published_or_404(slug)
    return course, content, learn.require_enrolment(current_user, course)


def _not_open(content, enrolment, exc: tests.NotYetOpen):
    """Say in plain words why the post-test is not open yet (403), beside the review of
    the learner's last attempt, which says what to read again meanwhile, or else the
    lesson to read next: "Complete" on the last lesson lands here when reading is short."""
    review = retakes.last_submitted(enrolment.attempts)
    then = None
    if review is None:
        states = learn.outline(content, enrolment)
        progress = tests.course_progress(content, enrolment, states)
        then = next_step(content, enrolment, states, progress)
    return render_template("learn/not_open.html", course=content, manifest=content.manifest,
                           step="Post-test", reason=exc.reason, heading=exc.heading,
                           review=review,
                           next_step=then if then and then.lesson else None), 403


@bp.get("/courses/<slug>/post-test")
@login_required
def post_test(slug: str):
    """Show the open attempt (drawn once and stored), or say why it is not open yet."""
    _, content, enrolment = _enrolled(slug)
    try:
        progress, attempt = tests.post_test_state(content, enrolment)
        if attempt is None and not progress.passed_attempt:
            retakes.ensure_can_draw(content, enrolment)  # attempts left, and the wait over
    except tests.NotYetOpen as exc:
        return _not_open(content, enrolment, exc)
    if progress.passed_attempt:
        return redirect(url_for("learn.attempt_review", slug=slug,
                                number=progress.passed_attempt.number))
    if attempt is None:
        draw = posttest.prepare_draw(content, posttest.questions_seen(enrolment))
        with write_transaction():  # only storing the draw writes; a reload just reads
            attempt = posttest.store_draw(content, enrolment, draw)
        if attempt is None:  # another tab passed, or used the last attempt, meanwhile
            return redirect(url_for("learn.post_test", slug=slug))
    return _render_attempt(content, attempt, drafts.post_test_draft(attempt), None)


def _render_attempt(content, attempt, selected, error, missing=()):
    form = PostTestForm(attempt=str(attempt.id))
    drawn, enrolment = posttest.drawn_questions(content, attempt), attempt.enrolment
    return render_template("learn/post_test.html", course=content, manifest=content.manifest,
                           attempt=attempt, drawn=drawn, selected=selected, error=error,
                           missing=list(missing), form=form,
                           rules=retakes.rules_of(content.manifest),
                           left=retakes.attempts_after(content.manifest, enrolment.attempts),
                           fieldsets=fragments.post_test_fieldsets(content, drawn, selected),
                           support_html=fragments.support_html(content))


def _positions() -> dict[str, list[str]]:
    """The post-test form's answers: question key -> the chosen choices' positions."""
    return {k[2:]: request.form.getlist(k) for k in request.form if k.startswith("q-")}


@bp.post("/courses/<slug>/post-test")
@login_required
@learner_writes
@reads_first
def submit_post_test(slug: str):
    """Grade and record the attempt once, then show the review."""
    _, content, enrolment = _enrolled(slug)
    form = PostTestForm()
    if not form.validate_on_submit() or not (form.attempt.data or "").isdigit():
        abort(400)
    attempt = next((a for a in enrolment.attempts if a.id == int(form.attempt.data)), None)
    if attempt is None:
        abort(404)
    try:  # the rules that opened the post-test hold at submit too, not only for page views
        tests.ensure_post_test_open(content, enrolment)
    except tests.NotYetOpen as exc:
        return _not_open(content, enrolment, exc)
    answers = {}
    try:
        answers = posttest.chosen_keys(content, attempt, _positions())
        graded = posttest.grade_attempt(content, attempt, answers)
        with write_transaction():  # grading only read; the lock is held for the record
            attempt, recorded = posttest.record_attempt(attempt, graded)
    except tests.InvalidSubmission:
        abort(400)
    except tests.NotYetOpen as exc:
        missing = exc.numbers if isinstance(exc, tests.Unanswered) else ()
        if missing:  # what was answered is kept, as "Save and finish later" would
            with write_transaction():
                drafts.save_post_test_draft(content, attempt, _positions())
        return _render_attempt(content, attempt, answers, exc.reason, missing), 422
    if not recorded and posttest.differs_from_recorded(attempt, graded):
        flash("This attempt had already been submitted, from another tab or window. The "
              "answers on the page you just sent were not recorded: here is the result of "
              "the ones that were.", "info")
    return redirect(url_for("learn.attempt_review", slug=slug, number=attempt.number), 303)


@bp.post("/courses/<slug>/post-test/save")
@form_page("learn.post_test")
@login_required
@learner_writes
@reads_first
def save_post_test(slug: str):
    """Keep the answers chosen so far ("Save and finish later", or the page's own saves)."""
    _, content, enrolment = _enrolled(slug)
    form = PostTestForm()
    if not form.validate_on_submit():
        abort(400)
    attempt = drafts.open_attempt_of(enrolment, form.attempt.data)
    page = url_for("learn.post_test", slug=slug)
    if attempt is None:  # submitted or reset meanwhile (another tab): nothing to save to
        return saved_reply(False, "post-test", page)
    try:
        with write_transaction():
            drafts.save_post_test_draft(content, attempt, _positions())
    except tests.InvalidSubmission:
        abort(400)
    return saved_reply(True, "post-test", page)


@keep_through_timeout("learn.submit_post_test", "learn.save_post_test", after_sign_out=True)
def _keep_post_test_answers(user) -> bool:
    """Keep the answers of a post-test sent after the session timed out, in its attempt."""
    course, content = learn.get_published_or_404(request.view_args["slug"])
    enrolment = learn.find_enrolment(user, course)
    attempt = enrolment and drafts.open_attempt_of(enrolment, request.form.get("attempt"))
    if not attempt:
        return False
    with write_transaction():
        drafts.save_post_test_draft(content, attempt, _positions())
    return True


@bp.get("/courses/<slug>/post-test/attempts/<int:number>")
@login_required
def attempt_review(slug: str, number: int):
    """Review a submitted attempt: score, what was missed and why."""
    _, content, enrolment = _enrolled(slug)
    try:
        attempt = tests.get_attempt_or_404(enrolment, number)
    except LookupError:
        abort(404)
    if attempt.submitted_at is None:
        if attempt.reset_at is not None:
            flash(f"An administrator reset attempt {attempt.number}, so it was not graded. "
                  "Here is a fresh set of questions.", "info")  # fmt: skip
        return redirect(url_for("learn.post_test", slug=slug))
    missed = retakes.missed_question_ids(attempt)
    answers = tests.answers_by_question(attempt)
    drawn_under = retakes.manifest_of(attempt, content)  # its version decides the review
    return render_template(
        "learn/review.html", course=content, manifest=content.manifest, attempt=attempt,
        questions=posttest.reviewed_questions(content, attempt, answers),
        answers=answers,
        show=retakes.review_of(attempt, drawn_under),
        blueprint=retakes.blueprint_of(attempt, missed, drawn_under),
        lessons_for=retakes.lessons_by_objective(content),
        retake=retakes.closed_for_retake(content.manifest, enrolment.attempts),
        completed=enrolment.completed_at is not None,
        support_html=fragments.support_html(content),
    )

