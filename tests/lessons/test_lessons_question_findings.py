"""A question the checker refuses is named at the line that needs the fix, in full words."""

from __future__ import annotations

import pytest
from lessons_testkit import edited, errors, line_after, minimal_files

import lessons

FIRST_CHOICES = (
    "      - text: Conflict with a caregiver\n"
    "        correct: true\n"
    "        why: Conflict pushes a youth away from placement.\n"
    "      - text: A friend's invitation\n"
    "        why: An invitation is a pull factor.\n"
)


def _with_choices(count: int) -> dict[str, str]:
    """The minimal package with ``count`` choices (the first one right) in pt-lo1-1."""
    choices = "".join(
        f"      - text: Choice number {n}\n"
        + ("        correct: true\n" if n == 1 else "")
        + f"        why: Feedback on choice {n}.\n"
        for n in range(1, count + 1)
    )
    return edited(minimal_files(), "post-test.yaml", FIRST_CHOICES, choices)


def test_a_question_with_more_choices_than_letters_is_refused_at_its_choices() -> None:
    # Choices are keyed a to z: a 27th would be dropped without a word, and with it
    # perhaps the right answer.
    files = _with_choices(27)
    package, findings = lessons.check_files(files)
    assert package is None
    line = line_after(files["post-test.yaml"], "id: pt-lo1-1", "choices:")
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("post-test.yaml", line, "post-test question `pt-lo1-1`: at most 26 choices")
    ]
    # Twenty-six is the most there are letters for, and is accepted.
    package, findings = lessons.check_files(_with_choices(26))
    assert package is not None and not errors(findings)
    assert [c.key for c in package.post_test[0].choices] == list("abcdefghijklmnopqrstuvwxyz")


def test_a_choice_that_is_not_a_mapping_is_the_one_finding_of_its_question() -> None:
    # The checker could not read choice b: counting the choices without it would add
    # "needs at least 2 choices", and reading it as a blank choice "no `why` feedback".
    files = edited(minimal_files(), "post-test.yaml", "      - text: A friend's invitation\n"
                   "        why: An invitation is a pull factor.\n",
                   "      - [A friend's invitation, An invitation is a pull factor.]\n")
    package, findings = lessons.check_files(files)
    assert package is None
    line = line_after(files["post-test.yaml"], "id: pt-lo1-1", "- [A friend")
    assert [(f.level, f.file, f.line, f.message) for f in findings
            if f.file == "post-test.yaml"] == [
        ("error", "post-test.yaml", line, "post-test question `pt-lo1-1`, choice b must be a"
         " mapping of keys, not a list"),
    ]  # fmt: skip


def test_a_bad_id_below_other_keys_is_named_at_its_own_line() -> None:
    files = edited(minimal_files(), "01-push-pull.md", "id: push-pull-1\ntype: single\n",
                   "type: single\nid: push pull 1\n")
    _, findings = lessons.check_files(files)
    line = line_after(files["01-push-pull.md"], "", "id: push pull 1")
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("01-push-pull.md", line, "check: id `push pull 1` must match [A-Za-z0-9][A-Za-z0-9_-]*")
    ]


def test_an_unknown_type_names_its_question() -> None:
    files = edited(minimal_files(), "post-test.yaml", "  - id: pt-lo1-3\n    type: multiple",
                   "  - id: pt-lo1-3\n    type: ranking")
    _, findings = lessons.check_files(files)
    line = line_after(files["post-test.yaml"], "", "type: ranking")
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("post-test.yaml", line, "post-test question `pt-lo1-3`: type `ranking` must be one of"
         " single, multiple, true_false"),
    ]  # fmt: skip


@pytest.mark.parametrize("key", ["[hint, tip]", "~"], ids=["list", "null"])
def test_a_key_that_is_not_a_plain_name_is_named_at_its_line(key: str) -> None:
    files = edited(minimal_files(), "01-push-pull.md", "type: single\n",
                   f"type: single\n{key}: Look again\n")  # fmt: skip
    package, findings = lessons.check_files(files)
    assert package is None
    line = line_after(files["01-push-pull.md"], "", f"{key}: Look again")
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("01-push-pull.md", line, "check: keys must be plain names")
    ]


def test_a_duplicate_key_counts_back_to_the_first_key_not_its_value() -> None:
    # The first `choices:` holds a list: the line to look back to is the key's own.
    files = edited(minimal_files(), "01-push-pull.md",
                   "    why: That pushes a youth away from placement.\n",
                   "    why: That pushes a youth away from placement.\nchoices: []\n")  # fmt: skip
    _, findings = lessons.check_files(files)
    text = files["01-push-pull.md"]
    first = line_after(text, "id: push-pull-1", "choices:")
    second = line_after(text, "", "choices: []")
    assert [(f.file, f.line, f.message) for f in errors(findings)] == [
        ("01-push-pull.md", second, "check: duplicate key `choices` (first"
         f" {second - first} lines above)"),
    ]  # fmt: skip


def test_an_unknown_key_like_no_known_one_is_told_the_keys_there_are() -> None:
    files = edited(minimal_files(), "01-push-pull.md", "type: single\n", "type: single\nhint: x\n")
    _, findings = lessons.check_files(files)
    assert [(f.line, f.message) for f in errors(findings)] == [
        (line_after(files["01-push-pull.md"], "", "hint: x"), "check: unknown key `hint`"
         " (allowed: choices, id, language_example, prompt, type)"),
    ]  # fmt: skip


def test_an_empty_prompt_names_its_question_and_line() -> None:
    old = "prompt: Which of these is a *pull* factor?\n"
    files = edited(minimal_files(), "01-push-pull.md", old, "prompt:\n")
    _, findings = lessons.check_files(files)
    assert [(f.line, f.message) for f in errors(findings)] == [
        (line_after(files["01-push-pull.md"], "id: push-pull-1", "prompt:"),
         "check `push-pull-1`: `prompt` is empty"),
    ]  # fmt: skip
