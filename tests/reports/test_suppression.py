"""Small-number suppression: what is hidden, what is shown, and that nothing hidden comes back."""

from __future__ import annotations

import itertools

import pytest

from masip.reports.suppression import (
    SECONDARY_MARK,
    Cell,
    Suppression,
    Table,
    suppress_list,
    suppress_table,
)

COLUMNS = ["Refer", "Monitor", "Close"]
Key = tuple[int, int]


def displays(table: Table) -> list[list[str]]:
    """The table as a reader sees it: rows with their total, then the totals row."""
    out = [[c.display for c in (*row.cells, row.total)] for row in table.rows]
    out.append([c.display for c in (*table.column_totals, table.grand_total)])
    return out


def grid(table: Table) -> list[list[Cell]]:
    out = [[*row.cells, row.total] for row in table.rows]
    out.append([*table.column_totals, table.grand_total])
    return out


def feasible_values(table: Table, *, threshold: int = 5, suppress_zero: bool = False) -> dict[Key, set[int]]:
    """Every value each hidden cell can take in some table that looks exactly like this one.

    The reader knows the rules: "<5" is 1..4 (0..4 with suppress_zero), "*" is 0 or at least 5,
    every row and column adds up to its total. Exhaustive search over every completion (a line
    with one unknown left fixes it), so any subtraction, or combination of subtractions, that
    would pin a cell shows up as a single possible value.
    """
    cells = grid(table)
    height, width = len(cells), len(cells[0])
    cap = table.grand_total.value if table.grand_total.value is not None else 500
    lines: list[tuple[list[Key], Key]] = [([(r, c) for c in range(width - 1)], (r, width - 1)) for r in range(height)]
    lines += [([(r, c) for r in range(height - 1)], (height - 1, c)) for c in range(width)]
    hidden = [(r, c) for r in range(height) for c in range(width) if cells[r][c].suppressed]
    low = 0 if suppress_zero else 1

    def allowed(key: Key, v: int) -> bool:
        if cells[key[0]][key[1]].suppression == Suppression.PRIMARY:
            return low <= v < threshold
        return (v == 0 or v >= threshold) and v <= cap

    def bound(key: Key) -> int:
        shown = [cells[t[0]][t[1]].value for members, t in lines if key in members]
        return min([cap, *(v for v in shown if v is not None)])

    found: dict[Key, set[int]] = {key: set() for key in hidden}

    def solve(known: dict[Key, int]) -> None:
        known = dict(known)
        changed = True
        while changed:
            changed = False
            for members, total in lines:
                unknown = [k for k in (*members, total) if k not in known]
                if len(unknown) > 1:
                    if total in known and sum(known[m] for m in members if m in known) > known[total]:
                        return
                    continue
                if not unknown:
                    if sum(known[m] for m in members) != known[total]:
                        return
                    continue
                (k,) = unknown
                others = sum(known[m] for m in members if m != k)
                v = others if k == total else known[total] - others
                if not allowed(k, v):
                    return
                known[k] = v
                changed = True
        free = [k for k in hidden if k not in known]
        if not free:
            for k in hidden:
                found[k].add(known[k])
            return
        k = free[0]
        for v in range(bound(k) + 1):
            if allowed(k, v):
                solve({**known, k: v})

    solve({(r, c): cells[r][c].value for r in range(height) for c in range(width) if not cells[r][c].suppressed})  # type: ignore[misc]
    return found


def assert_nothing_recoverable(table: Table, *, suppress_zero: bool = False) -> None:
    """No hidden count can be worked out; a complementary zero may be (a zero is not hidden)."""
    for key, options in feasible_values(table, suppress_zero=suppress_zero).items():
        if options == {0} and not suppress_zero:
            continue
        assert len(options) >= 2, f"cell {key} can only be {options}"


