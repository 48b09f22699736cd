"""Tables with no ruled lines, found from the alignment of their ink: a letter whose figures stand
in columns separated by white space.

The page's lines of text are the bands of rows holding ink. A line of a table has its words far
apart (a column's width of paper between them), a line of prose has them a space apart; enough such
lines one under the other are a table, its row of headings the first of them. Its columns are the
strips of paper that run down through all of those lines (rivers of white).
The result is a grid like a ruled table's, each cell a rectangle between rivers and lines.
"""
from __future__ import annotations

import numpy as np

from .grid import Box, Grid, GridCell

#: Fewer lines than this, one under the other, are not a table.
LEAST_LINES = 3
#: Fewer columns than this are not taken for a table by their alignment alone: a list of lines each
#: ending in a figure (a label, dot leaders, a count) is left for typing rather than guessed at.
LEAST_COLUMNS = 4


def _bands(ink: np.ndarray, least: int) -> list[tuple[int, int]]:
    """The lines of text: runs of rows holding ink (more than a speck or two), at least `least`
    rows tall."""
    rows = ink.sum(axis=1) >= max(4, ink.shape[1] // 500)
    edges = np.diff(np.concatenate(([0], rows.astype(np.int8), [0])))
    return [(int(s), int(e)) for s, e in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]) if e - s >= least]


def _words(ink: np.ndarray, band: tuple[int, int], gap: int, least_ink: int) -> list[tuple[int, int]]:
    """The stretches of a line with ink, run together across gaps narrower than `gap`; a speck (less
    ink than `least_ink`) is no word, and a column with ink across less than a tenth of the line (a
    shaded or speckled background) holds none."""
    line = ink[band[0]:band[1]]
    columns = np.nonzero(line.sum(axis=0) >= max(2.0, 0.1 * (band[1] - band[0])))[0]
    if len(columns) == 0:
        return []
    breaks = np.nonzero(np.diff(columns) > gap)[0]
    starts = np.concatenate(([columns[0]], columns[breaks + 1]))
    ends = np.concatenate((columns[breaks], [columns[-1]])) + 1
    return [(int(s), int(e)) for s, e in zip(starts, ends) if line[:, s:e].sum() >= least_ink]


def _blocks(lines: list[tuple[tuple[int, int], list[tuple[int, int]]]], height: float) -> list[list[int]]:
    """Runs of table-like lines one under the other: lines of two or more words far apart (a row
    with most of its cells blank has two), at least two of them with three or more."""
    blocks: list[list[int]] = []
    for i, (band, words) in enumerate(lines):
        if len(words) < 2:
            continue
        near = blocks and band[0] - lines[blocks[-1][-1]][0][1] < 2.5 * height
        if near:
            blocks[-1].append(i)
        else:
            blocks.append([i])
    return [b for b in blocks if len(b) >= LEAST_LINES and sum(len(lines[i][1]) >= 3 for i in b) >= 2]


def _rivers(ink: np.ndarray, bands: list[tuple[int, int]], left: int, right: int, width: int) -> list[tuple[int, int]]:
    """Strips of paper at least `width` wide running down through every line: in no line does a
    column of the strip hold ink across a fifth of the line's height (a speck does not)."""
    inked = np.zeros(right - left, dtype=bool)
    for top, bottom in bands:
        inked |= ink[top:bottom, left:right].sum(axis=0) >= 0.2 * (bottom - top)
    edges = np.diff(np.concatenate(([0], (~inked).astype(np.int8), [0])))
    return [(left + int(s), left + int(e)) for s, e in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0])
            if e - s >= width and s > 0 and e < len(inked)]


def aligned_grids(ink: np.ndarray, dpi: int) -> list[Grid]:
    """The tables with no rules on a page (its ink, straightened), as grids of cells."""
    least = max(3, int(dpi * 0.04))
    bands = _bands(ink, least)
    if not bands:
        return []
    height = float(np.median([e - s for s, e in bands]))
    lines = [(band, _words(ink, band, int(1.2 * height), int((0.3 * height) ** 2))) for band in bands]
    grids = []
    for block in _blocks(lines, height):  # a banner line above the headings (one word) is left out
        grid = _grid(ink, [lines[i][0] for i in block], [w for i in block for w in lines[i][1]], height)
        if grid is not None:
            grids.append(grid)
    return grids


def _grid(ink: np.ndarray, bands: list[tuple[int, int]], words: list[tuple[int, int]], height: float) -> Grid | None:
    left, right = min(s for s, _ in words), max(e for _, e in words)
    top, bottom = bands[0][0], bands[-1][1]
    rivers = _rivers(ink, bands, left, right, int(0.7 * height))
    if len(rivers) + 1 < LEAST_COLUMNS:
        return None
    pad = int(height * 0.4)
    cols = [left - pad] + [(s + e) // 2 for s, e in rivers] + [right + pad]
    rows = [top - pad] + [(a[1] + b[0]) // 2 for a, b in zip(bands, bands[1:])] + [bottom + pad]
    grid = Grid(rows, cols, ruled=False)
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            grid.cells.append(GridCell(i, j, 1, 1, Box(cols[j], rows[i], cols[j + 1], rows[i + 1])))
    return grid
