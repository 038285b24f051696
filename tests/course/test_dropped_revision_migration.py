"""A database migrated by a release whose revision later left the code still upgrades."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text

from course import create_app
from course.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def test_a_database_that_had_the_superseded_by_index_upgrades_to_the_models_schema(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="d2f7a9c4e1b3")
        # What the release of December 7, 2026 (00:17 UTC) left behind: its index and its
        # revision id, which the next release no longer knew ("Can't locate revision").
        with db.engine.begin() as conn:
            conn.execute(text(
                "CREATE INDEX ix_certificate_superseded_by_id ON certificate (superseded_by_id)"
            ))
            conn.execute(text("UPDATE alembic_version SET version_num = 'b7e3d9a2c5f1'"))
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