class TestThreeByThree:
    ROWS = [("North", [3, 10, 12]), ("South", [8, 9, 20]), ("East", [15, 7, 11])]

    def test_the_small_cell_and_its_complements(self) -> None:
        table = suppress_table(columns=COLUMNS, rows=self.ROWS)
        # 3 is primary; its row's smallest other cell is 10, its column's is 8; 8 alone in
        # South's row then takes South's smallest other cell, 9, which joins 10 in Monitor.
        assert displays(table) == [
            ["<5", "*", "12", "25"],
            ["*", "*", "20", "37"],
            ["15", "7", "11", "33"],
            ["26", "26", "43", "95"],
        ]
        assert table.any_suppressed

    def test_every_row_and_column_with_a_hidden_cell_has_two(self) -> None:
        table = suppress_table(columns=COLUMNS, rows=self.ROWS)
        cells = grid(table)
        lines = [*cells, *zip(*cells, strict=True)]
        for line in lines:
            assert sum(c.suppressed for c in line) in {0, 2, 3, 4}

    def test_no_subtraction_recovers_a_hidden_cell(self) -> None:
        table = suppress_table(columns=COLUMNS, rows=self.ROWS)
        cells = grid(table)
        # Each single line: total minus the shown cells leaves a sum of at least two unknowns.
        for line in [*cells, *zip(*cells, strict=True)]:
            hidden = [c for c in line if c.suppressed]
            assert len(hidden) != 1
        # Every completion, i.e. every combination of subtractions at once: 3 could be 1..4.
        found = feasible_values(table)
        assert found[(0, 0)] == {1, 2, 3, 4}
        assert found[(0, 1)] == {9, 10, 11, 12}
        assert found[(1, 0)] == {7, 8, 9, 10}
        assert found[(1, 1)] == {7, 8, 9, 10}

    def test_hidden_cells_carry_no_value_and_say_why(self) -> None:
        table = suppress_table(columns=COLUMNS, rows=self.ROWS)
        primary, secondary = table.rows[0].cells[0], table.rows[0].cells[1]
        assert primary == Cell(None, Suppression.PRIMARY, "<5", "fewer than 5, not shown to protect identities")
        assert secondary.value is None
        assert secondary.display == SECONDARY_MARK == "*"
        assert "cannot be worked out from the totals" in secondary.reason
        assert table.rows[0].cells[2] == Cell(12, Suppression.SHOWN, "12", "")


def test_nothing_to_suppress_shows_everything() -> None:
    table = suppress_table(columns=COLUMNS, rows=[("North", [5, 6, 7]), ("South", [8, 9, 10])])
    assert displays(table) == [["5", "6", "7", "18"], ["8", "9", "10", "27"], ["13", "15", "17", "45"]]
    assert not table.any_suppressed


def test_zeros_are_shown_and_never_chosen_while_another_cell_will_do() -> None:
    table = suppress_table(columns=COLUMNS, rows=[("North", [2, 0, 9]), ("South", [0, 6, 7]), ("East", [8, 0, 12])])
    assert displays(table) == [
        ["<5", "0", "*", "11"],
        ["0", "6", "7", "13"],
        ["*", "0", "*", "20"],
        ["10", "6", "28", "44"],
    ]
    assert_nothing_recoverable(table)


def test_zero_can_be_suppressed_by_option() -> None:
    table = suppress_table(columns=["A", "B"], rows=[("North", [0, 9]), ("South", [6, 7])], suppress_zero=True)
    assert table.rows[0].cells[0].display == "<5"
    assert displays(table)[0][0] == "<5"
    assert_nothing_recoverable(table, suppress_zero=True)


def test_a_small_row_total_is_suppressed_and_so_protected() -> None:
    # North has 3 people in all: its cells and its total are small; the zero stays shown.
    table = suppress_table(columns=COLUMNS, rows=[("North", [1, 2, 0]), ("South", [8, 9, 20]), ("East", [15, 7, 11])])
    shown = displays(table)
    assert shown[0] == ["<5", "<5", "0", "<5"]
    assert table.rows[0].total.suppression == Suppression.PRIMARY
    # Column totals still add up to the grand total, so North's total is hidden with a partner.
    assert sum(c.suppressed for c in grid(table)[0]) >= 2
    assert_nothing_recoverable(table)


