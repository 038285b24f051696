"""Data invariants behind CE credit, checked after the fact, and the one safe repair.

The database's unique keys and single transactions should make every rule here hold.
The checker is the second line of defence: after a crash, a restore or a hand edit it
says what is wrong, with examples. The only repair is issuing certificates that a
completion has earned (they are otherwise issued on the learner's next visit to the
certificate page); everything else needs a person to look at it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Exists, Select, and_, case, exists, func, or_, select

from course import issuing
from course.audit import record_event
from course.extensions import db
from course.models import (
    AttemptAnswer,
    Certificate,
    CertificateStatus,
    CheckResponse,
    Enrolment,
    EvaluationAnswer,
    EvaluationResponse,
    LessonProgress,
    PostTestAttempt,
    User,
)
from course.names import NameRefused, clean_licence_detail, clean_name

#: How many offending rows a finding names.
EXAMPLES = 5


@dataclass(frozen=True)
class Finding:
    """One invariant: the rule in plain words, how many records break it, a few of them."""

    key: str
    rule: str
    count: int
    examples: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no record breaks the rule."""
        return self.count == 0


@dataclass(frozen=True)
class InvariantReport:
    """The outcome of a check: every invariant's finding, what was looked at and repaired."""

    findings: tuple[Finding, ...]
    checked: tuple[tuple[str, int], ...]
    repaired: tuple[str, ...] = ()

    @property
    def violations(self) -> int:
        """The number of records that break an invariant."""
        return sum(f.count for f in self.findings)

    @property
    def ok(self) -> bool:
        """True when every invariant holds."""
        return self.violations == 0


def _duplicates(
    key: str, rule: str, label: str, columns: tuple, where: tuple = ()
) -> Callable[[], Finding]:
    """Return a check that finds keys held by more than one row."""

    def check() -> Finding:
        query = select(*columns).where(*where).group_by(*columns).having(func.count() > 1)
        rows = db.session.execute(query).all()
        examples = tuple(f"{label} {', '.join(map(str, row))}" for row in rows[:EXAMPLES])
        return Finding(key, rule, len(rows), examples)

    return check


def _finding(key: str, rule: str, query: Select, label: str) -> Finding:
    ids = list(db.session.scalars(query))
    return Finding(key, rule, len(ids), tuple(f"{label} {i}" for i in ids[:EXAMPLES]))


def _passed(enrolment_id) -> Exists:
    return exists().where(
        PostTestAttempt.enrolment_id == enrolment_id, PostTestAttempt.passed.is_(True)
    )


def _evaluated(enrolment_id) -> Exists:
    return exists().where(EvaluationResponse.enrolment_id == enrolment_id)


def _attempts_recorded_whole() -> Finding:
    answers = (
        select(
            AttemptAnswer.attempt_id,
            func.count().label("given"),
            func.sum(case((AttemptAnswer.is_correct, 1), else_=0)).label("right"),
        )
        .group_by(AttemptAnswer.attempt_id)
        .subquery()
    )
    given = func.coalesce(answers.c.given, 0)
    right = func.coalesce(answers.c.right, 0)
    submitted = PostTestAttempt.submitted_at.is_not(None)
    query = (
        select(PostTestAttempt.id)
        .outerjoin(answers, answers.c.attempt_id == PostTestAttempt.id)
        .where(
            or_(
                and_(
                    submitted,
                    or_(
                        given != PostTestAttempt.question_count,
                        right != func.coalesce(PostTestAttempt.correct_count, -1),
                    ),
                ),
                and_(~submitted, given > 0),
            )
        )
        .order_by(PostTestAttempt.id)
    )
    return _finding(
        "attempt_recorded_whole",
        "every submitted post-test attempt has one stored answer per drawn question and "
        "its score matches them; an unsubmitted attempt has no answers",
        query,
        "attempt",
    )


def _certificates_earned() -> list[Finding]:
    by_id = Certificate.enrolment_id
    return [
        _finding(
            "certificate_has_passing_attempt",
            "every certificate rests on a passed post-test attempt",
            select(Certificate.code).where(~_passed(by_id)).order_by(Certificate.id),
            "certificate",
        ),
        _finding(
            "certificate_has_evaluation",
            "every certificate rests on a submitted evaluation",
            select(Certificate.code).where(~_evaluated(by_id)).order_by(Certificate.id),
            "certificate",
        ),
    ]


def _completions() -> list[Finding]:
    completed = Enrolment.completed_at.is_not(None)
    unearned = select(Enrolment.id).where(
        completed, ~and_(_passed(Enrolment.id), _evaluated(Enrolment.id))
    )
    return [
        _finding(
            "completion_earned",
            "every completed enrollment has a passed post-test and an evaluation",
            unearned.order_by(Enrolment.id),
            "enrolment",
        ),
        _finding(
            "completion_has_certificate",
            "every completed enrollment has its certificate (valid, or revoked by an admin)",
            uncertified_completions().order_by(Enrolment.id),
            "enrolment",
        ),
    ]


