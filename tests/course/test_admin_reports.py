"""Per-course reports on a dataset with known figures (see test_admin_dataset)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from course.admin import charts
from course.admin import report_services as reports
from course.dates import stamp_label
from course.db import utcnow
from course.extensions import db
from course.models import Course
from tests.course.author_kit import BASE
from tests.course.factories import sign_in
from tests.course.test_admin_dataset import COMMENTS


@pytest.fixture
def report(app, data):
    """The course report, computed in its own app context (closed before the test runs)."""
    with app.app_context():
        return reports.course_report(db.session.get(Course, data.course_id))


def _table(counts):
    return [(c.label, c.count, c.percent) for c in counts]


def test_funnel_counts_each_step_and_its_share_of_enrolled(report):
    assert report.enrolments == 4
    assert _table(report.funnel) == [
        ("Enrolled", 4, 100.0),
        ("Lessons done", 3, 75.0),
        ("Post-test passed", 2, 50.0),
        ("Evaluated", 2, 50.0),
        ("Certified", 1, 25.0),
    ]


def test_score_distribution_counts_every_submitted_attempt(report):
    scores = report.scores
    assert (scores.attempts, scores.passed, scores.mean) == (4, 2, 80.0)
    assert {c.label: (c.count, c.percent) for c in scores.bins if c.count} == {
        "60–69": (1, 25.0),
        "70–79": (1, 25.0),
        "90–100": (2, 50.0),
    }
    assert len(scores.bins) == 10 and sum(c.count for c in scores.bins) == 4


def test_item_difficulty_of_post_test_questions(report):
    stats = {s.question.key: (s.answers, s.correct, s.percent) for s in report.post_test}
    assert len(stats) == 12  # every question of the bank, answered or not
    for key in ("pt-lo1-1", "pt-lo1-2", "pt-lo1-3", "pt-lo1-4", "pt-lo2-1", "pt-lo2-2"):
        assert stats[key] == (4, 4, 100.0)
    assert stats["pt-lo2-3"] == (4, 3, 75.0)
    assert stats["pt-lo2-4"] == (4, 2, 50.0)
    assert stats["pt-lo3-1"] == (4, 2, 50.0)
    assert stats["pt-lo3-2"] == (4, 1, 25.0)
    assert stats["pt-lo3-3"] == stats["pt-lo3-4"] == (0, 0, None)


def test_item_difficulty_of_knowledge_checks_uses_first_tries(report):
    stats = {s.question.key: (s.answers, s.graded, s.correct, s.percent) for s in report.checks}
    assert stats == {
        "push-pull-1": (7, 4, 2, 50.0),
        "push-pull-2": (6, 4, 2, 50.0),
        "returning-1": (3, 3, 3, 100.0),
        "returning-2": (4, 3, 2, 66.7),
    }


def test_evaluation_results_per_item(report):
    by_key = {stat.item.key: stat for stat in report.evaluation}
    lo1, lo2, lo3 = by_key["eval-lo1"], by_key["eval-lo2"], by_key["eval-lo3"]
    assert [(c.label, c.count) for c in lo1.counts] == [
        ("1", 0), ("2", 0), ("3", 0), ("4", 1), ("5", 1)
    ]
    assert (lo1.responses, lo1.mean) == (2, 4.5)
    assert (lo2.mean, lo3.mean) == (4.0, 4.0)
    assert {c.label: c.percent for c in lo3.counts}["4"] == 100.0
    assert (by_key["minutes"].median, by_key["minutes"].responses) == (50.0, 2)
    assert _table(by_key["device"].counts) == [
        ("Phone", 1, 50.0), ("Tablet", 0, 0.0), ("Computer", 1, 50.0)
    ]
    # The page lists comments newest first (the audit pack keeps them all, oldest first).
    assert by_key["comments"].comments == [COMMENTS["b"], COMMENTS["a"]]
    assert by_key["comments"].comment_count == 2


def test_a_report_lists_only_the_newest_comments_and_says_where_the_rest_are(
    app, data, monkeypatch
):
    monkeypatch.setattr(reports, "REPORT_COMMENTS", 1)
    with app.app_context():
        course = db.session.get(Course, data.course_id)
        stat = next(s for s in reports.course_report(course).evaluation
                    if s.item.key == "comments")
        assert (stat.comments, stat.comment_count) == ([COMMENTS["b"]], 2)
        admin = sign_in(app.test_client(), data.admin)
        page = admin.get(f"/admin/courses/{course.slug}/report").get_data(as_text=True)
    assert "The 1 newest of 2 comments, newest first" in page and "evaluation-comments.csv" in page


def test_median_active_time_against_the_estimate(report, app, data):
    time = report.seat_time
    # Learners A, B and C did every lesson: 1500, 2100 and 1200 seconds -> median 1500 s.
    assert (time.measured, time.median_minutes) == (3, 25.0)
    with app.app_context():
        manifest = db.session.get(Course, data.course_id).manifest
    assert time.estimated_minutes == manifest["estimated_minutes"]
    # The checker's reading estimate: lesson text and knowledge checks, not the text alone.
    assert time.reading_minutes == manifest["reading_minutes"] > manifest["word_count"] / 167
    first, second = time.lessons
    # Lesson 1 was completed by all four (300, 500, 600, 900 s): median 550 s.
    assert (first.measured, first.median_minutes) == (4, 9.1)  # 550 s, to the tenth rounded down
    assert (second.measured, second.median_minutes) == (3, 15.0)


class _Charts(HTMLParser):
    """Collect each SVG's role and accessible name, and the tables' captions."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[dict] = []
        self.titles: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs.append(dict(attrs))
        self._in_title = tag == "title" and bool(self.svgs)

    def handle_data(self, data):
        if self._in_title:
            self.titles.append(data)
            self._in_title = False


