"""The per-course audit pack: one ZIP with what a CE accreditor asks to see.

Outline and objectives, the seat-time derivation, the post-test blueprint, the
evaluation summary, a SPECIMEN certificate, the completion roster and attempt history of
a version and period, and the package source of every version those learners took.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from flask import current_app

import certificates
import lessons
from course import issuing
from course.admin import report_services as reports
from course.admin.evaluation_report import EvaluationStat, evaluation_results
from course.admin.pack_history import approvals_csv, item_analysis_csv, versions_csv
from course.admin.pack_learners import answers_csv, lesson_times_csv
from course.admin.pack_readme import readme
from course.admin.records_services import CERTIFICATE_COLUMNS, certificate_rows
from course.admin.roster import (
    AuditScope,
    attempt_versions,
    attempts_csv,
    roster_csv,
    roster_rows,
)
from course.approval import ApprovalClaim, approval_for
from course.csvout import csv_text
from course.dates import date_label, stamp_label, zone_label
from course.db import utcnow
from course.learn.evaluation import asks_minutes
from course.models import Course, CourseVersion, Enrolment, User
from course.packages import export_files
from course.provider import SAMPLE_NOTICE, current_provider
from course.templating import counted, hours_figure, hours_label
from lessons import timing
from lessons.draw import expected_shares
from lessons.rules import WORDS_PER_MINUTE, check_words

#: The pack's certificates.csv: the admin download's columns without the account's current
#: license, which an accreditor does not need (the certificate's own is in snapshot_*).
PACK_CERTIFICATE_COLUMNS = tuple(
    name for name in CERTIFICATE_COLUMNS if not name.startswith("account_license"))
_PACK_CERTIFICATE_CELLS = [CERTIFICATE_COLUMNS.index(name) for name in PACK_CERTIFICATE_COLUMNS]
SPECIMEN_NAME = "SPECIMEN - Sample Participant (not a valid certificate)"


def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        return str(value if value is not None else "—").replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def outline(course: Course, version: CourseVersion, package: lessons.CoursePackage) -> str:
    """Return the outline and objectives of one version of the course as Markdown."""
    lines = [
        f"# {package.title}", "",
        # Not nested in brackets: "(published December 2, 2026 (Pacific Time), ...)".
        f"Course `{course.slug}`, version {version.number}: published"
        f" {date_label(version.created_at)}, {zone_label(current_provider().time_zone)};"
        f" content hash `{version.content_hash}`.", "",
        f"- Audience: {package.audience}", f"- Level: {package.level}",
        f"- Format: {package.format}", f"- Contact hours: {hours_figure(package.contact_hours)}",
        f"- Credit type: {package.credit_type}", f"- Passing score: {package.passing_score}%",
        f"- Post-test: {package.post_test_draw} questions drawn from a bank of"
        f" {len(package.post_test)}",
        f"- Provider: {provider_line()}",
    ]
    claim = approval_for(course)
    if claim:
        source = "recorded by an administrator" if claim.source == "admin" else "from the package"
        # Today's, whatever period the pack covers: an earlier approval (a renewal's old
        # number, say) is in approval-changes.csv and on the certificates that stated it.
        lines.append(f"- Approval as this pack was made: {claim.body}, number {claim.number}"
                     f"{_period(claim)} ({source}). Earlier ones are in approval-changes.csv;"
                     " each certificate in certificates.csv keeps the approval it stated.")
        lines.append(f"- Approval statement: {claim.statement}")
    lines += ["", "## Authors", ""]
    lines += [f"- {_author(a)}" for a in package.authors] or ["None named."]
    lines += ["", "## Disclosure", "", package.disclosure.strip() or "None given."]
    lines += ["", "## References", ""]
    lines += [f"- {reference}" for reference in package.references] or ["None given."]
    lines += ["", "## Learning objectives", ""]
    lines += [f"- **{o.id}**: {o.text}" for o in package.objectives]
    lines += ["", "## Lessons", ""]
    rows = [
        [lesson.position, lesson.title, ", ".join(lesson.objectives) or "—", lesson.word_count,
         len(lesson.checks)]
        for lesson in package.lessons
    ]
    lines.append(_md_table(["#", "Lesson", "Objectives", "Words", "Knowledge checks"], rows))
    lines += ["## Evaluation", ""]
    lines += [f"- {item.prompt} ({item.type}{', ' + item.objective if item.objective else ''})"
              for item in package.evaluation]
    return "\n".join(lines) + "\n"


def _author(author: lessons.Author) -> str:
    text = f"{author.name}, {author.credentials}" if author.credentials else author.name
    return f"{text} ({author.role})" if author.role else text


def _period(claim: ApprovalClaim) -> str:
    start = f" from {date_label(claim.period_start)}" if claim.period_start else ""
    end = f" until {date_label(claim.period_end)}" if claim.period_end else ""
    return f", approved{start}{end}" if start or end else ""


def provider_line() -> str:
    """The deployment's provider as the audit pack states it, sample status included."""
    provider = current_provider()
    if provider.configured:
        return provider.name
    return f"{provider.name or 'none set'}. Certificates say: {SAMPLE_NOTICE}"


