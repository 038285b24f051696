"""AGS Score bodies: what the launching LMS is told about a post-test or a completion."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def score(subject: str, percent: int | None, *, completed: bool, passed: bool | None,
          when: datetime, comment: str | None = None) -> dict[str, Any]:
    """Return an AGS Score for a post-test result or a completion."""
    body: dict[str, Any] = {
        "userId": subject,
        "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "activityProgress": "Completed" if completed else "Submitted",
        "gradingProgress": "FullyGraded" if percent is not None else "NotReady",
    }
    if percent is not None:
        body.update(scoreGiven=percent, scoreMaximum=100)
    if comment:
        body["comment"] = comment
    return body
