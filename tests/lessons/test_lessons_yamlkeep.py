"""Saving a YAML file from the editor keeps the author's comments and layout."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from lessons import dump
from lessons.editing import join_lesson, read_yaml, replace_check, split_lesson
from lessons.yamlkeep import keep_layout

ROOT = Path(__file__).resolve().parents[2]
POST_TEST = ROOT / "content" / "running-behavior" / "post-test.yaml"

BANK = """\
# Post-test bank: notes for the next author.

questions:
  # ---- LO1
  - id: q1
    type: single
    objective: LO1
    prompt: >-
      A long prompt folded over
      two lines.
    choices:
      - text: Yes  # the right one
        correct: true
      - text: "No"
    explanation: Because.

  # ---- LO2
  - id: q2
    type: single
    objective: LO2
    prompt: Second?
    choices:
      - text: A
        correct: true
      - text: B
    explanation: |
      Line one.
      # this line is text, not a comment
  - id: q3
    type: single
    objective: LO2
    prompt: Third?
    choices:
      - text: C
        correct: true
      - text: D
    explanation: Three.
# end of the bank
"""


def _questions(text: str) -> list[dict]:
    return [dict(q) for q in read_yaml(text)["questions"]]


def _changed_lines(old: str, new: str) -> list[str]:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in {"+++", "---"}]


def _save(old: str, questions: list[dict]) -> str:
    new = keep_layout(old, dump.dump_post_test(questions))
    assert read_yaml(new) == read_yaml(dump.dump_post_test(questions))
    return new


def test_saving_unchanged_data_gives_back_the_file_as_written():
    assert _save(BANK, _questions(BANK)) == BANK
    real = POST_TEST.read_text()
    assert _save(real, _questions(real)) == real


def test_editing_one_question_rewrites_only_that_question():
    questions = _questions(BANK)
    questions[1]["prompt"] = "Second, reworded?"
    saved = _save(BANK, questions)
    assert _changed_lines(BANK, saved) == ["-    prompt: Second?", "+    prompt: Second, reworded?"]


def test_every_comment_survives_an_edit_to_each_question_of_the_real_bank():
    real = POST_TEST.read_text()
    comments = [line for line in real.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 9
    for index in range(len(_questions(real))):
        questions = _questions(real)
        questions[index]["explanation"] = "A new explanation."
        saved = _save(real, questions)
        assert [line for line in saved.splitlines() if line.lstrip().startswith("#")] == comments
        # Everything outside the edited question is byte for byte the same.
        changed = _changed_lines(real, saved)
        assert changed[-1] == "+    explanation: A new explanation.", changed
        assert all("explanation" in line or line.startswith("-  ") for line in changed)


def test_removing_the_first_question_of_a_section_keeps_the_section_heading():
    questions = [q for q in _questions(BANK) if q["id"] != "q2"]
    saved = _save(BANK, questions)
    assert "  # ---- LO2\n  - id: q3" in saved
    assert "# Post-test bank" in saved and saved.endswith("# end of the bank\n")


def test_a_new_question_goes_after_the_last_one_and_before_the_closing_comment():
    questions = _questions(BANK) + [
        {"id": "q4", "type": "single", "objective": "LO1", "prompt": "Four?",
         "choices": [{"text": "E", "correct": True}, {"text": "F"}], "explanation": "4."}
    ]  # fmt: skip
    saved = _save(BANK, questions)
    assert saved.startswith(BANK.removesuffix("# end of the bank\n"))
    assert "  - id: q4\n" in saved and saved.endswith('    explanation: "4."\n# end of the bank\n')


def test_reordered_items_take_their_comments_with_them():
    questions = _questions(BANK)
    saved = _save(BANK, [questions[2], questions[0], questions[1]])
    assert saved.index("id: q3") < saved.index("# ---- LO1") < saved.index("id: q1")
    assert saved.index("# ---- LO2") < saved.index("id: q2")


def test_a_new_item_follows_the_file_own_indentation():
    flush_left = BANK.replace("\n  ", "\n")
    assert "\n- id: q1" in flush_left
    questions = _questions(flush_left)
    questions[0]["prompt"] = "Changed."
    saved = _save(flush_left, questions)
    assert "\n- id: q1\n  type: single\n  objective: LO1\n  prompt: Changed.\n" in saved
    assert "# ---- LO1" in saved and "  - id" not in saved
    # An item whose keys start in another order is written whole, still flush left.
    reordered = flush_left.replace("- id: q1\n  type: single\n", "- type: single\n  id: q1\n")
    saved = _save(reordered, questions)
    assert "# ---- LO1\n- id: q1\n  type: single\n  objective: LO1\n  prompt: Changed.\n" in saved


def test_settings_keep_comments_on_the_keys_that_did_not_change():
    old = "# Course settings\nslug: demo  # never changes\ntitle: Old title\nhours: 1.0\n"
    new = "slug: demo\ntitle: New title\nhours: 1.0\n"
    saved = keep_layout(old, new)
    expected = "# Course settings\nslug: demo  # never changes\ntitle: New title\nhours: 1.0\n"
    assert saved == expected


@pytest.mark.parametrize(
    "old",
    ["", "questions: [\n", "- a list\n- at the top\n", "questions: []\n", "a: 1\na: 2\n"],
    ids=["empty", "broken", "top-level-list", "flow-list", "duplicate-keys"],
)
def test_a_file_it_cannot_follow_is_written_fresh(old):
    new = dump.dump_post_test(_questions(BANK))
    assert keep_layout(old, new) == new


LESSON = """\
---
# Reviewed 2026 with the youth advisory board
title: Push and pull
objectives: [LO1]  # LO2 moves to lesson 3
---

