"""The admin's learner pages at scale: the list's figures page after page, and a record
that shows each knowledge check's newest try and count, with every try paged apart."""

from __future__ import annotations

import re

from sqlalchemy import select

from course.extensions import db
from course.learn import services as learn
from course.learn.content import content_of
from course.models import Course, Enrolment, LessonProgress, Role, User
from tests.course.factories import make_user, sign_in
from tests.course.journey import correct_keys, wrong_keys

ROW = re.compile(
    r'id="name-(\d+)">.*?</th>.*?<td class="num">(\d+)</td>\s*'
    r'<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>',
    re.S,
)


SUMMARY = re.compile(
    r'<tr><th scope="row"><code>([\w-]+)</code>.*?</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>'
    r'\s*<td>.*?</td>\s*<td class="num"><a href="([^"]+)">([\d,]+) tr',
    re.S,
)
TRY = re.compile(r"<tr><td>[^<]*</td>\s*<td><code>([\w-]+)</code>.*?</td>\s*<td>(.*?)</td>"
                 r"\s*<td>(Correct|Not correct)</td></tr>", re.S)


def _answer(user: User, key: str, rights: list[int]) -> list[str]:
    """Answer one check again, right (1) or wrong (0) in turn; return each answer's keys."""
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
    content = content_of(db.session.get(Course, enrolment.course_id))
    lesson, check = next((lesson, check) for lesson in content.lessons
                         for check in lesson.checks if check.key == key)  # fmt: skip
    sent = []
    for right in rights:
        sent.append((correct_keys if right else wrong_keys)(check)[0])
        learn.answer_check(enrolment, content, lesson, check, [sent[-1]], None)
    db.session.commit()
    return sent


def _summary(page: str) -> dict[str, tuple[str, str, str, int]]:
    """The record's checks: key -> (newest answer, result, history link, tries)."""
    return {key: (answer, result, link.replace("&amp;", "&"), int(n.replace(",", "")))
            for key, answer, result, link, n in SUMMARY.findall(page)}  # fmt: skip


def _figures(page: str) -> dict[int, tuple[int, int, int]]:
    """The list's rows: account id -> (enrolled, completed, certificates)."""
    return {int(i): (int(e), int(c), int(n)) for i, e, c, n in ROW.findall(page)}


def test_the_learners_list_counts_each_persons_courses_on_every_page(app, data):
    with app.app_context():
        # Names starting "#" sort between C's '"' and D's "<": C and D end page 1,
        # A, B and the admin open page 2.
        fillers = [make_user(full_name=f"#Filler {n:02d}").id for n in range(48)]
        admin = db.session.get(User, data.admin.id)
    client = sign_in(app.test_client(), admin)
    first = client.get("/admin/learners").get_data(as_text=True)
    second = client.get("/admin/learners?page=2").get_data(as_text=True)
    a, b, c, d = (data.learners[letter].id for letter in "abcd")

    assert "53 accounts" in first
    assert list(_figures(first)) == [c, *fillers, d]
    assert _figures(first)[c] == (1, 0, 0) and _figures(first)[d] == (1, 0, 0)
    assert all(_figures(first)[f] == (0, 0, 0) for f in fillers)
    assert _figures(second) == {a: (1, 1, 1), b: (1, 1, 0), data.admin.id: (0, 0, 0)}
    assert "Page 2 of 2 (53 in all)" in second


def test_a_search_shows_only_its_matches_with_their_own_figures(app, data):
    client = sign_in(app.test_client(), data.admin)
    b = data.learners["b"]
    found = client.get("/admin/learners", query_string={"q": "lsw-b"}).get_data(as_text=True)
    assert "1 account matching" in found
    assert _figures(found) == {b.id: (1, 1, 0)}

    none = client.get("/admin/learners", query_string={"q": "nobody"}).get_data(as_text=True)
    assert "0 accounts matching" in none and _figures(none) == {}
    admins = client.get("/admin/learners", query_string={"role": "admin"}).get_data(as_text=True)
    assert _figures(admins) == {data.admin.id: (0, 0, 0)}


