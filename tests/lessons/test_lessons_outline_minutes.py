"""The outline's whole minutes add up to the totals printed beside them."""

from __future__ import annotations

from types import SimpleNamespace

from lessons.timing import outline_minutes, whole_minutes


def test_the_parts_with_the_largest_fractions_round_up_until_the_sum_is_right() -> None:
    # The shipped course's seven lessons: each rounded alone, they show 46 of 47 minutes.
    lessons = [6.78, 6.75, 7.2, 6.42, 7.1, 6.23, 6.17]
    assert sum(round(m) for m in lessons) == 46
    assert whole_minutes(lessons, sum(lessons)) == [7, 7, 7, 7, 7, 6, 6]


def test_equal_fractions_round_up_in_order_and_a_part_under_a_minute_shows_one() -> None:
    assert whole_minutes([2.5, 2.5, 2.5], 7.6) == [3, 3, 2]
    assert whole_minutes([2.0, 3.0], 5.0) == [2, 3]
    assert whole_minutes([0.2, 0.3, 5.4], 5.9) == [1, 1, 5]  # never "about 0 min"


def _manifest(lesson_minutes: dict[str, float], evaluation: float) -> dict:
    reading = round(sum(lesson_minutes.values()), 1)
    return {
        "reading_minutes": reading,
        "lesson_reading_minutes": lesson_minutes,
        "post_test_draw": 10,
        "evaluation_minutes": evaluation,
        "estimated_minutes": round(reading + 10 + evaluation, 1),
    }


def test_the_lessons_add_up_to_the_reading_and_every_step_to_the_whole_estimate() -> None:
    stored = {"a": 6.78, "b": 6.75, "c": 7.2, "d": 6.42, "e": 7.1, "f": 6.23, "g": 6.17}
    manifest = _manifest(stored, 8.0)
    shown = outline_minutes(manifest, [SimpleNamespace(slug=s, word_count=1) for s in stored])
    assert sum(shown.lessons.values()) == round(manifest["reading_minutes"]) == 47
    assert shown.post_test == 10  # a minute a drawn question, as the estimate counts
    whole = sum(shown.lessons.values()) + shown.post_test + shown.evaluation
    assert whole == round(manifest["estimated_minutes"]) == 65


def test_the_evaluation_shows_what_the_estimate_gives_it_not_a_fixed_figure() -> None:
    for evaluation in (2.5, 4.0, 11.5):
        manifest = _manifest({"a": 20.4}, evaluation)
        shown = outline_minutes(manifest, [SimpleNamespace(slug="a", word_count=1)])
        assert abs(shown.evaluation - evaluation) <= 1
        assert 20 + 10 + shown.evaluation == round(manifest["estimated_minutes"])
