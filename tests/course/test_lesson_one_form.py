"""A choice picked under one knowledge check and not checked is kept whichever button
comes next: another check's, Complete, or the Enter key. The lesson is one form, and each
check whose picks changed on the page is recorded once; a stale page puts nothing back."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from course.extensions import db
from course.models import CheckResponse, LessonProgress, Question
from tests.course.journey import check_positions, correct_keys, wrong_keys
from tests.course.test_learn_locks import learner  # noqa: F401  (the learner fixture)

LESSON = "/courses/minimal/lessons/push-pull"
FIRST, SECOND = "push-pull-1", "push-pull-2"


def _question(key: str) -> Question:
    return db.session.scalar(select(Question).where(Question.key == key))


def _picks(client, key: str, right: bool = True) -> list[str]:
    question = _question(key)
    keys = correct_keys(question) if right else wrong_keys(question)
    return check_positions(client, "minimal", question, keys)


def _responses(key: str | None = None) -> int:
    query = select(func.count()).select_from(CheckResponse)
    if key is not None:
        query = query.join(Question).where(Question.key == key)
    return db.session.scalar(query)


def _feedback_region(page: str, key: str) -> str:
    """The feedback region under a check, where a page without script opens."""
    start = page.index(f'id="feedback-{key}"')
    return page[start:page.index("</div>\n</div>", start)]


def _page_form(client) -> dict[str, str]:
    """The lesson page's submission keys and what each check had ticked when drawn, as the
    page would send them back."""
    page = client.get(LESSON).get_data(as_text=True)
    return dict(re.findall(r'name="((?:submission_key|drawn)-[\w-]+)" value="([^"]*)"', page))


def test_the_lesson_is_one_form_every_check_button_sends(app, learner):  # noqa: F811
    page = learner.get(LESSON).get_data(as_text=True)
    assert page.count("<form") == 1 + page.count('action="/auth/logout"')
    form = page[page.index('<form method="post" id="lesson-form"'):]
    # Enter in a choice sends the form by its first button: the hidden one saving picks.
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert "hidden" in first_button and 'formaction="/courses/minimal/lessons/push-pull/answers"' \
        in first_button
    for number, key in enumerate((FIRST, SECOND), 1):
        assert f'name="choice-{key}"' in form and f'name="submission_key-{key}"' in form
        assert f'formaction="{LESSON}/checks/{key}#check-{key}"' in form
        # In a list of the page's buttons, each "Check my answer" says which check it is.
        assert f'aria-describedby="check-{key}-label" formaction="{LESSON}/checks/{key}' in form
        # And each check is a heading, for moving through the page by headings.
        assert f'<h3 class="check-label" id="check-{key}-label">Knowledge check {number}</h3>' \
            in form
    assert form.index("Complete and continue") < form.index("</form>")


def test_another_checks_button_keeps_a_choice_picked_and_not_checked(app, learner):  # noqa: F811
    with app.app_context():
        data = {f"choice-{FIRST}": _picks(learner, FIRST, right=False),
                f"choice-{SECOND}": _picks(learner, SECOND), **_page_form(learner)}
        sent = learner.post(f"{LESSON}/checks/{SECOND}", data=data)
        assert sent.status_code == 303 and sent.location.endswith(f"#feedback-{SECOND}")
        assert _responses(FIRST) == 1 and _responses(SECOND) == 1
        page = learner.get(LESSON).get_data(as_text=True)
        assert "Not quite" in page  # the first check's feedback is there to read
        # Where the page opens, under the pressed check's verdict, it says so once.
        landing = _feedback_region(page, SECOND)
        assert ("Also saved, from the choice you picked: your answer to "
                f'<a href="#feedback-{FIRST}">knowledge check 1</a>, with its feedback.') in landing
        assert "Also saved" not in learner.get(LESSON).get_data(as_text=True)
        # The same form sent again (a double-click, a resend) records nothing more.
        learner.post(f"{LESSON}/checks/{SECOND}", data=data)
        assert _responses() == 2


def test_a_check_left_as_it_was_stored_is_not_recorded_again(app, learner):  # noqa: F811
    with app.app_context():
        first = {f"choice-{FIRST}": _picks(learner, FIRST), **_page_form(learner)}
        learner.post(f"{LESSON}/checks/{FIRST}", data=first)
        # The page drawn after: the first check ticked as stored, fresh submission keys.
        again = {**first, f"choice-{SECOND}": _picks(learner, SECOND), **_page_form(learner)}
        learner.post(f"{LESSON}/checks/{SECOND}", data=again)
        assert _responses(FIRST) == 1 and _responses(SECOND) == 1
        # Its own button, unchanged ("Check again"), shows the feedback and records nothing:
        # the learner's history and the learning record store hold each answer once.
        sent = learner.post(f"{LESSON}/checks/{FIRST}", data={**again, **_page_form(learner)})
        assert sent.status_code == 303 and _responses(FIRST) == 1
        landing = _feedback_region(learner.get(LESSON).get_data(as_text=True), FIRST)
        assert "That's right" in landing
        assert "This is the answer you gave before, so it is not saved a second time" in landing
        as_script = learner.post(f"{LESSON}/checks/{FIRST}", data={**again, **_page_form(learner)},
                                 headers={"Accept": "application/json"}).get_json()
        assert "not saved a second time" in as_script["html"] and _responses(FIRST) == 1
        # Changed, it is recorded.
        changed = {**again, **_page_form(learner), f"choice-{FIRST}": _picks(learner, FIRST, False)}
        learner.post(f"{LESSON}/checks/{FIRST}", data=changed)
        assert _responses(FIRST) == 2


def test_a_stale_page_never_puts_back_an_answer_changed_since(app, learner):  # noqa: F811
    with app.app_context():
        wrong, right = _picks(learner, FIRST, right=False), _picks(learner, FIRST)
        learner.post(f"{LESSON}/checks/{FIRST}", data={f"choice-{FIRST}": wrong,
                                                      **_page_form(learner)})
        # Two tabs drawn now, both with the wrong answer ticked.
        tab_a, tab_b = _page_form(learner), _page_form(learner)
        learner.post(f"{LESSON}/checks/{FIRST}", data={**tab_a, f"choice-{FIRST}": right})
        # The stale tab answers the second check, its first still ticked as it was drawn.
        stale = {**tab_b, f"choice-{FIRST}": wrong, f"choice-{SECOND}": _picks(learner, SECOND)}
        learner.post(f"{LESSON}/checks/{SECOND}", data=stale)
        assert _responses(FIRST) == 2 and _responses(SECOND) == 1
        latest = db.session.scalars(select(CheckResponse).join(Question).where(
            Question.key == FIRST).order_by(CheckResponse.id.desc())).first()
        assert latest.is_correct  # the newer, right answer stands
        landing = _feedback_region(learner.get(LESSON).get_data(as_text=True), SECOND)
        assert "Also saved" not in landing
        # Its own button pressed, the old tick unchanged: the newer answer still stands,
        # and the page opens on it, saying why.
        pressed = {**tab_b, f"choice-{FIRST}": wrong}
        learner.post(f"{LESSON}/checks/{FIRST}", data=pressed)
        assert _responses(FIRST) == 2
        landing = _feedback_region(learner.get(LESSON).get_data(as_text=True), FIRST)
        assert "That's right" in landing
        assert "This answer was changed in another tab or window after that page opened" \
            in landing
        as_script = learner.post(f"{LESSON}/checks/{FIRST}", data=pressed,
                                 headers={"Accept": "application/json"}).get_json()
        assert as_script == {"key": FIRST, "stale": True} and _responses(FIRST) == 2


def test_a_check_answered_in_place_brings_the_others_it_recorded(app, learner):  # noqa: F811
    with app.app_context():
        data = {f"choice-{FIRST}": _picks(learner, FIRST, right=False),
                f"choice-{SECOND}": _picks(learner, SECOND), **_page_form(learner)}
        sent = learner.post(f"{LESSON}/checks/{SECOND}", data=data,
                            headers={"Accept": "application/json"}).get_json()
        assert sent["key"] == SECOND and sent["correct"] and "Also saved" in sent["html"]
        [other] = sent["others"]
        assert other["key"] == FIRST and not other["correct"] and "Not quite" in other["html"]
        assert other["next_key"] and other["next_key"] != sent["next_key"]
        assert _responses() == 2


def test_complete_records_the_picks_and_completes_the_lesson(app, learner):  # noqa: F811
    with app.app_context():
        data = {f"choice-{FIRST}": _picks(learner, FIRST),
                f"choice-{SECOND}": _picks(learner, SECOND, right=False), **_page_form(learner)}
        done = learner.post(f"{LESSON}/complete", data=data)
        assert done.status_code == 302 and "/lessons/returning" in done.location
        assert _responses() == 2
        progress = db.session.scalar(select(LessonProgress))
        assert progress.completed_at is not None
        # The next page says the lesson counted, and that two answers were saved only as
        # it was finished, one of them wrong: their feedback, the teaching, is a link away.
        said = " ".join(learner.get(done.location).get_data(as_text=True).split())
        assert ("is complete. Your answers to knowledge checks 1 and 2 were saved as you "
                "finished, 1 of them not quite right.") in said
        assert f'<a href="{LESSON}#feedback-{FIRST}">See their feedback</a>' in said


def test_a_lesson_completed_after_its_checks_says_so_alone(app, learner):  # noqa: F811
    with app.app_context():
        for key in (FIRST, SECOND):
            learner.post(f"{LESSON}/checks/{key}", data={f"choice-{key}": _picks(learner, key),
                                                        **_page_form(learner)})
        done = learner.post(f"{LESSON}/complete", data={
            f"choice-{FIRST}": _picks(learner, FIRST), f"choice-{SECOND}": _picks(learner, SECOND),
            **_page_form(learner)})
        said = " ".join(learner.get(done.location).get_data(as_text=True).split())
        assert re.search(r"Lesson 1, [^<]+, is complete\.", said)
        assert "saved as you finished" not in said and _responses() == 2


def test_complete_keeps_what_was_picked_and_lists_only_what_was_not(app, learner):  # noqa: F811
    with app.app_context():
        data = {f"choice-{SECOND}": _picks(learner, SECOND), **_page_form(learner)}
        refused = learner.post(f"{LESSON}/complete", data=data)
        assert refused.status_code == 303
        page = learner.get(refused.location).get_data(as_text=True)
        assert "1 knowledge check is still unanswered" in page
        assert f'href="#check-{FIRST}"' in page and f'href="#check-{SECOND}"' not in page
        assert _responses(SECOND) == 1
        ticked = re.findall(rf'name="choice-{SECOND}"[^>]*value="(\d+)" checked', page)
        assert sorted(ticked) == sorted(data[f"choice-{SECOND}"])


def test_a_check_pressed_with_nothing_picked_says_so_and_keeps_the_others(app, learner):  # noqa: F811
    with app.app_context():
        data = {f"choice-{SECOND}": _picks(learner, SECOND), **_page_form(learner)}
        refused = learner.post(f"{LESSON}/checks/{FIRST}", data=data)
        assert refused.status_code == 303
        page = learner.get(refused.location).get_data(as_text=True)
        said = page[page.index(f'id="check-{FIRST}-error"'):]
        said = said[:said.index("</div>")]
        # The refusal in red, the good news beside it, with a link, not in its words.
        assert ('<p class="field-error"><span class="visually-hidden">Error: </span>Choose an '
                "answer, then check it.</p>") in said
        assert ('<p class="feedback-note">Also saved, from the choice you picked: your answer '
                f'to <a href="#feedback-{SECOND}">knowledge check 2</a>, with its feedback.</p>'
                ) in said
        assert _responses(FIRST) == 0 and _responses(SECOND) == 1


def test_enter_in_a_choice_saves_the_new_picks_and_opens_at_the_last(app, learner):  # noqa: F811
    with app.app_context():
        # Picked from the top down, Enter pressed in the second: the page opens there.
        data = {f"choice-{FIRST}": _picks(learner, FIRST),
                f"choice-{SECOND}": _picks(learner, SECOND), **_page_form(learner)}
        saved = learner.post(f"{LESSON}/answers", data=data)
        assert saved.status_code == 303 and saved.location.endswith(f"#feedback-{SECOND}")
        assert _responses(FIRST) == 1 and _responses(SECOND) == 1
        landing = _feedback_region(learner.get(LESSON).get_data(as_text=True), SECOND)
        assert "That's right" in landing and "knowledge check 1</a>, with its feedback" in landing
        # Enter again with nothing new: nothing recorded; it stays at that check and says why.
        again = learner.post(f"{LESSON}/answers", data={**data, **_page_form(learner)})
        assert _responses() == 2 and again.location.endswith(f"#feedback-{SECOND}")
        landing = _feedback_region(learner.get(LESSON).get_data(as_text=True), SECOND)
        assert "Nothing new to save: this answer is as it was saved." in landing


def test_a_page_sending_an_unshown_position_is_refused_and_records_nothing(app, learner):  # noqa: F811
    with app.app_context():
        data = {f"choice-{FIRST}": _picks(learner, FIRST), f"choice-{SECOND}": ["9"],
                **_page_form(learner)}
        assert learner.post(f"{LESSON}/complete", data=data).status_code == 400
        assert learner.post(f"{LESSON}/checks/{FIRST}", data=data).status_code == 400
        assert _responses() == 0
