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


def blobs(mask: np.ndarray) -> list[tuple[Blob, list[tuple[int, int, int]]]]:
    """The connected pieces of ink (8-connected), each with its runs (row, start, end exclusive)."""
    runs: list[tuple[int, int, int]] = []
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    for y in range(mask.shape[0]):
        starts = np.nonzero(edges[y] == 1)[0]
        ends = np.nonzero(edges[y] == -1)[0]
        runs.extend((y, int(s), int(e)) for s, e in zip(starts, ends))
    parent = list(range(len(runs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    previous: list[int] = []  # indexes of the runs on the row above
    current: list[int] = []
    row = -1
    for i, (y, s, e) in enumerate(runs):
        if y != row:
            previous = current if y == row + 1 else []
            current, row = [], y
        for j in previous:
            _, ps, pe = runs[j]
            if ps <= e and s <= pe:  # touching, diagonals included
                parent[find(i)] = find(j)
        current.append(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(runs)):
        groups.setdefault(find(i), []).append(i)
    found = []
    for members in groups.values():
        rs = [runs[i] for i in members]
        area = sum(e - s for _, s, e in rs)
        found.append((Blob(area, min(r[0] for r in rs), min(r[1] for r in rs), max(r[0] for r in rs) + 1,
                           max(r[2] for r in rs)), rs))
    return found


def clean(mask: np.ndarray, min_area: int, stroke: int, edge: int) -> np.ndarray:
    """The cell's ink without specks (smaller than `min_area`, or thinner than a pen `stroke`:
    a scanner's streak) and without the ends of the rules around it (ink lying within `edge`
    of the crop's sides)."""
    h, w = mask.shape
    kept = np.zeros_like(mask)
    for blob, rs in blobs(mask):
        if blob.area < min_area or min(blob.width, blob.height) < stroke:
            continue
        if blob.y0 < edge or blob.x0 < edge or blob.y1 > h - edge or blob.x1 > w - edge:
            inner = sum(max(0, min(e, w - edge) - max(s, edge)) for y, s, e in rs if edge <= y < h - edge)
            if inner < 0.2 * blob.area:
                continue
        for y, s, e in rs:
            kept[y, s:e] = True
    return kept


def content_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, x0, y1, x1) of the ink left in a cleaned cell, or None when it is empty."""
    ys = np.nonzero(mask.any(axis=1))[0]
    if len(ys) == 0:
        return None
    xs = np.nonzero(mask.any(axis=0))[0]
    return int(ys[0]), int(xs[0]), int(ys[-1]) + 1, int(xs[-1]) + 1


def kind_of(mask: np.ndarray, text_height: float) -> str:
    """Blank, a lone dash (a nil), or marks that need reading. `text_height`: how tall a digit
    is on this page; a dash is a short flat stroke well below that."""
    box = content_box(mask)
    if box is None:
        return BLANK
    y0, x0, y1, x1 = box
    height, width = y1 - y0, x1 - x0
    pieces = [b for b, _ in blobs(mask[y0:y1, x0:x1])]
    if len(pieces) == 1 and height <= 0.35 * text_height and 1.1 * height <= width <= 1.2 * text_height:
        return DASH
    return MARKS
