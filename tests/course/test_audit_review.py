"""What an accreditor reads in the audit pack and the certificate records, checked as they
would read them: the blueprint against the real draw, reasons for replaced certificates,
the time zone named, the columns explained."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

import pytest

from course.models import Role
from lessons.draw import plan_shares
from tests.course.factories import import_course, make_user, sign_in

REAL_COURSE = Path(__file__).resolve().parents[2] / "content" / "running-behavior"


def _pack(client, slug: str, **query) -> zipfile.ZipFile:
    response = client.get(f"/admin/courses/{slug}/audit-pack.zip", query_string=query)
    assert response.status_code == 200, response.status_code
    return zipfile.ZipFile(io.BytesIO(response.data))


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_the_blueprint_expects_what_the_draw_by_objective_gives(app):
    with app.app_context():
        import_course(REAL_COURSE)
        admin = make_user(Role.ADMIN)
    rows = _csv(_pack(sign_in(app.test_client(), admin), "running-behavior"),
                "post-test-blueprint.csv")
    sizes = {row["objective"]: int(row["questions_in_bank"]) for row in rows}
    assert len(set(sizes.values())) > 1, "the banks differ in size, or this proves nothing"
    draw = int(rows[0]["draw"])
    rng, runs = random.Random(7), 4000
    totals = dict.fromkeys(sizes, 0)
    for _ in range(runs):
        for objective, share in plan_shares(list(sizes), sizes, draw, rng).items():
            totals[objective] += share
    # What an attempt really draws for each objective, on average, against the file.
    for row in rows:
        assert abs(float(row["expected_per_attempt"]) - totals[row["objective"]] / runs) < 0.06, row
    assert sum(float(row["expected_per_attempt"]) for row in rows) == pytest.approx(draw, abs=0.4)
