"""The course evaluation on a phone: short enough to answer, and accessible all the same."""

from __future__ import annotations

import pytest
from browser_kit import PASSWORD, new_learner, signed_in_at
from page_audit import audit, measure, report
from playwright.sync_api import expect
from sqlalchemy import select

from course.db import utcnow
from course.extensions import db
from course.learn.services import enrol
from course.models import Course, LessonProgress, PostTestAttempt
from course.users import create_user

PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def _at_the_real_evaluation(server) -> str:
    """A new learner who passed the shipped course's post-test; returns the email."""
    name, email = new_learner()
    with server.app.app_context():
        user = create_user(email=email, password=PASSWORD, full_name=name)
        course = db.session.scalar(select(Course).where(Course.slug == server.real_slug))
        enrolment = enrol(user, course)
        now = utcnow()
        for lesson in course.live_lessons:
            db.session.add(LessonProgress(enrolment=enrolment, lesson_id=lesson.id,
                                          started_at=now, last_seen_at=now,
                                          reached_end_at=now, completed_at=now))
        db.session.add(PostTestAttempt(enrolment=enrolment, number=1,
                                       version_id=course.current_version_id, draw=[],
                                       started_at=now, submitted_at=now, correct_count=10,
                                       question_count=10, score_percent=100, passed=True))
        db.session.commit()
        db.session.remove()
    return email


@pytest.fixture
def evaluation_page(browser, live_server):
    """The shipped course's evaluation, open on a 375 px phone."""
    if live_server.real_slug is None:
        pytest.skip("needs the shipped course, whose evaluation has 13 questions")
    email = _at_the_real_evaluation(live_server)
    context = browser.new_context(**PHONE)
    try:
        page = signed_in_at(context, live_server, email,
                            f"/courses/{live_server.real_slug}/evaluation")
        expect(page.get_by_role("heading", level=1)).to_have_text("Course evaluation")
        page.wait_for_load_state("load")
        yield page
    finally:
        context.close()


def test_the_evaluation_is_short_enough_to_answer_on_a_phone(evaluation_page) -> None:
    page = evaluation_page
    # Eleven agree-disagree questions of five full-width rows each: 8,397 px at 375 px.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 6800, height
    # Still one group per question, named by its legend, each choice with its own words.
    likert = page.locator("form.evaluation fieldset.question:has(.scale)")
    expect(likert).to_have_count(11)
    for fieldset in likert.all():
        expect(fieldset.locator("> legend .check-prompt")).to_be_visible()
        expect(fieldset.get_by_role("radio")).to_have_count(5)
        for label in ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
                      "Strongly agree"):
            expect(fieldset.get_by_role("radio", name=label, exact=True)).to_have_count(1)
            expect(fieldset.locator("label", has_text=label).first).to_be_visible()
    # The middle of the scale spans the row: disagree above it, agree below.
    boxes = likert.first.locator("label").evaluate_all(
        "ls => ls.map(l => { const r = l.getBoundingClientRect(); return [r.top, r.left]; })")
    assert boxes[0][0] == boxes[1][0] < boxes[2][0] < boxes[3][0] == boxes[4][0], boxes
    assert measure(page) == []
    # A tap on a choice's words picks it, and the scale keeps its order for the keyboard.
    likert.first.get_by_text("Neither agree nor disagree").tap()
    expect(likert.first.get_by_role("radio", name="Neither agree nor disagree")).to_be_checked()
    likert.first.get_by_role("radio", name="Neither agree nor disagree").press("ArrowDown")
    expect(likert.first.get_by_role("radio", name="Agree", exact=True)).to_be_checked()


def test_the_compact_evaluation_reflows_at_320_px_and_with_large_text(
    evaluation_page,
) -> None:
    page = evaluation_page
    page.set_viewport_size({"width": 320, "height": 640})
    assert measure(page) == []
    # The browser's own text size doubled, as a learner with low vision sets it: one
    # column where two no longer fit, and still nothing sideways.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32}})
    page.reload()
    page.wait_for_load_state("load")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "32px"
    assert [p for p in measure(page) if "sideways" in p] == []
    lefts = page.locator("fieldset.question:has(.scale)").first.locator("label").evaluate_all(
        "ls => ls.map(l => Math.round(l.getBoundingClientRect().left))")
    assert len(set(lefts)) == 1, lefts


def test_the_evaluation_passes_the_page_audit_at_three_widths(evaluation_page) -> None:
    problems: dict[str, list[str]] = {}
    audit(evaluation_page, "evaluation-real-course", problems)
    assert not problems, report(problems)
