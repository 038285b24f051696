"""Walk one template learner of each kind through the real flow with the Flask test client.

The app's own views and services write every row: lessons with their checks, post-tests
failed and retaken, the evaluation, the certificate and its PDF, a certificate revoked,
one reissued after a name correction, a correction request left open.
"""

from __future__ import annotations

from datetime import timedelta


def walk_templates(app, slug: str, kinds: list[str], admin_email: str) -> dict[str, int]:
    """Walk one learner per kind in ``kinds`` through course ``slug``; return {kind: user id}."""
    from sqlalchemy import select, update

    from course.extensions import db
    from course.models import (
        Certificate,
        Course,
        Enrolment,
        EvaluationItem,
        LessonProgress,
        PostTestAttempt,
        Role,
        User,
    )
    from tests.course.factories import make_user, sign_in
    from tests.course.journey import (
        answers_for,
        check_positions,
        correct_keys,
        finish_lessons,
        open_attempt,
        wrong_keys,
    )

    admin_client = app.test_client()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == admin_email))
        sign_in(admin_client, admin)

    def admin_post(path, data):
        """POST as the admin, after committing what the learner's requests left open."""
        db.session.commit()  # the learner's requests ran in the outer context's session
        with app.app_context():  # its own g, so its own signed-in user
            return admin_client.post(path, data=data)

    def evaluation_data():
        """Form data answering every live evaluation item."""
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        data = {}
        for item in db.session.scalars(
            select(EvaluationItem).where(
                EvaluationItem.course_id == course.id, EvaluationItem.archived_at.is_(None)
            )
        ):
            data[f"item-{item.id}"] = {
                "likert": "4",
                "number": "60",
                "text": "Useful, thanks.",
            }.get(item.type, (item.choices or ["x"])[0])
        return data

    def backdate(user_id: int, minutes: int) -> None:
        """Move the learner's submitted attempts ``minutes`` into the past."""
        db.session.commit()  # a new snapshot: the requests wrote through other sessions
        enrolment = db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == user_id))
        for attempt in db.session.scalars(
            select(PostTestAttempt).where(
                PostTestAttempt.enrolment_id == enrolment, PostTestAttempt.submitted_at.is_not(None)
            )
        ):
            attempt.submitted_at -= timedelta(minutes=minutes)
            attempt.started_at -= timedelta(minutes=minutes)
        db.session.commit()

    def enough_time(user_id: int) -> None:
        """Credit the learner's lessons with enough active time for the post-test."""
        db.session.commit()
        enrolment = db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == user_id))
        db.session.execute(
            update(LessonProgress)
            .where(LessonProgress.enrolment_id == enrolment)
            .values(active_seconds=900)
        )
        db.session.commit()

    def post_test(client, right: int) -> None:
        """Open the post-test and submit it with ``right`` answers correct."""
        client.get(f"/courses/{slug}/post-test")
        db.session.commit()
        attempt = open_attempt(client, slug)
        response = client.post(f"/courses/{slug}/post-test", data=answers_for(attempt, right))
        assert response.status_code in (302, 303), response.status_code

    def halfway(client) -> None:
        """Finish the first three lessons (each check answered wrong, then right), open the 4th."""
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        live = course.live_lessons
        for lesson in live[:3]:
            client.get(f"/courses/{slug}/lessons/{lesson.slug}")
            for check in lesson.live_checks:
                for keys in (wrong_keys(check), correct_keys(check)):
                    client.post(
                        f"/courses/{slug}/lessons/{lesson.slug}/checks/{check.key}",
                        data={"choice": check_positions(client, slug, check, keys)},
                    )
            client.post(f"/courses/{slug}/lessons/{lesson.slug}/complete")
        client.get(f"/courses/{slug}/lessons/{live[3].slug}")

    def finish(client, user) -> str:
        """Submit the evaluation, fetch the certificate, its PDF and JSON; return its code."""
        response = client.get(f"/courses/{slug}/evaluation")
        assert response.status_code == 200, response.status_code
        response = client.post(f"/courses/{slug}/evaluation", data=evaluation_data())
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:3000]
        response = client.get(f"/courses/{slug}/certificate", follow_redirects=True)
        assert response.status_code == 200
        db.session.commit()
        code = db.session.scalar(
            select(Certificate.code).where(
                Certificate.user_id == user.id, Certificate.status == "valid"
            )
        )
        assert code, "no certificate"
        assert client.get(f"/me/certificates/{code}.pdf").status_code == 200
        client.get(f"/me/certificates/{code}.json")
        return code

    def after_certificate(kind: str, client, user, code: str) -> None:
        """What happens to the certificate next: revoked, reissued or a correction asked."""
        if kind == "revoked":
            r = admin_post(
                f"/admin/certificates/{code}/revoke",
                data={"reason": "Issued in error: duplicate account."},
            )
            assert r.status_code == 302, r.status_code
        elif kind == "reissued":
            # the learner asks, the admin corrects the name and reissues
            client.post(
                f"/me/certificates/{code}/correction",
                data={
                    "kind": "name",
                    "requested_value": "Template Reissued Learner-Smith",
                    "message": "Married name",
                },
            )
            admin_post(
                f"/admin/learners/{user.id}/details",
                data={
                    "full_name": "Template Reissued Learner-Smith",
                    "licence_number": "LCSW-12345",
                    "reason": "Learner's email: new married name",
                },
            )
            r = admin_post(
                f"/admin/certificates/{code}/reissue",
                data={"reissue-reason": "Name corrected at learner's request"},
            )
            assert r.status_code == 302, r.status_code
        elif kind == "corrected":
            r = client.post(
                f"/me/certificates/{code}/correction",
                data={
                    "kind": "license",
                    "requested_value": "LCSW-54321",
                    "message": "Typo in my licence",
                },
            )
            assert r.status_code in (302, 303), r.status_code

    templates = {}
    # One app context per learner: Flask-Login caches the signed-in user on ``g``, which
    # lives on the app context the test client's requests reuse.
    for kind in kinds:
        with app.app_context():
            user = make_user(
                Role.LEARNER,
                email=f"template-{kind}@example.org",
                full_name=f"Template {kind.title()} Learner",
                licence_number="LCSW-12345",
            )
            client = app.test_client()
            sign_in(client, user)
            templates[kind] = user.id
            assert client.post(f"/courses/{slug}/enrol").status_code == 302
            db.session.commit()
            if kind == "enrolled":
                continue
            if kind == "halfway":
                halfway(client)
                continue
            finish_lessons(client, slug)
            enough_time(user.id)
            if kind in ("retook", "failed"):
                post_test(client, 5)
                backdate(user.id, 60)  # past the retake wait
                if kind == "failed":
                    continue
            post_test(client, 10)
            code = finish(client, user)
            after_certificate(kind, client, user, code)
            # a look at the transcript and the course page, as a learner would
            client.get("/me")
            client.get(f"/courses/{slug}")
            db.session.remove()
    return templates
