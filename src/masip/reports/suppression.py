"""Small-number suppression for published counts (issue 9).

A count under the threshold (default 5) could point at a person, so it is never shown: it is
*primary* suppressed and displayed as "<5". A suppressed count must not come back by
subtraction from what is still shown, so further counts are *secondary* (complementary)
suppressed and displayed as "*".

Choices, each one a rule a reader can check:

- Zero is shown. A true zero says that nobody is in that cell, which discloses nothing about a
  person; hiding zeros only makes tables harder to read. `suppress_zero=True` treats zero as
  a small count (shown "<5") for a publication whose policy says otherwise.
- Totals stay shown; complementary suppression falls on ordinary cells. A total is itself
  suppressed only when it is small (primary, like any other count), or when a line has no
  ordinary cell left to suppress (a row of one cell).
- Every line (a row with its total, a column with its total, the row of column totals with the
  grand total) that holds a suppressed count holds at least two.
- Two per line is not always enough: the cell "<5" next to a complementary cell ("*", so at
  least 5) can be pinned by their sum (1 + 5 = 6), and in a larger table several lines can be
  combined. So the result is checked against an informed reader, who knows this algorithm:
  a primary cell lies in 1..threshold-1 (0.. with `suppress_zero`), a complementary cell is at
  least the threshold (or 0 if it is a zero used as complement), and every line adds up. While
  a suppressed count is fixed exactly by the lines (exact rational elimination) or by the
  bounds (interval propagation over the lines), one more cell is suppressed next to it.
  Exception: a zero used as a complement may be worked out as zero, which discloses no more
  than a shown zero (unless `suppress_zero`).
- The complement chosen in a line is the smallest eligible cell: non-zero before zero (a zero
  complement only hides in one direction), ordinary cell before the line's total, smaller
  value first, then the first in reading order (row by row, left to right). Deterministic.
- A suppressed cell carries no value: `Cell.value` is None, so a template cannot leak it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar

DEFAULT_THRESHOLD = 5
SECONDARY_MARK = "*"

K = TypeVar("K", bound=Hashable)


class Suppression(StrEnum):
    SHOWN = "shown"
    PRIMARY = "primary"
    SECONDARY = "secondary"


@dataclass(frozen=True)
class Cell:
    """One count as a template shows it: `display` always; `reason` for screen readers."""

    value: int | None  # None when suppressed
    suppression: Suppression
    display: str
    reason: str  # "" when shown

    @property
    def suppressed(self) -> bool:
        return self.suppression != Suppression.SHOWN


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]
    total: Cell


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    column_totals: tuple[Cell, ...]
    grand_total: Cell
    threshold: int

    @property
    def any_suppressed(self) -> bool:
        cells = [c for row in self.rows for c in (*row.cells, row.total)]
        return any(c.suppressed for c in (*cells, *self.column_totals, self.grand_total))


@dataclass(frozen=True)
class ListWithTotal:
    labels: tuple[str, ...]
    cells: tuple[Cell, ...]
    total: Cell
    threshold: int


def suppress_table(
    *,
    columns: Sequence[str],
    rows: Sequence[tuple[str, Sequence[int]]],
    threshold: int = DEFAULT_THRESHOLD,
    suppress_zero: bool = False,
) -> Table:
    """Counts (rows by columns, e.g. units by decision) with row, column and grand totals.

    Guarantees: no count (totals included) in 1..threshold-1 is shown, and no suppressed count
    can be worked out exactly from what is shown by someone who knows these rules.
    """
    _check(threshold)
    width = len(columns)
    for label, counts in rows:
        if len(counts) != width:
            raise ValueError(f"Row {label!r} has {len(counts)} counts for {width} columns.")
        if any(v < 0 for v in counts):
            raise ValueError(f"Row {label!r} has a negative count.")
    height = len(rows)
    # The table with its margins: row `height` holds the column totals, column `width` the row
    # totals, and (height, width) the grand total.
    grid = [[*counts, sum(counts)] for _, counts in rows]
    grid.append([sum(grid[r][c] for r in range(height)) for c in range(width + 1)])
    keys = [(r, c) for r in range(height + 1) for c in range(width + 1)]
    values = {(r, c): grid[r][c] for r, c in keys}
    lines = [([(r, c) for c in range(width)], (r, width)) for r in range(height + 1)]
    lines += [([(r, c) for r in range(height)], (height, c)) for c in range(width + 1)]
    status = _suppress(keys, values, lines, threshold, suppress_zero)

    def cell(key: tuple[int, int]) -> Cell:
        return _cell(values[key], status[key], threshold)

    return Table(
        columns=tuple(columns),
        rows=tuple(
            Row(label=label, cells=tuple(cell((r, c)) for c in range(width)), total=cell((r, width)))
            for r, (label, _) in enumerate(rows)
        ),
        column_totals=tuple(cell((height, c)) for c in range(width)),
        grand_total=cell((height, width)),
        threshold=threshold,
    )


def suppress_list(
    *,
    items: Sequence[tuple[str, int]],
    threshold: int = DEFAULT_THRESHOLD,
    suppress_zero: bool = False,
) -> ListWithTotal:
    """Labelled counts with their total (e.g. referrals by source), under the same rules."""
    _check(threshold)
    if any(v < 0 for _, v in items):
        raise ValueError("A count is negative.")
    n = len(items)
    values = {i: v for i, (_, v) in enumerate(items)}
    values[n] = sum(values.values())
    keys = list(range(n + 1))
    status = _suppress(keys, values, [(list(range(n)), n)], threshold, suppress_zero)
    return ListWithTotal(
        labels=tuple(label for label, _ in items),
        cells=tuple(_cell(values[i], status[i], threshold) for i in range(n)),
        total=_cell(values[n], status[n], threshold),
        threshold=threshold,
    )


def _check(threshold: int) -> None:
    if threshold < 1:
        raise ValueError("The suppression threshold is at least 1.")


def _cell(value: int, suppression: Suppression, threshold: int) -> Cell:
    if suppression == Suppression.PRIMARY:
        return Cell(None, suppression, f"<{threshold}", f"fewer than {threshold}, not shown to protect identities")
    if suppression == Suppression.SECONDARY:
        return Cell(
            None,
            suppression,
            SECONDARY_MARK,
            f"not shown, so that a number fewer than {threshold} cannot be worked out from the totals",
        )
    return Cell(value, suppression, str(value), "")


def _suppress(
    keys: list[K],
    values: dict[K, int],
    lines: list[tuple[list[K], K]],
    threshold: int,
    suppress_zero: bool,
) -> dict[K, Suppression]:
    small_from = 0 if suppress_zero else 1
    status = {k: Suppression.PRIMARY if small_from <= values[k] < threshold else Suppression.SHOWN for k in keys}
    order = {k: i for i, k in enumerate(keys)}
    totals = {total for _, total in lines}

    def complement(line: tuple[list[K], K]) -> K | None:
        members, total = line
        candidates = [k for k in (*members, total) if status[k] == Suppression.SHOWN]
        if not candidates:
            return None
        return min(candidates, key=lambda k: (values[k] == 0, k in totals, values[k], order[k]))

    if not any(s == Suppression.PRIMARY for s in status.values()):
        return status
    for _ in range(len(keys) + 1):  # each pass suppresses one more cell or stops
        lonely = next(
            (line for line in lines if sum(status[k] != Suppression.SHOWN for k in (*line[0], line[1])) == 1),
            None,
        )
        target: K | None = None
        if lonely is not None:
            target = complement(lonely)
        else:
            exposed = _exposed(keys, values, lines, status, threshold, small_from)
            for key in exposed:
                for line in lines:
                    if key in line[0] or key == line[1]:
                        target = complement(line)
                        if target is not None:
                            break
                if target is not None:
                    break
        if target is None:
            return status
        status[target] = Suppression.SECONDARY
    return status


def _exposed(
    keys: list[K],
    values: dict[K, int],
    lines: list[tuple[list[K], K]],
    status: dict[K, Suppression],
    threshold: int,
    small_from: int,
) -> list[K]:
    """Suppressed keys an informed reader can pin to one value, in reading order."""
    hidden = [k for k in keys if status[k] != Suppression.SHOWN]
    pinned = set(_pinned_by_lines(hidden, values, lines, status))
    pinned |= _pinned_by_bounds(hidden, values, lines, status, threshold, small_from)
    # A complementary zero that can be worked out gives away only what a shown zero would.
    return [k for k in hidden if k in pinned and (values[k] != 0 or small_from == 0)]


def _pinned_by_lines(
    hidden: list[K], values: dict[K, int], lines: list[tuple[list[K], K]], status: dict[K, Suppression]
) -> list[K]:
    """Hidden keys whose value follows from the line sums alone (exact elimination).

    The lines, as equations over the hidden keys, are brought once to reduced row echelon form
    (exact arithmetic, sparse rows): a hidden key is fixed by them exactly when its pivot row holds
    no other key. One elimination for all keys, so a table of 43 units by 8 columns with a
    hundred hidden counts takes milliseconds.
    """
    index = {k: i for i, k in enumerate(hidden)}
    # The lines of a table with its margins form a totally unimodular system (every count lies
    # in two lines: up to sign, the incidence matrix of a bipartite graph), so pivots stay 1 or
    # -1 and the arithmetic stays in integers; a pivot of any other size would switch that row
    # to exact fractions.
    pivots: dict[int, dict[int, Fraction | int]] = {}
    for members, total in lines:
        coefficients: dict[int, int] = {}
        for k in members:
            if k in index:
                coefficients[index[k]] = coefficients.get(index[k], 0) + 1
        if total in index:
            coefficients[index[total]] = coefficients.get(index[total], 0) - 1
        row: dict[int, Fraction | int] = {j: v for j, v in coefficients.items() if v}
        # Pivot rows are kept reduced against one another, so one pass over them clears every
        # pivot column from the new row.
        for column, pivot_row in pivots.items():
            factor = row.get(column)
            if factor:
                _subtract(row, pivot_row, factor)
        if not row:
            continue
        column = min(row)
        lead = row[column]
        row = (
            {j: v * lead for j, v in row.items()}
            if lead in (1, -1)
            else {j: Fraction(v) / lead for j, v in row.items()}
        )
        for pivot_row in pivots.values():
            factor = pivot_row.get(column)
            if factor:
                _subtract(pivot_row, row, factor)
        pivots[column] = row
    fixed = {column for column, row in pivots.items() if len(row) == 1}
    return [k for k in hidden if index[k] in fixed]


def _subtract(row: dict[int, Fraction | int], other: dict[int, Fraction | int], factor: Fraction | int) -> None:
    """row -= factor * other, dropping the entries that become zero."""
    for j, v in other.items():
        value = row.get(j, 0) - factor * v
        if value:
            row[j] = value
        else:
            row.pop(j, None)


def _pinned_by_bounds(
    hidden: list[K],
    values: dict[K, int],
    lines: list[tuple[list[K], K]],
    status: dict[K, Suppression],
    threshold: int,
    small_from: int,
) -> set[K]:
    """Hidden keys whose bounds (class of the mark, then the lines) close on one value."""
    ceiling = max(values.values(), default=0)
    low: dict[K, int] = {}
    high: dict[K, int] = {}
    for k in hidden:
        if status[k] == Suppression.PRIMARY:
            low[k], high[k] = small_from, threshold - 1
        else:  # a complement is a count the rules did not find small: 0 or at least the threshold
            low[k], high[k] = (threshold if values[k] >= threshold else 0), ceiling

    def lo(k: K) -> int:
        return low.get(k, values[k])

    def hi(k: K) -> int:
        return high.get(k, values[k])

    for _ in range(100):
        changed = False
        for members, total in lines:
            # members sum to total: tighten every hidden entry from the others' bounds
            if not any(k in low for k in (*members, total)):
                continue
            sum_lo, sum_hi = sum(lo(m) for m in members), sum(hi(m) for m in members)
            for k in (*members, total):
                if k not in low:
                    continue
                if k == total:
                    new_lo, new_hi = sum_lo, sum_hi
                else:
                    new_lo = lo(total) - (sum_hi - hi(k))
                    new_hi = hi(total) - (sum_lo - lo(k))
                if new_lo > low[k]:
                    low[k], changed = new_lo, True
                if new_hi < high[k]:
                    high[k], changed = new_hi, True
        if not changed:
            break
    return {k for k in low if low[k] >= high[k]}
