"""Paging for admin lists: one COUNT and one LIMIT/OFFSET query per page (no COUNT for a
first page that holds every match)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from course.extensions import db

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    """One page of results, numbered from 1."""

    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Return the number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(statement: Select, number: int, per_page: int = PER_PAGE, rows: bool = False) -> Page:
    """Return page ``number`` of the statement's results (scalars, or rows when ``rows``)."""

    def window(number: int) -> list[Any]:
        result = db.session.execute(statement.limit(per_page).offset((number - 1) * per_page))
        return list(result.all() if rows else result.scalars())

    count = select(func.count()).select_from(statement.order_by(None).subquery())
    if number <= 1:
        # A first page that is not full holds every match, so it needs no count: a
        # search is a scan of its table, and the count would be a second one.
        items = window(1)
        total = len(items) if len(items) < per_page else int(db.session.scalar(count) or 0)
        return Page(items=items, number=1, per_page=per_page, total=total)
    total = int(db.session.scalar(count) or 0)
    # Past the last page shows the last page; a huge number never reaches the database.
    number = min(number, max(1, -(-total // per_page)))
    return Page(items=window(number), number=number, per_page=per_page, total=total)
