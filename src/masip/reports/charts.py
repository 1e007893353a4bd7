"""Charts as inline SVG, with the same numbers as rows for an accessible table (issue 9).

No JavaScript, no external file, no `style` attribute (the CSP forbids inline styles): colours
and sizes are SVG presentation attributes. Every chart is `role="img"` with a `<title>` and a
`<desc>` that reads out every number, and every value is written on or next to its bar, so
nothing is carried by colour alone. Labels are escaped (`format_html`).

A suppressed count (`suppression.Cell`, e.g. "<5") has no value to draw: its bar is a hatched
outline of a fixed small height, not to scale, labelled with the mark ("<5" or "*"). A chart
with nothing to draw (no items, or only zeros) says "No data in this period".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from masip.reports.suppression import DEFAULT_THRESHOLD, Cell, Suppression, Table, suppress_table

NO_DATA = "No data in this period"
BAR_FILL = "#1d70b8"  # GOV.UK blue: 5.2:1 against white
TEXT_FILL = "#0b0c0c"
MUTED = "#505a5f"
FONT = "Arial, sans-serif"
SUPPRESSED_HEIGHT = 14  # px, a fixed size for a count that has no value to draw

Count = int | Cell


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Chart:
    """`svg` to place in the page; `headers`/`rows` for the table that carries the same numbers."""

    title: str
    svg: SafeString
    headers: tuple[str, ...]
    rows: tuple[TableRow, ...]
    empty: bool


def as_cell(count: Count) -> Cell:
    if isinstance(count, Cell):
        return count
    if count < 0:
        raise ValueError("A count is negative.")
    return Cell(count, Suppression.SHOWN, str(count), "")


def _spoken(cell: Cell) -> str:
    return cell.display if not cell.suppressed else f"{cell.display} ({cell.reason})"


def _summary(items: Sequence[tuple[str, Cell]]) -> str:
    return "; ".join(f"{label}: {_spoken(cell)}" for label, cell in items) + "."


def _svg(*, chart_id: str, title: str, desc: str, width: float, height: float, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{0}-title {0}-desc"'
        ' viewBox="0 0 {1} {2}" width="{1}" height="{2}" font-family="{3}" font-size="12">'
        '<title id="{0}-title">{4}</title><desc id="{0}-desc">{5}</desc>'
        '<defs><pattern id="{0}-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="{6}" stroke-width="2"/>'
        "</pattern></defs>{7}</svg>",
        chart_id,
        _n(width),
        _n(height),
        FONT,
        title,
        desc,
        MUTED,
        body,
    )


def _n(x: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _empty(*, chart_id: str, title: str, headers: tuple[str, ...]) -> Chart:
    body = format_html(
        '<text x="160" y="40" text-anchor="middle" fill="{}">{}</text>',
        TEXT_FILL,
        NO_DATA,
    )
    svg = _svg(chart_id=chart_id, title=title, desc=NO_DATA + ".", width=320, height=64, body=body)
    return Chart(title=title, svg=svg, headers=headers, rows=(), empty=True)


def _prepare(items: Sequence[tuple[str, Count]]) -> list[tuple[str, Cell]]:
    return [(str(label), as_cell(count)) for label, count in items]


def _nothing_to_draw(cells: Sequence[tuple[str, Cell]]) -> bool:
    return all(not cell.suppressed and cell.value == 0 for _, cell in cells)


def _bar(*, chart_id: str, cell: Cell, x: float, y: float, w: float, h: float) -> SafeString:
    if cell.suppressed:
        return format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{}-hatch)" stroke="{}" stroke-dasharray="3 2"/>',
            _n(x),
            _n(y),
            _n(w),
            _n(h),
            chart_id,
            MUTED,
        )
    return format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>', _n(x), _n(y), _n(w), _n(h), BAR_FILL)


def vertical_bar_chart(
    *, title: str, items: Sequence[tuple[str, Count]], label_header: str, value_header: str, chart_id: str = ""
) -> Chart:
    """Bars standing on a baseline, one per item in the order given (e.g. referrals per month)."""
    chart_id = chart_id or slugify(title) or "chart"
    headers = (label_header, value_header)
    cells = _prepare(items)
    if _nothing_to_draw(cells):
        return _empty(chart_id=chart_id, title=title, headers=headers)
    slot, bar_w, top, plot_h, label_h, left = 64.0, 40.0, 24.0, 160.0, 32.0, 8.0
    width = max(320.0, left * 2 + slot * len(cells))
    height = top + plot_h + label_h
    baseline = top + plot_h
    peak = max((c.value or 0 for _, c in cells), default=0) or 1
    parts: list[SafeString] = []
    for i, (label, cell) in enumerate(cells):
        x = left + i * slot + (slot - bar_w) / 2
        h = SUPPRESSED_HEIGHT if cell.suppressed else plot_h * (cell.value or 0) / peak
        parts.append(_bar(chart_id=chart_id, cell=cell, x=x, y=baseline - h, w=bar_w, h=h))
        centre = x + bar_w / 2
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
                _n(centre),
                _n(baseline - h - 6),
                TEXT_FILL,
                cell.display,
            )
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
                _n(centre),
                _n(baseline + 18),
                TEXT_FILL,
                label,
            )
        )
    parts.append(
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
            _n(left),
            _n(baseline),
            _n(width - left),
            _n(baseline),
            TEXT_FILL,
        )
    )
    body = mark_safe("".join(parts))  # noqa: S308 - every part was built by format_html
    svg = _svg(chart_id=chart_id, title=title, desc=_summary(cells), width=width, height=height, body=body)
    rows = tuple(TableRow(label, (cell,)) for label, cell in cells)
    return Chart(title=title, svg=svg, headers=headers, rows=rows, empty=False)


def horizontal_bar_chart(
    *, title: str, items: Sequence[tuple[str, Count]], label_header: str, value_header: str, chart_id: str = ""
) -> Chart:
    """One bar per line, label on the left and value after the bar (e.g. panel decisions)."""
    chart_id = chart_id or slugify(title) or "chart"
    headers = (label_header, value_header)
    cells = _prepare(items)
    if _nothing_to_draw(cells):
        return _empty(chart_id=chart_id, title=title, headers=headers)
    row_h, bar_h, top = 28.0, 18.0, 8.0
    # Arial at 12px is about 7px a character: room for the longest label, within reason.
    label_w = min(240.0, 16.0 + 7.0 * max(len(label) for label, _ in cells))
    plot_w, value_w = 280.0, 48.0
    width = label_w + plot_w + value_w
    height = top * 2 + row_h * len(cells)
    peak = max((c.value or 0 for _, c in cells), default=0) or 1
    parts: list[SafeString] = []
    for i, (label, cell) in enumerate(cells):
        y = top + i * row_h + (row_h - bar_h) / 2
        w = SUPPRESSED_HEIGHT if cell.suppressed else plot_w * (cell.value or 0) / peak
        middle = y + bar_h / 2 + 4
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                _n(label_w - 8),
                _n(middle),
                TEXT_FILL,
                label,
            )
        )
        parts.append(_bar(chart_id=chart_id, cell=cell, x=label_w, y=y, w=w, h=bar_h))
        parts.append(
            format_html(
                '<text x="{}" y="{}" fill="{}">{}</text>',
                _n(label_w + w + 6),
                _n(middle),
                TEXT_FILL,
                cell.display,
            )
        )
    parts.append(
        format_html(
            '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}"/>',
            _n(label_w),
            _n(top),
            _n(height - top),
            TEXT_FILL,
        )
    )
    body = mark_safe("".join(parts))  # noqa: S308 - every part was built by format_html
    svg = _svg(chart_id=chart_id, title=title, desc=_summary(cells), width=width, height=height, body=body)
    rows = tuple(TableRow(label, (cell,)) for label, cell in cells)
    return Chart(title=title, svg=svg, headers=headers, rows=rows, empty=False)


@dataclass(frozen=True)
class Transitions:
    """Cases by risk level at intake (rows) and at closure (columns), suppressed, with a grid."""

    chart: Chart
    table: Table


def transition_table(
    *,
    title: str,
    levels: Sequence[str],
    counts: Mapping[tuple[str, str], int],
    threshold: int = DEFAULT_THRESHOLD,
    chart_id: str = "",
) -> Transitions:
    """Intake level → closure level counts, small numbers suppressed (see `suppression`).

    `levels` is the order of the scale (lowest first); a pair with a level not in it is an error,
    never silently dropped. The grid writes every count in its square; the shade only repeats it.
    """
    chart_id = chart_id or slugify(title) or "transitions"
    unknown = {level for pair in counts for level in pair} - set(levels)
    if unknown:
        raise ValueError(f"Transitions name levels that are not on the scale: {', '.join(sorted(unknown))}.")
    table = suppress_table(
        columns=list(levels),
        rows=[(level, [counts.get((level, closure), 0) for closure in levels]) for level in levels],
        threshold=threshold,
    )
    headers = ("Risk at intake", *(f"{level} at closure" for level in levels), "Total")
    rows = tuple(TableRow(row.label, (*row.cells, row.total)) for row in table.rows)
    rows += (TableRow("Total", (*table.column_totals, table.grand_total)),)
    if sum(counts.values()) == 0:
        return Transitions(chart=_empty(chart_id=chart_id, title=title, headers=headers), table=table)
    size, head_w, head_h = 56.0, 112.0, 40.0
    width = head_w + size * len(levels)
    height = head_h + size * len(levels)
    peak = max(counts.values())
    parts: list[SafeString] = [
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
            _n(head_w + i * size + size / 2),
            _n(head_h - 12),
            TEXT_FILL,
            level,
        )
        for i, level in enumerate(levels)
    ]
    spoken = []
    for r, row in enumerate(table.rows):
        y = head_h + r * size
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                _n(head_w - 8),
                _n(y + size / 2 + 4),
                TEXT_FILL,
                row.label,
            )
        )
        for c, cell in enumerate(row.cells):
            x = head_w + c * size
            # A light shade that deepens with the count, so the dark number stays readable on it.
            fill = f"url(#{chart_id}-hatch)" if cell.suppressed else BAR_FILL
            opacity = 1.0 if cell.suppressed else 0.1 + 0.4 * (cell.value or 0) / peak
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="{}" stroke="{}"/>',
                    _n(x),
                    _n(y),
                    _n(size),
                    _n(size),
                    fill,
                    _n(opacity),
                    MUTED,
                )
            )
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
                    _n(x + size / 2),
                    _n(y + size / 2 + 4),
                    TEXT_FILL,
                    cell.display,
                )
            )
            spoken.append(f"{row.label} to {levels[c]}: {_spoken(cell)}")
    desc = "Cases by risk at intake (rows) and at closure (columns). " + "; ".join(spoken) + "."
    body = mark_safe("".join(parts))  # noqa: S308 - every part was built by format_html
    svg = _svg(chart_id=chart_id, title=title, desc=desc, width=width, height=height, body=body)
    return Transitions(chart=Chart(title=title, svg=svg, headers=headers, rows=rows, empty=False), table=table)


def table_rows_html(chart: Chart) -> SafeString:
    """The table body as HTML (GOV.UK classes), for a template that does not build its own."""
    return format_html_join(
        "",
        '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{}</th>{}</tr>',
        (
            (
                row.label,
                format_html_join(
                    "",
                    '<td class="govuk-table__cell govuk-table__cell--numeric">{}{}</td>',
                    (
                        (
                            cell.display,
                            format_html('<span class="govuk-visually-hidden"> ({})</span>', cell.reason)
                            if cell.reason
                            else "",
                        )
                        for cell in row.cells
                    ),
                ),
            )
            for row in chart.rows
        ),
    )
