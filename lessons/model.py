"""Immutable value objects a loaded course package is made of."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found in a package, tied to a file and (when known) a line."""

    level: Level
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        """Format the finding the way the checker prints it."""
        return f"{self.file}:{self.line}: {self.level}: {self.message}"


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Return findings ordered by file, then line (stable within a line)."""
    return sorted(findings, key=lambda f: (f.file, f.line))


class PackageError(Exception):
    """A course package has error-level schema findings and cannot be loaded."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = sort_findings(findings)
        errors = sum(1 for f in self.findings if f.level == "error")
        lines = "\n".join(str(f) for f in self.findings)
        noun = "error" if errors == 1 else "errors"
        super().__init__(f"course package has {errors} {noun}:\n{lines}")


@dataclass(frozen=True)
class Choice:
    """One answer option of a question, keyed a, b, c ... by position."""

    key: str
    text: str
    text_html: str
    correct: bool
    why: str
    why_html: str


@dataclass(frozen=True)
class Question:
    """A knowledge check in a lesson or a question in the post-test bank."""

    id: str
    type: str
    prompt: str
    prompt_html: str
    choices: tuple[Choice, ...]
    objective: str | None
    explanation: str
    explanation_html: str
    language_example: bool
    file: str
    line: int

    @property
    def correct_keys(self) -> frozenset[str]:
        """Keys of the choices marked correct."""
        return frozenset(c.key for c in self.choices if c.correct)


@dataclass(frozen=True)
class Objective:
    """A learning objective; questions and evaluation items refer to its id."""

    id: str
    text: str


@dataclass(frozen=True)
class Author:
    """An author as printed on the certificate and course page; role is optional."""

    name: str
    credentials: str
    role: str = ""


@dataclass(frozen=True)
class Approval:
    """The CE approval a provider holds for this course, for a period when one is given."""

    body: str
    number: str
    statement: str
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None


@dataclass(frozen=True)
class Provider:
    """Who issues the credit; approval is None when the course is not approved."""

    name: str
    approval: Approval | None


@dataclass(frozen=True)
class SupportContact:
    """A hotline or helper shown on every course page."""

    name: str
    contact: str
    url: str | None
    note: str | None


@dataclass(frozen=True)
class Lesson:
    """One lesson file: its text rendered in parts around its knowledge checks."""

    slug: str
    position: int
    file: str
    title: str
    objectives: tuple[str, ...]
    markdown: str
    html_parts: tuple[str, ...]
    checks: tuple[Question, ...]
    word_count: int


@dataclass(frozen=True)
class EvaluationItem:
    """One question of the course evaluation form."""

    id: str
    type: str
    prompt: str
    required: bool
    choices: tuple[str, ...]
    objective: str | None
    minimum: int | None
    maximum: int | None
    file: str
    line: int


@dataclass(frozen=True)
class CoursePackage:
    """A validated course package: manifest, lessons, post-test and evaluation."""

    slug: str
    title: str
    version: int
    summary: str
    audience: str
    level: str
    format: str
    contact_hours: float
    credit_type: str
    objectives: tuple[Objective, ...]
    authors: tuple[Author, ...]
    provider: Provider
    passing_score: int
    post_test_draw: int
    #: Submitted attempts allowed; 0 means no cap.
    post_test_max_attempts: int
    #: Minutes a learner waits after a failed attempt before the next draw.
    post_test_retake_wait_minutes: int
    #: What a review shows: "missed", "keyed" or "score" (see lessons.manifest).
    post_test_review: str
    advisory: str
    advisory_html: str
    support: tuple[SupportContact, ...]
    sequential: bool
    #: None when course.yaml leaves it out (see ``lessons.timing.min_active_minutes``).
    min_active_minutes: int | None
    disclosure: str
    disclosure_html: str
    references: tuple[str, ...]
    references_html: tuple[str, ...]
    approval: Approval | None
    lessons: tuple[Lesson, ...]
    post_test: tuple[Question, ...]
    evaluation: tuple[EvaluationItem, ...]
    # A mapping is not hashable; the other fields are derived from it anyway.
    files: Mapping[str, str] = field(hash=False)

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 hex of the JSON list of sorted [name, text] pairs of the source files."""
        # JSON makes the encoding unambiguous (no separator a file could contain).
        payload = json.dumps(sorted(self.files.items()), ensure_ascii=True)
        return hashlib.sha256(payload.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class SeatTime:
    """The estimated time a learner needs, in minutes, and how it adds up."""

    lesson_words: int
    reading_minutes: float
    post_test_minutes: float
    evaluation_minutes: float
    total_minutes: float
    #: Words of the knowledge checks a learner reads (included in reading_minutes).
    check_words: int = 0
