"""An audit event's detail in words, for the log page and its CSV alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from course.audit import ACCOUNT_KEYS, us_spelling
from course.models import User

#: The keys whose value is a change, stored as [old, new].
CHANGE_KEYS = frozenset({"changed", "changes"})


def detail_entries(detail: Mapping[str, Any] | None,
                   accounts: Mapping[int, User]) -> list[tuple[str, str]]:
    """Return an event's detail as (field, words) pairs, fields in order: changes as
    "old → new", nested records as "field: value", account ids as the person."""
    detail = us_spelling(dict(detail or {}))
    return [(key, _words(key, detail[key], accounts)) for key in sorted(detail, key=str.lower)
            # The names are there for a reader once the accounts are gone; the ids name them.
            if not (key == "editor_names" and "editors" in detail)]  # fmt: skip


def detail_text(detail: Mapping[str, Any] | None, accounts: Mapping[int, User]) -> str:
    """Return an event's detail on one line, fields parted by " | " (for a spreadsheet)."""
    return " | ".join(f"{key}: {words}" for key, words in detail_entries(detail, accounts))


def _words(key: str, value: Any, accounts: Mapping[int, User]) -> str:
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        return "; ".join(
            f"{k}: {_words(key if key in CHANGE_KEYS else k, v, accounts)}"
            for k, v in sorted(value.items(), key=lambda item: str(item[0]).lower())
        )
    if isinstance(value, list | tuple):
        if key in CHANGE_KEYS and len(value) == 2:
            old, new = ("" if v is None else v for v in value)
            return f"“{old}” → “{new}”"
        return ", ".join(_words(key, v, accounts) for v in value) or "none"
    if key in ACCOUNT_KEYS and isinstance(value, int) and not isinstance(value, bool):
        person = accounts.get(value)
        return f"{person.full_name} (user {value})" if person else f"user {value}"
    return str(value)
