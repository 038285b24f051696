"""An operator reading the application log sees each certificate issued, revoked,
reissued and reinstated: its code, who did it (an account id) and the event, and never
the learner's name or email."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from course import certificate_changes
from course.extensions import db
from course.models import Certificate, Role, User
from tests.course.certificate_kit import earn_certificate, quick
from tests.course.factories import make_user, sign_in

LEARNER = {"full_name": "Ada Lovelace", "email": "ada.lovelace@example.org"}


def _lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "course.eventlog"]


def _account_id(app: Flask, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


@pytest.fixture
def admin(app: Flask) -> tuple[FlaskClient, int]:
    with app.app_context():
        user = make_user(role=Role.ADMIN, full_name="Grace Hopper")
        return sign_in(app.test_client(), user), user.id


def test_each_certificate_event_is_one_info_line_with_code_actor_and_event(
    app: Flask, client: FlaskClient, package_copy: Path, admin, caplog
) -> None:
    admin_client, admin_id = admin
    with caplog.at_level(logging.INFO, logger="course.eventlog"):
        code = earn_certificate(app, client, quick(package_copy), **LEARNER)
        learner_id = _account_id(app, LEARNER["email"])
        reissued = admin_client.post(f"/admin/certificates/{code}/reissue",
                                     data={"reissue-reason": "Accents were missing"})
        second = reissued.location.rsplit("/", 1)[1]
        admin_client.post(f"/admin/certificates/{second}/revoke",
                          data={"reason": "Completed by another person"})
        reinstated = admin_client.post(f"/admin/certificates/{second}/reinstate",
                                       data={"reinstate-reason": "Revoked by mistake"})
        third = reinstated.location.rsplit("/", 1)[1]
    assert len({code, second, third}) == 3
    assert [(r.levelno, r.getMessage()) for r in _lines(caplog)] == [
        (logging.INFO, f"Certificate {code} issued by account {learner_id} (certificate.issued)"),
        (logging.INFO, f"Certificate {code} reissued as {second} by account {admin_id} "
                       "(certificate.reissued)"),
        (logging.INFO, f"Certificate {second} revoked by account {admin_id} "
                       "(certificate.revoked)"),
        (logging.INFO, f"Certificate {second} reinstated as {third} by account {admin_id} "
                       "(certificate.reinstated)"),
    ]
    # The same as fields of their own in LOG_FORMAT=json lines.
    revoked = _lines(caplog)[2]
    assert (revoked.event, revoked.certificate_code, revoked.actor_id) == (
        "certificate.revoked", second, admin_id)
    logged = "".join(r.getMessage() + str(vars(r)) for r in _lines(caplog))
    assert "Lovelace" not in logged and "ada.lovelace" not in logged
    assert "Grace" not in logged and "Hopper" not in logged


def test_a_change_rolled_back_is_not_logged(
    app: Flask, client: FlaskClient, package_copy: Path, admin, caplog
) -> None:
    # The log must not tell of a revocation the database does not hold.
    _, admin_id = admin
    code = earn_certificate(app, client, quick(package_copy), **LEARNER)
    with app.app_context(), caplog.at_level(logging.INFO, logger="course.eventlog"):
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        certificate_changes.revoke(certificate, db.session.get(User, admin_id), "Mistake")
        db.session.rollback()
        db.session.commit()  # a later commit in the same session writes nothing either
    assert _lines(caplog) == []