def seat_time_doc(
    course: Course,
    package: lessons.CoursePackage,
    evaluation: list[EvaluationStat],
    covered: list[int] | None = None,
) -> tuple[str, str]:
    """Return the seat-time derivation as Markdown and its per-lesson table as CSV.

    ``covered`` narrows the measured figures to a narrowed pack's completions, whose
    ``evaluation`` results give the minutes the learners said the course took.
    """
    estimate = lessons.seat_time(package)
    measured = reports.seat_time(course, covered)
    # The whole course's figure counts learners still short of the post-test too: said,
    # so it is not read against the README's count of completions.
    who = (", whether or not they went on to complete the course" if covered is None
           else " among the completions this pack covers")
    by_slug = {row.lesson.slug: row for row in measured.lessons}
    header = ["position", "lesson", "words", "check_words", "estimated_minutes",
              "median_active_minutes", "learners_measured"]
    rows = []
    for lesson in package.lessons:
        row = by_slug.get(lesson.slug)
        checks = sum(check_words(q) for q in lesson.checks)
        rows.append([lesson.position, lesson.title, lesson.word_count, checks,
                     round(lessons.lesson_reading_minutes(lesson), 1),
                     row.median_minutes if row else None, row.measured if row else 0])
    text = "\n".join([
        f"# Seat time: {package.title}", "",
        f"Reading: {estimate.lesson_words:,} lesson words and {estimate.check_words:,}"
        f" knowledge-check words at {WORDS_PER_MINUTE} words a minute ="
        f" {estimate.reading_minutes:.1f} min",
        f"Post-test: {package.post_test_draw} questions at 1 min = {estimate.post_test_minutes:.1f}"
        " min",
        f"Evaluation: {len(package.evaluation)} items = {estimate.evaluation_minutes:.1f} min",
        f"**Estimated total: {estimate.total_minutes:.1f} min** for"
        f" {hours_label(package.contact_hours)} ({package.contact_hours * 60:g} min).", "",
        "Measured: median active lesson time of the "
        f"{counted(measured.measured, 'learner')} who completed every lesson{who}:"
        f" {_minutes(measured.median_minutes)} (lesson reading only; the estimate's reading part"
        f" is {estimate.reading_minutes:.1f} min).",
        *_self_reported(evaluation), "",
        *_method(package, estimate.reading_minutes),
        "## Per lesson", "",
        _md_table(header, rows),
    ])
    return text, csv_text(header, rows)


