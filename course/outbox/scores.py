"""AGS Score bodies: what the launching LMS is told about a post-test or a completion."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def score(subject: str, percent: int | None, *, completed: bool, when: datetime,
          comment: str | None = None) -> dict[str, Any]:
    """Return an AGS Score for a post-test result, a completion, or a withdrawn one.

    Only a completion is final (``FullyGraded``): a post-test score before it is
    ``Pending`` (AGS: "the current value is partial and may be updated"), for the credit
    also needs the evaluation, and a gradebook that takes every score as final would count
    a learner with no certificate as trained (Moodle keeps no grade that is not final).
    With no percent the score takes a grade back: a revoked certificate's completion.
    """
    final = completed and percent is not None
    body: dict[str, Any] = {
        "userId": subject,
        "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "activityProgress": "Completed" if final else "Submitted",
        "gradingProgress": "FullyGraded" if final else "Pending" if percent is not None
        else "NotReady",
    }
    if percent is not None:
        body.update(scoreGiven=percent, scoreMaximum=100)
    if comment:
        body["comment"] = comment
    return body
