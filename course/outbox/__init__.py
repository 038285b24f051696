"""The outbox: what other systems should hear about, queued in the same transaction.

Learner-facing code calls one function here per event (one line each). The functions
only add rows to ``outbox_message``; the worker (``flask --app wsgi outbox send``) sends
them later, so no learner ever waits for an LMS or a learning record store.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from course.db import utcnow
from course.extensions import db
from course.models import (
    Certificate,
    Course,
    Enrolment,
    LessonProgress,
    LtiGradeTarget,
    LtiIdentity,
    LtiPlatform,
    OutboxMessage,
    PostTestAttempt,
    User,
)
from course.outbox import xapi
from course.outbox.scores import score
from course.provider import base_url

LTI = "lti"
XAPI = "xapi"


def _grade_targets(user_id: int, course_id: int) -> list[LtiGradeTarget]:
    return list(db.session.scalars(
        select(LtiGradeTarget).where(LtiGradeTarget.user_id == user_id,
                                     LtiGradeTarget.course_id == course_id)
    ))


def _queue_scores(enrolment: Enrolment, percent: int | None, *, completed: bool,
                  comment: str | None, targets: list[LtiGradeTarget] | None = None) -> None:
    now = utcnow()
    if targets is None:
        targets = _grade_targets(enrolment.user_id, enrolment.course_id)
    for target in targets:
        if target.subject is None:
            continue  # the learner deleted their account: no LMS user to score for
        body = score(target.subject, percent, completed=completed, when=now, comment=comment)
        db.session.add(OutboxMessage(channel=LTI, message_id=str(uuid.uuid4()), payload=body,
                                     grade_target_id=target.id, created_at=now,
                                     next_attempt_at=now))


def _xapi_on() -> bool:
    # Built whenever xAPI is on, endpoint or not: statements made before the LRS's address
    # is set wait in the outbox for it (the worker holds them), and are never lost.
    return bool(current_app.config.get("XAPI_ENABLED"))


def _learner(user: User) -> xapi.Learner:
    email = user.email if current_app.config.get("XAPI_ACTOR_EMAIL") else None
    lms_accounts = db.session.execute(
        select(LtiPlatform.issuer, LtiIdentity.subject)
        .join(LtiPlatform, LtiPlatform.id == LtiIdentity.platform_id)
        .where(LtiIdentity.user_id == user.id)
        .order_by(LtiIdentity.created_at, LtiIdentity.id)
    ).all()
    return xapi.Learner(user_id=user.id, name=user.full_name, email=email,
                        lms_accounts=tuple((issuer, sub) for issuer, sub in lms_accounts))


def _course_ref(enrolment: Enrolment) -> xapi.CourseRef:
    course: Course = enrolment.course
    config = current_app.config
    return xapi.CourseRef(
        base_url=base_url(), slug=course.slug,
        title=course.manifest.get("title", course.title),
        version=course.current_version.number if course.current_version else 0,
        enrolment_id=enrolment.id, site_name=config["SITE_NAME"],
    )


def _queue_statement(body: dict[str, Any], subject_key: str | None = None,
                     user_id: int | None = None) -> None:
    now = utcnow()
    db.session.add(OutboxMessage(channel=XAPI, message_id=body["id"], payload=body,
                                 subject_key=subject_key, user_id=user_id, created_at=now,
                                 next_attempt_at=now))


def _say(verb: str, enrolment: Enrolment, obj: dict[str, Any] | None = None,
         when: datetime | None = None, result: dict[str, Any] | None = None,
         subject_key: str | None = None, extensions: dict[str, Any] | None = None,
         learner: xapi.Learner | None = None, course: xapi.CourseRef | None = None) -> None:
    if not _xapi_on():
        return
    course = course or _course_ref(enrolment)
    body = xapi.statement(verb, learner or _learner(enrolment.user), course,
                          obj or xapi.course_activity(course), when or utcnow(), result=result,
                          extensions=extensions)
    _queue_statement(body, subject_key, enrolment.user_id)


def registered(enrolment: Enrolment) -> None:
    """The learner enrolled: registered for the course, and launched it."""
    if not _xapi_on():
        return
    learner = _learner(enrolment.user)  # one lookup of their LMS accounts for both
    _say("registered", enrolment, when=enrolment.enrolled_at, learner=learner)
    _say("launched", enrolment, learner=learner)


def launched(enrolment: Enrolment) -> None:
    """The course was opened for the learner (an LMS launch)."""
    _say("launched", enrolment)


def lesson_completed(enrolment: Any, lesson: Any, progress: LessonProgress) -> None:
    """The learner finished a lesson: experienced it, for its measured active time.

    ``enrolment`` may be the read-only one lesson requests read (``learn.reads``).
    """
    if not _xapi_on():
        return
    enrolment = db.session.get_one(Enrolment, enrolment.id)
    course = _course_ref(enrolment)
    _say("experienced", enrolment, xapi.lesson_activity(course, lesson.slug, lesson.title),
         when=progress.completed_at,
         result={"duration": xapi.duration(progress.active_seconds), "completion": True})


def check_answered(enrolment: Any, question: Any, selected: Sequence[str],
                   correct: bool) -> None:
    """The learner answered a knowledge check (every try is a statement); ``enrolment``
    may be the read-only one lesson requests read (``learn.reads``)."""
    if not _xapi_on():
        return
    enrolment = db.session.get_one(Enrolment, enrolment.id)
    course = _course_ref(enrolment)
    activity = xapi.question_activity(course, question.key, question.prompt_html,
                                      [(c.key, c.text_html) for c in question.choices],
                                      [c.key for c in question.choices if c.is_correct])
    _say("answered", enrolment, activity,
         result={"success": bool(correct), "response": "[,]".join(sorted(set(selected)))})


def post_test_attempted(attempt: PostTestAttempt) -> None:
    """The learner started a post-test attempt."""
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    if _xapi_on():
        _say("attempted", enrolment, xapi.post_test_activity(_course_ref(enrolment)),
             when=attempt.started_at,
             extensions=xapi.attempt_context(base_url(), attempt.number, None))


def post_test_submitted(attempt: PostTestAttempt) -> None:
    """Queue the attempt's result: passed or failed (xAPI), and the score for the LMS."""
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    verdict = ("passed; the evaluation is still to come" if attempt.passed
               else "not passed yet")  # fmt: skip
    _queue_scores(enrolment, attempt.score_percent, completed=False,
                  comment=f"Post-test attempt {attempt.number}: {verdict}.")
    if _xapi_on():
        result = xapi.score_result(attempt.correct_count or 0, attempt.question_count,
                                   attempt.score_percent or 0, bool(attempt.passed))
        _say("passed" if attempt.passed else "failed", enrolment,
             xapi.post_test_activity(_course_ref(enrolment)), when=attempt.submitted_at,
             result=result,
             extensions=xapi.attempt_context(base_url(), attempt.number, attempt.passing_score))


