"""`flask db check`: each invariant broken by hand is reported; completions get certificates."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import Table, delete, func, insert, select, text, update

from course import certificate_changes
from course.extensions import db
from course.maintenance.invariants import check_invariants
from course.models import (
    AttemptAnswer,
    AuditEvent,
    Certificate,
    CertificateStatus,
    CheckResponse,
    Enrolment,
    EvaluationAnswer,
    EvaluationResponse,
    PostTestAttempt,
    Role,
    User,
)
from tests.course.factories import make_user
from tests.course.test_maintenance import complete_course, package  # noqa: F401


def _check(runner, *options: str):
    result = runner.invoke(args=["db", "check", *options])
    failing = {line.split(None, 2)[2] for line in result.output.splitlines() if line[:4] == "FAIL"}
    return result, failing


def _rules() -> dict[str, str]:
    return {f.key: f.rule for f in check_invariants().findings}


def _without_unique_keys(table: Table) -> None:
    """Rebuild a table with its rows but no constraints, so duplicates can be stored."""
    db.session.execute(text(f"CREATE TABLE tmp_copy AS SELECT * FROM {table.name}"))
    db.session.execute(text(f"DROP TABLE {table.name}"))
    db.session.execute(text(f"ALTER TABLE tmp_copy RENAME TO {table.name}"))


def _copy_row(model, **changes) -> None:
    """Insert a copy of the model's first row under a new id."""
    table = model.__table__
    row = db.session.execute(select(table).order_by(table.c.id).limit(1)).mappings().one()
    new_id = db.session.scalar(select(func.max(table.c.id))) + 1
    db.session.execute(insert(table).values({**row, "id": new_id, **changes}))


@pytest.fixture
def completed(app, package):  # noqa: F811
    learner, client, code = complete_course(app, package)
    return learner, client, code


def test_a_clean_database_passes_and_says_what_it_checked(app, runner, completed):
    result, failing = _check(runner)
    assert result.exit_code == 0, result.output
    assert failing == set()
    assert "Checked 1 enrollments" in result.output and "1 certificates" in result.output
    assert "All invariants hold." in result.output
    with app.app_context():
        report = check_invariants()
        assert report.ok and report.violations == 0 and len(report.findings) >= 12


def test_a_completion_without_its_certificate_is_reported_then_repaired(app, runner, package):  # noqa: F811
    learner, client, code = complete_course(app, package)
    with app.app_context():  # as if the learner never came back to the certificate page
        enrolment_id = db.session.scalar(select(Enrolment.id))
        db.session.execute(delete(AuditEvent))
        db.session.execute(delete(Certificate))
        db.session.commit()
        rule = _rules()["completion_has_certificate"]

    result, failing = _check(runner)
    assert result.exit_code == 1 and failing == {rule}
    assert f"enrolment {enrolment_id}" in result.output and "1 violation" in result.output

    repaired, failing = _check(runner, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert failing == set() and "Repaired: issued certificate" in repaired.output
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        assert certificate.status == CertificateStatus.VALID
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"certificate.issued", "certificate.issued_by_repair"} <= actions
    # The learner's next visit finds the repaired certificate; no second one is made.
    assert client.get("/courses/minimal/certificate").location.endswith(certificate.code)
    assert _check(runner, "--repair")[0].output.count("Repaired") == 0


def test_a_revoked_certificate_is_an_admins_decision_not_a_gap_to_repair(app, runner, completed):
    _, _, code = completed
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        admin = make_user(role=Role.ADMIN)
        certificate_changes.revoke(certificate, admin, "Completed by another person")
        db.session.commit()
    result, failing = _check(runner, "--repair")
    assert result.exit_code == 0 and failing == set() and "Repaired" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_a_knowledge_check_answer_stored_twice_is_reported(app, runner, completed):
    with app.app_context():
        _without_unique_keys(CheckResponse.__table__)
        db.session.execute(update(CheckResponse).values(submission_key="form-token-1"))
        _copy_row(CheckResponse)  # the same form, stored again
        db.session.commit()
        rule = _rules()["check_answer_once"]
    result, failing = _check(runner)
    assert result.exit_code == 1 and failing == {rule}
    assert "submission key form-token-1" in result.output


