"""Where a page's tables are and how they divide into cells, from their ruled lines.

Horizontal and vertical rules that cross are one table; its row and column boundaries are
where its rules run. A cell whose dividing rule is missing is merged with its neighbour (a
"Victim age" banner across the age columns, an "Offence" heading down two header rows), as a
spreadsheet shows a merged cell. A table with no rules at all is found later, from the words'
alignment (aligned.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ink import Segment, runs, segments

#: Lines are looked for at about this many dots per inch: enough for a rule, quick to scan.
LINE_DPI = 150


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass(frozen=True)
class GridCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: Box


@dataclass
class Grid:
    """One table on a page: its row and column boundaries and its cells (a merged cell once,
    at its top-left place)."""

    rows: list[int]
    cols: list[int]
    cells: list[GridCell] = field(default_factory=list)
    ruled: bool = True

    @property
    def n_rows(self) -> int:
        return len(self.rows) - 1

    @property
    def n_cols(self) -> int:
        return len(self.cols) - 1

    @property
    def box(self) -> Box:
        return Box(self.cols[0], self.rows[0], self.cols[-1], self.rows[-1])


def _shrink(ink: np.ndarray, factor: int) -> np.ndarray:
    """Ink at 1/factor the size: a block is ink if a line through it would be (a rule one pixel
    thick stays a rule; the grey haze around letters does not thicken them)."""
    if factor <= 1:
        return ink
    h, w = (ink.shape[0] // factor) * factor, (ink.shape[1] // factor) * factor
    blocks = ink[:h, :w].reshape(h // factor, factor, w // factor, factor).sum(axis=(1, 3), dtype=np.int16)
    return blocks >= factor


class _Components:
    """Union-find over the segments: rules that cross belong to one table."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _alone(ink: np.ndarray, seg: Segment, *, across: bool) -> bool:
    """Whether the strips of page just either side of a rule are mostly paper (a line of text has its
    letters' tops and tails there)."""
    a = ink if across else ink.T
    half = seg.width / 2
    gap = max(1, seg.width)
    above = a[max(0, int(seg.at - half - 2 * gap)):max(0, int(seg.at - half - 1)), seg.start:seg.end + 1]
    below = a[int(seg.at + half + 2):int(seg.at + half + 1 + 2 * gap), seg.start:seg.end + 1]
    sides = [x.mean() for x in (above, below) if x.size]
    return not sides or max(sides) < 0.35


def _crosses(h: Segment, v: Segment, tol: float) -> bool:
    return h.start - tol <= v.at <= h.end + tol and v.start - tol <= h.at <= v.end + tol


def _positions(values: list[float], tol: float) -> list[float]:
    """Positions within `tol` of each other are one boundary (a thick or doubled rule)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def find_grids(ink: np.ndarray, dpi: int) -> list[Grid]:
    """The ruled tables on a page, top to bottom."""
    factor = max(1, round(dpi / LINE_DPI))
    small = _shrink(ink, factor)
    sdpi = dpi / factor
    tol = max(2.0, sdpi * 0.03)
    h_len, v_len = max(8, int(sdpi * 0.25)), max(6, int(sdpi * 0.14))
    hs = segments(runs(small, h_len, across=True), across=True, min_length=h_len, gap=int(tol))
    vs = segments(runs(small, v_len, across=False, fill=0.9), across=False, min_length=v_len, gap=int(tol))
    # A rule is thin with paper either side; a line of bold or smudged text read as one is not.
    thickest = max(2, int(sdpi * 0.045))
    hs = [h for h in hs if h.width <= thickest and _alone(small, h, across=True)]
    vs = [v for v in vs if v.width <= thickest and _alone(small, v, across=False)]
    if not hs or not vs:
        return []
    # A rule of a table crosses at least two others (the table's sides, or two rules across it).
    for _ in range(2):
        hs = [h for h in hs if sum(_crosses(h, v, tol) for v in vs) >= 2]
        vs = [v for v in vs if sum(_crosses(h, v, tol) for h in hs) >= 2]
    groups = _Components(len(hs) + len(vs))
    crossed = set()
    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if _crosses(h, v, tol):
                groups.join(i, len(hs) + j)
                crossed.update((i, len(hs) + j))
    tables: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i in crossed:
        seg = hs[i] if i < len(hs) else vs[i - len(hs)]
        pair = tables.setdefault(groups.find(i), ([], []))
        pair[0 if i < len(hs) else 1].append(seg)
    grids = []
    for h_segs, v_segs in tables.values():
        grid = _grid(h_segs, v_segs, tol, sdpi)
        if grid is not None:
            grids.append(_scaled(grid, factor))
    return sorted(grids, key=lambda g: (g.rows[0], g.cols[0]))


def _grid(hs: list[Segment], vs: list[Segment], tol: float, sdpi: float) -> Grid | None:
    rows = _positions([h.at for h in hs], tol)
    cols = _positions([v.at for v in vs], tol)
    # A table without a rule down its sides: its horizontal rules say where it ends.
    margin = sdpi * 0.15
    left, right = min(h.start for h in hs), max(h.end for h in hs)
    if cols and cols[0] - left > margin:
        cols.insert(0, float(left))
    if cols and right - cols[-1] > margin:
        cols.append(float(right))
    top, bottom = min(v.start for v in vs), max(v.end for v in vs)
    if rows and rows[0] - top > margin:
        rows.insert(0, float(top))
    if rows and bottom - rows[-1] > margin:
        rows.append(float(bottom))
    if len(rows) < 2 or len(cols) < 2:
        return None
    # Rows and columns thinner than a line of small print are a doubled rule, not a cell.
    least = sdpi * 0.08
    rows = [r for i, r in enumerate(rows) if i == 0 or r - rows[i - 1] >= least]
    cols = [c for i, c in enumerate(cols) if i == 0 or c - cols[i - 1] >= least]
    if len(rows) < 2 or len(cols) < 2:
        return None

    def v_present(i: int, j: int) -> bool:  # the rule between columns j-1 and j, in row band i
        return any(abs(v.at - cols[j]) <= tol and v.covers(rows[i], rows[i + 1]) for v in vs)

    def h_present(i: int, j: int) -> bool:  # the rule between rows i-1 and i, in column band j
        return any(abs(h.at - rows[i]) <= tol and h.covers(cols[j], cols[j + 1]) for h in hs)

    grid = Grid([int(round(r)) for r in rows], [int(round(c)) for c in cols])
    taken = np.zeros((grid.n_rows, grid.n_cols), dtype=bool)
    for i in range(grid.n_rows):
        for j in range(grid.n_cols):
            if taken[i, j]:
                continue
            span_c = 1
            while j + span_c < grid.n_cols and not v_present(i, j + span_c) and not taken[i, j + span_c]:
                span_c += 1
            span_r = 1
            while i + span_r < grid.n_rows and not any(h_present(i + span_r, c) for c in range(j, j + span_c)):
                span_r += 1
            taken[i:i + span_r, j:j + span_c] = True
            grid.cells.append(GridCell(i, j, span_r, span_c, Box(grid.cols[j], grid.rows[i], grid.cols[j + span_c],
                                                                   grid.rows[i + span_r])))
    return grid


def _scaled(grid: Grid, factor: int) -> Grid:
    if factor == 1:
        return grid

    def box(b: Box) -> Box:
        return Box(b.x0 * factor, b.y0 * factor, b.x1 * factor, b.y1 * factor)

    return Grid([r * factor for r in grid.rows], [c * factor for c in grid.cols],
                [GridCell(c.row, c.col, c.rowspan, c.colspan, box(c.box)) for c in grid.cells], grid.ruled)
