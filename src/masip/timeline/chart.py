"""The charts of a case's pattern of behaviour: server-rendered, accessible SVG (no script, no style
attribute; colours are SVG presentation attributes, which the CSP allows), as risk/chart.py.

- the visual timeline: one row per behaviour group (closest contact at the top), a dot per entry
  at its day (bigger, and numbered, for several incidents), a bar for a range of days, and a
  numbered vertical marker per red flag;
- incidents per week, with the weeks where the rate changed and each segment's rate;
- the highest proximity reached each week;
- the mix of behaviour groups by month, as stacked bars.

Each chart has role="img", a <title> and a <desc> summarising it, a <title> on every mark, and
the page shows the same numbers in a table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from masip.timeline.analytics import BehaviourGroup, Escalation, MonthMix, Pattern, PatternEntry
from masip.timeline.taxonomy import PROXIMITY_LABELS

WIDTH = 960
LEFT, RIGHT = 230, 28
PLOT = WIDTH - LEFT - RIGHT
TICK_GAP = 96  # the least room between two date labels (a label is at most ~80px at 12px)
ROW = 38
FLAG_COLOUR, AXIS_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#d4351c", "#505a5f", "#b1b4b6", "#0b0c0c"
BAR_COLOUR, CHANGE_COLOUR, RATE_COLOUR = "#1d70b8", "#d4351c", "#0b0c0c"
# By proximity (0 none .. 4 physical contact): from grey through blue and purple to orange and brown.
PROXIMITY_COLOURS = {0: "#505a5f", 1: "#1d70b8", 2: "#4c2c92", 3: "#f47738", 4: "#942514"}
GROUP_COLOURS = ("#942514", "#f47738", "#b58840", "#d53880", "#4c2c92", "#5694ca", "#1d70b8", "#505a5f")
NUMBERED_UP_TO = 150  # entries; beyond, incidents are shown by dot size and titles only


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    title: str
    description: str


def day_label(day: date) -> str:
    return f"{day:%-d %b %Y}"


def span_label(start: date, end: date) -> str:
    return day_label(start) if start == end else f"{day_label(start)} to {day_label(end)}"


def number(value: float) -> str:
    """A count as people read it: 3, 2.5 (a range spread over weeks gives fractions)."""
    return f"{round(value, 1):g}"


def plural(n: float, word: str) -> str:
    return f"{number(n)} {word}{'' if n == 1 else 's'}"


# --- dates along the x axis ---------------------------------------------------------------------------


class DateScale:
    """Days to x, from `first` to `last` (inclusive, so a bar for the last day has its width)."""

    def __init__(self, first: date, last: date) -> None:
        if last <= first:
            first, last = first - timedelta(days=3), first + timedelta(days=3)
        self.first, self.last = first, last
        self.days = (last - first).days + 1

    def __call__(self, day: date) -> float:
        return round(LEFT + PLOT * (day - self.first).days / self.days, 1)

    def day_width(self) -> float:
        return PLOT / self.days

    def ticks(self) -> list[tuple[date, str]]:
        """Dates with labels, evenly stepped (days, weeks, months or years) so that no two labels overlap."""
        room = max(2, int(PLOT // TICK_GAP))
        for step_days in (1, 2, 7, 14):
            if self.days / step_days <= room:
                start = self.first if step_days < 7 else self.first + timedelta(days=(7 - self.first.weekday()) % 7)
                days = [start + timedelta(days=n) for n in range(0, (self.last - start).days + 1, step_days)]
                return self._spaced([(d, day_label(d)) for d in days])
        for months in (1, 2, 3, 6, 12, 24, 60):
            if self.days / (30.4 * months) <= room:
                return self._spaced(
                    [(d, f"{d:%b %Y}" if months < 12 else f"{d:%Y}") for d in self._month_starts(months)]
                )
        return self._spaced([(self.first, day_label(self.first)), (self.last, day_label(self.last))])

    def _month_starts(self, months: int) -> list[date]:
        found: list[date] = []
        year, month = self.first.year, self.first.month
        while True:
            day = date(year, month, 1)
            if day > self.last:
                return found
            if (
                day >= self.first
                and (month - 1) % min(months, 12) == 0
                and (months <= 12 or year % (months // 12) == 0)
            ):
                found.append(day)
            month += 1
            if month == 13:
                year, month = year + 1, 1

    def _spaced(self, ticks: list[tuple[date, str]]) -> list[tuple[date, str]]:
        kept: list[tuple[date, str]] = []
        for tick in ticks:
            if kept and self(tick[0]) - self(kept[-1][0]) < TICK_GAP:
                continue
            if self(tick[0]) + TICK_GAP / 2 > WIDTH:  # a label would run off the right edge
                continue
            kept.append(tick)
        return kept


def _axis(scale: DateScale, y: float) -> list[str]:
    out: list[str] = [
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
            LEFT,
            WIDTH - RIGHT,
            y,
            y,
            AXIS_COLOUR,
        )
    ]
    for day, label in scale.ticks():
        out.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="{}" class="masip-chart__date">{}</text>',
                scale(day),
                scale(day),
                y,
                y + 6,
                AXIS_COLOUR,
                scale(day),
                y + 22,
                TEXT_COLOUR,
                label,
            )
        )
    return out


def _open(chart_id: str, height: float, title: str, description: str, css: str) -> list[str]:
    return [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="masip-chart {}" viewBox="0 0 {} {}" width="100%" '
            'role="img" aria-labelledby="{}-title {}-desc" focusable="false">',
            css,
            WIDTH,
            height,
            chart_id,
            chart_id,
        ),
        format_html(
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>', chart_id, title, chart_id, description
        ),
    ]


def _close(out: list[str], title: str, description: str) -> Chart:
    out.append("</svg>")
    return Chart(mark_safe("".join(out)), escape(title), escape(description))  # noqa: S308 - built with format_html


# --- the visual timeline --------------------------------------------------------------------------


def _radius(incidents: int) -> float:
    return round(5 + min(7.0, 2.2 * math.log2(incidents)), 1)


def _entry_title(entry: PatternEntry, labels: list[str]) -> str:
    text = f"{span_label(entry.start, entry.end)}: {', '.join(labels)}; {plural(entry.incidents, 'incident')}"
    by = entry.reported_by
    text += f"; reported by {by[0].lower() + by[1:] if by.startswith(('The ', 'A ')) else by}"
    if entry.red_flags:
        text += f"; cited by red flag: {'; '.join(entry.red_flags)}"
    return text


def pattern_description(pattern: Pattern, escalation: Escalation) -> str:
    if not pattern.entries and not pattern.flags:
        return "Nothing you can see on this timeline."
    parts = []
    if pattern.entries:
        first = min(e.start for e in pattern.entries)
        last = max(e.end for e in pattern.entries)
        parts.append(
            f"{plural(len(pattern.entries), 'entry').replace('entrys', 'entries')} "
            f"({plural(pattern.incidents, 'incident')}) from {day_label(first)} to {day_label(last)}, "
            "one row per behaviour group, closest contact at the top"
        )
        reached = [g.label for g in pattern.groups if any(g.key in e.groups for e in pattern.entries)]
        if reached:
            parts.append(f"behaviours recorded: {', '.join(reached)}")
        closest = max(e.proximity for e in pattern.entries)
        parts.append(f"closest contact reached: {PROXIMITY_LABELS[closest].lower()}")
    parts.append(plural(len(pattern.flags), "red flag"))
    summary = escalation_summary(escalation)
    if summary:
        parts.append(summary)
    return "; ".join(parts) + ". The table below gives the same entries."


def escalation_summary(escalation: Escalation) -> str:
    if not escalation.weeks:
        return ""
    if len(escalation.segments) == 1:
        return f"the rate held at about {number(escalation.segments[0].rate)} incidents a week, with no change point"
    changes = [
        f"from {number(a.rate)} to {number(b.rate)} a week in the week of {day_label(b.start)}"
        for a, b in zip(escalation.segments, escalation.segments[1:], strict=False)
    ]
    return "incidents per week changed " + ", then ".join(changes)


def pattern_chart(*, pattern: Pattern, escalation: Escalation, chart_id: str = "pattern-chart") -> Chart | None:
    """The visual timeline of `pattern`; None when there is nothing to draw."""
    if not pattern.entries and not pattern.flags:
        return None
    days = [e.start for e in pattern.entries] + [e.end for e in pattern.entries] + [f.day for f in pattern.flags]
    # A little room each side, so that the first and last marks (and a red flag's number) are whole.
    pad = timedelta(days=max(2, (max(days) - min(days)).days // 40))
    scale = DateScale(min(days) - pad, max(days) + pad)
    top = 44
    rows = pattern.groups
    row_y = {g.key: top + ROW * i + ROW / 2 for i, g in enumerate(rows)}
    bottom = top + ROW * max(1, len(rows))
    height = bottom + 78
    title = "Pattern of behaviour over time"
    out = _open(chart_id, height, title, pattern_description(pattern, escalation), "masip-timeline-chart")
    for i, group in enumerate(rows):
        y = row_y[group.key]
        if i % 2 == 0:
            out.append(
                format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="#f3f2f1"/>', LEFT, y - ROW / 2, PLOT, ROW)
            )
        out.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="{}" class="masip-timeline-chart__group">'
                "{}</text>",
                LEFT - 10,
                y + 4,
                TEXT_COLOUR,
                group.label,
            )
        )
    out += _axis(scale, bottom)
    numbered = len(pattern.entries) <= NUMBERED_UP_TO
    filters = pattern.filters
    for entry in pattern.entries:
        for key in entry.groups:
            if key not in row_y:
                continue
            labels = [b.label for b in entry.behaviours if b.group == key and filters.keeps(b.code, b.group)]
            if not labels:
                continue
            proximity = max(b.proximity for b in entry.behaviours if b.group == key)
            colour = PROXIMITY_COLOURS.get(proximity, AXIS_COLOUR)
            y = row_y[key]
            if entry.is_range:
                x1 = scale(entry.start)
                width = max(3.0, scale(entry.end) + scale.day_width() - x1)
                shape = format_html(
                    '<rect x="{}" y="{}" width="{}" height="12" rx="3" fill="{}" fill-opacity="0.75"/>',
                    x1,
                    y - 6,
                    round(width, 1),
                    colour,
                )
                label_x = x1 + width / 2
                label_y = y - 9
            else:
                cx = round(scale(entry.start) + scale.day_width() / 2, 1)
                r = _radius(entry.incidents)
                shape = format_html(
                    '<circle cx="{}" cy="{}" r="{}" fill="{}" fill-opacity="0.85" stroke="#ffffff" stroke-width="1"/>',
                    cx,
                    y,
                    r,
                    colour,
                )
                label_x, label_y = cx, y - r - 2
            if numbered and entry.incidents > 1:
                shape += format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="{}">{}</text>',
                    round(label_x, 1),
                    round(label_y, 1),
                    TEXT_COLOUR,
                    entry.incidents,
                )
            out.append(
                format_html(
                    '<g class="masip-timeline-chart__entry" data-entry="{}" data-day="{}"><title>{}</title>{}</g>',
                    entry.id,
                    entry.start.isoformat(),
                    _entry_title(entry, labels),
                    shape,
                )
            )
    for flag in pattern.flags:
        fx = round(scale(flag.day) + scale.day_width() / 2, 1)
        out.append(
            format_html(
                '<g class="masip-timeline-chart__flag" data-day="{}"><title>{}: {} (red flag {}, {})</title>'
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="6 4"/>'
                '<path d="M {} {} v -18 l 14 5 l -14 5 z" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" font-weight="bold" fill="{}">{}</text></g>',
                flag.day.isoformat(),
                day_label(flag.day),
                flag.title,
                flag.number,
                flag.status.lower(),
                fx,
                fx,
                top - 4,
                bottom,
                FLAG_COLOUR,
                fx,
                top - 4,
                FLAG_COLOUR,
                fx + 16,
                top - 12,
                TEXT_COLOUR,
                flag.number,
            )
        )
    legend_y = height - 14
    legend = [
        format_html(
            '<circle cx="{}" cy="{}" r="5" fill="{}"/><text x="{}" y="{}">{}</text>',
            LEFT + 150 * level - 140,
            legend_y - 4,
            PROXIMITY_COLOURS[level],
            LEFT + 150 * level - 130,
            legend_y,
            PROXIMITY_LABELS[level],
        )
        for level in range(1, 5)
    ]
    out.append(
        format_html(
            '<g class="masip-timeline-chart__legend" font-size="12" fill="{}">'
            '<text x="{}" y="{}" text-anchor="end">Closest contact:</text>{}'
            '<path d="M {} {} v -12 l 10 4 l -10 4 z" fill="{}"/><text x="{}" y="{}">Red flag</text></g>',
            TEXT_COLOUR,
            LEFT - 10,
            legend_y,
            mark_safe("".join(legend)),  # noqa: S308 - built with format_html
            LEFT + 600,
            legend_y + 2,
            FLAG_COLOUR,
            LEFT + 614,
            legend_y,
        )
    )
    return _close(out, title, pattern_description(pattern, escalation))


# --- incidents per week, with change points -------------------------------------------------------------


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _week_scale(escalation: Escalation) -> tuple[DateScale, Callable[[date], float], float]:
    first = escalation.weeks[0].start
    last = escalation.weeks[-1].start + timedelta(days=6)
    scale = DateScale(first, last)
    return scale, scale, scale.day_width() * 7


def weekly_chart(*, escalation: Escalation, chart_id: str = "weekly-chart") -> Chart | None:
    """Bars of incidents per week, each segment's rate as a line, change points as dashed markers."""
    if not escalation.weeks:
        return None
    scale, x, bar = _week_scale(escalation)
    top, plot_h = 24, 200
    bottom = top + plot_h
    height = bottom + 44
    peak = _nice_max(escalation.peak)

    def y(value: float) -> float:
        return round(bottom - plot_h * value / peak, 1)

    title = "Incidents per week"
    n_changes = len(escalation.change_points)
    description = (
        f"{plural(len(escalation.weeks), 'week')} from the week of {day_label(escalation.weeks[0].start)}; "
        f"the busiest week had {plural(escalation.peak, 'incident')}; {plural(n_changes, 'change point')}"
    )
    summary = escalation_summary(escalation)
    description += (f"; {summary}" if summary else "") + ". The table below gives the same figures."
    out = _open(chart_id, height, title, description, "masip-weekly-chart")
    for value in (0, peak / 2, peak):
        out.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1" stroke-dasharray="2 4"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                y(value),
                y(value),
                GRID_COLOUR,
                LEFT - 8,
                y(value) + 4,
                TEXT_COLOUR,
                number(value),
            )
        )
    out.append(
        format_html(
            '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="{}">Incidents a week</text>',
            LEFT - 40,
            top + plot_h / 2,
            TEXT_COLOUR,
        )
    )
    out += _axis(scale, bottom)
    gap = 1 if bar > 4 else 0
    for week in escalation.weeks:
        if week.incidents <= 0:
            continue
        out.append(
            format_html(
                '<rect class="masip-weekly-chart__week" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                "<title>Week of {}: {}</title></rect>",
                x(week.start),
                y(week.incidents),
                round(max(1.0, bar - gap), 1),
                round(bottom - y(week.incidents), 1),
                BAR_COLOUR,
                day_label(week.start),
                plural(week.incidents, "incident"),
            )
        )
    for segment in escalation.segments:
        x2 = x(segment.end) + bar
        out.append(
            format_html(
                '<line class="masip-weekly-chart__rate" x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="3">'
                "<title>{} to the week of {}: about {} incidents a week</title></line>",
                x(segment.start),
                round(x2, 1),
                y(segment.rate),
                y(segment.rate),
                RATE_COLOUR,
                f"Week of {day_label(segment.start)}",
                day_label(segment.end),
                number(segment.rate),
            )
        )
    for before, after in zip(escalation.segments, escalation.segments[1:], strict=False):
        cx = x(after.start)
        word = "rose" if after.rate > before.rate else "fell"
        out.append(
            format_html(
                '<g class="masip-weekly-chart__change"><title>Change point, week of {}: the rate {} from about {} to '
                "about {} incidents a week</title>"
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="6 4"/>'
                '<text x="{}" y="{}" font-size="12" fill="{}" text-anchor="middle">Change</text></g>',
                day_label(after.start),
                word,
                number(before.rate),
                number(after.rate),
                cx,
                cx,
                top - 4,
                bottom,
                CHANGE_COLOUR,
                cx,
                top - 8,
                CHANGE_COLOUR,
            )
        )
    return _close(out, title, description)


