"""Answer cues: patterns that let a test-wise learner find the keyed choice without knowing.

Each bank (the knowledge checks across the lessons, and the post-test bank) is judged on
its own. The warnings point at a file and line and say what to change; they never stop a
course from being published.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from .model import CoursePackage, Finding, Question

#: Fewer single-answer items than this say nothing about a pattern.
MIN_ITEMS = 4
#: A pattern is a cue when it holds for more than this share of the items ...
MAJORITY = 0.5
#: ... and for more than this many times as many items as chance alone would give.
OVER_CHANCE = 1.5
_ALL_OR_NONE = re.compile(r"\b(all|none|both|neither)\s+of\s+(the\s+)?(above|these|them)\b", re.I)


def cue_findings(package: CoursePackage) -> list[Finding]:
    """Warnings for answer cues in the knowledge checks and in the post-test bank."""
    checks = [check for lesson in package.lessons for check in lesson.checks]
    found: list[Finding] = []
    for label, bank in (("knowledge checks", checks), ("post-test questions", package.post_test)):
        found += _position_findings(label, bank)
        found += _longest_findings(label, bank)
        found += _all_or_none_findings(bank)
    return found


def _single(bank: Sequence[Question]) -> list[Question]:
    # One keyed choice among texts an author wrote (true/false has no position or length cue).
    return [q for q in bank if q.type == "single" and len(q.correct_keys) == 1]


def _is_cue(hits: int, expected: float, items: int) -> bool:
    return items >= MIN_ITEMS and hits > MAJORITY * items and hits > OVER_CHANCE * expected


def _position_findings(label: str, bank: Sequence[Question]) -> list[Finding]:
    items = _single(bank)
    keyed = Counter(next(iter(q.correct_keys)) for q in items)
    found = []
    for key, hits in sorted(keyed.items()):
        expected = sum(1 / len(q.choices) for q in items if key < chr(97 + len(q.choices)))
        if not _is_cue(hits, expected, len(items)):
            continue
        first = next(q for q in items if key in q.correct_keys)
        found.append(
            Finding(
                "warning",
                first.file,
                first.line,
                f"answer cue: the keyed choice is choice {key} in {hits} of {len(items)}"
                f" single-answer {label}, so always picking {key} scores well without"
                f" reading; vary its position (first here: `{first.id}`)",
            )
        )
    return found


def _longest_findings(label: str, bank: Sequence[Question]) -> list[Finding]:
    items = [q for q in _single(bank) if len(q.choices) >= 3]
    longest = [q for q in items if _keyed_is_longest(q)]
    expected = sum(1 / len(q.choices) for q in items)
    if not _is_cue(len(longest), expected, len(items)):
        return []
    first = longest[0]
    return [
        Finding(
            "warning",
            first.file,
            first.line,
            f"answer cue: the keyed choice is the longest in {len(longest)} of {len(items)}"
            f" single-answer {label} with three or more choices; test-wise learners pick the"
            " longest answer. Make the other choices as long and as specific"
            f" (first here: `{first.id}`)",
        )
    ]


def _keyed_is_longest(question: Question) -> bool:
    lengths = {c.key: len(c.text.split()) for c in question.choices}
    keyed = next(iter(question.correct_keys))
    return all(lengths[keyed] > n for key, n in lengths.items() if key != keyed)


def _all_or_none_findings(bank: Sequence[Question]) -> list[Finding]:
    found = []
    for question in bank:
        for choice in question.choices:
            match = _ALL_OR_NONE.search(choice.text)
            if match:
                found.append(
                    Finding(
                        "warning",
                        question.file,
                        question.line,
                        f"answer cue: `{question.id}` choice {choice.key} says"
                        f" \"{match.group(0)}\"; it can be answered by spotting two true"
                        " (or one false) choices, and it breaks when choices are shuffled."
                        " Write each choice to stand on its own",
                    )
                )
    return found
