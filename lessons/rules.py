"""CE rules and the seat-time estimate, checked on a loaded package.

Errors are CE rules a course must meet before it is imported or published; warnings are
advice. Every finding names a file and line.
"""

from __future__ import annotations

import math
import re

from .cues import cue_findings
from .dropped import dropped_findings
from .evaluation import EVALUATION_FILE
from .feedback import feedback_findings
from .language import language_findings
from .lessonfile import LESSON_NAME, lesson_yaml_parts
from .manifest import COURSE_FILE
from .model import CoursePackage, Finding, Lesson, Question, SeatTime, sort_findings
from .render import count_words, html_text
from .sources import source_findings
from .yamlpaths import cut_by_comments, key_lines

POST_TEST_FILE = "post-test.yaml"
WORDS_PER_MINUTE = 167
MINUTES_PER_POST_TEST_QUESTION = 1.0
EVALUATION_MINUTES = {"likert": 0.5, "number": 0.5, "choice": 0.5, "text": 2.0}
SEAT_TIME_TOLERANCE = 0.15
MIN_OBJECTIVES = 3
MIN_PASSING_SCORE = 80
MAX_TRUE_FALSE_SHARE = 0.10


def format_hours(hours: float) -> str:
    """Contact hours as people write them: 1.0, 1.5, 1.25."""
    text = f"{hours:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def required_draw(contact_hours: float) -> int:
    """Post-test questions needed: 10 for the first hour, 5 per additional (part) half hour."""
    extra_half_hours = math.ceil(max(0.0, contact_hours - 1.0) / 0.5 - 1e-9)
    return 10 + 5 * extra_half_hours


def check_words(question: Question) -> int:
    """Words a learner reads in a knowledge check: prompt, every choice, the keyed feedback."""
    parts = [question.prompt_html, *(c.text_html for c in question.choices)]
    parts += [c.why_html for c in question.choices if c.correct]
    return sum(count_words(html_text(part)) for part in parts)


def lesson_reading_minutes(lesson: Lesson) -> float:
    """A lesson's share of the reading estimate: its text and its knowledge checks."""
    checks = sum(check_words(q) for q in lesson.checks)
    return (lesson.word_count + checks) / WORDS_PER_MINUTE


def seat_time(package: CoursePackage) -> SeatTime:
    """Estimate the minutes a learner needs: reading (lessons and checks), post-test, evaluation."""
    words = sum(lesson.word_count for lesson in package.lessons)
    checks = sum(check_words(q) for lesson in package.lessons for q in lesson.checks)
    # The same sum as the lessons' own estimates (lesson_reading_minutes), so they add up.
    reading = (words + checks) / WORDS_PER_MINUTE
    post_test = package.post_test_draw * MINUTES_PER_POST_TEST_QUESTION
    evaluation = sum(EVALUATION_MINUTES.get(item.type, 0.0) for item in package.evaluation)
    total = reading + post_test + evaluation
    return SeatTime(words, reading, post_test, evaluation, total, checks)


def describe_seat_time(estimate: SeatTime) -> str:
    """The estimate and how it adds up, e.g. for the checker's summary line."""
    return (
        f"seat-time estimate {estimate.total_minutes:.1f} min ({estimate.lesson_words:,} lesson"
        f" + {estimate.check_words:,} knowledge-check words at {WORDS_PER_MINUTE}/min"
        f" = {estimate.reading_minutes:.1f} + post-test {estimate.post_test_minutes:.1f}"
        f" + evaluation {estimate.evaluation_minutes:.1f})"
    )


#: How the estimate is made, for the checker to print beside it.
SEAT_TIME_METHOD = (
    f"method: lesson text and knowledge checks (prompt, choices and the keyed choice's"
    f" feedback) at {WORDS_PER_MINUTE} words a minute, {MINUTES_PER_POST_TEST_QUESTION:g} min"
    " per drawn post-test question, evaluation items at"
    f" {EVALUATION_MINUTES['likert']:g} min each ({EVALUATION_MINUTES['text']:g} min for"
    " free text)"
)


# Words that mark a value as still to be filled in: printed, they would reach a board.
_PLACEHOLDER = re.compile(r"\bto be (supplied|added|confirmed)\b|\bTBD\b|\bTODO\b|placeholder",
                          re.IGNORECASE)


