"""What the per-test apps of one test process share: the SQL their queries compile to."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from course.extensions import db
from course.models import User


def test_a_query_compiled_for_one_test_app_is_not_compiled_again_for_the_next(
    tmp_path, app_builder
):
    found = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        app = app_builder(tmp_path / name)
        with app.app_context():
            if db.engine.dialect.name != "sqlite":
                pytest.skip("PostgreSQL engines compile their own statements")
            query = select(User.id).where(User.email == f"{name}@example.org")
            with db.engine.connect() as conn:
                result = conn.execute(query)
                found.append((result.all(), result.context.cache_hit, db.engine.dialect))
            db.engine.dispose()
    (rows, _, dialect), (second_rows, second_hit, _) = found
    assert rows == second_rows == []
    # With an engine's own cache, the second app's first run of a query missed.
    assert second_hit == dialect.CACHE_HIT
