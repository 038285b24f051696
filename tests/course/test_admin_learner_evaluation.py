"""The learner's record shows each evaluation rating with its words, as the audit pack
does: a bare "4" does not say which end of the scale agrees."""

from __future__ import annotations

from sqlalchemy import select

from course.extensions import db
from course.models import Enrolment, EvaluationAnswer, EvaluationItem, EvaluationResponse
from tests.course.factories import sign_in


def test_a_likert_answer_reads_with_its_words(app, data):
    with app.app_context():
        value, user_id = db.session.execute(
            select(EvaluationAnswer.value, Enrolment.user_id)
            .join(EvaluationItem, EvaluationAnswer.item_id == EvaluationItem.id)
            .join(EvaluationResponse, EvaluationAnswer.response_id == EvaluationResponse.id)
            .join(Enrolment, EvaluationResponse.enrolment_id == Enrolment.id)
            .where(EvaluationItem.type == "likert")
        ).first()
    words = {"1": "Strongly disagree", "2": "Disagree", "3": "Neither agree nor disagree",
             "4": "Agree", "5": "Strongly agree"}[value]
    client = sign_in(app.test_client(), data.admin)
    page = " ".join(client.get(f"/admin/learners/{user_id}").get_data(as_text=True).split())
    assert f'<dd class="answer-text">{value} ({words})</dd>' in page
