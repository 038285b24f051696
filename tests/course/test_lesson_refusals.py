"""A check pressed empty or "Complete" refused, without script: the answer redirects to the
lesson page (Post/Redirect/Get), which says why once, so a reload asks nothing and the
address bar holds the lesson's own address. The page's script keeps its JSON answers."""

from __future__ import annotations

import re

from sqlalchemy import event, func, select

from course.extensions import db
from course.learn import lesson_page
from course.models import CheckResponse, LessonProgress, Question
from tests.course.journey import check_positions, correct_keys
from tests.course.test_learn_locks import learner  # noqa: F401  (the learner fixture)

LESSON = "/courses/minimal/lessons/push-pull"
FIRST, SECOND = "push-pull-1", "push-pull-2"
AS_SCRIPT = {"Accept": "application/json"}


def _responses(key: str) -> int:
    query = select(func.count()).select_from(CheckResponse).join(Question)
    return db.session.scalar(query.where(Question.key == key))


def _second_picked(client) -> dict:
    """The lesson form as sent with the second check's right answer picked, not checked."""
    question = db.session.scalar(select(Question).where(Question.key == SECOND))
    page = client.get(LESSON).get_data(as_text=True)
    form = dict(re.findall(r'name="((?:submission_key|drawn)-[\w-]+)" value="([^"]*)"', page))
    picked = check_positions(client, "minimal", question, correct_keys(question))
    return {f"choice-{SECOND}": picked, **form}


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S)[1].split(" · ")[0]


def _error_of(page: str, key: str) -> str:
    said = page[page.index(f'id="check-{key}-error"'):]
    return said[:said.index("</div>")]


def test_an_empty_check_redirects_to_the_lesson_which_says_so_once(app, learner):  # noqa: F811
    with app.app_context():
        data = _second_picked(learner)
        refused = learner.post(f"{LESSON}/checks/{FIRST}", data=data)
        assert refused.status_code == 303
        assert refused.location == f"{LESSON}#check-{FIRST}"
        # The other check's pick is kept, as it was when the page answered the POST.
        assert _responses(FIRST) == 0 and _responses(SECOND) == 1
        shown = learner.get(refused.location)
        assert shown.status_code == 200
        page = shown.get_data(as_text=True)
        assert _title(page).startswith("Error: ")
        said = _error_of(page, FIRST)
        assert ('<p class="field-error"><span class="visually-hidden">Error: </span>Choose an '
                "answer, then check it.</p>") in said
        assert f'<a href="#feedback-{SECOND}">knowledge check 2</a>' in said
        check = page[page.index(f'id="check-{FIRST}"') - 40:page.index(f'id="feedback-{FIRST}"')]
        assert 'class="check has-error"' in check
        assert re.search(rf'aria-describedby="[^"]*check-{FIRST}-error', check)
        assert re.search(rf'<input[^>]*name="choice-{FIRST}"[^>]*autofocus', check)
        # The pick sent with it stands ticked, with its feedback.
        assert re.search(rf'name="choice-{SECOND}"[^>]*checked', page)
        assert "That's right" in page[page.index(f'id="feedback-{SECOND}"'):]
        # Said once: the next view of the page is the lesson as it is.
        again = learner.get(LESSON).get_data(as_text=True)
        assert "Choose an answer" not in again and "has-error" not in again
        assert not _title(again).startswith("Error: ")
        assert re.search(rf'name="choice-{SECOND}"[^>]*checked', again)


def test_a_refused_complete_redirects_to_the_list_of_checks_missing_once(app, learner):  # noqa: F811
    with app.app_context():
        data = _second_picked(learner)
        refused = learner.post(f"{LESSON}/complete", data=data)
        assert refused.status_code == 303
        assert refused.location == f"{LESSON}#lesson-missing"
        assert _responses(SECOND) == 1
        assert db.session.scalar(select(LessonProgress.completed_at)) is None
        shown = learner.get(refused.location)
        assert shown.status_code == 200
        page = shown.get_data(as_text=True)
        assert _title(page).startswith("Error: ")
        assert ('<div class="error-summary" id="lesson-missing" role="alert" '
                'aria-labelledby="missing-heading" tabindex="-1" autofocus>') in page
        assert "1 knowledge check is still unanswered" in page
        assert f'<a href="#check-{FIRST}">Knowledge check 1</a>' in page
        assert lesson_page.MISSING_MESSAGE in _error_of(page, FIRST)
        assert re.search(rf'name="choice-{SECOND}"[^>]*checked', page)
        again = learner.get(LESSON).get_data(as_text=True)
        assert 'id="lesson-missing"' not in again and lesson_page.MISSING_MESSAGE not in again
        assert not _title(again).startswith("Error: ")


def test_the_pages_script_still_gets_json_and_422(app, learner):  # noqa: F811
    with app.app_context():
        data = _second_picked(learner)
        refused = learner.post(f"{LESSON}/checks/{FIRST}", data=data, headers=AS_SCRIPT)
        assert refused.status_code == 422
        answer = refused.get_json()
        assert answer["error"] == "Choose an answer, then check it."
        assert [other["key"] for other in answer["others"]] == [SECOND]
        assert f'href="#feedback-{SECOND}"' in answer["note"]
        unfinished = learner.post(f"{LESSON}/complete", headers=AS_SCRIPT)
        assert unfinished.status_code == 422
        assert unfinished.get_json() == {"error": "1 knowledge check is still unanswered.",
                                         "missing": [FIRST]}
        # Nothing is left for the next page to say: the script said it in place.
        page = learner.get(LESSON).get_data(as_text=True)
        assert "Choose an answer" not in page and 'id="lesson-missing"' not in page


def test_a_refusal_is_said_only_on_its_own_lesson_and_then_forgotten(app, learner):  # noqa: F811
    with learner.session_transaction() as session:
        session[lesson_page.REFUSAL] = ["minimal", "returning", {"missing": [FIRST]}]
    page = learner.get(LESSON).get_data(as_text=True)
    assert 'id="lesson-missing"' not in page
    with learner.session_transaction() as session:
        assert lesson_page.REFUSAL not in session


def test_the_refused_page_reads_nothing_more_than_the_lesson(app, learner):  # noqa: F811
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def keep(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    learner.post(f"{LESSON}/complete")
    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert 'id="lesson-missing"' in learner.get(LESSON).get_data(as_text=True)
        refused = len(statements)
        statements.clear()
        assert 'id="lesson-missing"' not in learner.get(LESSON).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert refused and refused == len(statements)
