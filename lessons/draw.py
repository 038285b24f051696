"""Fair question order: the post-test draw balanced by objective, choices shuffled per learner."""

from __future__ import annotations

import random
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

Item = TypeVar("Item", bound=Hashable)


@dataclass(frozen=True)
class Share:
    """One objective's part of a draw: how many questions it got, out of how many in the bank."""

    objective: str
    drawn: int
    bank: int


def plan_shares(
    objectives: Sequence[str], bank_sizes: Mapping[str, int], count: int, rng: random.Random
) -> dict[str, int]:
    """Split ``count`` questions over the objectives as evenly as their banks allow.

    Every objective with questions gets ``count // objectives`` or one more (which ones
    get the one more is random, so over many attempts no objective is favoured); an
    objective with too few questions gives its unused share to the others.
    """
    shares, room, left = _even_split(objectives, bank_sizes, count)
    for objective in rng.sample(room, left):
        shares[objective] += 1
    return shares


def expected_shares(
    objectives: Sequence[str], sizes: Mapping[str, int], count: int
) -> dict[str, float]:
    """The questions each objective gets per attempt on average, under ``plan_shares``.

    The draw splits evenly by objective, not in proportion to the bank: an objective with
    8 of 46 questions gets the same share as one with 6. Where ``plan_shares`` hands out
    the last few questions at random, each objective still in the running expects its part.
    """
    shares, room, left = _even_split(objectives, sizes, count)
    return {o: drawn + (left / len(room) if o in room else 0.0) for o, drawn in shares.items()}


def _even_split(
    objectives: Sequence[str], sizes: Mapping[str, int], count: int
) -> tuple[dict[str, int], list[str], int]:
    """The whole shares every objective gets, the objectives with room for one more, and
    how many questions are left to hand out one each among them (fewer than there are)."""
    active = [o for o in objectives if sizes.get(o, 0) > 0]
    shares = dict.fromkeys(active, 0)
    remaining = min(count, sum(sizes[o] for o in active))
    while remaining > 0:
        room = [o for o in active if shares[o] < sizes[o]]
        each = remaining // len(room)
        if each == 0:
            return shares, room, remaining
        for objective in room:
            added = min(each, sizes[objective] - shares[objective])
            shares[objective] += added
            remaining -= added
    return shares, [], 0


def balanced_draw(
    bank: Sequence[tuple[Item, str]],
    objectives: Sequence[str],
    count: int,
    rng: random.Random,
    seen: Collection[Item] = (),
) -> tuple[list[Item], list[Share]]:
    """Draw ``count`` items of a bank of (item, objective), every objective getting its share.

    Within an objective, items not in ``seen`` (a learner's earlier attempts) come first;
    seen ones fill a share only when the objective has too few others. Returns the items
    in a shuffled order (objectives mixed, not in blocks) and the blueprint: each
    objective's share, in the course's objective order (objectives only the bank names
    come last).
    """
    by_objective: dict[str, list[Item]] = {}
    for item, objective in bank:
        by_objective.setdefault(objective, []).append(item)
    order = list(objectives) + sorted(set(by_objective) - set(objectives))
    sizes = {objective: len(items) for objective, items in by_objective.items()}
    shares = plan_shares(order, sizes, count, rng)
    drawn: list[Item] = []
    for objective, share in shares.items():
        fresh = [item for item in by_objective[objective] if item not in seen]
        again = [item for item in by_objective[objective] if item in seen]
        taken = rng.sample(fresh, min(share, len(fresh)))
        drawn += taken + rng.sample(again, share - len(taken))
    rng.shuffle(drawn)
    blueprint = [Share(o, shares.get(o, 0), sizes.get(o, 0)) for o in order]
    return drawn, blueprint


def shuffled_choices(keys: Sequence[str], seed: str, question_id: str) -> list[str]:
    """A learner's order of a question's choice keys: the same every time for one seed.

    ``seed`` is the learner's own random seed (kept with the enrolment), so the order
    cannot be worked out from ids and stays put on every reload.
    """
    return list(_shuffled(tuple(keys), seed, question_id))


# Every page view asks again for each check; seeding a generator from a string hashes it.
@lru_cache(maxsize=8192)
def _shuffled(keys: tuple[str, ...], seed: str, question_id: str) -> tuple[str, ...]:
    order = list(keys)
    random.Random(f"{seed}:{question_id}").shuffle(order)
    return tuple(order)


def keys_at(order: Sequence[str], positions: Sequence[str]) -> list[str]:
    """Return the choice keys at the 1-based ``positions`` a page showed in ``order``.

    Pages send a choice's position, never its key: the keys are the package's order,
    in which authors tend to put the right answer first.

    :raise ValueError: for a position that is not a number on the page.
    """
    keys = []
    for position in positions:
        if not (position.isascii() and position.isdigit() and len(position) <= 3):
            raise ValueError(f"not a choice position: {position[:20]!r}")
        index = int(position) - 1
        if not 0 <= index < len(order):
            raise ValueError(f"no choice at position {index + 1}")
        keys.append(order[index])
    return keys