def test_the_record_shows_each_checks_newest_answer_and_its_tries(app, data):
    c = data.learners["c"]
    with app.app_context():
        # C's third try at push-pull-1 was right; a fourth, wrong, is now the newest.
        [wrong] = _answer(c, "push-pull-1", [0])
    record = sign_in(app.test_client(), data.admin).get(f"/admin/learners/{c.id}")
    page = record.get_data(as_text=True)
    checks = _summary(page)

    assert list(checks) == ["push-pull-1", "push-pull-2", "returning-1", "returning-2"]
    assert [(result, tries) for _, result, _, tries in checks.values()] == [
        ("Not correct", 4), ("Correct", 2), ("Correct", 1), ("Correct", 2)]
    assert checks["push-pull-1"][0].startswith(f"{wrong}. ")
    assert "4 checks answered, 9 tries in all" in page
    assert "/checks?check=push-pull-2" in checks["push-pull-2"][2]
    assert '<th scope="col">Time (Central Time)</th>' in page


def test_many_tries_leave_the_record_short_and_the_history_pages_them(app, data):
    d = data.learners["d"]
    with app.app_context():
        _answer(d, "push-pull-1", [0, 1] * 60)  # 120 more tries, the last one right
    admin = sign_in(app.test_client(), data.admin)
    record = admin.get(f"/admin/learners/{d.id}").get_data(as_text=True)
    checks = _summary(record)
    assert [(k, r, n) for k, (_, r, _, n) in checks.items()] == [
        ("push-pull-1", "Correct", 121), ("push-pull-2", "Correct", 2)]
    assert record.count("Not correct") == 0  # no try but the newest of each is listed
    [every] = re.findall(r'<a href="([^"]+/checks)">Every knowledge-check try', record)

    first = admin.get(every).get_data(as_text=True)
    assert "123 tries, newest first" in first and "Page 1 of 3 (123 in all)" in first
    rows = TRY.findall(first)
    assert len(rows) == 50 and rows[0][2] == "Correct" and rows[1][2] == "Not correct"
    assert f'rel="next" href="{every}?page=2"' in first and 'aria-current="page"' in first
    last = admin.get(every, query_string={"page": 3}).get_data(as_text=True)
    assert [(key, result) for key, _, result in TRY.findall(last)][-3:] == [
        ("push-pull-2", "Correct"), ("push-pull-2", "Not correct"), ("push-pull-1", "Correct"),
    ]  # D's first tries, the oldest last
    assert len(TRY.findall(last)) == 23 and 'rel="next"' not in last

    one = admin.get(checks["push-pull-2"][2]).get_data(as_text=True)
    assert [(key, result) for key, _, result in TRY.findall(one)] == [
        ("push-pull-2", "Correct"), ("push-pull-2", "Not correct")]
    assert "2 tries of <code>push-pull-2</code>" in one
    assert '<option value="push-pull-2" selected>' in one


def test_the_history_is_only_for_that_learners_own_enrolment(app, data):
    a, b = data.learners["a"], data.learners["b"]
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == a.id))
    admin = sign_in(app.test_client(), data.admin)
    assert admin.get(f"/admin/learners/{a.id}/enrolments/{enrolment}/checks").status_code == 200
    assert admin.get(f"/admin/learners/{b.id}/enrolments/{enrolment}/checks").status_code == 404
    unknown = f"/admin/learners/{a.id}/enrolments/{enrolment}/checks?check=no-such-check"
    assert admin.get(unknown).status_code == 404
    with app.app_context():
        author = make_user(Role.AUTHOR)
    staff = sign_in(app.test_client(), author)
    assert staff.get(f"/admin/learners/{a.id}/enrolments/{enrolment}/checks").status_code == 403


def test_the_records_active_time_gives_the_seconds_the_roster_adds_up(app, data):
    with app.app_context():
        learner = make_user()
        course = db.session.get(Course, data.course_id)
        enrolment = learn.enrol(learner, course)
        lesson = course.live_lessons[0]
        db.session.add(LessonProgress(enrolment=enrolment, lesson_id=lesson.id,
                                      active_seconds=2799))  # fmt: skip
        db.session.commit()
        admin = sign_in(app.test_client(), data.admin)
    page = " ".join(admin.get(f"/admin/learners/{learner.id}").get_data(as_text=True).split())
    # 46 min 39 s: whole minutes alone read as less than a 46.6 min estimate the roster's
    # 46.6 shows met; the seconds make the page and the files agree.
    assert "46 min (2799 s) in the lessons" in page
