"""The learner's transcript: one row per course taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from course.extensions import db
from course.issuing import standing_by_enrolment
from course.learn.activetime import enrolment_times
from course.learn.assessment import course_progress
from course.learn.retakes import last_submitted
from course.models import Certificate, CertificateStatus, Enrolment, PostTestAttempt, User


@dataclass(frozen=True)
class TranscriptRow:
    """One course on a learner's transcript."""

    enrolment: Enrolment
    title: str
    slug: str
    status: str
    #: The best score and the number of attempts that count (as the provider's records
    #: give them), and how many submitted attempts the provider reset.
    best_score: int | None
    attempts: int
    active_seconds: int
    #: The seat-time estimate (reading, post-test, evaluation) of the version taken.
    estimated_minutes: float
    #: The reading part of it, which active time in the lessons measures.
    reading_minutes: float
    contact_hours: float
    completed_at: datetime | None
    #: The last attempt, whose review says what to read again; None once the test is passed.
    review_attempt: PostTestAttempt | None = None
    reset_attempts: int = 0


def _status(progress, certificate: Certificate | None) -> str:
    if certificate is not None and certificate.status == CertificateStatus.REVOKED:
        return "Completed; certificate revoked"
    if progress.completed:
        return "Completed"
    if progress.passed_attempt:
        return "Post-test passed; evaluation to do"
    if progress.lessons_complete:
        return "Lessons done; post-test to do"
    if progress.lessons_done:
        return f"In progress ({progress.lessons_done} of {progress.lessons_total} lessons)"
    return "Enrolled"


def transcript_rows(user: User, certificates: list[Certificate]) -> list[TranscriptRow]:
    """Return the learner's courses, newest enrolment first.

    A course with a certificate reads as the certificate states it (title and hours as
    certified, whatever later versions changed); a revoked one earns no credit here.
    """
    enrolments = db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at.desc())
    )
    enrolments = list(enrolments)
    times = enrolment_times([enrolment.id for enrolment in enrolments])
    standing = standing_by_enrolment(certificates)
    rows = []
    for enrolment in enrolments:
        course = enrolment.course
        time = times[enrolment.id]
        progress = course_progress(course, enrolment)
        last_attempt = last_submitted(enrolment.attempts)
        # Counted attempts, as the roster and the attempt limit count them: "3 attempts"
        # beside a record of 2 (one reset by the provider) read as a discrepancy.
        submitted = [a for a in enrolment.attempts if a.submitted_at is not None]
        counted = [a for a in submitted if a.counts]
        scores = [a.score_percent for a in counted if a.score_percent is not None]
        certificate = standing.get(enrolment.id)
        stated = certificate.snapshot if certificate is not None else {}
        hours = stated.get("contact_hours", course.manifest.get("contact_hours", 0))
        if certificate is not None and certificate.status == CertificateStatus.REVOKED:
            hours = 0
        rows.append(
            TranscriptRow(
                enrolment=enrolment,
                title=stated.get("course_title") or course.title,
                slug=course.slug,
                status=_status(progress, certificate),
                best_score=max(scores) if scores else None,
                attempts=len(counted),
                reset_attempts=len(submitted) - len(counted),
                active_seconds=time.active_seconds,
                estimated_minutes=time.estimated_minutes,
                reading_minutes=time.reading_minutes,
                contact_hours=float(hours),
                completed_at=enrolment.completed_at,
                review_attempt=None if progress.passed_attempt else last_attempt,
            )
        )
    return rows


def certificates_of(user: User) -> list[Certificate]:
    """Return every certificate issued to the learner, newest first (superseded ones too)."""
    query = (
        select(Certificate)
        .where(Certificate.user_id == user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    return list(db.session.scalars(query))