def course_completed(enrolment: Enrolment) -> None:
    """Queue the completion: completed (xAPI), and the best passing score for the LMS."""
    _queue_completion_score(
        enrolment, "Course completed: post-test passed and evaluation submitted.")
    if not _xapi_on():
        return  # the sum below runs inside the evaluation's write: only when it is sent
    # The reading time the credit rests on, as cmi5 asks of a completion; a registry can
    # total it across learners without reading every lesson's statement.
    active = db.session.scalar(
        select(func.coalesce(func.sum(LessonProgress.active_seconds), 0))
        .where(LessonProgress.enrolment_id == enrolment.id))
    _say("completed", enrolment, when=enrolment.completed_at,
         result={"completion": True, "success": True, "duration": xapi.duration(int(active))})


def _queue_completion_score(enrolment: Enrolment, comment: str,
                            targets: list[LtiGradeTarget] | None = None) -> None:
    scores = [a.score_percent for a in enrolment.attempts if a.passed and a.score_percent]
    _queue_scores(enrolment, max(scores) if scores else None, completed=True, comment=comment,
                  targets=targets)


def completion_for_new_target(enrolment: Enrolment, target: LtiGradeTarget) -> None:
    """A link first graded after the learner completed: its new column gets the grade now."""
    _queue_completion_score(
        enrolment, "Course completed before this link was graded.", targets=[target])


