"""Writing package files back: plain data in, YAML and Markdown text in the package format out.

The editor keeps what authors type as plain data (dicts, lists, text); these functions
put keys in the documented order, leave out values that equal their defaults and write
block-style YAML that ``check_files`` reads back to the same package. Keys that are not
part of the format are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from .manifest import COURSE_KEYS

Data = Mapping[str, Any]

# A lesson's check block: its info string is what lessonfile looks for.
CHECK_FENCE = "```"
APPROVAL_KEYS = ("body", "number", "statement", "period_start", "period_end")
SUPPORT_KEYS = ("name", "contact", "url", "note")
AUTHOR_KEYS = ("name", "credentials", "role")
OBJECTIVE_KEYS = ("id", "text")


_TRUE = frozenset({"true", "yes", "on"})


def as_bool(value: object) -> bool:
    """A truth value, also when written as YAML text (``true``, ``yes``...)."""
    if isinstance(value, bool):
        return value
    return value is not None and str(value).strip().lower() in _TRUE


class FlowList(list[Any]):
    """A list written on one line, ``[LO1, LO2]``, as the examples do."""


class _Dumper(yaml.SafeDumper):
    """Safe dumper with indented lists and literal blocks for multi-line text."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_STR = "tag:yaml.org,2002:str"


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value.strip("\n"):
        return dumper.represent_scalar(_STR, value, style="|")
    if dumper.resolve(yaml.ScalarNode, value, (True, False)) != _STR:
        # Text that would read as a number or true/false is quoted the way the docs do.
        return dumper.represent_scalar(_STR, value, style='"')
    return dumper.represent_str(value)


def _represent_flow(dumper: yaml.SafeDumper, value: FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(FlowList, _represent_flow)


def dump_yaml(data: Any) -> str:
    """Write data as block-style YAML (keys in the given order, multi-line text as ``|``)."""
    text = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=88,
    )
    return text[: -len("...\n")] if text.endswith("\n...\n") else text


def clean_text(value: object) -> str:
    """Text as an author means it: newlines normalised, trailing spaces and blank ends removed."""
    if value is None:
        return ""
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _text(value: object) -> str:
    # Multi-line text keeps one final newline, which a literal block writes anyway.
    text = clean_text(value)
    return text + "\n" if "\n" in text else text


def _ordered(data: Data, order: Iterable[str]) -> dict[str, Any]:
    """The known keys, in the documented order."""
    return {key: data[key] for key in order if key in data}


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def choice_data(choice: Data) -> dict[str, Any]:
    """One choice: ``text``, ``correct: true`` only when correct, ``why`` only when given."""
    result: dict[str, Any] = {"text": _text(choice.get("text"))}
    if as_bool(choice.get("correct")):
        result["correct"] = True
    if not _is_blank(choice.get("why")):
        result["why"] = _text(choice.get("why"))
    return result


def question_data(question: Data, post_test: bool) -> dict[str, Any]:
    """A check (or, with post_test, a post-test question) as data in the documented order."""
    result: dict[str, Any] = {
        "id": clean_text(question.get("id")),
        "type": clean_text(question.get("type")),
    }
    if post_test:
        result["objective"] = clean_text(question.get("objective"))
    result["prompt"] = _text(question.get("prompt"))
    result["choices"] = [choice_data(c) for c in question.get("choices") or []]
    if post_test:
        result["explanation"] = _text(question.get("explanation"))
    if as_bool(question.get("language_example")):
        result["language_example"] = True
    return result


def dump_check(question: Data) -> str:
    """A knowledge check as a fenced ``check`` block, ending with a newline."""
    body = dump_yaml(question_data(question, post_test=False))
    return f"{CHECK_FENCE}check\n{body}{CHECK_FENCE}\n"


def dump_post_test(questions: Sequence[Data]) -> str:
    """post-test.yaml for a list of questions."""
    return dump_yaml({"questions": [question_data(q, post_test=True) for q in questions]})


