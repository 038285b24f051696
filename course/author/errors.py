"""What the author area refuses, each with a message for the author."""

from __future__ import annotations

import lessons
from course.models import DraftRevision


class AuthorError(Exception):
    """A change the author asked for cannot be made; the message says why.

    ``field`` names the form field the message is about, where there is one, so the page
    marks that field and its error summary links to it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EditConflict(AuthorError):
    """Someone saved the same part of the course after this editor was opened."""

    def __init__(self, message: str, latest: int, base: int | None = None) -> None:
        super().__init__(message)
        #: The revision the author has now been shown; a second Save replaces it.
        self.latest = latest
        #: The revision the author's page was opened at: what changed since is theirs to read.
        self.base = base


class DraftChanged(AuthorError):
    """The draft was saved again after the publisher opened it; nothing was published."""

    def __init__(self, latest: DraftRevision | None, reviewed: int | None) -> None:
        number = latest.number if latest is not None else 0
        who = latest.author.full_name if latest is not None and latest.author else "someone"
        super().__init__(
            f"Not published: the draft changed while you were reviewing it. You read revision "
            f"{reviewed}; revision {number}, saved by {who}, is the newest. Its changes are "
            "shown below: read them, then publish again."
            if reviewed is not None
            else f"Not published: the page did not say which revision you reviewed. The "
            f"newest is revision {number}, saved by {who}: read it below, then publish again."
        )
        #: The revision the publisher has now been shown, and the one they had read.
        self.latest, self.reviewed = number, reviewed


class PublishRefused(AuthorError):
    """The checker found errors; nothing was published."""

    def __init__(self, findings: list[lessons.Finding]) -> None:
        errors = sum(f.level == "error" for f in findings)
        super().__init__(f"{errors} {'error' if errors == 1 else 'errors'} in the draft")
        self.findings = findings
