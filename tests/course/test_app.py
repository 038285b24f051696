"""The application shell: factory, database settings, health check, pages, schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from course import create_app
from course.config import ProductionConfig
from course.db import utcnow
from course.extensions import db
from course.models import Certificate, CertificateStatus, Enrolment, LessonProgress, Role
from tests.course.factories import import_course, make_user, sign_in


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "rate_limits": "off"}


def test_healthz_says_when_the_rate_limits_fall_back_to_each_process(make_app):
    from tests.live_servers import free_port

    down = f"redis://127.0.0.1:{free_port()}"  # no Redis listens there
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=down)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200  # learners are still served
    assert response.get_json()["rate_limits"] == "per-process"
    # memory:// counts in each process too: with several workers, as loosely.
    memory = make_app(RATELIMIT_ENABLED=True)
    assert memory.test_client().get("/healthz").get_json()["rate_limits"] == "per-process"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite settings")
        db.engine.dispose()  # a new connection, as a web request gets
        with app.test_request_context("/"), db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            # A page's writes wait 2 s for the lock, then the learner is asked to retry.
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2000
        with db.engine.connect() as conn:  # a command's write waits up to a minute
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_default_database_is_a_file_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{Path(app.instance_path)}/course.db"


def test_postgres_urls_get_the_psycopg_driver():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgres://u:p@localhost/x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@localhost/x"


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


@pytest.mark.parametrize("name", ["prod", "Producton", "live", ""])
def test_an_unknown_environment_name_stops_the_start(monkeypatch, name):
    # Falling back to development would drop every production safeguard.
    monkeypatch.setenv("COURSE_ENV", name)
    with pytest.raises(RuntimeError, match="COURSE_ENV must be one of development, testing"):
        create_app()


def test_the_environment_name_is_read_in_any_case(monkeypatch):
    monkeypatch.setenv("COURSE_ENV", " Production ")
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):  # production's checks apply
        create_app()


def test_the_instance_folder_is_private(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    create_app({"TESTING": True})
    assert (tmp_path / "instance").stat().st_mode & 0o077 == 0


def test_catalogue_and_course_page_show_the_imported_course(app, client, minimal_package_dir):
    with app.app_context():
        import_course(minimal_package_dir)
    page = client.get("/").get_data(as_text=True)
    assert "Youth Who Run from Foster Care (test course)" in page
    assert "0.25 contact hours" in page
    course = client.get("/courses/minimal").get_data(as_text=True)
    assert "Describe push and pull factors" in course  # objectives
    assert "<strong>sexual exploitation</strong>" in course  # advisory, rendered at import
    assert "National Human Trafficking Hotline" in course  # support panel
    assert "Example Board of Social Work" in course  # approval, as configured
    assert "Alex Rivera, LCSW" in course


def test_course_without_approval_claims_none(app, client, package_copy):
    manifest = package_copy / "course.yaml"
    lines = manifest.read_text().splitlines()
    start = lines.index("  approval:")
    del lines[start : start + 4]
    manifest.write_text("\n".join(lines) + "\n")
    with app.app_context():
        import_course(package_copy)
    page = client.get("/courses/minimal").get_data(as_text=True)
    assert "has not been approved" in page
    assert "Example Board" not in page


def test_unknown_course_is_a_friendly_404(client):
    response = client.get("/courses/no-such-course")
    assert response.status_code == 404
    assert "could not find" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_pages_never_render_markdown_per_request(app, client, minimal_package_dir, monkeypatch):
    with app.app_context():
        course = import_course(minimal_package_dir)
        learner = make_user()
        lesson_slug = course.live_lessons[0].slug
    import lessons.render

    def forbidden(*args, **kwargs):
        raise AssertionError("Markdown rendered during a request")

    monkeypatch.setattr(lessons.render, "render_markdown", forbidden)
    monkeypatch.setattr(lessons.render, "render_inline", forbidden)
    monkeypatch.setattr("markdown.Markdown.convert", forbidden)
    sign_in(client, learner)
    assert client.get("/").status_code == 200
    assert client.get("/courses/minimal").status_code == 200
    client.post("/courses/minimal/enrol")
    response = client.get(f"/courses/minimal/lessons/{lesson_slug}")
    assert response.status_code == 200
    assert "Push and pull factors" in response.get_data(as_text=True)


def test_the_database_enforces_one_row_per_learner_and_lesson(app, minimal_package_dir):
    with app.app_context():
        course = import_course(minimal_package_dir)
        learner = make_user()
        enrolment = Enrolment(user_id=learner.id, course_id=course.id)
        db.session.add(enrolment)
        db.session.flush()
        lesson = course.live_lessons[0]
        db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id))
        db.session.flush()
        db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.add(Enrolment(user_id=learner.id, course_id=course.id))
        db.session.flush()
        db.session.add(Enrolment(user_id=learner.id, course_id=course.id))
        with pytest.raises(IntegrityError):
            db.session.flush()


def test_the_database_allows_one_live_certificate_per_learner_and_version(app, minimal_package_dir):
    with app.app_context():
        course = import_course(minimal_package_dir)
        learner = make_user()
        enrolment = Enrolment(user_id=learner.id, course_id=course.id)
        db.session.add(enrolment)
        db.session.flush()

        def certificate(code: str, status: CertificateStatus) -> Certificate:
            return Certificate(
                code=code, user_id=learner.id, course_id=course.id,
                version_id=course.current_version_id, enrolment_id=enrolment.id,
                status=status, snapshot={}, pdf_sha256="0" * 64, issued_at=utcnow(),
            )

        db.session.add(certificate("A", CertificateStatus.SUPERSEDED))
        db.session.add(certificate("B", CertificateStatus.VALID))
        db.session.flush()
        db.session.add(certificate("C", CertificateStatus.VALID))
        with pytest.raises(IntegrityError):
            db.session.flush()


def test_migrations_build_exactly_the_models_schema(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[2] / "migrations"))
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == []
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert db.session.scalar(select(db.func.count()).select_from(Enrolment)) == 0


def _start(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess:
    """Import the app as `gunicorn wsgi:app` would, with ``settings`` in the environment."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    env.pop("COURSE_ENV", None)
    env.update(settings)
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_setting_that_stops_the_start_is_one_plain_line(tmp_path):
    # What an operator sees from `gunicorn wsgi:app` or `flask --app wsgi ...`.
    started = _start(tmp_path, COURSE_ENV="prod")
    assert started.returncode == 1
    assert started.stderr == (
        "The course engine cannot start: COURSE_ENV must be one of development, testing,"
        " production, not 'prod'\n"
    )


