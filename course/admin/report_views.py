"""Per-course reports for administrators, with server-side charts."""

from __future__ import annotations

from flask import abort, render_template
from markupsafe import Markup

from course.admin import bp
from course.admin import report_services as reports
from course.admin.charts import Bar, bar_chart, funnel_chart, stacked_bar
from course.authz import role_required
from course.models import Course, Role
from course.packages import version_numbers


def course_or_404(slug: str) -> Course:
    """Return an imported course by slug.

    :raise 404: when there is no imported course with that slug.
    """
    course = reports.find_course(slug)
    if course is None:
        abort(404)
    return course


def _share(count: reports.Count) -> str:
    return f"{count.count}" if count.percent is None else f"{count.count} ({count.percent:g}%)"


def report_charts(report: reports.CourseReport) -> dict[str, Markup]:
    """Return the report's charts as SVG markup, keyed by what they show."""
    charts = {
        "funnel": funnel_chart("chart-funnel", "Completion funnel",
                               [Bar(c.label, c.count, _share(c)) for c in report.funnel]),
        "scores": bar_chart("chart-scores", "Post-test scores (submitted attempts)",
                            [Bar(c.label, c.count) for c in report.scores.bins]),
    }
    time = report.seat_time
    charts["time"] = bar_chart(
        "chart-time", "Estimated minutes against measured median active minutes",
        [Bar("Estimate (whole course)", time.estimated_minutes, f"{time.estimated_minutes:g} min"),
         Bar("Estimate (reading)", time.reading_minutes, f"{time.reading_minutes:g} min"),
         Bar("Measured median (lessons)", time.median_minutes or 0,
             "no data" if time.median_minutes is None else f"{time.median_minutes:g} min")],
    )
    for stat in report.evaluation:
        bars = [Bar(c.label, c.count, _share(c)) for c in stat.counts]
        if stat.item.type == "likert":
            charts[stat.item.key] = stacked_bar(f"chart-{stat.item.id}", stat.item.prompt, bars)
        elif stat.item.type == "choice":
            charts[stat.item.key] = bar_chart(f"chart-{stat.item.id}", stat.item.prompt, bars)
    return charts


def report_page(course: Course, asked: dict[str, str] | None = None,
                problems: list[tuple[str, str | None]] | None = None) -> str:
    """Render a course's report; ``asked`` and ``problems``: a refused audit-pack or roster
    request, its values kept and each problem linked to its field (None: no field)."""
    report = reports.course_report(course)
    return render_template("admin/report.html", report=report, charts=report_charts(report),
                           versions=version_numbers(course), asked=asked or {},
                           problems=problems or [])  # fmt: skip


@bp.get("/courses/<slug>/report")
@role_required(Role.ADMIN)
def course_report(slug: str):
    """A course's report: funnel, scores, item difficulty, evaluation and seat time."""
    return report_page(course_or_404(slug))
