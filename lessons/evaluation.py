"""evaluation.yaml: the course evaluation form."""

from __future__ import annotations

from collections.abc import Collection

from yaml.nodes import Node

from .model import EvaluationItem
from .questions import ID_PATTERN
from .yamlread import MapReader, Source, string_items

EVALUATION_FILE = "evaluation.yaml"
ITEM_TYPES = ("likert", "number", "text", "choice")
ITEM_KEYS = ("id", "type", "prompt", "objective", "required", "min", "max", "choices")


def parse_evaluation(
    source: Source, node: Node | None, objective_ids: Collection[str] | None
) -> tuple[EvaluationItem, ...]:
    """Read evaluation.yaml, reporting schema problems to `source`."""
    top = MapReader(source, node, "evaluation.yaml", ("items",))
    items: list[EvaluationItem] = []
    nodes = top.sequence("items") if top.ok else None
    if top.ok and nodes is not None and not nodes:
        source.error(top.line_of("items"), "evaluation.yaml: `items` is empty")
    for item_node in nodes or []:
        item = _parse_item(source, item_node, objective_ids)
        if item is not None:
            items.append(item)
    return tuple(items)


def _parse_item(
    source: Source, node: Node, objective_ids: Collection[str] | None
) -> EvaluationItem | None:
    r = MapReader(source, node, "evaluation item", ITEM_KEYS)
    if not r.ok:
        return None
    item_id = r.string("id") or ""
    if item_id:
        r.what = f"evaluation item `{item_id}`"
        if not ID_PATTERN.fullmatch(item_id):
            source.error(r.line_of("id"), f"{r.what}: id must match {ID_PATTERN.pattern}")
    kind = r.string("type") or ""
    if kind and kind not in ITEM_TYPES:
        source.error(
            r.line_of("type"), f"{r.what}: type `{kind}` must be one of " + ", ".join(ITEM_TYPES)
        )
    objective = r.string("objective", required=False)
    if objective and objective_ids is not None and objective not in objective_ids:
        source.error(r.line_of("objective"), f"{r.what}: unknown objective `{objective}`")

    # min/max and choices only mean something for one type each; elsewhere they are typos.
    for key, owner in (("min", "number"), ("max", "number"), ("choices", "choice")):
        if kind in ITEM_TYPES and kind != owner and key in r.entries:
            source.error(r.line_of(key), f"{r.what}: `{key}` only applies to {owner} items")
    minimum = r.integer("min", required=False) if kind == "number" else None
    maximum = r.integer("max", required=False) if kind == "number" else None
    if minimum is not None and maximum is not None and minimum > maximum:
        source.error(r.line_of("min"), f"{r.what}: min {minimum} is above max {maximum}")
    choices: list[str] = []
    if kind == "choice":
        choice_nodes = r.sequence("choices")
        choices = [text for text, _ in string_items(source, choice_nodes or [], "a choice")]
        if choice_nodes is not None and len(choices) < 2:
            source.error(r.line_of("choices"), f"{r.what}: a choice item needs 2 or more choices")
    return EvaluationItem(
        id=item_id,
        type=kind,
        prompt=r.string("prompt") or "",
        required=r.boolean("required", True),
        choices=tuple(choices),
        objective=objective,
        minimum=minimum,
        maximum=maximum,
        file=source.file,
        line=r.line,
    )
