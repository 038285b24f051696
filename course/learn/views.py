"""Catalogue, course pages, the lesson player and the transcript."""

from __future__ import annotations

from contextlib import suppress

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import Forbidden

from course import issuing
from course.auth.sessions import come_back_to, keep_through_timeout
from course.db import DatabaseBusy, reads_first, utcnow, write_transaction
from course.errors import error_page
from course.extensions import db
from course.formpages import form_page
from course.learn import bp, fragments, lesson_page, picks, retakes
from course.learn import preview as previews
from course.learn import services as learn
from course.learn.assessment import course_progress
from course.learn.forms import ActionForm
from course.learn.home import my_learning
from course.learn.limits import heartbeats, learner_writes
from course.learn.transcript import certificates_of, transcript_rows


@bp.errorhandler(learn.NotEnrolled)
def not_enrolled(exc: learn.NotEnrolled):
    """Send a learner who is not enrolled to the course page (403 for scripts)."""
    if request.method != "GET":
        # An error handler cannot abort(); render the 403 page directly.
        refusal = Forbidden(description="Start the course to open its lessons.")
        return error_page(refusal, 403)
    flash("Start the course to open its lessons.", "error")
    return redirect(url_for("learn.course_page", slug=str(exc)))


@bp.errorhandler(learn.LessonLocked)
def lesson_locked(exc: learn.LessonLocked):
    """Refuse every request on a locked lesson; a page view goes to the lesson that is open."""
    db.session.rollback()
    first, content = exc.first_unfinished, exc.content
    if request.method == "GET":
        flash("Lessons in this course open in order. Here is where you left off.", "info")
        return redirect(url_for("learn.lesson", slug=content.slug, lesson_slug=first.slug))
    reason = f"Lessons in this course open in order. Please finish “{first.title}” first."
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=reason), 403
    return render_template("learn/not_open.html", course=content, manifest=content.manifest,
                           step="This lesson", reason=reason), 403


def _to_next_step(content, enrolment):
    """Redirect to the first unfinished lesson, or to the post-test when all are done."""
    target = learn.resume_target(content, enrolment)
    if target is None:
        return redirect(url_for("learn.post_test", slug=content.slug))
    return redirect(url_for("learn.lesson", slug=content.slug, lesson_slug=target.slug))


@bp.get("/")
def catalogue():
    """The learner's home when signed in ("My learning"), then every open course."""
    learning = my_learning(current_user) if current_user.is_authenticated else []
    return render_template("learn/catalogue.html", courses=learn.list_courses(), learning=learning)


@bp.get("/courses/<slug>")
def course_page(slug: str):
    """Show a course: objectives, hours, approval, advisory, support, Start or Resume."""
    course, content, enrolment, approval = learn.get_course_page_or_404(current_user, slug)
    states = learn.outline(content, enrolment)
    progress = course_progress(content, enrolment, states) if enrolment else None
    return render_template(
        "learn/course.html",
        course=course,
        manifest=content.manifest,
        approval=approval,
        enrolment=enrolment,
        outline=states,
        progress=progress,
        post_test=retakes.post_test_step(content, enrolment, progress) if enrolment else None,
        evaluation_saved=retakes.saved_evaluation(enrolment)
        if progress and progress.passed_attempt and not progress.evaluated else None,
        resume=learn.resume_target(content, enrolment, states) if enrolment else None,
        certificate=issuing.existing_certificate(enrolment) if progress and progress.completed
        else None,
        about=fragments.course_about_html(content),
        support_html=fragments.support_html(content),
        preview_as=previews.preview_as(current_user, session.get(previews.SESSION_KEY), course,
                                       utcnow()),
    )


@bp.post("/courses/<slug>/enrol")  # the address before US spelling, for pages still open
@bp.post("/courses/<slug>/enroll")
@form_page("learn.course_page")
@login_required
@learner_writes
def enrol(slug: str):
    """Enrol the learner (once) and open the first unfinished lesson."""
    _, content = learn.get_published_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    enrolment = learn.enrol(current_user, content)
    db.session.commit()
    return _to_next_step(content, enrolment)