def proximity_chart(*, escalation: Escalation, chart_id: str = "proximity-chart") -> Chart | None:
    """The highest proximity reached each week with anything recorded, as a square on its level."""
    recorded = [w for w in escalation.weeks if w.proximity is not None]
    if not recorded:
        return None
    scale, x, bar = _week_scale(escalation)
    top, step = 16, 34
    level_y = {level: top + step * (4 - level) + step / 2 for level in PROXIMITY_LABELS}
    bottom = top + step * 5
    height = bottom + 44
    highest = max(w.proximity or 0 for w in recorded)
    first_highest = next(w for w in recorded if w.proximity == highest)
    title = "Closest contact reached each week"
    description = (
        f"{plural(len(recorded), 'week')} with something recorded; the closest contact reached was "
        f"{PROXIMITY_LABELS[highest].lower()}, first in the week of {day_label(first_highest.start)}. "
        "The table below gives the same figures."
    )
    out = _open(chart_id, height, title, description, "masip-proximity-chart")
    for level, label in PROXIMITY_LABELS.items():
        out.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1" stroke-dasharray="2 4"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="{}">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                level_y[level],
                level_y[level],
                GRID_COLOUR,
                LEFT - 10,
                level_y[level] + 4,
                TEXT_COLOUR,
                label,
            )
        )
    out += _axis(scale, bottom)
    size = round(min(12.0, max(4.0, bar - 1)), 1)
    for week in recorded:
        level = week.proximity or 0
        out.append(
            format_html(
                '<rect class="masip-proximity-chart__week" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                "<title>Week of {}: {}</title></rect>",
                round(x(week.start) + bar / 2 - size / 2, 1),
                round(level_y[level] - size / 2, 1),
                size,
                size,
                PROXIMITY_COLOURS[level],
                day_label(week.start),
                PROXIMITY_LABELS[level],
            )
        )
    return _close(out, title, description)


