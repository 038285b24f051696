"""A learner from an agency's LMS: their data download names their LMS accounts, and
deleting the account unlinks it from them (the launch flow itself: tests/interop)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from course import outbox
from course.db import utcnow
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
from course.privacy.export import export_user_data
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
    first = utcnow() - timedelta(days=30)
    for platform, sub in zip(platforms, ("moodle-user-17", "canvas-9"), strict=True):
        first += timedelta(days=1)
        db.session.add(LtiIdentity(platform_id=platform.id, subject=sub, user_id=user.id,
                                   created_at=first, last_launch_at=first + timedelta(hours=2)))
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


def test_the_data_download_names_the_learners_lms_accounts(app: Flask,
                                                           package_copy: Path) -> None:
    with app.app_context():
        user_id = _learner_from_the_lms(package_copy)
        other = db.session.merge(make_user())
        db.session.add(LtiIdentity(platform_id=1, subject="someone-else", user_id=other.id))
        db.session.commit()
        identities = db.session.scalars(select(LtiIdentity).where(
            LtiIdentity.user_id == user_id).order_by(LtiIdentity.id)).all()
        accounts = export_user_data(db.session.get(User, user_id))["lms_accounts"]
        assert accounts == [
            {"platform": "Agency Moodle", "issuer": ISSUER, "lms_user_id": "moodle-user-17",
             "first_launch_at": identities[0].created_at.isoformat(),
             "last_launch_at": identities[0].last_launch_at.isoformat()},
            {"platform": "County Canvas", "issuer": "https://canvas.county.example",
             "lms_user_id": "canvas-9",
             "first_launch_at": identities[1].created_at.isoformat(),
             "last_launch_at": identities[1].last_launch_at.isoformat()},
        ]
        delete_account(db.session.get(User, user_id), None)
        db.session.commit()
        assert export_user_data(db.session.get(User, user_id))["lms_accounts"] == []