Some text.
"""


def test_a_lesson_keeps_its_front_matter_comments_through_text_and_check_edits():
    source = split_lesson(LESSON)
    saved = join_lesson(source.title, source.objectives, "Other text.\n", {}, source.front)
    assert saved == LESSON.replace("Some text.", "Other text.")
    retitled = join_lesson("Push, pull", source.objectives, source.body, {}, source.front)
    assert "# Reviewed 2026" in retitled and "objectives: [LO1]  # LO2 moves" in retitled
    assert "title: Push, pull" in retitled
    choices = [{"text": "A", "correct": True}, {"text": "B"}]
    check = dump.dump_check({"id": "c1", "type": "single", "prompt": "Why?", "choices": choices})
    with_check = replace_check(split_lesson(LESSON), None, check)
    assert with_check.startswith(LESSON.split("Some")[0]) and "[check" not in with_check


def test_editing_one_choice_rewrites_only_that_choice():
    questions = _questions(BANK)
    questions[0]["choices"][1]["text"] = "No, never"
    saved = _save(BANK, questions)
    assert _changed_lines(BANK, saved) == ['-      - text: "No"', "+      - text: No, never"]
    assert "      - text: Yes  # the right one\n" in saved


def test_a_removed_choice_still_reads_back_as_the_new_list():
    questions = _questions(BANK)
    del questions[1]["choices"][0]
    saved = _save(BANK, questions)
    assert read_yaml(saved)["questions"][1]["choices"] == [{"text": "B"}]
    assert "# ---- LO2" in saved


REAL_LESSON = ROOT / "content" / "running-behavior" / "01-why-this-matters.md"


def test_a_one_word_prompt_edit_changes_only_the_prompt_lines_of_the_check_block():
    text = REAL_LESSON.read_text()
    source = split_lesson(text)
    check = source.checks[0]
    assert check.text.count("\n") > 15  # a block worth keeping
    data = dict(check.data)
    # Any one word of the shipped prompt will do, so the course text can be revised.
    word = next(w for w in re.findall(r"[A-Za-z]+", str(data["prompt"])) if len(w) >= 6)
    data["prompt"] = str(data["prompt"]).replace(word, word.upper(), 1)
    saved = replace_check(source, check.id, dump.dump_check(data))
    changed = _changed_lines(text, saved)
    assert any(word.upper() in line for line in changed)
    assert all(line[1:].startswith(("prompt:", "  ")) and "- text" not in line for line in changed)
    assert len(changed) <= 5, changed
    assert split_lesson(saved).check(check.id).data["prompt"] == data["prompt"]


def test_a_why_edit_in_one_choice_leaves_the_other_choices_as_written():
    text = REAL_LESSON.read_text()
    source = split_lesson(text)
    check = source.checks[0]  # the lesson's one check; its second choice has a folded why
    data = dict(check.data)
    data["choices"] = [dict(c) for c in data["choices"]]
    data["choices"][1]["why"] = "Waiting breaks the 24-hour limit."
    saved = replace_check(source, check.id, dump.dump_check(data))
    changed = _changed_lines(text, saved)
    assert changed[-1] == "+    why: Waiting breaks the 24-hour limit."
    assert all(line.startswith("-") for line in changed[:-1]) and len(changed) <= 4


def test_a_long_edit_to_a_folded_prompt_stays_a_folded_block_wrapped_as_before():
    real = POST_TEST.read_text()
    questions = _questions(real)
    old_prompt = questions[0]["prompt"]
    questions[0]["prompt"] = old_prompt.replace("one national figure", "a single national figure")
    saved = _save(real, questions)
    changed = _changed_lines(real, saved)
    # The author's `prompt: >-` block stays; only its text lines change, at the same indent
    # and no wider than the author wrapped them (the dumper wrote a plain scalar instead).
    assert all(line[1:].startswith("      ") for line in changed), changed
    assert "    prompt: >-" in saved.splitlines()[:12]
    widest = max(len(line) for line in real.splitlines()[8:12])
    assert all(len(line) - 1 <= widest for line in changed)
    assert _questions(saved)[0]["prompt"] == questions[0]["prompt"]


def test_a_long_why_in_a_choice_keeps_its_folded_block():
    real = POST_TEST.read_text()
    questions = _questions(real)
    why = (
        "NCMEC's figure for 2024 is about 1 in 7; the 1 in 6 figure belongs to 2019, 2021"
        " and 2022."
    )
    questions[0]["choices"][0]["why"] = why
    saved = _save(real, questions)
    changed = _changed_lines(real, saved)
    assert changed and all(line[1:].startswith("          ") for line in changed), changed
    assert _questions(saved)[0]["choices"][0]["why"] == why