def _self_reported(evaluation: list[EvaluationStat]) -> list[str]:
    """The evaluation's own question on minutes taken, beside the measured figure."""
    lines = []
    for stat in evaluation:
        if asks_minutes(stat.item):
            median = _minutes(stat.median) if stat.responses else "no answers yet"
            under = (f" {counted(stat.under_half, 'answer')} gave under {stat.half_minutes} min,"
                     " half the contact time." if stat.under_half else "")
            lines += ["", f"Self-reported: \"{stat.item.prompt}\" median {median}"
                          f" ({counted(stat.responses, 'answer')}; the whole course, post-test"
                          f" and evaluation included).{under}"]  # fmt: skip
    return lines


def _method(package: lessons.CoursePackage, reading_minutes: float) -> list[str]:
    """How the hour is justified and active time measured, for the auditor who asks."""
    minimum = timing.min_active_minutes(package)
    config = current_app.config
    heartbeat, idle = config["HEARTBEAT_SECONDS"], config["IDLE_AFTER_SECONDS"]
    return [
        "## How the hour is set and measured", "",
        f"- **The estimate** counts every word a learner reads at {WORDS_PER_MINUTE} words a"
        " minute (a slow, study pace), a minute a post-test question and the evaluation's"
        " items. The checker refuses to publish a version whose estimate is below its"
        " contact hours, and warns when it is more than 15% above them.",
        f"- **The minimum** before the post-test is {minimum} min of measured reading, half"
        f" the {reading_minutes:.1f} min reading estimate unless the package sets its own:"
        f" half is reading at about {WORDS_PER_MINUTE / timing.DEFAULT_MIN_ACTIVE_SHARE:.0f}"
        " words a minute, faster than adults read for understanding (docs/ce-credit.md"
        " gives the sources).",
        "- **Each lesson's floor**: every lesson must also show half of its share of the"
        " minimum (`floor_minutes` in lesson-times.csv), so the minimum cannot be met on a"
        " few lessons while others show no reading.",
        f"- **Active time** is counted on the server, once: a lesson page with JavaScript"
        f" reports every {heartbeat} s while it is visible and the learner has used it in the"
        f" last {idle // 60} min (a silence credits at most one and a half intervals);"
        " without JavaScript, the time between two pages is credited to the page shown,"
        " never more than what is left of that lesson's reading estimate. A lesson credits"
        f" at most {timing.LESSON_CAP_FACTOR} times the reading time of its text (at least"
        f" {timing.LESSON_CAP_FLOOR_MINUTES} min). Time in two tabs or two"
        " courses counts once; signing out, and starting the post-test, end the reading.",
        "- **The post-test and the evaluation** are not part of active time: they come"
        " after the minimum is met. post-test-attempts.csv gives each attempt's minutes.",
        "- **Rounding**: minutes are given to the tenth, rounded down, one figure at a time;"
        " the `active_seconds` columns are exact and add up.", "",
    ]  # fmt: skip


def _minutes(value: float | None) -> str:
    return "no measurements yet" if value is None else f"{value:.1f} min"


def blueprint(package: lessons.CoursePackage) -> str:
    """Return the post-test blueprint by objective as CSV."""
    bank = len(package.post_test) or 1
    header = ["objective", "objective_text", "questions_in_bank", "share_of_bank_percent",
              "expected_per_attempt", "draw", "question_ids", "types"]
    sizes = {o.id: sum(q.objective == o.id for q in package.post_test) for o in package.objectives}
    expected = expected_shares([o.id for o in package.objectives], sizes, package.post_test_draw)
    rows = []
    for objective in package.objectives:
        questions = [q for q in package.post_test if q.objective == objective.id]
        types = sorted({q.type for q in questions})
        rows.append([objective.id, objective.text, len(questions),
                     round(100 * len(questions) / bank, 1),
                     round(expected.get(objective.id, 0), 1),
                     package.post_test_draw, " ".join(q.id for q in questions), " ".join(types)])
    return csv_text(header, rows)