def test_an_admin_is_told_that_starting_a_course_counts_them_as_a_learner(
    app, client, minimal_package_dir
):
    with app.app_context():
        import_course(minimal_package_dir)
        admin, learner = make_user(Role.ADMIN), make_user(email="l@example.org")
    sign_in(client, admin)
    page = client.get("/courses/minimal").get_data(as_text=True)
    assert "Starting enrolls you: your progress then counts in this course" in page
    assert 'href="/courses/minimal/preview">staff preview' in page
    sign_in(client, learner)
    assert "Starting enrolls you" not in client.get("/courses/minimal").get_data(as_text=True)


def test_a_number_or_a_switch_that_cannot_be_read_stops_the_start_naming_it(tmp_path):
    # A typo must not crash with a traceback that hides the name (MAIL_PORT), nor turn a
    # safeguard off without a word (MAIL_USE_TLS, RATELIMIT_ENABLED read "maybe" as off).
    started = _start(tmp_path, MAIL_PORT="58 7", MAIL_USE_TLS="maybe", TRUST_PROXY="nginx")
    assert started.returncode == 1, started.stderr
    assert started.stderr == (
        "The course engine cannot start: MAIL_PORT must be a whole number, not '58 7';"
        " MAIL_USE_TLS must be 1, true, yes or on, or 0,"
        " false, no or off, not 'maybe'; TRUST_PROXY must be the number of proxies in front"
        " of the app, not 'nginx'\n"
    )


def test_a_number_below_its_floor_stops_the_start_naming_it(tmp_path):
    # SESSION_IDLE_MINUTES=0 signed every learner out on their next page; a heartbeat of
    # 0 seconds had every open lesson call the server without pause.
    started = _start(tmp_path, SESSION_IDLE_MINUTES="0", HEARTBEAT_SECONDS="-5")
    assert started.returncode == 1, started.stderr
    assert started.stderr == (
        "The course engine cannot start: SESSION_IDLE_MINUTES must be 1 or more, not '0';"
        " HEARTBEAT_SECONDS must be 1 or more, not '-5'\n"
    )


def test_a_rate_limit_that_cannot_be_read_stops_the_start_naming_it(tmp_path):
    # Flask-Limiter only logs an unreadable limit at each request and lets it through:
    # sign-in went without any limit.
    started = _start(tmp_path, LOGIN_RATE_LIMIT="lots", RATELIMIT_STORAGE_URI="127.0.0.1:6379")
    assert started.returncode == 1, started.stderr
    assert started.stderr == (
        "The course engine cannot start: LOGIN_RATE_LIMIT must read like '20 per minute;"
        " 200 per hour', not 'lots'; RATELIMIT_STORAGE_URI must start memory:// or redis://,"
        " not '127.0.0.1:6379'\n"
    )


def test_a_sentry_address_or_a_database_address_that_cannot_be_used_is_named(tmp_path):
    for setting, value, said in [
        ("DATABASE_URL", "mysql://course@localhost/course",
         "DATABASE_URL must be a postgresql:// address (or sqlite:///PATH), not one"
         " starting 'mysql'"),
        ("SENTRY_DSN", "sentry.example.org/7", "SENTRY_DSN must be the address the error"
         " tracker gives, like https://KEY@sentry.example.org/7, not 'sentry.example.org/7'"),
    ]:
        started = _start(tmp_path, **{setting: value})
        assert started.returncode == 1, started.stderr
        assert started.stderr.startswith(f"The course engine cannot start: {said}")
        assert "Traceback" not in started.stderr


def test_an_xapi_version_the_engine_does_not_write_stops_the_start(tmp_path):
    # "2.0" would go out as the header, and an LRS of xAPI 2.0 takes "2.0.0".
    started = _start(tmp_path, XAPI_VERSION="2.0")
    assert started.returncode == 1, started.stderr
    assert started.stderr == ("The course engine cannot start: XAPI_VERSION must be one of "
                              "1.0.3, 2.0.0, not '2.0'\n")