def test_the_report_page_shows_charts_with_names_and_data_tables(app, data):
    client = sign_in(app.test_client(), data.admin)
    page = client.get("/admin/courses/minimal/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    parser = _Charts()
    parser.feed(html)
    # Funnel, scores, seat time, three Likert items and one choice item.
    assert len(parser.svgs) == 7
    assert all(svg["role"] == "img" and svg["aria-labelledby"] for svg in parser.svgs)
    assert "Completion funnel" in parser.titles
    assert "Learners at each step" in html and "Attempts by score" in html
    assert re.search(r"Certified</th>\s*<td class=\"num\">1</td>\s*<td class=\"num\">25.0%", html)
    assert "66.7%" in html  # returning-2, right at the first try
    assert client.get("/admin/courses/nope/report").status_code == 404
    # A screen reader lists regions by name: each evaluation item's table has its own.
    regions = re.findall(r'role="region" aria-label="([^"]+)"', html)
    assert "Answers to evaluation item 2" in regions
    assert len(regions) == len(set(regions))
    # A Likert answer reads as its words, not a bare 1-5 whose direction must be guessed.
    assert re.search(r'<th scope="row">Strongly agree \(5\)</th>\s*<td class="num">1</td>', html)
    assert '<th scope="row">Phone</th>' in html  # a choice is already its own words


def test_charts_escape_their_labels():
    svg = charts.bar_chart("x", "<b>title</b>", [charts.Bar('<script>"', 3)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<b>" not in svg
    assert 'role="img"' in svg and 'aria-labelledby="x-title x-desc"' in svg
    funnel = charts.funnel_chart("f", "Funnel", [charts.Bar("All", 4), charts.Bar("Half", 2)])
    assert funnel.count("chart-bar") == 2
    assert "All: 4; Half: 2" in funnel  # the description names every value
    stacked = charts.stacked_bar("s", "Likert", [charts.Bar(str(n), n) for n in range(1, 6)])
    assert stacked.count("<rect") == 10  # five segments and five legend keys


def test_admin_home_lists_courses_with_counts(app, data):
    client = sign_in(app.test_client(), data.admin)
    html = client.get("/admin/").get_data(as_text=True)
    assert "Youth Who Run from Foster Care (test course)" in html
    row = re.search(r"test course\).*?</tr>", html, re.S).group(0)
    assert re.findall(r'<td class="num" data-label="[^"]+">(\d+)</td>', row) == ["1", "4", "2", "1"]



def _says_when_generated(app, client, url: str) -> None:
    """The page at ``url`` says it was generated now, in the provider's zone, named."""
    with app.app_context():
        before = utcnow()
        response = client.get(url)
        after = utcnow()
        # Both ends: the second may turn during the request.
        said = {f"Generated {stamp_label(t)}." for t in (before, after)}
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert any(words in html for words in said), re.findall(r"Generated[^<]*", html)
    # As the audit pack and every audit page give a moment: to the second.
    moment = r"[A-Z][a-z]+ \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M [A-Z]+"
    assert re.search(rf"Generated {moment}\.", html)


def test_the_report_says_when_its_figures_were_computed(app, data):
    _says_when_generated(app, sign_in(app.test_client(), data.admin),
                         "/admin/courses/minimal/report")  # fmt: skip


def test_the_course_teams_report_says_when_too(app, author_client, course_slug):
    _says_when_generated(app, author_client, f"{BASE}/report")
