"""Course packages in; validated objects, safe HTML, grades and lint findings out."""

from __future__ import annotations

from .dropped import image_addresses
from .loader import check_files, check_package, load_files, load_package
from .model import (
    Approval,
    Author,
    Choice,
    CoursePackage,
    EvaluationItem,
    Finding,
    Lesson,
    Objective,
    PackageError,
    Provider,
    Question,
    SeatTime,
    SupportContact,
    sort_findings,
)
from .questions import QUESTION_TYPES, ChoiceFeedback, GradeResult, QuestionType, grade
from .render import render_inline, render_markdown
from .rules import describe_seat_time, lesson_reading_minutes, lint, seat_time
from .timing import DEFAULT_MIN_ACTIVE_SHARE, default_min_active_minutes, min_active_minutes

__all__ = [
    "DEFAULT_MIN_ACTIVE_SHARE",
    "QUESTION_TYPES",
    "Approval",
    "Author",
    "Choice",
    "ChoiceFeedback",
    "CoursePackage",
    "EvaluationItem",
    "Finding",
    "GradeResult",
    "Lesson",
    "Objective",
    "PackageError",
    "Provider",
    "Question",
    "QuestionType",
    "SeatTime",
    "SupportContact",
    "check_files",
    "check_package",
    "default_min_active_minutes",
    "describe_seat_time",
    "lesson_reading_minutes",
    "grade",
    "image_addresses",
    "lint",
    "load_files",
    "load_package",
    "min_active_minutes",
    "render_inline",
    "render_markdown",
    "seat_time",
    "sort_findings",
]
