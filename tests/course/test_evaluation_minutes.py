"""A self-reported time far under the course's contact hours is pointed out to the provider."""

from __future__ import annotations

import io
import re
import zipfile

from sqlalchemy import select, update

from course.extensions import db
from course.models import EvaluationAnswer, EvaluationItem
from tests.course.factories import sign_in


def _report_and_pack(app, data) -> tuple[str, str]:
    client = sign_in(app.test_client(), data.admin)
    report = " ".join(client.get("/admin/courses/minimal/report").get_data(as_text=True).split())
    archive = zipfile.ZipFile(io.BytesIO(client.get("/admin/courses/minimal/audit-pack.zip").data))
    return report, archive.read("seat-time.md").decode("utf-8-sig")


def test_answers_under_half_the_contact_time_are_counted(app, data):
    report, method = _report_and_pack(app, data)  # both learners said 45 or 55 minutes
    assert "under 8 minutes" not in report and "gave under" not in method
    with app.app_context():
        minutes = select(EvaluationItem.id).where(EvaluationItem.key == "minutes")
        first = db.session.scalars(
            select(EvaluationAnswer.id).where(EvaluationAnswer.item_id.in_(minutes))).first()
        db.session.execute(update(EvaluationAnswer).where(EvaluationAnswer.id == first)
                           .values(value="5"))
        db.session.commit()
    report, method = _report_and_pack(app, data)
    # The minimal course gives 0.25 contact hours: half is 7.5, said as 8 minutes.
    assert re.search(r"<strong>1 answer under 8 minutes</strong>, half the course's contact"
                     r" time", report)
    assert "1 answer gave under 8 min, half the contact time." in method