# --- the mix of behaviours by month ---------------------------------------------------------------


def group_colours(groups: Sequence[BehaviourGroup]) -> dict[str, str]:
    return {g.key: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(groups)}


def mix_chart(*, months: list[MonthMix], groups: Sequence[BehaviourGroup], chart_id: str = "mix-chart") -> Chart | None:
    """Stacked bars: incidents per month by behaviour group."""
    if not months:
        return None
    colours = group_colours(groups)
    used = [g for g in groups if any(m.by_group.get(g.key) for m in months)]
    top, plot_h = 16, 200
    bottom = top + plot_h
    legend_rows = math.ceil(len(used) / 3)
    height = bottom + 44 + 20 * legend_rows
    peak = _nice_max(max(m.total for m in months))
    slot = PLOT / len(months)
    bar = max(2.0, min(48.0, slot * 0.7))

    def h(value: float) -> float:
        return plot_h * value / peak

    title = "Behaviours by month"
    busiest = max(months, key=lambda m: m.total)
    description = (
        f"Incidents per month by behaviour group, {plural(len(months), 'month')} from {months[0].month:%B %Y}; "
        f"the busiest month was {busiest.month:%B %Y} with {plural(busiest.total, 'incident')}. "
        "The table below gives the same figures."
    )
    out = _open(chart_id, height, title, description, "masip-mix-chart")
    for value in (0, peak / 2, peak):
        out.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1" stroke-dasharray="2 4"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                round(bottom - h(value), 1),
                round(bottom - h(value), 1),
                GRID_COLOUR,
                LEFT - 8,
                round(bottom - h(value) + 4, 1),
                TEXT_COLOUR,
                number(value),
            )
        )
    label_every = max(1, math.ceil(TICK_GAP / slot))
    for i, month in enumerate(months):
        bx = round(LEFT + slot * i + (slot - bar) / 2, 1)
        base = float(bottom)
        for group in used:
            value = month.by_group.get(group.key, 0.0)
            if value <= 0:
                continue
            out.append(
                format_html(
                    '<rect class="masip-mix-chart__part" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}, {}</title></rect>",
                    bx,
                    round(base - h(value), 1),
                    round(bar, 1),
                    round(h(value), 1),
                    colours[group.key],
                    f"{month.month:%B %Y}",
                    group.label,
                    plural(value, "incident"),
                )
            )
            base -= h(value)
        if i % label_every == 0:
            out.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="{}" class="masip-chart__date">'
                    "{}</text>",
                    round(bx + bar / 2, 1),
                    bottom + 20,
                    TEXT_COLOUR,
                    f"{month.month:%b %Y}",
                )
            )
    out.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
            LEFT,
            WIDTH - RIGHT,
            bottom,
            bottom,
            AXIS_COLOUR,
        )
    )
    for i, group in enumerate(used):
        lx = LEFT + (i % 3) * 240
        ly = bottom + 48 + 20 * (i // 3)
        out.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
                lx,
                ly - 10,
                colours[group.key],
                lx + 18,
                ly,
                TEXT_COLOUR,
                group.label,
            )
        )
    return _close(out, title, description)
