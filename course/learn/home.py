"""The learner's home, "My learning": each course taken, where they stand, what is next."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from course.extensions import db
from course.issuing import standing_by_enrolment
from course.learn.assessment import Progress, course_progress
from course.learn.content import CourseContent, LessonView, content_of
from course.learn.retakes import post_test_step, saved_evaluation
from course.learn.services import outline, resume_target
from course.learn.transcript import certificates_of
from course.models import Certificate, CertificateStatus, Course, Enrolment, User


@dataclass(frozen=True)
class NextStep:
    """What the learner does next in a course: ``kind`` names the page, ``label`` the button."""

    kind: str  # "lesson", "post_test", "review", "evaluation" or "certificate"
    label: str
    lesson: LessonView | None = None
    #: The attempt to review while the post-test waits ("review").
    attempt: int | None = None


@dataclass(frozen=True)
class LearningRow:
    """One course on the learner's home: progress, active time, next step, certificate."""

    content: CourseContent
    enrolment: Enrolment
    progress: Progress
    next_step: NextStep
    certificate: Certificate | None


def next_step(
    content: CourseContent, enrolment: Enrolment, states, progress: Progress,
    certificate: Certificate | None = None,
) -> NextStep:
    """Return the learner's next step, worded for a button ("Continue: Lesson 4, ...")."""
    if enrolment.completed_at is not None:
        # A revoked certificate must not read as one to hand in.
        if certificate is not None and certificate.status == CertificateStatus.REVOKED:
            return NextStep("certificate", "See your revoked certificate")
        return NextStep("certificate", "View your certificate")
    lesson = resume_target(content, enrolment, states)
    if lesson is not None:
        started = progress.lessons_done or any(s.started for s in states)
        verb = "Continue" if started else "Start"
        return NextStep("lesson", f"{verb}: Lesson {lesson.position}, {lesson.title}", lesson)
    # Worded as the course page's own buttons: answers saved, or a retake, say so.
    if progress.passed_attempt is not None:
        saved = saved_evaluation(enrolment) is not None
        return NextStep("evaluation", "Continue the evaluation" if saved
                        else "Continue: Fill in the evaluation")
    step = post_test_step(content, enrolment, progress)
    # Never a button to a post-test that would only say it is not open yet.
    if step.closed is None:
        label = ("Continue the post-test" if step.saved else "Take the post-test again"
                 if step.last_attempt else "Continue: Take the post-test")
        return NextStep("post_test", label)
    if step.last_attempt is not None:
        return NextStep("review", f"Review attempt {step.last_attempt}", attempt=step.last_attempt)
    # Reading time short: the lessons are where it counts, as on the course page, first
    # of all one short of its own floor.
    again = progress.short_lessons[0].lesson if progress.short_lessons else states[0].lesson
    return NextStep("lesson", f"Read again: Lesson {again.position}, {again.title}", again)


def my_learning(user: User) -> list[LearningRow]:
    """Return the open courses the learner is enrolled in, most recently enrolled first."""
    query = (
        select(Enrolment, Course)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Enrolment.user_id == user.id,
            Course.archived_at.is_(None),
            Course.current_version_id.is_not(None),
        )
        .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc())
    )
    pairs = db.session.execute(query).all()
    if not pairs:
        return []
    certificates = standing_by_enrolment(certificates_of(user))
    rows = []
    for enrolment, course in pairs:
        content = content_of(course)
        states = outline(content, enrolment)
        progress = course_progress(content, enrolment, states)
        rows.append(
            LearningRow(
                content=content,
                enrolment=enrolment,
                progress=progress,
                next_step=next_step(content, enrolment, states, progress,
                                    certificates.get(enrolment.id)),
                certificate=certificates.get(enrolment.id),
            )
        )
    return rows
