"""Disclosure control for the force-level counts a release publishes: pure, no Django.

A release may publish counts as they are (the default, as the practice campaign's publisher did)
or suppress small counts. Suppression works on a table of counts (a row per force, a column per
offence category) whose row totals, column totals and national total are published beside it:

- primary suppression: every count from 1 to threshold - 1 is shown as ``<threshold`` ("<5");
  0 is published (an absence of offences identifies nobody);
- secondary suppression: more cells, shown as ``[c]``, until no suppressed cell can be worked out
  from the published totals by linear arithmetic.

Why the secondary rule is what it is: picture the suppressed cells as the edges of a graph whose
nodes are the table's lines (its rows and columns with a published total). The published totals
fix the sum of the suppressed cells at every node; a suppressed cell can be worked out exactly
when, and only when, its edge is a bridge (on no cycle): a cell on a cycle can move by +t, -t
around it and every total stays the same. So the suppressor adds cells until the graph has no
bridge, choosing each time the smallest positive count on the bridge's line (a 0 beside a
suppressed cell narrows its range, and small counts lose least). Lines without a published total
(the columns of a one-row table, whose totals would be the cells themselves) are one free node.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

PRIMARY, SECONDARY = "primary", "secondary"
SECONDARY_MARK = "[c]"


def primary_mark(threshold: int) -> str:
    return f"<{threshold}"


@dataclass(frozen=True)
class Suppression:
    """Which cells of a table are suppressed, and why: {(row, column): PRIMARY | SECONDARY}."""

    threshold: int
    cells: dict

    def shown(self, values: Sequence[Sequence[int]]) -> list[list]:
        """The table as published: a count, or its mark."""
        marks = {PRIMARY: primary_mark(self.threshold), SECONDARY: SECONDARY_MARK}
        return [[marks[self.cells[(i, j)]] if (i, j) in self.cells else v for j, v in enumerate(row)]
                for i, row in enumerate(values)]

    @property
    def primary(self) -> int:
        return sum(1 for why in self.cells.values() if why == PRIMARY)

    @property
    def secondary(self) -> int:
        return sum(1 for why in self.cells.values() if why == SECONDARY)


def published_lines(n_rows: int, n_cols: int) -> tuple[bool, bool]:
    """Whether the row totals and the column totals say anything beyond the cells: a table of one
    column has row totals that are its cells (they are the cells, not a constraint), and so on."""
    return n_cols > 1, n_rows > 1


def suppress(values: Sequence[Sequence[int]], threshold: int) -> Suppression:
    """Primary then secondary suppression of a table of non-negative counts."""
    if threshold < 2:
        raise ValueError(f"a suppression threshold must be 2 or more, not {threshold}")
    rows = [list(r) for r in values]
    n_cols = len(rows[0]) if rows else 0
    if any(len(r) != n_cols for r in rows):
        raise ValueError("every row of the table needs the same number of columns")
    cells = {(i, j): PRIMARY for i, row in enumerate(rows) for j, v in enumerate(row) if 0 < v < threshold}
    while True:
        bridges = _bridges(cells, len(rows), n_cols)
        if not bridges:
            return Suppression(threshold, cells)
        closing = _cheapest_cycle(rows, cells, *bridges[0])
        if not closing:
            raise ValueError("the table is too small to hide its small counts: publish it without totals")
        for cell in closing:
            cells[cell] = SECONDARY


def _nodes(i: int, j: int, n_rows: int, n_cols: int) -> tuple:
    rows_published, cols_published = published_lines(n_rows, n_cols)
    return ("r", i) if rows_published else ("free",), ("c", j) if cols_published else ("free",)


def _bridges(cells: dict, n_rows: int, n_cols: int) -> list[tuple[int, int]]:
    """The suppressed cells on no cycle of the lines' graph, in table order."""
    edges = sorted(cells)
    adjacency: dict[tuple, list[tuple[tuple, int]]] = {}
    for k, (i, j) in enumerate(edges):
        a, b = _nodes(i, j, n_rows, n_cols)
        adjacency.setdefault(a, []).append((b, k))
        adjacency.setdefault(b, []).append((a, k))
    order: dict[tuple, int] = {}
    low: dict[tuple, int] = {}
    found = []
    for root in sorted(adjacency):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack = [(root, -1, iter(adjacency[root]))]
        while stack:  # Tarjan's bridges, without recursion (a table may have thousands of cells)
            node, via, it = stack[-1]
            step = next(it, None)
            if step is None:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(edges[via])
                continue
            other, k = step
            if k == via:
                continue
            if other in order:
                low[node] = min(low[node], order[other])
            else:
                order[other] = low[other] = len(order)
                stack.append((other, k, iter(adjacency[other])))
    return sorted(found)


def _cost(rows: list[list[int]], cells: dict, added: list[tuple[int, int]]) -> tuple:
    # A 0 beside a suppressed cell narrows its range: zeros last; then the fewest counts hidden.
    values = [rows[i][j] for i, j in added if (i, j) not in cells]
    return sum(1 for v in values if v == 0), sum(values), len(values)


def _cheapest_cycle(rows: list[list[int]], cells: dict, i: int, j: int) -> list[tuple[int, int]]:
    """The fewest, smallest counts to hide so that the bridge (i, j) lies on a cycle: the other
    corners of a rectangle through it (or, when only one kind of line has totals, one more cell
    of that line)."""
    n_rows, n_cols = len(rows), len(rows[0])
    rows_published, cols_published = published_lines(n_rows, n_cols)
    options = []
    if rows_published and cols_published:
        options = [[(i, c), (r, j), (r, c)] for r in range(n_rows) for c in range(n_cols) if r != i and c != j]
    elif rows_published:
        options = [[(i, c)] for c in range(n_cols) if c != j]
    elif cols_published:
        options = [[(r, j)] for r in range(n_rows) if r != i]
    options = [o for o in options if any(cell not in cells for cell in o)]
    if not options:
        return []
    best = min(options, key=lambda o: (_cost(rows, cells, o), o))
    return [cell for cell in best if cell not in cells]


def describe(threshold: int | None) -> str:
    """The rule, as the methodology states it."""
    if not threshold:
        return ("Counts are published as the forces gave them: no further suppression was applied. Cells the "
                "forces themselves suppressed stay suppressed.")
    return (f"Force-level counts from 1 to {threshold - 1} are shown as {primary_mark(threshold)} (primary "
            f"suppression). Further counts are shown as {SECONDARY_MARK} (secondary suppression) so that no "
            "suppressed count can be worked out from the row, column and national totals published beside it: "
            "every suppressed cell lies on a cycle of suppressed cells across the table's rows and columns. "
            "Zeros are published.")