def uncertified_completions() -> Select:
    """Select completed enrolments with neither a valid nor a revoked certificate.

    A revoked certificate is an admin's decision, so it counts: a repair must not undo it.
    """
    certified = exists().where(
        Certificate.enrolment_id == Enrolment.id,
        Certificate.status.in_([CertificateStatus.VALID, CertificateStatus.REVOKED]),
    )
    return select(Enrolment.id).where(Enrolment.completed_at.is_not(None), ~certified)


def _reads_true(name: str) -> bool:
    try:
        return clean_name(name) == name
    except NameRefused:
        return False


def _licence_reads_true(*details: str | None) -> bool:
    try:
        for value in details:
            if value:
                clean_licence_detail(value, "license detail")
    except NameRefused:
        return False
    return True


def _names_read_true() -> Finding:
    """Names stored before the name rule (``course.names``) that it would now refuse.

    Such a name can read one way on the verify page and another in the PDF, or print as
    nothing or as empty boxes; an admin corrects it (with a reason) and reissues the
    certificates.
    """
    # License numbers and states came under the same rule later: an account saved before
    # it may print LCSW-123456 on the PDF while the verify page shows the ending reversed.
    people = db.session.execute(
        select(User.id, User.full_name, User.licence_number, User.licence_jurisdiction)
        .where(User.deleted_at.is_(None))
    )
    bad = [f"learner {i}" for i, name, number, state in people
           if not (_reads_true(name) and _licence_reads_true(number, state))]
    valid = select(Certificate.code, Certificate.snapshot).where(
        Certificate.status == CertificateStatus.VALID
    )
    for code, snapshot in db.session.execute(valid):
        snapshot = snapshot or {}
        if not (_reads_true(str(snapshot.get("participant_name", ""))) and _licence_reads_true(
                snapshot.get("licence_number"), snapshot.get("licence_jurisdiction"))):
            bad.append(f"certificate {code}")
    rule = (
        "every name and license number or state reads as stored: no hidden, control or "
        "direction-changing characters, and only characters a certificate prints (a name "
        "also needs a letter; correct it on the learner's page, which reissues)"
    )
    return Finding("names_read_true", rule, len(bad), tuple(bad[:EXAMPLES]))


CHECKS: tuple[Callable[[], Finding | list[Finding]], ...] = (
    _duplicates(
        "check_answer_once",
        "every knowledge-check answer is stored once (one row per submission key)",
        "submission key",
        (CheckResponse.submission_key,),
        (CheckResponse.submission_key.is_not(None),),
    ),
    _duplicates(
        "attempt_answer_once",
        "a post-test attempt stores at most one answer per question",
        "attempt, question",
        (AttemptAnswer.attempt_id, AttemptAnswer.question_id),
    ),
    _attempts_recorded_whole,
    _duplicates(
        "evaluation_once",
        "an enrollment has at most one evaluation",
        "enrolment",
        (EvaluationResponse.enrolment_id,),
    ),
    _duplicates(
        "evaluation_answer_once",
        "an evaluation stores at most one answer per item",
        "evaluation, item",
        (EvaluationAnswer.response_id, EvaluationAnswer.item_id),
    ),
    _duplicates(
        "enrolment_once",
        "a learner has at most one enrollment per course",
        "learner, course",
        (Enrolment.user_id, Enrolment.course_id),
    ),
    _duplicates(
        "progress_once",
        "an enrollment has at most one progress record per lesson",
        "enrollment, lesson",
        (LessonProgress.enrolment_id, LessonProgress.lesson_id),
    ),
    _certificates_earned,
    _duplicates(
        "one_live_certificate",
        "an enrollment has at most one valid certificate",
        "enrolment",
        (Certificate.enrolment_id,),
        (Certificate.status == CertificateStatus.VALID,),
    ),
    _completions,
    _names_read_true,
)

_COUNTED = (
    ("enrollments", Enrolment),
    ("knowledge-check answers", CheckResponse),
    ("post-test attempts", PostTestAttempt),
    ("attempt answers", AttemptAnswer),
    ("evaluations", EvaluationResponse),
    ("certificates", Certificate),
)


def check_invariants() -> InvariantReport:
    """Check every invariant and return the report; changes nothing."""
    findings: list[Finding] = []
    for check in CHECKS:
        result = check()
        findings.extend(result if isinstance(result, list) else [result])
    checked = tuple(
        (label, db.session.scalar(select(func.count()).select_from(model)) or 0)
        for label, model in _COUNTED
    )
    return InvariantReport(tuple(findings), checked)


def repair_invariants() -> InvariantReport:
    """Issue the certificates completed enrolments are missing, then check everything.

    Each issued certificate is audited as the repair's doing. Flushes; the caller commits.
    """
    repaired = []
    for enrolment_id in list(db.session.scalars(uncertified_completions())):
        enrolment = db.session.get(Enrolment, enrolment_id)
        try:
            certificate = issuing.issue_certificate(enrolment)
        except issuing.NotEligible:
            continue  # reported as "completion_earned": a person has to look at it
        record_event(
            None,
            "certificate.issued_by_repair",
            "certificate",
            certificate.code,
            {"enrolment_id": enrolment.id, "user_id": enrolment.user_id},
        )
        repaired.append(f"issued certificate {certificate.code} for enrollment {enrolment.id}")
    db.session.flush()
    report = check_invariants()
    return InvariantReport(report.findings, report.checked, tuple(repaired))
