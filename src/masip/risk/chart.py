"""The risk-over-time chart: a server-rendered, accessible SVG (no script, no style attribute).

A step line of the risk state (each completed assessment's level, each formulation's risk
state), a dashed step line of the risk status (formulations), a marker per assessment and
formulation, and a marker per risk event (and red flag) along the bottom. Every marker carries
a <title> naming its date and value, the axes carry text labels, and the same numbers are in
the table under the chart. Colours are SVG presentation attributes (the CSP allows those).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from masip.risk.history import MARKER_RED_FLAG, RiskMarker, RiskPoint

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 96, 56, 24, 72
TICK_GAP = 84  # the least room between two date labels
LEVEL_LABELS = {"low": "Low", "moderate": "Moderate", "high": "High"}
LEVEL_Y = {"high": TOP + 16, "moderate": TOP + 86, "low": TOP + 156}
MARKER_Y = TOP + 196
STATE_COLOUR, STATUS_COLOUR, EVENT_COLOUR, FLAG_COLOUR, AXIS_COLOUR = (
    "#1d70b8",
    "#6f72af",
    "#b58840",
    "#d4351c",
    "#505a5f",
)
MAX_TICKS = 6


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    title: str
    description: str


def _counted(points: list[Any]) -> str:
    """'2 completed assessments and 1 formulation', naming only the kinds there are."""
    parts = []
    for kind, word in (("assessment", "assessment"), ("formulation", "formulation")):
        n = sum(1 for p in points if p.kind == kind)
        if n:
            parts.append(f"{n} {word}{'s' if n != 1 else ''}")
    return "Completed: " + " and ".join(parts)


def _day(day: date) -> str:
    return f"{day:%-d %b %Y}"


def _x_scale(days: list[date]) -> Any:
    first, last = min(days), max(days)
    span = (last - first).days
    plot = WIDTH - LEFT - RIGHT

    def x(day: date) -> float:
        if span == 0:
            return LEFT + plot / 2
        return round(LEFT + plot * (day - first).days / span, 1)

    return x


def _step_path(series: list[tuple[date, str]], x: Any, end: date) -> str:
    """M..H..V.. of a step line holding each level until the next, up to `end`."""
    parts: list[str] = []
    for day, level in series:
        y = LEVEL_Y[level]
        if not parts:
            parts.append(f"M {x(day)} {y}")
        else:
            parts.append(f"H {x(day)} V {y}")
    parts.append(f"H {x(end)}")
    return " ".join(parts)


def _ticks(days: list[date]) -> list[date]:
    unique = sorted(set(days))
    if len(unique) <= MAX_TICKS:
        return unique
    step = (len(unique) - 1) / (MAX_TICKS - 1)
    return [unique[round(i * step)] for i in range(MAX_TICKS)]


def _spaced(ticks: list[date], x: Any) -> list[date]:
    """The ticks whose labels do not overlap: the first, and the last in place of a near neighbour."""
    kept: list[date] = []
    for tick in ticks:
        if kept and x(tick) - x(kept[-1]) < TICK_GAP:
            if tick == ticks[-1] and len(kept) > 1:
                kept[-1] = tick
            continue
        kept.append(tick)
    return kept


def risk_chart(
    *, points: list[RiskPoint], markers: list[RiskMarker], today: date, current_label: str, chart_id: str = "risk-chart"
) -> Chart | None:
    """The chart of `points` (oldest first) and `markers`, drawn up to `today`; None with nothing to draw."""
    if not points and not markers:
        return None
    days = [p.day for p in points] + [m.day for m in markers]
    end = max(max(days), today)
    x = _x_scale([*days, end])
    title = "Risk state over time"
    if points:
        description = (
            f"{_counted(points)} from "
            f"{_day(points[0].day)} to {_day(points[-1].day)}; latest level {LEVEL_LABELS[points[-1].level]}; "
            f"current risk of the case: {current_label}; {len(markers)} risk event{'s' if len(markers) != 1 else ''}. "
            "The table below gives the same figures."
        )
    else:
        description = f"No completed assessments you can see; {len(markers)} risk events. The table below lists them."
    out: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="masip-risk-chart" viewBox="0 0 {} {}" '
            'width="100%" role="img" aria-labelledby="{}-title {}-desc" focusable="false">',
            WIDTH,
            HEIGHT,
            chart_id,
            chart_id,
        ),
        format_html(
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>', chart_id, title, chart_id, description
        ),
    ]
    # Grid and level labels.
    for level, y in LEVEL_Y.items():
        out.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#b1b4b6" stroke-width="1" stroke-dasharray="2 4"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="14" fill="#0b0c0c" '
                'class="masip-risk-chart__level">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                y,
                y,
                LEFT - 10,
                y + 5,
                LEVEL_LABELS[level],
            )
        )
    out.append(
        format_html(
            '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="#0b0c0c">Events</text>'
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
            LEFT - 10,
            MARKER_Y + 5,
            LEFT,
            WIDTH - RIGHT,
            MARKER_Y + 18,
            MARKER_Y + 18,
            AXIS_COLOUR,
        )
    )
    for tick in _spaced(_ticks([*days, end]), x):
        out.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="#0b0c0c" '
                'class="masip-risk-chart__date">{}</text>',
                x(tick),
                x(tick),
                MARKER_Y + 18,
                MARKER_Y + 24,
                AXIS_COLOUR,
                x(tick),
                MARKER_Y + 40,
                _day(tick),
            )
        )
    if points:
        state = [(p.day, p.level) for p in points]
        out.append(
            format_html(
                '<path d="{}" fill="none" stroke="{}" stroke-width="3" class="masip-risk-chart__state"/>',
                _step_path(state, x, end),
                STATE_COLOUR,
            )
        )
        status = [(p.day, p.status) for p in points if p.kind == "formulation" and p.status]
        if status:
            out.append(
                format_html(
                    '<path d="{}" fill="none" stroke="{}" stroke-width="2" stroke-dasharray="8 5" '
                    'class="masip-risk-chart__status"/>',
                    _step_path(status, x, end),
                    STATUS_COLOUR,
                )
            )
    for point in points:
        label = f"{_day(point.day)}: {LEVEL_LABELS[point.level]} ({point.source}, {point.assessor})"
        if point.raised_from:
            label += f"; raised by judgement from {LEVEL_LABELS[point.raised_from]}"
        if point.status:
            label += f"; risk status {LEVEL_LABELS[point.status]}"
        cx, cy = x(point.day), LEVEL_Y[point.level]
        if point.kind == "formulation":
            shape = format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="#ffffff" stroke="{}" stroke-width="3"/>',
                cx - 6,
                cy - 6,
                STATE_COLOUR,
            )
        else:
            shape = format_html('<circle cx="{}" cy="{}" r="6" fill="{}"/>', cx, cy, STATE_COLOUR)
        out.append(
            format_html(
                '<g class="masip-risk-chart__point" data-day="{}"><title>{}</title>{}</g>',
                point.day.isoformat(),
                label,
                shape,
            )
        )
    for marker in markers:
        colour = FLAG_COLOUR if marker.kind == MARKER_RED_FLAG else EVENT_COLOUR
        word = "Red flag" if marker.kind == MARKER_RED_FLAG else "Risk event"
        mx = x(marker.day)
        out.append(
            format_html(
                '<g class="masip-risk-chart__marker" data-day="{}"><title>{}: {} ({})</title>'
                '<path d="M {} {} l 7 12 h -14 z" fill="{}"/></g>',
                marker.day.isoformat(),
                _day(marker.day),
                marker.label,
                word,
                mx,
                MARKER_Y - 6,
                colour,
            )
        )
    # The legend, as text.
    legend_y = HEIGHT - 8
    out.append(
        format_html(
            '<g class="masip-risk-chart__legend" font-size="12" fill="#0b0c0c">'
            '<circle cx="{}" cy="{}" r="5" fill="{}"/><text x="{}" y="{}">Assessment</text>'
            '<rect x="{}" y="{}" width="10" height="10" fill="#ffffff" stroke="{}" stroke-width="2"/>'
            '<text x="{}" y="{}">Formulation (risk state)</text>'
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="8 5"/>'
            '<text x="{}" y="{}">Risk status</text>'
            '<path d="M {} {} l 6 10 h -12 z" fill="{}"/><text x="{}" y="{}">Risk event</text></g>',
            LEFT,
            legend_y - 4,
            STATE_COLOUR,
            LEFT + 10,
            legend_y,
            LEFT + 110,
            legend_y - 9,
            STATE_COLOUR,
            LEFT + 126,
            legend_y,
            LEFT + 300,
            LEFT + 330,
            legend_y - 4,
            legend_y - 4,
            STATUS_COLOUR,
            LEFT + 336,
            legend_y,
            LEFT + 440,
            legend_y - 10,
            EVENT_COLOUR,
            LEFT + 452,
            legend_y,
        )
    )
    out.append("</svg>")
    return Chart(mark_safe("".join(out)), escape(title), escape(description))  # noqa: S308 - built with format_html
