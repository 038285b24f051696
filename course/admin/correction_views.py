"""Correcting a learner's record: details and reissue, enrollment, attempt resets, bulk."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from course.admin import bp
from course.admin.correction_forms import (
    BulkEnrolForm,
    DetailsForm,
    EmailEnrolForm,
    EnrolForm,
    ResetAttemptForm,
    course_choices,
)
from course.admin.learner_views import learner_page
from course.corrections import services as corrections
from course.extensions import db
from course.formpages import form_page
from course.models import User


def _back(user: User, anchor: str):
    # at=: the message shows in the section the page opens at, not a screen above it.
    return redirect(url_for("admin.learner", user_id=user.id, at=anchor, _anchor=anchor), 303)


def _details(form: DetailsForm) -> corrections.Details:
    return corrections.Details(
        form.full_name.data or "", form.licence_number.data, form.licence_jurisdiction.data
    )


@bp.post("/learners/<int:user_id>/details")
@form_page("admin.learner", anchor="correct")
def correct_details(user_id: int):
    """Correct a learner's name or license (with a reason) and reissue their certificates."""
    user, form = db.get_or_404(User, user_id), DetailsForm()
    if not form.validate_on_submit():
        return learner_page(user, 422, details_form=form)
    try:
        done = corrections.correct_details(
            current_user, user, _details(form), form.reason.data, reissue=form.reissue.data,
            ip_address=request.remote_addr,
        )  # fmt: skip
    except corrections.CorrectionRefused as exc:
        form.refuse(None, str(exc))
        return learner_page(user, 422, details_form=form)
    db.session.commit()
    codes = ", ".join(c.code for c in done.reissued)
    said = "The details are corrected" + (f"; reissued as {codes}." if codes else ".")
    flash({"text": said}, "success")
    return _back(user, "correct")


@bp.post("/learners/<int:user_id>/enrolments")  # the address before US spelling
@bp.post("/learners/<int:user_id>/enrollments")
@form_page("admin.learner", anchor="enroll")
def enrol_learner(user_id: int):
    """Enroll the learner in a course for them, with a reason."""
    user, form = db.get_or_404(User, user_id), EnrolForm()
    form.course.choices = course_choices(corrections.not_enrolled_in(user))
    if not form.validate_on_submit():
        return learner_page(user, 422, enrol_form=form)
    course = corrections.published_course(form.course.data)
    done = corrections.enrol_learners(
        current_user, [user], course, form.reason.data, request.remote_addr
    )
    db.session.commit()
    if done.refused:
        flash({"text": f"Not enrolled: {done.refused[0]}."}, "error")
    else:
        flash({"text": f"{user.full_name} is enrolled in {course.title}."}, "success")
    return _back(user, "enroll")


@bp.post("/learners/<int:user_id>/attempts/reset")
@form_page("admin.learner")
def reset_attempt(user_id: int):
    """Reset one of the learner's post-test attempts, with a reason; it stays in the record."""
    user, form = db.get_or_404(User, user_id), ResetAttemptForm()
    attempt = corrections.get_attempt(user, int(form.attempt.data or 0)) if (
        form.attempt.data or "").isdigit() else None  # fmt: skip
    if attempt is None:
        abort(404)
    if not form.validate_on_submit():
        return learner_page(user, 422, reset_form=form)
    try:
        corrections.reset_attempt(current_user, attempt, form.reason.data, request.remote_addr)
    except corrections.CorrectionRefused as exc:
        flash({"text": str(exc)}, "error")
        return _back(user, f"course-{attempt.enrolment_id}")
    db.session.commit()
    flash({"text": f"Attempt {attempt.number} is reset; it stays in the record."}, "success")
    return _back(user, f"course-{attempt.enrolment_id}")


def _enrolled_message(done: corrections.Enrolled) -> None:
    said = f"Enrolled {len(done.enrolled)}; already enrolled {len(done.already)}."
    flash({"text": said}, "success")
    for problem in done.refused:
        flash({"text": f"Not enrolled: {problem}."}, "error")
    if done.unknown:
        flash({"text": "No account for: " + ", ".join(done.unknown)}, "error")


@bp.post("/learners/enrol")  # the address before US spelling
@bp.post("/learners/enroll")
@form_page("admin.learners")
def enrol_selected():
    """Enroll the learners ticked in the learners list in one course."""
    form = BulkEnrolForm()
    form.course.choices = course_choices(corrections.published_courses())
    if not form.validate_on_submit() or not form.users.data:
        flash({"text": "Tick at least one learner, choose a course and give the reason."}, "error")
        return redirect(request.referrer or url_for("admin.learners"), 303)
    course = corrections.published_course(form.course.data)
    users = corrections.users_by_id(form.users.data)
    _enrolled_message(
        corrections.enrol_learners(current_user, users, course, form.reason.data,
                                   request.remote_addr)  # fmt: skip
    )
    db.session.commit()
    return redirect(url_for("admin.learners"), 303)


@bp.route("/courses/<slug>/enrol", methods=["GET", "POST"])  # the address before US spelling
@bp.route("/courses/<slug>/enroll", methods=["GET", "POST"])
def enrol_by_email(slug: str):
    """Enroll many learners in a course by pasting their email addresses."""
    course = corrections.published_course(slug) or abort(404)
    form = EmailEnrolForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("admin/enrol.html", course=course, form=form), status
    try:
        done = corrections.enrol_by_email(
            current_user, form.emails.data, course, form.reason.data, request.remote_addr
        )
    except corrections.CorrectionRefused as exc:
        form.refuse(form.emails, str(exc))
        return render_template("admin/enrol.html", course=course, form=form), 422
    db.session.commit()
    _enrolled_message(done)
    return redirect(url_for("admin.enrol_by_email", slug=slug), 303)
