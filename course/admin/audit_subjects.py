"""Whom an audit event is about, by name: an auditor reads "certificate 7K3M-..." as a
person's certificate only once the log says whose."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from course.extensions import db
from course.models import Certificate, Enrolment, PostTestAttempt, User


def subject_names(subjects: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The person each (subject_type, subject_id) is about, for an account, a certificate,
    an enrollment or a post-test attempt; one query a kind, whatever the count."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for kind, subject in subjects:
        wanted[kind].add(subject)
    named: dict[tuple[str, str], str] = {}
    # Ids are text in the log: a non-numeric one (never written, but the log is read
    # whatever it holds) names no one.
    ids = {kind: [int(s) for s in wanted[kind] if s.isdigit()]
           for kind in ("user", "enrollment", "post_test_attempt")}  # fmt: skip
    if ids["user"]:
        rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids["user"])))
        named.update({("user", str(i)): name for i, name in rows})
    if wanted["certificate"]:
        # As certified: the name printed on it, even if the account was renamed or deleted.
        rows = db.session.execute(
            select(Certificate.code, Certificate.snapshot["participant_name"].as_string())
            .where(Certificate.code.in_(wanted["certificate"])))
        named.update({("certificate", code): name for code, name in rows if name})
    if ids["enrollment"]:
        rows = db.session.execute(
            select(Enrolment.id, User.full_name).join(User, User.id == Enrolment.user_id)
            .where(Enrolment.id.in_(ids["enrollment"])))
        named.update({("enrollment", str(i)): name for i, name in rows})
    if ids["post_test_attempt"]:
        rows = db.session.execute(
            select(PostTestAttempt.id, User.full_name)
            .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
            .join(User, User.id == Enrolment.user_id)
            .where(PostTestAttempt.id.in_(ids["post_test_attempt"])))
        named.update({("post_test_attempt", str(i)): name for i, name in rows})
    return named
