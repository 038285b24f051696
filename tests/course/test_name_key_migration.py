"""Accounts made before names were searched without accents are found that way too, once
the migration that keeps the search key has filled it in."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from course import create_app
from course.admin.learner_services import search_learners
from course.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
BEFORE = "d2f7a9c4e1b3"
ACCOUNT = (
    "INSERT INTO user_account (email, password_hash, full_name, role, active, session_version,"
    " created_at) VALUES (:email, '!', :name, 'learner', 1, 1, CURRENT_TIMESTAMP)"
)


def test_existing_accounts_are_found_without_their_accents_after_the_upgrade(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.begin() as conn:
            for n, name in enumerate(["Zoë  Ångström", "Łukasz Żółw", "Plain Name"]):
                conn.execute(text(ACCOUNT), {"email": f"a{n}@example.org", "name": name})
        upgrade(directory=MIGRATIONS)

        def found(query: str) -> list[str]:
            return [row.user.full_name for row in search_learners(query, None, 1).items]

        assert found("zoe angstrom") == ["Zoë  Ångström"]
        assert found("ZOLW") == []  # Ł is a letter of its own, not L with a mark
        assert found("łukasz żółw") == ["Łukasz Żółw"]
        assert found("plain") == ["Plain Name"]
        db.session.remove()  # its read would hold off the downgrade's write
        downgrade(directory=MIGRATIONS, revision=BEFORE)  # and back, leaving the names
        with db.engine.connect() as conn:
            names = conn.execute(text("SELECT full_name FROM user_account ORDER BY id"))
            assert names.scalars().all() == ["Zoë  Ångström", "Łukasz Żółw", "Plain Name"]
