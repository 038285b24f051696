"""Grade targets are each platform's own: two LMSs that open one account (it was linked to
both) may use the same resource-link id in one course, and neither's launch touches the
other's target. The migration that made it so keeps every queued score."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from course import create_app
from course.extensions import db
from course.learn.services import enrol
from course.lti.grade_targets import remember_grade_target
from course.lti.roles import AGS, LINEITEM_SCOPE, LTI, SCORE_SCOPE
from course.models import LtiGradeTarget, LtiPlatform
from tests.course.factories import import_course, make_user
from tests.course.test_lti_line_item_migration import ROWS, _rows

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
BEFORE, AFTER = "c8d4f1a2b6e9", "d2f7a9c4e1b3"
SECOND_PLATFORM = (
    "INSERT INTO lti_platform (id, name, issuer, client_id, auth_login_url, auth_token_url,"
    " jwks_url, deployment_ids, active, created_at) VALUES (2, 'Other LMS',"
    " 'https://other.example', 'tool', 'https://other.example/a', 'https://other.example/t',"
    " 'https://other.example/j', '[]', 1, CURRENT_TIMESTAMP)")


def _target(target_id: int, platform_id: int) -> str:
    return ("INSERT INTO lti_grade_target (id, user_id, course_id, platform_id, subject,"
            f" lineitems_url, resource_link_id, scopes, updated_at) VALUES ({target_id}, 1, 1,"
            f" {platform_id}, 'sub', 'https://lms{platform_id}.example/li', '3', '[]',"
            " CURRENT_TIMESTAMP)")


def test_the_migration_keeps_queued_scores_and_lets_two_platforms_share_a_link_id(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.begin() as conn:
            for statement in (*ROWS, SECOND_PLATFORM, _target(2, 1)):
                conn.execute(text(statement))
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text(_target(3, 2)))  # before: one link id per account and course
        upgrade(directory=MIGRATIONS, revision=AFTER)
        with db.engine.begin() as conn:
            conn.execute(text(_target(3, 2)))  # now: each platform its own
        assert _rows("SELECT grade_target_id FROM outbox_message") == [(1,)]
        assert _rows("PRAGMA foreign_key_check") == [] and _rows("PRAGMA foreign_keys") == [(1,)]
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text(_target(4, 2)))  # still one per platform
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM lti_grade_target WHERE id = 3"))
        downgrade(directory=MIGRATIONS, revision=BEFORE)
        assert _rows("SELECT id FROM lti_grade_target ORDER BY id") == [(1,), (2,)]
        assert _rows("SELECT grade_target_id FROM outbox_message") == [(1,)]
        db.engine.dispose()


def _claims(sub: str) -> dict:
    return {"sub": sub, LTI + "resource_link": {"id": "3"},
            AGS: {"scope": [SCORE_SCOPE, LINEITEM_SCOPE],
                  "lineitems": f"https://{sub}.example/lineitems"}}


def test_a_launch_from_one_platform_leaves_the_other_platform_s_target_alone(
    app: Flask, package_copy: Path
) -> None:
    with app.app_context():
        course = import_course(package_copy)
        learner = make_user()
        enrolment = enrol(learner, course)
        platforms = []
        for name in ("moodle", "canvas"):
            platform = LtiPlatform(name=name, issuer=f"https://{name}.example", client_id="t",
                                   auth_login_url="https://a", auth_token_url="https://t",
                                   jwks_url="https://j", deployment_ids=[])
            db.session.add(platform)
            db.session.flush()
            platforms.append(platform)
        for platform in platforms:
            remember_grade_target(_claims(platform.name), platform, learner, course, enrolment)
        db.session.commit()
        targets = db.session.scalars(select(LtiGradeTarget).order_by(LtiGradeTarget.id)).all()
        assert [(t.platform_id, t.subject, t.lineitems_url) for t in targets] == [
            (platforms[0].id, "moodle", "https://moodle.example/lineitems"),
            (platforms[1].id, "canvas", "https://canvas.example/lineitems")]
