"""Course teams and review before publishing: who may open, edit, review and publish."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from course import create_app
from course.author.packagezip import read_package_zip, write_package_zip
from course.extensions import db
from course.models import (
    AuditEvent,
    Course,
    CourseMember,
    CourseVersion,
    RevisionComment,
    Role,
    TeamRole,
)
from tests.course.author_kit import BASE, LESSON, flashes, lesson_text, post_publish, submit
from tests.course.factories import join_team, make_user, sign_in

NOTE = {"note": "Reviewed and approved."}
PUBLISH = f"{BASE}/publish"

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def _edit(client, words: str = "Young people leave") -> None:
    first, rest = lesson_text(client).split("\n", 1)
    body = f"{words} for reasons that make sense to them.\n{rest}"
    assert "Saved as revision" in flashes(client, submit(client, LESSON, "save", body=body))


def _versions() -> int:
    return len(db.session.scalars(select(CourseVersion)).all())


def _published_events() -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "course.published")
    return list(db.session.scalars(query))


# -- who may open a course -------------------------------------------------------------


def test_an_author_off_the_team_is_refused_with_a_page_that_says_why(app, client, course_slug):
    with app.app_context():
        outsider = make_user(Role.AUTHOR, full_name="Olive Outsider")
    sign_in(client, outsider)
    home = client.get("/author/").get_data(as_text=True)
    assert "Youth Who Run" not in home and "No courses yet" not in home
    assert "You are on no course's team yet: an administrator adds you" in home
    for url in (f"{BASE}/", LESSON, f"{BASE}/settings", f"{BASE}/publish", f"{BASE}/report"):
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.get_data(as_text=True)
        assert "You are not on the team of the course “Youth Who Run" in page, url
        assert "ask one if you should work on this course" in page
    saved = client.post(LESSON, data={"body": "Mine now.\n", "action": "save"})
    assert saved.status_code == 403 and saved.location is None  # no silent redirect
    assert post_publish(client, PUBLISH, NOTE).status_code == 403
    with app.app_context():
        assert _versions() == 1
    # An unknown course is still "not found", not "forbidden".
    assert client.get("/author/courses/nope/").status_code == 404


def test_a_team_member_sees_the_team_and_the_course_report(app, author_client, reviewer):
    home = author_client.get("/author/").get_data(as_text=True)
    assert "Youth Who Run" in home
    dashboard = author_client.get(f"{BASE}/").get_data(as_text=True)
    assert "Avery Author: author" in dashboard and "Riley Reviewer: reviewer" in dashboard
    assert "Manage the team" not in dashboard  # that is an admin's page
    report = author_client.get(f"{BASE}/report")
    assert report.status_code == 200
    page = report.get_data(as_text=True)
    assert "Completion funnel" in page and "Item analysis" in page
    assert "Audit pack" not in page  # learners' records stay with the administrators
    assert author_client.get("/admin/courses/minimal/report").status_code == 403


# -- review before publishing ------------------------------------------------------------


def test_an_author_publishing_alone_is_refused(app, author_client):
    _edit(author_client)
    page = author_client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Publish revision" not in page
    assert "Only a reviewer of “Youth Who Run" in page
    response = post_publish(author_client, PUBLISH, NOTE)
    assert response.status_code == 403
    assert "You are on its team as an author" in response.get_data(as_text=True)
    with app.app_context():
        assert _versions() == 1 and _published_events() == []


def test_a_reviewer_publishing_their_own_edit_is_refused(app, client, reviewer):
    sign_in(client, reviewer)
    _edit(client)
    page = client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Publish revision" not in page
    assert "You made changes in this draft (revision 2)" in page
    response = post_publish(client, PUBLISH, NOTE)
    assert response.status_code == 403
    assert "a reviewer who did not make them must publish it" in response.get_data(as_text=True)
    with app.app_context():
        assert _versions() == 1 and _published_events() == []
        second = join_team("minimal", make_user(Role.AUTHOR, full_name="Sam Second"), "reviewer")
    sign_in(client, second)
    assert "Published as version 2." in flashes(client, post_publish(client, PUBLISH, NOTE))


def test_an_edit_after_a_reviewer_edit_does_not_let_that_reviewer_publish(
    app, client, author, reviewer
):
    # Being no longer the *last* editor is not enough: the reviewer made part of it.
    sign_in(client, reviewer)
    _edit(client)
    sign_in(client, author)
    _edit(client, "Youth who run leave")
    sign_in(client, reviewer)
    assert post_publish(client, PUBLISH, NOTE).status_code == 403


def test_an_admin_who_edited_needs_another_reviewer_too(app, client, course_slug):
    with app.app_context():
        admin, other = make_user(Role.ADMIN), make_user(Role.ADMIN, full_name="Ada Admin")
    sign_in(client, admin)
    _edit(client)
    assert post_publish(client, PUBLISH, NOTE).status_code == 403
    sign_in(client, other)
    assert "Published as version 2." in flashes(client, post_publish(client, PUBLISH, NOTE))
    # The next round starts afresh: changes published are no longer anyone's to review.
    sign_in(client, admin)
    _edit(client, "Youth who run leave")
    sign_in(client, other)
    assert "Published as version 3." in flashes(client, post_publish(client, PUBLISH, NOTE))


def test_self_publishing_when_allowed_is_recorded_as_such(app, client, reviewer):
    app.config["ALLOW_SELF_PUBLISH"] = True
    sign_in(client, reviewer)
    _edit(client)
    page = client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "This site allows self-publishing" in page
    assert "Published as version 2." in flashes(client, post_publish(client, PUBLISH, NOTE))
    with app.app_context():
        (event,) = _published_events()
        assert event.detail["self_published"] is True
        assert event.detail["editors"] == [reviewer.id]
        assert event.ip_address == "127.0.0.1"
        course = db.session.scalar(select(Course))
        assert "self-published by one of its editors, without a second reviewer" in (
            course.current_version.note
        )


def test_self_publishing_never_lets_an_author_publish(app, author_client):
    app.config["ALLOW_SELF_PUBLISH"] = True
    _edit(author_client)
    assert post_publish(author_client, PUBLISH, NOTE).status_code == 403


# -- review comments ---------------------------------------------------------------------


def test_review_comments_on_a_revision_are_added_shown_and_resolved(
    app, client, author, reviewer
):
    sign_in(client, author)
    _edit(client)
    sign_in(client, reviewer)
    response = client.post(
        f"{BASE}/comments",
        data={"body": "Say “youth who run” here.\r\nThanks!", "file": "01-push-pull.md"},
    )
    assert response.status_code == 303
    sign_in(client, author)
    page = client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Review comments (1 open)" in page
    assert "Riley Reviewer on revision 2, <code>01-push-pull.md</code>" in page
    assert "Say “youth who run” here.\nThanks!" in page
    assert "1 open review comment" in client.get(f"{BASE}/").get_data(as_text=True)
    with app.app_context():
        comment = db.session.scalar(select(RevisionComment))
        assert (comment.revision_number, comment.author_id) == (2, reviewer.id)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.commented"))
        assert event.actor_id == reviewer.id and event.detail["revision"] == 2
    _edit(client, "Youth who run leave")
    client.post(f"{BASE}/comments/{comment.id}/resolve")
    page = client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Review comments (" not in page and "resolved</strong> by Avery Author" in page
    with app.app_context():
        assert db.session.get(RevisionComment, comment.id).resolved_by_id == author.id


def test_bad_comments_are_refused(app, client, author, course_slug):
    sign_in(client, author)
    assert client.post(f"{BASE}/comments", data={"body": "Too early"}).status_code == 404
    _edit(client)
    empty = client.post(f"{BASE}/comments", data={"body": "   "})
    assert empty.status_code == 422 and "Write the comment first." in empty.get_data(as_text=True)
    long = client.post(f"{BASE}/comments", data={"body": "x" * 5001})
    assert long.status_code == 422
    assert client.post(f"{BASE}/comments/999/resolve").status_code == 404
    with app.app_context():
        outsider = make_user(Role.AUTHOR)
        assert db.session.scalar(select(RevisionComment)) is None
    sign_in(client, outsider)
    assert client.post(f"{BASE}/comments", data={"body": "Hello"}).status_code == 403


# -- teams managed by admins -------------------------------------------------------------


def test_admins_add_change_and_remove_team_members_with_an_audit_trail(app, client, course_slug):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        candidate = make_user(Role.AUTHOR, full_name="Casey Candidate", email="casey@example.org")
        learner = make_user(full_name="Lee Learner", email="lee@example.org")
    sign_in(client, admin)
    url = "/admin/courses/minimal/team"
    assert "Nobody yet." in client.get(url).get_data(as_text=True)
    why = {"reason": "Leads the 2027 revision"}
    unexplained = client.post(url, data={"email": "casey@example.org", "role": "reviewer"})
    assert unexplained.status_code == 422
    assert '<a href="#add-reason">Give the reason for adding them.</a>' in unexplained.text
    assert 'value="casey@example.org"' in unexplained.text  # what was typed is kept
    added = client.post(url, data={"email": " Casey@Example.org ", "role": "reviewer", **why})
    assert added.status_code == 303
    assert "Casey Candidate" in client.get(url).get_data(as_text=True)
    refused = client.post(url, data={"email": "lee@example.org", "role": "author", **why})
    assert refused.status_code == 422
    assert "Lee Learner is not an author." in refused.get_data(as_text=True)
    unknown = client.post(url, data={"email": "nobody@example.org", "role": "author", **why})
    assert "There is no account with the email address" in unknown.get_data(as_text=True)
    again = client.post(url, data={"email": "casey@example.org", "role": "author", **why})
    assert "is already on this course" in again.get_data(as_text=True)
    owner = {"email": "casey@example.org", "role": "owner", **why}
    assert client.post(url, data=owner).status_code == 422
    with app.app_context():
        member = db.session.scalar(select(CourseMember))
        assert (member.user_id, member.role, member.added_by_id) == (
            candidate.id, TeamRole.REVIEWER, admin.id,
        )  # fmt: skip
    page = client.get(f"{url}/{member.id}").text
    assert "Casey Candidate, on the team of" in page and 'id="team-role-reason"' in page
    # Without a reason nothing changes: the member's page says so at its top.
    for action, data, box in (("role", {"role": "author"}, "team-role-reason"),
                              ("remove", {}, "remove-reason")):
        refused = client.post(f"{url}/{member.id}/{action}", data=data)
        assert refused.status_code == 422 and f'<a href="#{box}">Give the reason' in refused.text
    client.post(f"{url}/{member.id}/role", data={"role": "author", "reason": "Steps back"})
    client.post(f"{url}/{member.id}/remove", data={"reason": "Left the agency"})
    with app.app_context():
        assert db.session.scalar(select(CourseMember)) is None
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("team.%")).order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.actor_id, e.ip_address) for e in events] == [
            ("team.member_added", admin.id, "127.0.0.1"),
            ("team.role_changed", admin.id, "127.0.0.1"),
            ("team.member_removed", admin.id, "127.0.0.1"),
        ]
        who = {"user_id": candidate.id, "name": "Casey Candidate", "email": "casey@example.org"}
        assert [e.detail for e in events] == [
            {**who, "role": "reviewer", "reason": "Leads the 2027 revision"},
            {**who, "from": "reviewer", "to": "author", "reason": "Steps back"},
            {**who, "role": "author", "reason": "Left the agency"},
        ]
    assert client.get("/admin/courses/nope/team").status_code == 404
    assert client.post(f"{url}/999/remove", data={"reason": "x"}).status_code == 404
    assert client.get(f"{url}/999").status_code == 404
    assert learner.role == Role.LEARNER


def test_only_admins_manage_teams(app, author_client, author):
    assert author_client.get("/admin/courses/minimal/team").status_code == 403
    response = author_client.post(
        "/admin/courses/minimal/team", data={"email": "x@example.org", "role": "reviewer"}
    )
    assert response.status_code == 403


def test_a_new_course_from_a_zip_makes_its_creator_its_author(app, client, course_slug):
    with app.app_context():
        creator = make_user(Role.AUTHOR)
        join_team(course_slug, creator)
    sign_in(client, creator)
    package = read_package_zip(client.get(f"{BASE}/package.zip").data)
    package["course.yaml"] = package["course.yaml"].replace("slug: minimal", "slug: fresh", 1)
    data = write_package_zip("fresh", package)
    created = client.post("/author/new", data={"package": (io.BytesIO(data), "fresh.zip")})
    assert created.location.endswith("/author/courses/fresh/")
    assert "/author/courses/fresh/" in client.get("/author/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(
            select(CourseMember.role).where(
                CourseMember.course_slug == "fresh", CourseMember.user_id == creator.id
            )
        ) == TeamRole.AUTHOR


# -- the database keeps teams consistent ---------------------------------------------------


def test_one_role_per_person_and_course_is_enforced_by_the_database(app, author):
    with app.app_context():
        db.session.add(CourseMember(course_slug="minimal", user_id=author.id, role="reviewer"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(IntegrityError):
            db.session.execute(
                text(
                    "INSERT INTO course_member (course_slug, user_id, role, added_at) "
                    "VALUES ('other', :u, 'owner', CURRENT_TIMESTAMP)"
                ),
                {"u": author.id},
            )
        db.session.rollback()


def test_the_migration_keeps_every_existing_author_on_every_existing_course(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="d4e1a7c90b3f")
        with db.engine.begin() as conn:
            for n, role in ((1, "author"), (2, "learner"), (3, "admin")):
                conn.execute(
                    text(
                        "INSERT INTO user_account (id, email, password_hash, full_name, role, "
                        "active, session_version, failed_login_count, created_at) VALUES "
                        "(:n, :e, 'x', 'Person', :r, 1, 1, 0, CURRENT_TIMESTAMP)"
                    ),
                    {"n": n, "e": f"p{n}@example.org", "r": role},
                )
            conn.execute(
                text(
                    "INSERT INTO course_draft (slug, files, revision_number, created_at, "
                    "updated_at) VALUES ('draft-only', '{}', 1, CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                )
            )
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT course_slug, user_id, role FROM course_member"))
            assert rows.all() == [("draft-only", 1, "author")]
        db.engine.dispose()


def test_the_refusal_counts_the_reviewers_revisions_and_names_who_can_allow_self_publishing(
    client, reviewer
):
    sign_in(client, reviewer)
    _edit(client)
    _edit(client, "Youth leave for many reasons")
    page = client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "You made changes in this draft (revisions 2, 3)" in page
    # Self-publishing is the site's setting, not one on the course's Settings tab.
    assert "in its settings" not in page
    assert "administrator can allow self-publishing" in page