def lint(
    package: CoursePackage, *, provider_name: str = "", issues_credit: bool = False
) -> list[Finding]:
    """CE rule errors, seat-time, answer-cue, language, sanitizer and source warnings, sorted."""
    # provider_name: the provider the deployment names; a course that claims an approval
    # needs one, there or in its package. issues_credit: the deployment's certificates
    # carry credit (not samples), so nothing they print may be a placeholder.
    findings = (
        ce_findings(package)
        + credit_findings(package, provider_name, issues_credit)
        + seat_time_findings(package)
        + cue_findings(package)
        + feedback_findings(package)
        + language_findings(package)
        + dropped_findings(package)
        + comment_findings(package)
        + source_findings(package)
    )
    return sort_findings(findings)


def comment_findings(package: CoursePackage) -> list[Finding]:
    """Warnings for text a ``#`` cut short: YAML reads the rest of its line as a comment."""
    found = []
    for name, text in sorted(package.files.items()):
        # A lesson's front matter and check blocks are YAML too: an unquoted "the #1
        # reason" in a prompt cuts it as surely as in post-test.yaml.
        if name.endswith((".yaml", ".yml")):
            parts = [(text, 0)]
        else:
            parts = lesson_yaml_parts(text) if LESSON_NAME.match(name) else []
        for yaml_text, offset in parts:
            found += _cut_findings(name, yaml_text, offset)
    return found


def _cut_findings(name: str, text: str, offset: int) -> list[Finding]:
    found = []
    for kept, dropped, line in cut_by_comments(text):
        found.append(Finding(
            "warning", name, offset + line,
            f"the text ends at `{kept[-40:]}`: YAML reads ` #` and the rest of the line "
            f"(`{dropped[:40]}`) as a comment and drops it. Put the whole text in quotes "
            "to keep it, or move a comment to a line of its own",
        ))  # fmt: skip
    return found


def credit_findings(
    package: CoursePackage, provider_name: str = "", issues_credit: bool = False
) -> list[Finding]:
    """Errors for a course that cannot back its credit: untaught objectives, unbacked approval;
    placeholder credentials, an error where certificates carry credit, else a warning."""
    course = key_lines(package.files[COURSE_FILE])
    found: list[Finding] = []
    for index, author in enumerate(package.authors):
        if _PLACEHOLDER.search(author.credentials):
            found.append(Finding(
                "error" if issues_credit else "warning", COURSE_FILE,
                course.get(("authors", index, "credentials"), 0),
                f"the author's credentials, `{author.credentials}`, read as a placeholder, and "
                "every certificate prints them: give the real credentials before offering "
                "credit",
            ))  # fmt: skip
    taught = {oid for lesson in package.lessons for oid in lesson.objectives}
    for index, objective in enumerate(package.objectives):
        if objective.id not in taught:
            found.append(
                Finding(
                    "error",
                    COURSE_FILE,
                    course.get(("objectives", index), 0),
                    f"CE rule: objective {objective.id} is taught by no lesson (list it in a"
                    " lesson's front matter `objectives:`, or remove it)",
                )
            )
    if package.approval is not None:
        line = course.get(("approval",)) or course.get(("provider", "approval"), 0)
        if not (provider_name.strip() or package.provider.name.strip()):
            found.append(
                Finding(
                    "error",
                    COURSE_FILE,
                    line,
                    "CE rule: the course claims an approval but no provider is named: set"
                    " PROVIDER_NAME for this site (or `provider: name:` in the package)",
                )
            )
        if not package.authors:
            found.append(
                Finding(
                    "error",
                    COURSE_FILE,
                    line,
                    "CE rule: the course claims an approval but names no authors: add"
                    " `authors:` with each author's name and credentials",
                )
            )
        found += _statement_hours_findings(package, course, line)
    return found


# A number the approval statement gives in hours: "for 1.5 contact hours", "1 CE hour".
_STATED_HOURS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?=[^\d.;]{0,45}?\bhours?\b)", re.IGNORECASE)


def _statement_hours_findings(package: CoursePackage, course: dict, line: int) -> list[Finding]:
    """A warning when the approval statement's hours are not the course's contact hours."""
    # The certificate and the verification page print both: "approved for 1.0 contact
    # hours" above "Credit: 0.25 contact hours" is the contradiction a board catches.
    stated = [float(number) for number in _STATED_HOURS.findall(package.approval.statement)]
    if not stated or package.contact_hours in stated:
        return []
    where = (course.get(("approval", "statement")) or course.get(("provider", "approval",
             "statement")) or line)  # fmt: skip
    said = " or ".join(format_hours(hours) for hours in dict.fromkeys(stated))
    return [Finding(
        "warning", COURSE_FILE, where,
        f"the approval statement gives {said} hours, but `contact_hours` is "
        f"{format_hours(package.contact_hours)}: every certificate prints both, so a board "
        "would read two different credits; make them agree",
    )]  # fmt: skip


