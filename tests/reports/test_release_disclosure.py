"""Disclosure control: on 1,000 random tables, no suppressed count can be worked back out from the
row, column and national totals published beside it. The checks here are written apart from the
suppressor: one solves the linear system the totals give (is the cell's value fixed by it?), the
other peels lines with a single unknown left, to a fixed point."""
import random

import numpy as np
import pytest

from reports.releases import disclosure


def published_totals(values):
    """What a release publishes beside the table: row totals, column totals, the national total."""
    n_rows, n_cols = len(values), len(values[0])
    lines = []
    if n_cols > 1:
        lines += [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    if n_rows > 1:
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    lines.append([(i, j) for i in range(n_rows) for j in range(n_cols)])  # the national total
    return lines


def determined_by_linear_algebra(values, hidden):
    """The hidden cells whose value the totals fix: e_k lies in the row space of the system."""
    hidden = sorted(hidden)
    if not hidden:
        return set()
    index = {cell: k for k, cell in enumerate(hidden)}
    lines = published_totals(values)
    a = np.zeros((len(lines), len(hidden)))
    for row, line in enumerate(lines):
        for cell in line:
            if cell in index:
                a[row, index[cell]] = 1
    rank = np.linalg.matrix_rank(a)
    out = set()
    for cell, k in index.items():
        unit = np.zeros((1, len(hidden)))
        unit[0, k] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.add(cell)
    return out


def determined_by_peeling(values, hidden):
    """A line with a published total and one unknown cell gives that cell; repeat until nothing moves."""
    unknown = set(hidden)
    found = set()
    moved = True
    while moved:
        moved = False
        for line in published_totals(values):
            left = [c for c in line if c in unknown]
            if len(left) == 1:
                unknown.discard(left[0])
                found.add(left[0])
                moved = True
    return found


def random_table(rng):
    n_rows, n_cols = rng.randint(1, 9), rng.randint(1, 7)
    if n_rows * n_cols < 4:
        n_rows, n_cols = n_rows + 1, n_cols + 1
    small = rng.random()  # some tables are mostly small counts, some hardly any
    return [[rng.randint(1, 4) if rng.random() < small * 0.6 else rng.choice([0, rng.randint(5, 300)])
             for _ in range(n_cols)] for _ in range(n_rows)]


def test_no_suppressed_cell_of_1000_random_tables_can_be_worked_out_from_the_totals():
    rng = random.Random(20260207)
    suppressed = secondary = 0
    for n in range(1000):
        values = random_table(rng)
        threshold = rng.choice([3, 5, 10])
        try:
            result = disclosure.suppress(values, threshold)
        except ValueError:
            # Only a table with no room left to hide anything may be refused.
            assert len(values) == 1 or len(values[0]) == 1, values
            continue
        hidden = set(result.cells)
        # Every small count is hidden, and nothing else that need not be.
        assert {(i, j) for i, r in enumerate(values) for j, v in enumerate(r) if 0 < v < threshold} <= hidden
        assert determined_by_linear_algebra(values, hidden) == set(), (n, values, result.cells)
        assert determined_by_peeling(values, hidden) == set(), (n, values, result.cells)
        suppressed += len(hidden)
        secondary += result.secondary
    assert suppressed > 2000 and secondary > 300  # the tables did exercise both rules


def test_a_lone_small_count_takes_a_partner_in_its_row_and_its_column():
    values = [[3, 40, 50], [20, 30, 60], [25, 35, 45]]
    result = disclosure.suppress(values, 5)
    assert result.cells[(0, 0)] == disclosure.PRIMARY
    assert result.secondary == 3  # a 2x2 rectangle: the smallest counts beside it
    assert result.cells == {(0, 0): "primary", (0, 1): "secondary", (1, 0): "secondary", (1, 1): "secondary"}
    assert result.shown(values)[0] == ["<5", "[c]", 50]
    assert determined_by_linear_algebra(values, result.cells) == set()


def test_the_checker_itself_sees_a_lone_suppressed_cell_and_a_bridge_between_two_cycles():
    values = [[1] * 4 for _ in range(4)]
    assert determined_by_linear_algebra(values, {(0, 0)}) == {(0, 0)}
    rect_a = {(0, 0), (0, 1), (1, 0), (1, 1)}
    rect_b = {(2, 2), (2, 3), (3, 2), (3, 3)}
    bridge = {(1, 2)}
    assert determined_by_linear_algebra(values, rect_a | rect_b | bridge) == bridge
    assert determined_by_peeling(values, rect_a | rect_b | bridge) == set()  # peeling alone misses it


def test_no_suppression_below_2_and_zeros_stay_published():
    with pytest.raises(ValueError):
        disclosure.suppress([[1, 2]], 1)
    result = disclosure.suppress([[0, 10], [12, 0]], 5)
    assert result.cells == {}
