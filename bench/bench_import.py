"""Time `course check` and `course import` on a generated 100-lesson package.

Usage: python bench/bench_import.py [--lessons 100] [--repeat 5]

Generates a valid package (each lesson ~600 words with tables, lists and three
knowledge checks; a 60-question post-test), then times, in-process:
  check  = lessons.check_package (load, render, sanitize, lint)
  import = import_package + commit into a fresh SQLite database (WAL)
and a re-import of the unchanged package. Prints the median of --repeat runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import lessons
from course import create_app
from course.extensions import db
from course.packages import import_package

PARAGRAPH = (
    "A youth who runs is often moving away from something that feels unsafe or toward "
    "someone who seems to offer belonging. Caseworkers who ask why, and who listen to the "
    "answer, learn what the youth needs to stay. "
)

TABLE = "| a | b |\n| --- | --- |\n| 1 | 2 |"


def write_package(root: Path, lesson_count: int) -> Path:
    """Write a valid package with lesson_count lessons; return its folder."""
    pkg = root / "bench-course"
    pkg.mkdir(parents=True)
    objectives = "\n".join(f"  - id: LO{i}\n    text: Describe topic {i}." for i in range(1, 4))
    hours = max(1.0, round(lesson_count * 600 / 167 / 60 * 2) / 2)
    draw = 10 + int((hours - 1) * 2) * 5
    (pkg / "course.yaml").write_text(
        f"""slug: bench-course
title: Benchmark course
version: 1
summary: Generated for the import benchmark.
audience: Testers
level: introductory
format: Self-paced online course
contact_hours: {hours}
credit_type: General
objectives:
{objectives}
provider:
  name: Bench provider
passing_score: 80
post_test:
  draw: {draw}
advisory: Generated text.
support:
  - name: Helpline
    contact: "988"
""",
        encoding="utf-8",
    )
    for n in range(1, lesson_count + 1):
        checks = "".join(
            f"""
```check
id: l{n}-c{k}
type: single
prompt: Question {k} of lesson {n}?
choices:
  - text: Right
    correct: true
    why: Because it is.
  - text: Wrong
    why: Because it is not.
```
"""
            for k in range(1, 4)
        )
        body = "\n\n".join(
            f"## Section {s}\n\n{PARAGRAPH * 4}\n\n- one\n- two\n\n{TABLE}" for s in range(1, 4)
        )
        # The format allows two-digit prefixes; the hundredth lesson shares "99-".
        name = f"{n:02d}-lesson-{n}.md" if n < 100 else f"99-lesson-{n}.md"
        (pkg / name).write_text(
            f"---\ntitle: Lesson {n}\nobjectives: [LO{1 + n % 3}]\n---\n\n{body}\n{checks}",
            encoding="utf-8",
        )
    questions = "".join(
        f"""  - id: pt-{q}
    type: single
    objective: LO{1 + q % 3}
    prompt: Post-test question {q}?
    choices:
      - text: Right
        correct: true
      - text: Wrong
    explanation: Explained.
"""
        for q in range(1, max(draw * 2, 30) + 1)
    )
    (pkg / "post-test.yaml").write_text("questions:\n" + questions, encoding="utf-8")
    items = "".join(
        f"  - id: e{i}\n    type: likert\n    prompt: Objective {i} was met.\n"
        f"    objective: LO{i}\n"
        for i in range(1, 4)
    )
    (pkg / "evaluation.yaml").write_text("items:\n" + items, encoding="utf-8")
    return pkg


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lessons", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    checks, imports, reimports = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        pkg = write_package(Path(tmp), args.lessons)
        for run in range(args.repeat):
            start = time.perf_counter()
            package, findings = lessons.check_package(pkg)
            checks.append(time.perf_counter() - start)
            errors = [f for f in findings if f.level == "error"]
            assert package is not None and not errors, errors[:5]

            app = create_app(
                {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench-{run}.db"}
            )
            with app.app_context():
                db.create_all()
                start = time.perf_counter()
                import_package(package)
                db.session.commit()
                imports.append(time.perf_counter() - start)
                start = time.perf_counter()
                import_package(lessons.check_package(pkg)[0])
                db.session.commit()
                reimports.append(time.perf_counter() - start)
                db.engine.dispose()
    words = sum(lesson.word_count for lesson in package.lessons)
    checks_total = sum(len(lesson.checks) for lesson in package.lessons)
    print(
        f"package: {args.lessons} lessons, {words:,} words, {checks_total} checks, "
        f"{len(package.post_test)} post-test questions"
    )
    med = statistics.median
    print(f"check                 median {med(checks):.3f} s")
    print(f"import (fresh DB)     median {med(imports):.3f} s")
    print(f"check + import        median {med(checks) + med(imports):.3f} s   (goal <= 2 s)")
    print(f"re-check + re-import of the unchanged package: median {med(reimports):.3f} s")


if __name__ == "__main__":
    main()