def test_an_attempt_answer_stored_twice_is_reported(app, runner, completed):
    with app.app_context():
        _without_unique_keys(AttemptAnswer.__table__)
        _copy_row(AttemptAnswer)
        db.session.commit()
        rules = _rules()
    result, failing = _check(runner)
    assert result.exit_code == 1
    assert failing == {rules["attempt_answer_once"], rules["attempt_recorded_whole"]}


_FIRST_ANSWER = select(func.min(AttemptAnswer.id)).scalar_subquery()


@pytest.mark.parametrize(
    "breakage",
    [
        delete(AttemptAnswer).where(AttemptAnswer.id == _FIRST_ANSWER),  # one answer lost
        delete(AttemptAnswer),  # submitted without any answers
        update(PostTestAttempt).values(correct_count=PostTestAttempt.correct_count - 1),
    ],
    ids=["one-answer-lost", "no-answers", "score-disagrees"],
)
def test_a_submitted_attempt_not_recorded_whole_is_reported(app, runner, completed, breakage):
    with app.app_context():
        attempt_id = db.session.scalar(select(PostTestAttempt.id))
        db.session.execute(breakage)
        db.session.commit()
        rule = _rules()["attempt_recorded_whole"]
    result, failing = _check(runner)
    assert result.exit_code == 1 and failing == {rule}
    assert f"attempt {attempt_id}" in result.output


def test_a_certificate_without_a_passed_attempt_is_reported(app, runner, completed):
    _, _, code = completed
    with app.app_context():
        db.session.execute(update(PostTestAttempt).values(passed=False))
        db.session.commit()
        rules = _rules()
    result, failing = _check(runner)
    assert result.exit_code == 1
    assert failing == {rules["certificate_has_passing_attempt"], rules["completion_earned"]}
    assert f"certificate {code}" in result.output


def test_a_certificate_without_an_evaluation_is_reported(app, runner, completed):
    _, _, code = completed
    with app.app_context():
        db.session.execute(delete(EvaluationAnswer))
        db.session.execute(delete(EvaluationResponse))
        db.session.commit()
        rules = _rules()
    result, failing = _check(runner, "--repair")
    assert result.exit_code == 1
    assert failing == {rules["certificate_has_evaluation"], rules["completion_earned"]}
    assert f"certificate {code}" in result.output


def test_two_valid_certificates_for_one_completion_are_reported(app, runner, completed):
    with app.app_context():
        db.session.execute(text("DROP INDEX uq_certificate_live"))
        _copy_row(Certificate, code="A" * 32, pdf_sha256=hashlib.sha256(b"x").hexdigest())
        db.session.commit()
        rule = _rules()["one_live_certificate"]
    result, failing = _check(runner)
    assert result.exit_code == 1 and failing == {rule}


def test_an_unsubmitted_attempt_with_answers_is_reported(app, runner, completed):
    with app.app_context():
        db.session.execute(
            update(PostTestAttempt).values(
                submitted_at=None, passed=None, correct_count=None, score_percent=None
            )
        )
        db.session.execute(delete(Certificate))
        db.session.execute(update(Enrolment).values(completed_at=None))
        db.session.execute(delete(EvaluationAnswer))
        db.session.execute(delete(EvaluationResponse))
        db.session.commit()
        rule = _rules()["attempt_recorded_whole"]
    result, failing = _check(runner)
    assert result.exit_code == 1 and failing == {rule}


@pytest.mark.parametrize(
    ("account", "certified"),
    [
        ({"full_name": "Jane \u202eHTIMS\u202c Doe"}, {"participant_name": "\u200b\u200b"}),
        # A license came under the rule later: LCSW-123456 on the PDF, the ending reversed
        # in a browser.
        ({"licence_number": "LCSW-1234\u202e56"}, {"licence_jurisdiction": "Ohio\u200b"}),
    ],
    ids=["name", "license"],
)
def test_text_stored_before_its_rule_that_could_lie_is_reported(
    app, runner, completed, account, certified
):
    learner, _, code = completed
    with app.app_context():
        db.session.execute(update(User).where(User.id == learner.id).values(**account))
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        certificate.snapshot = {**certificate.snapshot, **certified}
        db.session.commit()
        rule = _rules()["names_read_true"]
    result, failing = _check(runner)
    assert result.exit_code == 1 and failing == {rule}
    assert f"learner {learner.id}" in result.output and f"certificate {code}" in result.output