@bp.get("/courses/<slug>/lessons/<lesson_slug>")
@login_required
def lesson(slug: str, lesson_slug: str):
    """Show a lesson with its knowledge checks and the learner's answers so far."""
    content, lesson, enrolment = learn.get_enrolled_lesson_or_404(current_user, slug, lesson_slug)
    states = learn.open_outline(content, lesson, enrolment)
    progress = next(s.progress for s in states if s.lesson.id == lesson.id)
    written = learn.needs_touch(enrolment, lesson, progress)
    if written:
        # Reading goes on while the database is busy; the next visit credits the time.
        # The row read above still says whether the lesson is complete: a view changes
        # only times, so it is not read again.
        with suppress(DatabaseBusy), write_transaction(brief_wait=True):
            learn.record_visit(enrolment, lesson)
    context = lesson_page.lesson_context(content, lesson, enrolment, states, written=written)
    return render_template("learn/lesson.html", **context, lesson_progress=progress)


def _sent_from_lesson(slug: str, lesson_slug: str, key: str | None = None):
    """The open lesson a page's one form came from, the check pressed, and what it sent.

    :raise 400: when the form's CSRF check fails.
    """
    content, lesson, enrolment = learn.get_open_lesson_or_404(current_user, slug, lesson_slug)
    question = learn.get_check_or_404(lesson, key) if key is not None else None
    if not ActionForm().validate_on_submit():
        abort(400)
    return content, lesson, enrolment, question, picks.posted(request.form, lesson, pressed=key)


@bp.post("/courses/<slug>/lessons/<lesson_slug>/checks/<key>")
@form_page("learn.lesson", anchor="check-{key}")
@login_required
@learner_writes
@reads_first
def answer_check(slug: str, lesson_slug: str, key: str):
    """Store an answer, and any other check's new picks; without script, back to its feedback."""
    # The lookups read without SQLite's write lock, which is held only for the writes:
    # one transaction from the first lookup, holding the lock throughout, measured a
    # quarter fewer saves a second. On PostgreSQL the write goes on in the same transaction.
    content, lesson, enrolment, question, posted = _sent_from_lesson(slug, lesson_slug, key)
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        with write_transaction():
            answers = picks.record(enrolment, content, lesson, posted, pressed=question)
    except ValueError:
        abort(400)
    answer = next((a for a in answers if a.question.key == key), None)
    others = [a.question.key for a in answers if a.question.key != key]
    if answer is None:
        # Nothing picked: the message stands beside the question, where the lesson page
        # opens; any other check's picks are kept.
        if wants_json:
            elsewhere = lesson_page.answered_elsewhere(content, lesson, answers)
            return jsonify(error=lesson_page.EMPTY_CHECK_MESSAGE, **elsewhere), 422
        return redirect(lesson_page.refuse_empty_check(content, lesson, key, others), 303)
    if wants_json:
        return jsonify(lesson_page.answered_in_place(content, lesson, key, answers))
    lesson_page.leave_check_note(key, others, lesson_page.note_kind(answer))
    anchor = f"feedback-{question.key}"  # the verdict in view, even on a phone
    target = url_for("learn.lesson", slug=slug, lesson_slug=lesson_slug, _anchor=anchor)
    return redirect(target, 303)


@bp.post("/courses/<slug>/lessons/<lesson_slug>/answers")
@form_page("learn.lesson")
@login_required
@learner_writes
@reads_first
def save_answers(slug: str, lesson_slug: str):
    """Enter in a choice without script: record the new picks, open at the last's feedback."""
    content, lesson, enrolment, _, posted = _sent_from_lesson(slug, lesson_slug)
    try:
        with write_transaction():
            answers = picks.record(enrolment, content, lesson, posted)
    except ValueError:
        abort(400)
    # Which choice had focus is not sent: learners pick from the top down, so the last
    # check recorded, or else the last with a choice picked, is most likely theirs.
    at = answers[-1].question.key if answers else posted.last_picked()
    if at is None:
        flash("Nothing to save yet: pick an answer, then press the button under it.", "info")
    else:
        lesson_page.leave_check_note(at, [a.question.key for a in answers[:-1]],
                                     unchanged="" if answers else "enter")
    anchor = f"feedback-{at}" if at else "main"
    return redirect(url_for("learn.lesson", slug=slug, lesson_slug=lesson_slug, _anchor=anchor),
                    303)