def evaluation_summary(evaluation: list[EvaluationStat]) -> tuple[str, str]:
    """Return the evaluation results (``evaluation_results``) and the comments as CSV."""
    header = ["item", "type", "prompt", "responses", "option", "option_label", "count",
              "percent", "mean", "median"]
    rows, comments = [], []
    for stat in evaluation:
        item = stat.item
        base = [item.key, item.type, item.prompt, stat.responses]
        if stat.counts:
            rows += [[*base, c.label, c.words or c.label, c.count, c.percent, stat.mean, None]
                     for c in stat.counts]
        else:
            rows.append([*base, None, None, None, None, stat.mean, stat.median])
        comments += [[item.key, comment] for comment in stat.comments]
    return csv_text(header, rows), csv_text(["item", "comment"], comments)


def specimen_pdf(course: Course) -> bytes:
    """Render a certificate for the course from a SPECIMEN record (never stored or issued)."""
    # Transient objects: never added to the session, so nothing is written.
    learner = User(full_name=SPECIMEN_NAME, licence_number="SPECIMEN",
                   licence_jurisdiction="SPECIMEN")
    enrolment = Enrolment(course=course, completed_at=utcnow())
    record = issuing.build_record(enrolment, learner, certificates.SPECIMEN_CODE)
    return issuing.render(record)


def audit_pack(
    course: Course, scope: AuditScope | None = None, made_by: User | None = None
) -> bytes:
    """Return the course's audit pack as ZIP bytes, for the completions within ``scope``.

    The outline, blueprint and seat time describe the scope's version (else the current
    one); the pack holds the package of that version and of every version its completers
    took.
    """
    scope = scope or AuditScope()
    version = scope.version or course.current_version
    package = lessons.load_files(version.files, expected_slug=course.slug)
    rows = list(roster_rows(course, scope))
    # A narrowed pack reports the time and evaluations of the completions it covers only.
    covered = [row.enrolment_id for row in rows] if scope.detail() else None
    evaluation = evaluation_results(course, covered)
    seat_md, seat_csv = seat_time_doc(course, package, evaluation, covered)
    evaluation_csv, comments_csv = evaluation_summary(evaluation)
    generated = stamp_label(utcnow())
    if made_by is not None:  # an accreditor may ask who pulled the records
        generated += f" by {made_by.full_name} ({made_by.email})"
    # Every version a covered learner read, drew a post-test from or was graded by.
    taken = {row.version_number for row in rows} | attempt_versions(course, scope, rows)
    numbers = sorted({version.number} | taken)
    files = {
        "README.txt": readme(course, version, scope, numbers, generated, len(rows)),
        "outline.md": outline(course, version, package),
        "seat-time.md": seat_md,
        "seat-time.csv": seat_csv,
        "lesson-times.csv": lesson_times_csv(course, rows),
        "post-test-blueprint.csv": blueprint(package),
        "evaluation-summary.csv": evaluation_csv,
        "evaluation-comments.csv": comments_csv,
        "completion-roster.csv": roster_csv(rows),
        "post-test-attempts.csv": attempts_csv(course, scope, rows),
        "post-test-answers.csv": answers_csv(course.id, scope, rows),
        # Every certificate of those completions: valid, revoked and replaced, with why.
        "certificates.csv": csv_text(PACK_CERTIFICATE_COLUMNS, (
            [cells[i] for i in _PACK_CERTIFICATE_CELLS] for cells in certificate_rows(
                course.id, enrolments=[row.enrolment_id for row in rows]))),
        "course-versions.csv": versions_csv(course),
        "approval-changes.csv": approvals_csv(course),
        "item-analysis.csv": item_analysis_csv(course),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr("sample-certificate-SPECIMEN.pdf", specimen_pdf(course))
        for number in numbers:
            for name, text in sorted(export_files(course, number).items()):
                archive.writestr(f"package/v{number}/{name}", text)
    return buffer.getvalue()
