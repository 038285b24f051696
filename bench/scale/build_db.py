"""Build a SQLite database of one CE provider at a chosen scale, for page timings.

Usage: python bench/scale/build_db.py OUT.db [--learners 10000] [--tries 5000]

One template learner of each kind in ``MIX`` walks the real flow through the Flask test
client (templates_walk.py); every other learner is a bulk Core clone of one template's
rows, kinds drawn by the ``MIX`` weights (cloning.py). The passed template then gets
``--tries`` extra knowledge-check tries. Beside OUT.db go OUT-content/ (a copy of the
course package, the app's CONTENT_DIR) and OUT.info.json (what the timing scripts read).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

from cloning import clone, many_tries
from templates_walk import walk_templates

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SLUG = "running-behavior"
CONTENT = ROOT / "content" / SLUG
HEAVY = "template-passed@example.org"  # the learner given --tries extra tries

# Shares of the enrolled learners: one template of each kind, clones drawn by these weights.
MIX = [
    ("passed", 0.22),  # passed first time, evaluation, certificate viewed and PDF downloaded
    ("retook", 0.07),  # failed, waited, passed
    ("reissued", 0.004),  # certificate revoked for reissue (name corrected) -> replaced
    ("revoked", 0.003),  # certificate revoked
    ("corrected", 0.003),  # asked for a correction, still open
    ("failed", 0.05),  # lessons done, failed the post-test, not back yet
    ("halfway", 0.40),  # some lessons done
    ("enrolled", 0.25),  # enrolled, nothing else
]


def info_path(db_file: Path) -> Path:
    """Where build_db.py leaves what the other scripts need to know about ``db_file``."""
    return db_file.with_name(db_file.stem + ".info.json")


def make_app(db_file: Path, content_root: Path):
    """The app on ``db_file``, xAPI on so statements queue in the outbox."""
    from course import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
            "CONTENT_DIR": str(content_root),
            "RATELIMIT_ENABLED": False,
            # statements queue in the outbox (never sent here: nothing listens there)
            "XAPI_ENABLED": True,
            "XAPI_ENDPOINT": "http://127.0.0.1:9/xapi",
        }
    )


def build(out: Path, learners: int, tries: int) -> dict:
    """Build the database at ``out``; return what the timing scripts need to know."""
    from sqlalchemy import func, select, text

    import lessons
    from course.extensions import db
    from course.models import Role, User
    from course.packages import import_package
    from tests.course.factories import join_team, make_user

    rng = random.Random(20261204)  # the same database each time, for like-for-like timings
    if out.exists():
        out.unlink()
    # the app gets its own copy of the package, so nothing it does touches the repository
    content_root = out.with_name(out.stem + "-content")
    if content_root.exists():
        shutil.rmtree(content_root)
    shutil.copytree(CONTENT, content_root / SLUG)
    app = make_app(out, content_root)
    started = time.time()
    with app.app_context():
        db.create_all()
        import_package(lessons.load_package(content_root / SLUG))
        db.session.commit()
        make_user(Role.ADMIN, email="admin@example.org", full_name="Site Admin")
        make_user(Role.AUTHOR, email="author@example.org", full_name="Course Author")
        author = db.session.scalar(select(User).where(User.email == "author@example.org"))
        join_team(SLUG, author, "reviewer")
    templates = walk_templates(app, SLUG, [kind for kind, _ in MIX], "admin@example.org")
    print(f"templates walked in {time.time() - started:.1f}s", flush=True)
    clone(app, templates, MIX, learners, rng)
    if tries:
        many_tries(app, HEAVY, tries)
    with app.app_context():
        counts = {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }
        # Planner statistics for the big tables. The app never runs ANALYZE itself, so a live
        # database without them may plan some queries differently.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    info = {"templates": templates, "heavy": HEAVY, "counts": counts, "content": str(content_root)}
    info_path(out).write_text(json.dumps(info, indent=1))
    print(json.dumps(counts, indent=1))
    print(f"built {out} in {time.time() - started:.1f}s")
    return info


def main() -> None:
    """Parse the command line and build."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--learners", type=int, default=10000)
    parser.add_argument("--tries", type=int, default=5000)
    args = parser.parse_args()
    build(args.out.resolve(), args.learners, args.tries)


if __name__ == "__main__":
    main()
