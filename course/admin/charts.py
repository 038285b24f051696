"""Server-side SVG charts for reports: plain markup, no script, each labelled for screen readers.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and ``<desc>``; the page
puts a data table beside it, so nothing is only in the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
FONT = 'font-family="system-ui, sans-serif"'
BAR_FILL = "#1d4f91"
TRACK_FILL = "#f3f5f8"
INK = "#1b1f24"
# Five steps from a warm to a cool blue, dark enough on white for the text beside them.
SCALE_FILLS = ("#a1261c", "#d46a4a", "#8a8f98", "#4a7cc0", "#1d4f91")


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value and the text printed at its end."""

    label: str
    value: float
    note: str = ""


def _open(chart_id: str, title: str, desc: str, height: int) -> str:
    ident = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}"'
        f' role="img" aria-labelledby="{ident}-title {ident}-desc" {FONT}>'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
    )


def _describe(bars: Sequence[Bar]) -> str:
    return "; ".join(f"{bar.label}: {bar.note or _number(bar.value)}" for bar in bars)


def _number(value: float) -> str:
    return f"{value:g}"


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], max_value: float = 0) -> Markup:
    """Return a vertical bar chart; bars scale to ``max_value`` (or the largest bar)."""
    top = max([max_value, *(bar.value for bar in bars)]) or 1
    plot_top, plot_height, label_band = 24, 180, 44
    height = plot_top + plot_height + label_band
    slot = (WIDTH - 20) / max(1, len(bars))
    width = max(4.0, slot * 0.7)
    parts = [_open(chart_id, title, _describe(bars), height)]
    baseline = plot_top + plot_height
    parts.append(
        f'<line x1="10" y1="{baseline}" x2="{WIDTH - 10}" y2="{baseline}" stroke="{INK}"/>'
    )
    for index, bar in enumerate(bars):
        bar_height = plot_height * bar.value / top
        x = 10 + slot * index + (slot - width) / 2
        y = baseline - bar_height
        centre = x + width / 2
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}"'
            f' height="{bar_height:.1f}" fill="{BAR_FILL}"/>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="13"'
            f' fill="{INK}">{escape(bar.note or _number(bar.value))}</text>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{baseline + 18}" text-anchor="middle" font-size="12"'
            f' fill="{INK}">{escape(bar.label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def funnel_chart(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """Return a funnel: one centred horizontal bar per step, scaled to the first step."""
    top = max([1.0, *(bar.value for bar in bars)])
    row, label_width = 40, 170
    height = row * len(bars) + 10
    span = WIDTH - label_width - 10
    parts = [_open(chart_id, title, _describe(bars), height)]
    for index, bar in enumerate(bars):
        y = 5 + row * index
        width = span * bar.value / top
        x = label_width + (span - width) / 2
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{span}" height="{row - 8}"'
            f' fill="{TRACK_FILL}"/>'
        )
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{y}" width="{width:.1f}" height="{row - 8}"'
            f' fill="{BAR_FILL}"/>'
        )
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row / 2}" text-anchor="end" font-size="13"'
            f' fill="{INK}">{escape(bar.label)}</text>'
        )
        # The count sits in a white box at the centre, readable on the bar and off it.
        centre = label_width + span / 2
        parts.append(
            f'<rect x="{centre - 55:.1f}" y="{y + 6}" width="110" height="{row - 20}" rx="3"'
            f' fill="#ffffff" stroke="{INK}" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{y + row / 2}" text-anchor="middle" font-size="13"'
            f' fill="{INK}">{escape(bar.note or _number(bar.value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """Return one horizontal bar split into segments (e.g. a Likert item's answers 1-5)."""
    total = sum(bar.value for bar in bars) or 1
    height, bar_y, bar_height = 64, 4, 28
    parts = [_open(chart_id, title, _describe(bars), height)]
    x = 0.0
    for index, bar in enumerate(bars):
        width = WIDTH * bar.value / total
        fill = SCALE_FILLS[index % len(SCALE_FILLS)]
        if width:
            parts.append(
                f'<rect x="{x:.1f}" y="{bar_y}" width="{width:.1f}" height="{bar_height}"'
                f' fill="{fill}" stroke="#ffffff"/>'
            )
        legend_x = index * WIDTH / len(bars)
        parts.append(
            f'<rect x="{legend_x:.1f}" y="{bar_y + bar_height + 12}" width="12" height="12"'
            f' fill="{fill}"/><text x="{legend_x + 16:.1f}" y="{bar_y + bar_height + 23}"'
            f' font-size="12" fill="{INK}">{escape(bar.label)}:'
            f" {escape(bar.note or _number(bar.value))}</text>"
        )
        x += width
    parts.append("</svg>")
    return Markup("".join(parts))
