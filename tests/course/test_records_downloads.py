"""Admin downloads at a provider's scale: learners' saves do not wait while one is built,
and the work does not grow a statement per certificate or completion."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select, update

from course.admin import roster
from course.extensions import db
from course.models import AuditEvent, User
from tests.course.factories import sign_in, write_elsewhere_without_waiting
from tests.course.test_admin_dataset import build_dataset


@pytest.fixture
def data(app: Flask, minimal_package_dir):
    with app.app_context():
        return build_dataset(minimal_package_dir)


def _learner_saves_during(original: Callable, saved: list[str]) -> Callable:
    """Wrap ``original`` so that, once it has run, another connection writes at once."""

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        # Any row will do: on SQLite every write needs the one write lock.
        statement = update(User).where(User.id == 1).values(profession="Social worker")
        write_elsewhere_without_waiting(statement)
        saved.append("saved")
        return result

    return wrapper


def _audited(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/admin/courses/minimal/roster.csv", "records.roster_exported"),
        ("/admin/courses/minimal/audit-pack.zip", "records.audit_pack_downloaded"),
    ],
)
def test_a_learner_saves_while_the_roster_or_audit_pack_is_built(
    app: Flask, data, monkeypatch: pytest.MonkeyPatch, path: str, action: str
) -> None:
    saved: list[str] = []
    monkeypatch.setattr(roster, "enrolment_times", _learner_saves_during(
        roster.enrolment_times, saved))  # fmt: skip
    response = sign_in(app.test_client(), data.admin).get(path)
    assert response.status_code == 200 and response.data
    assert saved  # mid-build, the write lock was free: the save did not wait
    [event] = _audited(app, action)
    assert event.actor_id == data.admin.id and event.subject_id == "minimal"
    assert event.ip_address == "127.0.0.1"