@keep_through_timeout("learn.answer_check", "learn.save_answers", "learn.complete_lesson",
                      after_sign_out=True)
def _keep_check_answers(user) -> str | bool | None:
    """Record the knowledge checks a lesson page sent after the session timed out."""
    # A check is formative and its submission key makes it count once, so each answer is
    # recorded as the page asked, not held back as a draft like a post-test's. Complete
    # sent then records the picks; the lesson is completed only by its owner, signed in.
    args = request.view_args or {}
    content, lesson, enrolment = learn.get_open_lesson_or_404(
        user, args["slug"], args["lesson_slug"])
    pressed = learn.get_check_or_404(lesson, args["key"]) if "key" in args else None
    posted = picks.posted(request.form, lesson, pressed=args.get("key"))
    with write_transaction():
        answers = picks.record(enrolment, content, lesson, posted, pressed=pressed)
    finishing = request.endpoint == "learn.complete_lesson"
    if not answers:
        # Every pick sent is recorded already (or none was made): nothing was lost, but
        # a Complete sent did not complete the lesson and must be pressed again.
        return False if finishing else None
    keys = [a.question.key for a in answers]
    shown = pressed.key if pressed is not None and pressed.key in keys else keys[0]
    come_back_to(url_for("learn.lesson", slug=args["slug"], lesson_slug=args["lesson_slug"],
                         _anchor="lesson-end" if finishing else f"feedback-{shown}"))
    saved = ("Your answer to the knowledge check is saved" if len(answers) == 1
             else "Your answers to the knowledge checks are saved")
    if finishing:
        return f"{saved}. To go on, press the button at the end of the lesson again."
    return f"{saved}, with {'its' if len(answers) == 1 else 'their'} feedback."


@bp.post("/courses/<slug>/lessons/<lesson_slug>/complete")
@form_page("learn.lesson", anchor="lesson-end")
@login_required
@learner_writes
def complete_lesson(slug: str, lesson_slug: str):
    """Finish a lesson: record any new picks, complete it when every check is answered."""
    content, lesson, enrolment, _, posted = _sent_from_lesson(slug, lesson_slug)
    try:
        recorded = picks.record(enrolment, content, lesson, posted)
    except ValueError:
        abort(400)
    missing = learn.complete_lesson(enrolment, lesson)
    db.session.commit()
    if missing:
        # The list of unanswered checks stands where the button was (#lesson-missing).
        if request.accept_mimetypes.best == "application/json":
            return jsonify(lesson_page.completion_refused(missing)), 422
        return redirect(lesson_page.refuse_completion(content, lesson, missing), 303)
    # The form's action ends in #lesson-missing and a browser keeps that fragment through a
    # redirect without one: name the top (#main) so the next page opens there.
    target = learn.next_after(content, enrolment, lesson)
    # Said on the next page (the post-test's may not be open yet): the lesson did count.
    flash(lesson_page.completion_flash(content, lesson, recorded, target is None), "success")
    if target is None:
        return redirect(url_for("learn.post_test", slug=content.slug, _anchor="main"))
    if target.position < lesson.position:
        flash(f"Lesson {target.position}, {target.title}, is not finished yet. "
              "Finish it to open the post-test.", "info")
    return redirect(url_for("learn.lesson", slug=slug, lesson_slug=target.slug, _anchor="main"))


@bp.post("/courses/<slug>/lessons/<lesson_slug>/heartbeat")
@login_required
@heartbeats
@reads_first
def heartbeat(slug: str, lesson_slug: str):
    """Credit active reading time while the page is visible and in use."""
    # As for answers: SQLite's write lock only for the write, which reads its rows afresh.
    _, lesson, enrolment = learn.get_open_lesson_or_404(current_user, slug, lesson_slug)
    with write_transaction():
        active_seconds = learn.record_heartbeat(enrolment, lesson)
    return jsonify(active_seconds=active_seconds or 0)


@bp.get("/me")
@login_required
def transcript():
    """The learner's transcript: courses, status, score, active time, completion date."""
    certificates = certificates_of(current_user)
    return render_template(
        "learn/transcript.html",
        rows=transcript_rows(current_user, certificates),
        certificates=certificates,
    )