def evaluation_item_data(item: Data) -> dict[str, Any]:
    """One evaluation item; ``min``/``max`` and ``choices`` only where its type uses them."""
    kind = clean_text(item.get("type"))
    result: dict[str, Any] = {
        "id": clean_text(item.get("id")),
        "type": kind,
        "prompt": _text(item.get("prompt")),
    }
    if not _is_blank(item.get("objective")):
        result["objective"] = clean_text(item.get("objective"))
    if "required" in item and not as_bool(item["required"]):
        result["required"] = False
    if kind == "number":
        for key in ("min", "max"):
            if item.get(key) is not None:
                result[key] = item[key]
    if kind == "choice":
        result["choices"] = FlowList(clean_text(c) for c in item.get("choices") or [])
    return result


def dump_evaluation(items: Sequence[Data]) -> str:
    """evaluation.yaml for a list of items."""
    return dump_yaml({"items": [evaluation_item_data(item) for item in items]})


def manifest_data(manifest: Data) -> dict[str, Any]:
    """course.yaml data in the documented key order, optional parts left out when empty."""
    result: dict[str, Any] = {}
    for key in COURSE_KEYS:
        if key not in manifest or manifest[key] is None:
            continue
        value = manifest[key]
        if key == "objectives":
            value = [_ordered(_texts(o), OBJECTIVE_KEYS) for o in value]
        elif key == "authors":
            value = [_ordered(_author(a), AUTHOR_KEYS) for a in value]
            if not value:
                continue
        elif key == "support":
            value = [_ordered(_texts(s, drop_blank=True), SUPPORT_KEYS) for s in value]
        elif key == "provider":
            value = _provider(value)
            if not value:
                continue
        elif key == "approval":
            if not value:
                continue
            value = _ordered(_texts(value, drop_blank=True), APPROVAL_KEYS)
        elif key == "references":
            value = [_text(reference) for reference in value if not _is_blank(reference)]
            if not value:
                continue
        elif key == "disclosure" and _is_blank(value):
            continue
        elif isinstance(value, str):
            value = _text(value)
        result[key] = value
    return result


def _texts(data: Data, drop_blank: bool = False) -> dict[str, Any]:
    return {
        key: _text(value) if isinstance(value, str) else value
        for key, value in data.items()
        if not (drop_blank and _is_blank(value))
    }


def _author(author: Data) -> dict[str, Any]:
    # An author's role is optional: a blank one is left out rather than written empty.
    return {k: v for k, v in _texts(author).items() if k != "role" or not _is_blank(v)}


def _provider(provider: Data) -> dict[str, Any]:
    """The package's optional provider block; empty when it names nothing."""
    result: dict[str, Any] = {}
    if not _is_blank(provider.get("name")):
        result["name"] = _text(provider.get("name"))
    approval = provider.get("approval")
    if approval:
        result["approval"] = _ordered(_texts(approval, drop_blank=True), APPROVAL_KEYS)
    return result


def dump_manifest(manifest: Data) -> str:
    """course.yaml for manifest data."""
    return dump_yaml(manifest_data(manifest))


def front_matter_yaml(title: str, objectives: Iterable[str]) -> str:
    """A lesson's front matter as YAML, without its fences."""
    data = {"title": clean_text(title), "objectives": FlowList(clean_text(o) for o in objectives)}
    return dump_yaml(data)


def dump_front_matter(title: str, objectives: Iterable[str], yaml_text: str | None = None) -> str:
    """A lesson's front matter, fences included (``yaml_text`` when given, as written)."""
    return f"---\n{front_matter_yaml(title, objectives) if yaml_text is None else yaml_text}---\n"


def dump_lesson(
    title: str, objectives: Iterable[str], body: str, front_yaml: str | None = None
) -> str:
    """A whole lesson file: front matter, a blank line, then the Markdown body."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    front = dump_front_matter(title, objectives, front_yaml)
    return front + "\n" + (text + "\n" if text else "")