def test_ties_go_to_the_first_in_reading_order() -> None:
    # 3's row has two 6s; the first (Monitor) is taken. Its column has two 8s: the first (South).
    table = suppress_table(columns=COLUMNS, rows=[("North", [3, 6, 6]), ("South", [8, 9, 9]), ("East", [8, 9, 9])])
    assert displays(table)[:3] == [
        ["<5", "*", "6", "15"],
        ["*", "*", "9", "26"],
        ["8", "9", "9", "26"],
    ]
    assert_nothing_recoverable(table)


def test_a_pair_pinned_by_its_sum_gets_a_third() -> None:
    # "<5" (1..4) and "*" (at least 5) adding to 6 must be 1 and 5: a third cell is hidden.
    result = suppress_list(items=[("Police", 1), ("Health", 5), ("Probation", 20)])
    assert [c.display for c in result.cells] == ["<5", "*", "*"]
    assert result.total.display == "26"


def test_a_list_hides_the_smallest_other_count() -> None:
    result = suppress_list(items=[("Police", 12), ("Health", 2), ("Probation", 9), ("Self", 0)])
    assert [c.display for c in result.cells] == ["12", "<5", "*", "0"]
    assert result.total == Cell(23, Suppression.SHOWN, "23", "")
    assert result.labels == ("Police", "Health", "Probation", "Self")


def test_a_list_whose_only_other_count_is_zero_hides_the_total() -> None:
    # 3 and 0: total 3 is small itself; with one item, its total is its value.
    result = suppress_list(items=[("Police", 3), ("Health", 0)])
    assert [c.display for c in result.cells] == ["<5", "0"]
    assert result.total.display == "<5"


def test_a_list_with_nothing_small_shows_all() -> None:
    result = suppress_list(items=[("Police", 5), ("Health", 0)])
    assert [c.display for c in (*result.cells, result.total)] == ["5", "0", "5"]


def test_the_threshold_is_configurable() -> None:
    result = suppress_list(items=[("Police", 7), ("Health", 11), ("Probation", 30)], threshold=10)
    assert [c.display for c in result.cells] == ["<10", "*", "30"]
    assert result.cells[0].reason.startswith("fewer than 10")


def test_a_one_column_table_hides_a_total_as_complement() -> None:
    # A row of one cell has no other ordinary cell: its total is the only complement.
    table = suppress_table(columns=["Referrals"], rows=[("North", [3]), ("South", [40]), ("East", [9])])
    assert displays(table) == [["<5", "<5"], ["40", "40"], ["*", "*"], ["52", "52"]]
    assert_nothing_recoverable(table)


@pytest.mark.parametrize("seed", range(12))
def test_random_tables_never_give_a_hidden_cell_away(seed: int) -> None:
    import random

    rng = random.Random(seed)
    rows = [(f"Unit {r}", [rng.choice([0, 1, 2, 4, 5, 6, 9, 14]) for _ in range(3)]) for r in range(3)]
    table = suppress_table(columns=COLUMNS, rows=rows)
    for r, (_, counts) in enumerate(rows):
        for c, v in enumerate(counts):
            cell = table.rows[r].cells[c]
            assert cell.suppressed == (cell.value is None)
            if 0 < v < 5:
                assert cell.display == "<5"
            elif not cell.suppressed:
                assert cell.value == v
    assert_nothing_recoverable(table)


def test_rows_must_match_the_columns_and_counts_be_whole() -> None:
    with pytest.raises(ValueError, match="has 2 counts for 3 columns"):
        suppress_table(columns=COLUMNS, rows=[("North", [1, 2])])
    with pytest.raises(ValueError, match="negative"):
        suppress_list(items=[("Police", -1)])
    with pytest.raises(ValueError, match="at least 1"):
        suppress_list(items=[("Police", 1)], threshold=0)


def test_the_same_input_gives_the_same_output() -> None:
    rows = [("North", [3, 4, 4]), ("South", [4, 3, 4]), ("East", [4, 4, 3])]
    assert len({str(displays(suppress_table(columns=COLUMNS, rows=rows))) for _ in range(5)}) == 1