def completion_withdrawn(certificate: Certificate) -> None:
    """A certificate was revoked: take the completion's grade back from the LMS."""
    enrolment = db.session.get_one(Enrolment, certificate.enrolment_id)
    _queue_scores(enrolment, None, completed=False, comment=(
        f"Certificate {certificate.code} was revoked: this completion no longer earns "
        "continuing-education credit."))


@dataclasses.dataclass(frozen=True)
class KeptGrade:
    """A grade an LMS may still show for a completion, which this site cannot withdraw."""

    platform: str
    #: The LMS's grade column (line item) it went to.
    lineitem_url: str


def grades_left_in_lms(certificate: Certificate) -> list[KeptGrade]:
    """The LMS grades a revocation of ``certificate`` cannot take back; reads only.

    A learner who deleted their account here, or unlinked it from an LMS, is no longer
    known to this site as a user of that LMS (their ``sub`` is cleared, as it is personal
    data), and a score is filed only under it: an administrator of the LMS clears it.
    """
    enrolment = db.session.get_one(Enrolment, certificate.enrolment_id)
    # Only a target with its line item known was ever sent a score.
    return [KeptGrade(target.platform.name, target.lineitem_url)
            for target in _grade_targets(enrolment.user_id, enrolment.course_id)
            if target.subject is None and target.lineitem_url]


def completion_restored(certificate: Certificate) -> None:
    """A revoked certificate was reinstated as ``certificate``: the completion's grade again."""
    enrolment = db.session.get_one(Enrolment, certificate.enrolment_id)
    _queue_completion_score(enrolment, (
        f"Course completed; certificate {certificate.code} reinstates a revoked one."))


def certificate_issued(certificate: Certificate) -> None:
    """The learner earned a certificate (its public verification page is the object)."""
    if not _xapi_on():
        return
    enrolment = db.session.get(Enrolment, certificate.enrolment_id)
    record = certificate.snapshot
    verify_url = record.get("verify_url", "")
    activity = xapi.certificate_activity(verify_url, record.get("course_title", ""))
    # The record keeps its issue time to the second, so a certificate issued with the
    # completion would otherwise be stamped before it, and sort first in a report.
    when = certificate.issued_at
    if enrolment.completed_at is not None and enrolment.completed_at > when:
        when = enrolment.completed_at
    # The version certified, as the credential states it, even if another is current now.
    course = dataclasses.replace(_course_ref(enrolment),
                                 version=record.get("course_version") or 0)
    _say("earned", enrolment, activity, when=when, course=course,
         result=xapi.credit_result(base_url(), certificate.code,
                                   record.get("contact_hours"), record.get("credit_type")),
         subject_key=f"certificate:{certificate.code}")


def certificate_revoked(certificate: Certificate) -> None:
    """A certificate was revoked or replaced: the provider voids the "earned" statement."""
    if not _xapi_on():
        return
    earned = db.session.scalar(
        select(OutboxMessage.message_id).where(
            OutboxMessage.subject_key == f"certificate:{certificate.code}")
    )
    if earned is None:
        return  # issued while statements were off: there is nothing to void
    config = current_app.config
    name = certificate.snapshot.get("provider_name") or config["SITE_NAME"]
    _queue_statement(xapi.voiding(earned, name, base_url(), utcnow()),
                     f"certificate:{certificate.code}:voided")
