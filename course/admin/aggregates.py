"""SQL aggregate helpers shared by the reports: counts, shares, correct answers, medians."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, func, select

from course.extensions import db


@dataclass(frozen=True)
class Count:
    """A labelled count and its share of a whole, in percent to one decimal."""

    label: str
    count: int
    percent: float | None
    #: What the label means where it is a code (a Likert answer's "5": "Strongly agree").
    words: str | None = None


def percent(part: int, whole: int) -> float | None:
    """Return part/whole in percent to one decimal, or None when whole is zero."""
    return round(100 * part / whole, 1) if whole else None


def count_of(statement: Select) -> int:
    """Return the integer a COUNT query selects (0 for no rows)."""
    return int(db.session.scalar(statement) or 0)


def count_true(column) -> object:
    """Return an SQL expression counting the rows where a boolean column is true."""
    # SUM over a boolean is not portable (PostgreSQL refuses it); count with CASE.
    return func.coalesce(func.sum(case((column.is_(True), 1), else_=0)), 0)


def median_of(values: Select) -> float | None:
    """Return the median of a one-column query, letting the database sort and pick."""
    subquery = values.subquery()
    column = subquery.c[0]
    n = count_of(select(func.count()).select_from(subquery))
    if not n:
        return None
    middle = select(column).order_by(column).offset((n - 1) // 2).limit(2 - n % 2)
    picked = [float(value) for value in db.session.scalars(middle)]
    return sum(picked) / len(picked)
