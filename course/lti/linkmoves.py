"""What linking moves from an LMS account to the learner's own account, and how it closes."""

from __future__ import annotations

from sqlalchemy import delete, exists, or_, select, update

from course import outbox
from course.extensions import db
from course.issuing import live_certificate
from course.models import (
    CheckResponse,
    Enrolment,
    EvaluationResponse,
    LessonProgress,
    LtiGradeTarget,
    LtiIdentity,
    OutboxMessage,
    PostTestAttempt,
    User,
)
from course.outbox import XAPI
from course.privacy.deletion import pseudonymise


class BothBegun(Exception):
    """Both accounts did work in one course: progress in two places cannot be added up."""

    def __init__(self, course_title: str) -> None:
        super().__init__(course_title)
        self.course_title = course_title


def has_work(enrolment: Enrolment) -> bool:
    """True once the learner did anything in the course beyond opening it."""
    if enrolment.evaluation_draft or enrolment.completed_at is not None:
        return True
    done = or_(
        exists().where(LessonProgress.enrolment_id == enrolment.id,
                       or_(LessonProgress.active_seconds > 0,
                           LessonProgress.completed_at.is_not(None))),
        exists().where(CheckResponse.enrolment_id == enrolment.id),
        exists().where(PostTestAttempt.enrolment_id == enrolment.id),
        exists().where(EvaluationResponse.enrolment_id == enrolment.id),
    )
    return bool(db.session.scalar(select(done)))


def _drop(enrolment: Enrolment) -> None:
    """Delete an enrollment in which nothing was done (at most visits with no time)."""
    db.session.execute(delete(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id))
    db.session.delete(enrolment)
    db.session.flush()


def move_enrolments(source: User, target: User) -> tuple[list[Enrolment], list[str]]:
    """Give the target the source's enrollments; return those moved and the courses dropped.

    Where both have the course, the one with work stays and the empty one goes.

    :raise BothBegun: when both did work in the same course (nothing is changed then,
        as the caller rolls back).
    """
    moved: list[Enrolment] = []
    dropped: list[str] = []
    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.user_id == source.id)):
        own = db.session.scalar(select(Enrolment).where(
            Enrolment.user_id == target.id, Enrolment.course_id == enrolment.course_id))
        title = enrolment.course.title
        if own is not None and has_work(enrolment):
            if has_work(own):
                raise BothBegun(title)
            _drop(own)  # the target only enrolled: the LMS account's work comes instead
            own = None
        if own is None:
            enrolment.user_id = target.id  # its progress, answers and attempts go with it
            moved.append(enrolment)
        else:
            _drop(enrolment)
            dropped.append(title)
    db.session.flush()
    return moved, dropped


def move_lms_links(source: User, target: User) -> list[int]:
    """Point the source's LMS users and grade-book targets at the target; return target ids."""
    db.session.execute(update(LtiIdentity).where(LtiIdentity.user_id == source.id)
                       .values(user_id=target.id)
                       .execution_options(synchronize_session=False))
    kept: list[int] = []
    for grade in db.session.scalars(
            select(LtiGradeTarget).where(LtiGradeTarget.user_id == source.id)):
        same = _same_column(grade, target)
        if same is not None:
            _merge(grade, into=same)
            kept.append(same.id)
            continue
        grade.user_id = target.id
        kept.append(grade.id)
        _send_finished_grade(grade, target)
    db.session.flush()
    return kept


def _same_column(grade: LtiGradeTarget, target: User) -> LtiGradeTarget | None:
    """The target's own grade target for the same course, platform and column or link."""
    same = [LtiGradeTarget.lineitem_url == grade.lineitem_url] if grade.lineitem_url else []
    if grade.resource_link_id:
        same.append(LtiGradeTarget.resource_link_id == grade.resource_link_id)
    if not same:
        return None
    return db.session.scalar(select(LtiGradeTarget).where(
        LtiGradeTarget.user_id == target.id, LtiGradeTarget.course_id == grade.course_id,
        LtiGradeTarget.platform_id == grade.platform_id, or_(*same)).limit(1))


def _merge(grade: LtiGradeTarget, *, into: LtiGradeTarget) -> None:
    """Fold a moving grade target into the target's own for the same column."""
    # The moving one comes from the latest launch (a link undone and made again leaves the
    # older one without an LMS user id): its details win, and its queued scores follow.
    into.subject = grade.subject or into.subject
    into.scopes = grade.scopes
    into.lineitem_url = into.lineitem_url or grade.lineitem_url
    into.lineitems_url = grade.lineitems_url or into.lineitems_url
    db.session.execute(update(OutboxMessage).where(OutboxMessage.grade_target_id == grade.id)
                       .values(grade_target_id=into.id)
                       .execution_options(synchronize_session=False))
    db.session.delete(grade)
    db.session.flush()


def _send_finished_grade(grade: LtiGradeTarget, target: User) -> None:
    # The learner finished the course in their own account before the LMS assigned it:
    # the LMS's column gets the completion now, as a link graded after completion does.
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.user_id == target.id, Enrolment.course_id == grade.course_id))
    if enrolment is not None and enrolment.completed_at is not None \
            and live_certificate(enrolment) is not None:
        db.session.flush()
        outbox.completion_for_new_target(enrolment, grade)


def move_statements(source: User, target: User) -> int:
    """File the statements about the source under the target (data download, deletion)."""
    return db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.channel == XAPI, OutboxMessage.user_id == source.id)
        .values(user_id=target.id)
        .execution_options(synchronize_session=False)).rowcount


def carry_license(source: User, target: User) -> bool:
    """Keep license details typed on the LMS account where the target has none."""
    if target.licence_number or not source.licence_number:
        return False
    target.licence_number = source.licence_number
    target.licence_jurisdiction = source.licence_jurisdiction
    target.profession = target.profession or source.profession
    return True


def close(source: User, target: User) -> None:
    """Close the emptied LMS account for good: no name left, its address says where it went."""
    pseudonymise(source)  # signed out everywhere, nothing left that names the person
    source.email = f"linked-{source.id}-to-{target.id}@lti.invalid"
    source.full_name = f"Linked account {source.id}"
