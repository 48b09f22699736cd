"""What is inside one cell of a scanned table, before any reading: nothing, a dash, or marks to read.

A cell's crop carries the scan's specks and the ends of the rules around it. Its ink is split
into connected blobs (runs of ink joined row to row); specks smaller than a pen stroke and rule
ends along the crop's edge are dropped, and what is left is the cell's content.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLANK = "blank"
DASH = "dash"
MARKS = "marks"


@dataclass(frozen=True)
class Blob:
    area: int
    y0: int
    x0: int
    y1: int  # exclusive
    x1: int  # exclusive

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every horizontal run of ink: its row, start and end (exclusive), in reading order."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1).ravel()
    starts = np.nonzero(edges == 1)[0]
    ends = np.nonzero(edges == -1)[0]
    return starts // (w + 1), starts % (w + 1), ends % (w + 1)


def blobs(mask: np.ndarray) -> list[tuple[Blob, list[tuple[int, int, int]]]]:
    """The connected pieces of ink (8-connected), each with its runs (row, start, end exclusive)."""
    rows, starts, ends = _runs(mask)
    n = len(rows)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    row_first = np.searchsorted(rows, np.arange(mask.shape[0] + 1))
    rows_l, starts_l, ends_l = rows.tolist(), starts.tolist(), ends.tolist()
    for y in range(1, mask.shape[0]):
        a, a_end, b, b_end = int(row_first[y - 1]), int(row_first[y]), int(row_first[y]), int(row_first[y + 1])
        while a < a_end and b < b_end:  # the runs of two rows, side by side
            if starts_l[a] <= ends_l[b] and starts_l[b] <= ends_l[a]:  # touching, diagonals included
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[ra] = rb
            if ends_l[a] < ends_l[b]:
                a += 1
            else:
                b += 1
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    found = []
    for members in groups.values():
        rs = [(rows_l[i], starts_l[i], ends_l[i]) for i in members]
        found.append((Blob(sum(e - s for _, s, e in rs), min(r[0] for r in rs), min(r[1] for r in rs),
                           max(r[0] for r in rs) + 1, max(r[2] for r in rs)), rs))
    return found


def clean(mask: np.ndarray, min_area: int, stroke: int, edge: int) -> tuple[np.ndarray, int]:
    """The cell's ink without specks (smaller than `min_area`, or thinner than a pen `stroke`:
    a scanner's streak) and without the ends of the rules around it (ink lying within `edge`
    of the crop's sides); and how many separate marks are left (about the characters it holds)."""
    h, w = mask.shape
    kept = np.zeros_like(mask)
    marks = 0
    for blob, rs in blobs(mask):
        if blob.area < min_area or min(blob.width, blob.height) < stroke:
            continue
        if blob.y0 < edge or blob.x0 < edge or blob.y1 > h - edge or blob.x1 > w - edge:
            inner = sum(max(0, min(e, w - edge) - max(s, edge)) for y, s, e in rs if edge <= y < h - edge)
            if inner < 0.2 * blob.area:
                continue
        marks += 1
        for y, s, e in rs:
            kept[y, s:e] = True
    return kept, marks


def content_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, x0, y1, x1) of the ink left in a cleaned cell, or None when it is empty."""
    ys = np.nonzero(mask.any(axis=1))[0]
    if len(ys) == 0:
        return None
    xs = np.nonzero(mask.any(axis=0))[0]
    return int(ys[0]), int(xs[0]), int(ys[-1]) + 1, int(xs[-1]) + 1


def kind_of(mask: np.ndarray, marks: int, text_height: float) -> str:
    """Blank, a lone dash (a nil), or marks that need reading. `marks`: the separate marks in the
    cleaned cell; `text_height`: how tall a digit is on this page (a dash is a short flat stroke
    well below that)."""
    box = content_box(mask)
    if box is None:
        return BLANK
    y0, x0, y1, x1 = box
    height, width = y1 - y0, x1 - x0
    if marks == 1 and height <= 0.35 * text_height and 1.1 * height <= width <= 1.2 * text_height:
        return DASH
    return MARKS
