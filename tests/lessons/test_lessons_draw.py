"""The post-test draw is balanced by objective; choice order is per learner and stable."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

import lessons
from lessons.draw import balanced_draw, expected_shares, keys_at, plan_shares, shuffled_choices

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "running-behavior"
MINIMAL = Path(__file__).resolve().parents[1] / "data" / "packages" / "minimal"


def _bank(package: lessons.CoursePackage) -> tuple[list[tuple[str, str]], list[str]]:
    bank = [(q.id, q.objective or "") for q in package.post_test]
    return bank, [o.id for o in package.objectives]


@pytest.mark.parametrize("folder", [SHIPPED, MINIMAL], ids=["shipped", "minimal"])
def test_a_thousand_draws_each_cover_every_objective(folder: Path) -> None:
    package = lessons.load_package(folder)
    bank, objectives = _bank(package)
    count = package.post_test_draw
    rng = random.Random(18)
    per_objective = Counter()
    for _ in range(1000):
        drawn, blueprint = balanced_draw(bank, objectives, count, rng)
        covered = {dict(bank)[question] for question in drawn}
        assert covered == set(objectives), "an objective got no question"
        assert len(drawn) == len(set(drawn)) == count
        shares = [share.drawn for share in blueprint]
        assert max(shares) - min(shares) <= 1, "every objective gets its share"
        assert [share.objective for share in blueprint] == objectives
        per_objective.update(dict(bank)[question] for question in drawn)
    # Over many attempts no objective is favoured by which ones get the extra question.
    expected = 1000 * count / len(objectives)
    assert all(abs(n - expected) < 0.1 * expected for n in per_objective.values())


def test_a_uniform_draw_would_often_miss_an_objective() -> None:
    """The reason for the balanced draw: the old one left an objective out ~58% of the time."""
    bank, objectives = _bank(lessons.load_package(SHIPPED))
    rng = random.Random(18)
    missing = sum(
        {objective for _, objective in rng.sample(bank, 10)} != set(objectives)
        for _ in range(1000)
    )
    assert missing > 300


def test_shares_follow_what_the_bank_has() -> None:
    rng = random.Random(1)
    # One objective has a single question: the others take up what it cannot.
    shares = plan_shares(["A", "B", "C"], {"A": 1, "B": 5, "C": 5}, 10, rng)
    assert shares == {"A": 1, "B": 5, "C": 4} or shares == {"A": 1, "B": 4, "C": 5}
    # Fewer questions than objectives: each objective at most one.
    assert sorted(plan_shares(["A", "B", "C"], {"A": 3, "B": 3, "C": 3}, 2, rng).values()) == [
        0, 1, 1,
    ]  # fmt: skip
    # A bank smaller than the draw: everything.
    assert plan_shares(["A", "B"], {"A": 2, "B": 1}, 10, rng) == {"A": 2, "B": 1}
    # An objective the bank does not cover gets nothing (and breaks nothing).
    assert plan_shares(["A", "B"], {"A": 4}, 3, rng) == {"A": 3}


def test_no_objective_is_asked_more_questions_than_it_has_and_none_go_missing() -> None:
    # Every small bank of three objectives: a share over an objective's questions would
    # leave the draw short (or ask one question twice), and the cases above missed it.
    rng = random.Random(3)
    for a in range(5):
        for b in range(7):
            for c in range(9):
                sizes = {"A": a, "B": b, "C": c}
                for count in range(1, 16):
                    shares = plan_shares(["A", "B", "C"], sizes, count, rng)
                    assert all(shares[o] <= sizes[o] for o in shares), (sizes, count, shares)
                    assert sum(shares.values()) == min(count, a + b + c), (sizes, count)


def test_the_blueprint_lists_objectives_in_course_order_with_bank_sizes() -> None:
    bank = [("q1", "B"), ("q2", "A"), ("q3", "A"), ("q4", "X")]
    drawn, blueprint = balanced_draw(bank, ["A", "B"], 3, random.Random(2))
    assert [(s.objective, s.drawn, s.bank) for s in blueprint] == [
        ("A", 1, 2), ("B", 1, 1), ("X", 1, 1),
    ]  # fmt: skip
    assert {"q1", "q4"} < set(drawn) and len(set(drawn) & {"q2", "q3"}) == 1


def test_a_learners_choice_order_is_stable_and_differs_between_learners() -> None:
    keys = list("abcd")
    first = shuffled_choices(keys, "seed-one", "push-pull-1")
    assert shuffled_choices(keys, "seed-one", "push-pull-1") == first  # a reload
    assert sorted(first) == keys
    orders = {tuple(shuffled_choices(keys, f"seed-{n}", "push-pull-1")) for n in range(50)}
    assert len(orders) > 10
    firsts = Counter(shuffled_choices(keys, f"seed-{n}", "q")[0] for n in range(400))
    assert all(count > 60 for count in firsts.values()), "the first place is not always `a`"


def test_positions_map_back_to_keys() -> None:
    assert keys_at(["c", "a", "b"], ["1", "3"]) == ["c", "b"]
    # Only the plain digits a page sends: int() would also take "+1", " 1" or an Arabic-Indic 1.
    for bad in ("0", "4", "a", "-1", "1.0", "", "9" * 50, "+1", " 1", "\u0661"):
        with pytest.raises(ValueError):
            keys_at(["c", "a", "b"], [bad])


def test_expected_shares_are_what_the_draw_gives_on_average() -> None:
    # The audit pack's blueprint states these; over many attempts the draws must agree.
    for sizes, count in (({"A": 1, "B": 5, "C": 5}, 10), ({"A": 8, "B": 6, "C": 6}, 7),
                         ({"A": 2, "B": 9, "C": 9, "D": 3}, 10)):
        objectives = list(sizes)
        expected = expected_shares(objectives, sizes, count)
        assert sum(expected.values()) == pytest.approx(min(count, sum(sizes.values())))
        rng, runs = random.Random(7), 4000
        totals = dict.fromkeys(objectives, 0)
        for _ in range(runs):
            for objective, drawn in plan_shares(objectives, sizes, count, rng).items():
                totals[objective] += drawn
        for objective in objectives:
            assert totals[objective] / runs == pytest.approx(expected[objective], abs=0.05)


def test_a_retake_asks_questions_not_seen_before_any_it_repeats() -> None:
    bank, objectives = _bank(lessons.load_package(SHIPPED))
    rng = random.Random(7)
    first, _ = balanced_draw(bank, objectives, 10, rng)
    for _ in range(200):
        second, blueprint = balanced_draw(bank, objectives, 10, rng, seen=set(first))
        # The shipped bank has enough unseen questions for every objective's share.
        assert not set(second) & set(first)
        assert [s.drawn for s in blueprint] and len(second) == 10
    # A bank too small to avoid every repeat: the unseen all come first, then repeats.
    small = [("a1", "A"), ("a2", "A"), ("a3", "A"), ("b1", "B"), ("b2", "B")]
    drawn, _ = balanced_draw(small, ["A", "B"], 4, rng, seen={"a1", "a2", "b1"})
    assert {"a3", "b2"} <= set(drawn) and len(drawn) == len(set(drawn)) == 4


def test_the_draw_mixes_the_objectives_rather_than_asking_them_in_blocks() -> None:
    bank = [(f"{objective}{n}", objective) for objective in "ABC" for n in range(4)]
    rng = random.Random(5)
    firsts, blocks = Counter(), 0
    for _ in range(300):
        drawn, _ = balanced_draw(bank, ["A", "B", "C"], 9, rng)
        firsts[drawn[0][0]] += 1
        blocks += "".join(q[0] for q in drawn) == "AAABBBCCC"
    assert all(count > 60 for count in firsts.values()), firsts  # any objective may open it
    assert blocks < 3  # in course order, A's questions then B's then C's: 1 draw in 1,680


def test_an_objective_without_questions_is_in_the_blueprint_with_none_drawn() -> None:
    drawn, blueprint = balanced_draw([("a1", "A"), ("a2", "A")], ["A", "B"], 2, random.Random(1))
    assert sorted(drawn) == ["a1", "a2"]
    assert [(s.objective, s.drawn, s.bank) for s in blueprint] == [("A", 2, 2), ("B", 0, 0)]


def test_each_question_gets_its_own_choice_order_for_one_learner() -> None:
    # One order for every question would put an author's habit (the right answer first)
    # at the same place in every question a learner sees.
    orders = {tuple(shuffled_choices(list("abcd"), "seed-one", f"q-{n}")) for n in range(40)}
    assert len(orders) > 10
