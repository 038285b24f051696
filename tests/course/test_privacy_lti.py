"""A learner from an agency's LMS: their data download names their LMS accounts, and
deleting the account unlinks it from them (the launch flow itself: tests/interop)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from course import outbox
from course.extensions import db
from course.learn.services import enrol
from course.models import (
    Enrolment,
    LtiGradeTarget,
    LtiIdentity,
    LtiPlatform,
    OutboxMessage,
    User,
)
from course.privacy.deletion import delete_account
from tests.course.factories import import_course, make_user

ISSUER = "https://moodle.agency.example"


def _learner_from_the_lms(package_copy: Path) -> int:
    """An account as a launch makes it, linked to two LMSs, with a grade target."""
    course = import_course(package_copy)
    user = db.session.merge(make_user(full_name="Jordan Rivera"))
    user.password_hash = "!lti!no-password"
    platforms = [LtiPlatform(name=name, issuer=issuer, client_id="tool", deployment_ids=["1"],
                             auth_login_url=f"{issuer}/auth", auth_token_url=f"{issuer}/token",
                             jwks_url=f"{issuer}/jwks")
                 for name, issuer in (("Agency Moodle", ISSUER),
                                      ("County Canvas", "https://canvas.county.example"))]
    db.session.add_all(platforms)
    db.session.flush()
    for platform, sub in zip(platforms, ("moodle-user-17", "canvas-9"), strict=True):
        db.session.add(LtiIdentity(platform_id=platform.id, subject=sub, user_id=user.id))
    db.session.add(LtiGradeTarget(user_id=user.id, course_id=course.id,
                                  platform_id=platforms[0].id, subject="moodle-user-17",
                                  lineitem_url=f"{ISSUER}/lineitems/42", scopes=[]))
    enrol(user, course)
    db.session.commit()
    return user.id


def test_deleting_the_account_unlinks_it_from_the_lms(app: Flask, package_copy: Path) -> None:
    with app.app_context():
        user_id = _learner_from_the_lms(package_copy)
        result = delete_account(db.session.get(User, user_id), None)
        db.session.commit()
        assert result.lms_accounts_unlinked == 2
        assert db.session.scalar(select(func.count()).select_from(LtiIdentity)) == 0
        target = db.session.scalar(select(LtiGradeTarget))
        assert target.user_id == user_id and target.subject is None
        # An admin's later correction of the kept records scores for no LMS user.
        enrolment = db.session.scalar(select(Enrolment))
        outbox.course_completed(enrolment)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
