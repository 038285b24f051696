"""Statements name the course version they were made under, so a registry can tell a
revision's learners (other lessons, questions or hours) from the first version's."""

from __future__ import annotations

from sqlalchemy import select

from course.extensions import db
from course.models import OutboxMessage
from tests.course.factories import import_course
from tests.course.journey import finish_lessons
from tests.course.test_maintenance import (  # noqa: F401
    complete_course,
    package,
    start_course,
)

XAPI_ON = {"XAPI_ENABLED": True, "XAPI_ENDPOINT": "http://127.0.0.1:9/xapi"}


def _revisions(app) -> dict[str, list[str | None]]:
    """Each verb's statements' context.revision, in the order they were queued."""
    with app.app_context():
        bodies = db.session.scalars(select(OutboxMessage.payload)
                                    .where(OutboxMessage.channel == "xapi")
                                    .order_by(OutboxMessage.id)).all()
    found: dict[str, list[str | None]] = {}
    for body in bodies:
        verb = body["verb"]["id"].rpartition("/")[2]
        found.setdefault(verb, []).append(body.get("context", {}).get("revision"))
    return found


def test_statements_name_the_course_version_a_revision_changes_it(
    app, package  # noqa: F811
):
    app.config.update(XAPI_ON)
    _learner, client = start_course(app, package)
    assert set(_revisions(app)["registered"]) == {"1"}
    assert set(_revisions(app)["answered"]) == {"1"}
    manifest = package / "course.yaml"
    manifest.write_text(manifest.read_text().replace("contact_hours: 0.25",
                                                     "contact_hours: 0.5"))
    with app.app_context():
        assert import_course(package).current_version.number == 2
        finish_lessons(client, "minimal")
    # The lessons read after the revision are the revision's, with the ids they always had.
    assert set(_revisions(app)["experienced"]) == {"2"}
    assert set(_revisions(app)["registered"]) == {"1"}  # what was sent stays as it was


def test_the_earned_statement_names_the_version_the_certificate_states(
    app, package  # noqa: F811
):
    app.config.update(XAPI_ON)
    complete_course(app, package)
    revisions = _revisions(app)
    assert revisions["earned"] == ["1"] and set(revisions["completed"]) == {"1"}