def test_every_subtraction_of_shown_numbers_in_a_list() -> None:
    result = suppress_list(items=[("Police", 12), ("Health", 2), ("Probation", 9), ("Self", 7)])
    shown = {label: c.value for label, c in zip(result.labels, result.cells, strict=True) if not c.suppressed}
    assert result.total.value is not None
    # Whatever subset of shown counts is taken from the total, at least two hidden ones remain.
    for k in range(len(shown) + 1):
        for subset in itertools.combinations(shown.values(), k):
            remainder = result.total.value - sum(v for v in subset if v is not None)
            assert remainder != 2


def _on_a_cycle(edges: set[tuple[int, int]], edge: tuple[int, int], height: int) -> bool:
    """Whether `edge` (row line, column line) lies on a cycle of the hidden cells' graph: its two
    ends stay connected without it. Nodes: the table's row lines 0..height, its column lines
    offset past them."""
    row, column = edge
    start, goal = row, height + 1 + column
    neighbours: dict[int, set[int]] = {}
    for r, c in edges - {edge}:
        neighbours.setdefault(r, set()).add(height + 1 + c)
        neighbours.setdefault(height + 1 + c, set()).add(r)
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for other in neighbours.get(node, ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return goal in seen


@pytest.mark.parametrize(
    ("seed", "counts"),
    [(seed, [0, 1, 2, 3, 3, 4, 7]) for seed in range(2)] + [(seed, [0, 2, 5, 8, 12, 40]) for seed in range(3)],
)
def test_a_national_table_of_small_counts_gives_nothing_away_by_the_sums(seed: int, counts: list[int]) -> None:
    """43 units by 7 closure reasons, nearly every count small: too large for the exhaustive
    reader above, so checked by the graph rule for tables with margins. A hidden count is fixed
    by the row and column sums exactly when it lies on no cycle of hidden counts (each hidden
    count is an edge between its row and its column, totals included); so every hidden count
    other than a zero must lie on a cycle."""
    import random

    rng = random.Random(seed)
    rows = [(f"Unit {r}", [rng.choice(counts) for _ in range(7)]) for r in range(43)]
    table = suppress_table(columns=[f"Reason {c}" for c in range(7)], rows=rows)
    cells = grid(table)
    height = len(rows)
    values = [[*counts, sum(counts)] for _, counts in rows]
    values.append([sum(column) for column in zip(*values, strict=True)])
    hidden = {(r, c) for r, line in enumerate(cells) for c, cell in enumerate(line) if cell.suppressed}
    assert len(hidden) > 20
    for r, c in hidden:
        if values[r][c]:
            assert _on_a_cycle(hidden, (r, c), height), f"hidden count at row {r}, column {c} follows from the sums"
    for r, line in enumerate(cells):
        for c, cell in enumerate(line):
            if 0 < values[r][c] < 5:
                assert cell.suppressed


@pytest.mark.parametrize("seed", range(6))
def test_the_sums_fix_exactly_the_hidden_counts_on_no_cycle(seed: int) -> None:
    """The exact check on its own, over random hidden patterns in a 12 x 6 table with its margins:
    the counts it finds fixed by the row and column sums are those on no cycle of hidden counts."""
    import random

    from masip.reports.suppression import _pinned_by_lines

    rng = random.Random(seed)
    height, width = 12, 6
    keys = [(r, c) for r in range(height + 1) for c in range(width + 1)]
    lines = [([(r, c) for c in range(width)], (r, width)) for r in range(height + 1)]
    lines += [([(r, c) for r in range(height)], (height, c)) for c in range(width + 1)]
    hidden = [k for k in keys if rng.random() < 0.3]
    status = {k: Suppression.PRIMARY if k in hidden else Suppression.SHOWN for k in keys}
    fixed = set(_pinned_by_lines(hidden, dict.fromkeys(keys, 1), lines, status))
    on_no_cycle = {k for k in hidden if not _on_a_cycle(set(hidden), k, height)}
    assert fixed == on_no_cycle
    assert fixed
    assert fixed != set(hidden)