def ce_findings(package: CoursePackage) -> list[Finding]:
    """Errors for breaches of the CE approval rules."""
    course = key_lines(package.files[COURSE_FILE])
    post_line = key_lines(package.files[POST_TEST_FILE]).get(("questions",), 0)
    evaluation_line = key_lines(package.files[EVALUATION_FILE]).get(("items",), 0)
    found: list[Finding] = []

    def error(file: str, line: int, message: str) -> None:
        found.append(Finding("error", file, line, f"CE rule: {message}"))

    if len(package.objectives) < MIN_OBJECTIVES:
        error(
            COURSE_FILE,
            course.get(("objectives",), 0),
            f"at least {MIN_OBJECTIVES} learning objectives (found {len(package.objectives)})",
        )
    if package.passing_score < MIN_PASSING_SCORE:
        error(
            COURSE_FILE,
            course.get(("passing_score",), 0),
            f"passing_score must be at least {MIN_PASSING_SCORE} (is {package.passing_score})",
        )
    needed = required_draw(package.contact_hours)
    if package.post_test_draw < needed:
        error(
            COURSE_FILE,
            course.get(("post_test", "draw"), 0),
            f"a {format_hours(package.contact_hours)}-hour course draws at least {needed}"
            " post-test questions (10 for the first hour, 5 per additional half hour);"
            f" draw is {package.post_test_draw}",
        )
    bank = len(package.post_test)
    true_false = sum(1 for q in package.post_test if q.type == "true_false")
    if bank and true_false / bank > MAX_TRUE_FALSE_SHARE:
        error(
            POST_TEST_FILE,
            post_line,
            f"at most {MAX_TRUE_FALSE_SHARE:.0%} of the post-test may be true/false"
            f" ({true_false} of {bank} questions)",
        )
    if bank <= package.post_test_draw:
        error(
            POST_TEST_FILE,
            post_line,
            f"the bank ({bank} questions) must be larger than the draw"
            f" ({package.post_test_draw}) so that a retake gets different questions",
        )
    found += _share_findings(package, post_line)
    assessed = {q.objective for q in package.post_test}
    evaluated = {item.objective for item in package.evaluation}
    for objective in package.objectives:
        if objective.id not in assessed:
            error(
                POST_TEST_FILE,
                post_line,
                f"objective {objective.id} is not assessed by any post-test question",
            )
        if objective.id not in evaluated:
            error(
                EVALUATION_FILE,
                evaluation_line,
                f"objective {objective.id} has no evaluation item (`objective: {objective.id}`)",
            )
    return found


def _share_findings(package: CoursePackage, post_line: int) -> list[Finding]:
    """Errors when the bank cannot give every objective its share of a balanced draw."""
    if not package.objectives or not package.post_test_draw:
        return []
    share = package.post_test_draw // len(package.objectives)
    found = []
    for objective in package.objectives:
        have = sum(1 for q in package.post_test if q.objective == objective.id)
        if 0 < have < share:
            found.append(
                Finding(
                    "error",
                    POST_TEST_FILE,
                    post_line,
                    f"CE rule: objective {objective.id} has {have} post-test"
                    f" question{'' if have == 1 else 's'};"
                    f" a draw of {package.post_test_draw} gives each of the"
                    f" {len(package.objectives)} objectives at least {share}, so the bank needs"
                    f" {share - have} more for {objective.id}",
                )
            )
    return found


def seat_time_findings(package: CoursePackage) -> list[Finding]:
    """An error when the estimate is below the contact hours, a warning when 15% above."""
    estimate = seat_time(package)
    target = package.contact_hours * 60
    high = target * (1 + SEAT_TIME_TOLERANCE)
    line = key_lines(package.files[COURSE_FILE]).get(("contact_hours",), 0)
    hours = format_hours(package.contact_hours)
    if estimate.total_minutes < target:
        return [
            Finding(
                "error",
                COURSE_FILE,
                line,
                f"CE rule: {describe_seat_time(estimate)} is below the {target:.0f} min of"
                f" contact_hours {hours}; add reading or lower contact_hours",
            )
        ]
    if estimate.total_minutes <= high:
        return []
    return [
        Finding(
            "warning",
            COURSE_FILE,
            line,
            f"{describe_seat_time(estimate)} is more than 15% over the {target:.0f} min of"
            f" contact_hours {hours} (up to {high:.1f} min); trim reading or raise contact_hours",
        )
    ]
