"""A page image as ink: the threshold between paper and ink, the page's skew, and the ruled lines.

Plain numpy over a greyscale page (a 2-D uint8 array, 0 black, 255 white): no OpenCV. Lines
are found as runs of ink long enough that no letter makes them, allowing for the small breaks
a fax or a speckled scan puts in a rule.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

#: How far a page may be turned and still be straightened (a scan fed askew, a fax).
MAX_SKEW_DEGREES = 3.0


def threshold(grey: np.ndarray) -> int:
    """Otsu's threshold: the grey level that best splits the page into paper and ink."""
    hist = np.bincount(grey.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256, dtype=np.float64)
    below = np.cumsum(hist)
    above = below[-1] - below
    below_sum = np.cumsum(levels * hist)
    mean_below = below_sum / np.maximum(below, 1)
    mean_above = (below_sum[-1] - below_sum) / np.maximum(above, 1)
    between = below * above * (mean_below - mean_above) ** 2
    return int(np.argmax(between))


def ink_of(grey: np.ndarray) -> np.ndarray:
    """True where the page is ink. A page with (almost) one grey level is all paper."""
    level = threshold(grey)
    if grey.max() - grey.min() < 32:
        return np.zeros(grey.shape, dtype=bool)
    return grey <= level


def skew_degrees(ink: np.ndarray, most: float = MAX_SKEW_DEGREES) -> float:
    """The angle (anticlockwise, degrees) that makes the page's lines of text and rules level:
    the one whose rows of ink are the most sharply peaked (a projection profile)."""
    ys, xs = np.nonzero(ink)
    if len(ys) < 50:
        return 0.0
    if len(ys) > 150_000:  # a fixed sample: the same page gives the same angle
        pick = np.random.default_rng(0).choice(len(ys), 150_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64)

    def sharpness(angle: float) -> float:
        t = np.deg2rad(angle)
        rows = np.rint(ys * np.cos(t) - xs * np.sin(t)).astype(np.int64)
        counts = np.bincount(rows - rows.min()).astype(np.float64)
        return float((counts * counts).sum())

    coarse = np.arange(-most, most + 1e-9, 0.1)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - 0.1, best + 0.1 + 1e-9, 0.01)
    return round(float(max(fine, key=sharpness)), 2)


def runs(ink: np.ndarray, length: int, *, across: bool, fill: float = 0.8) -> np.ndarray:
    """The ink that lies on a straight run at least `length` long (across: horizontal), of
    which `fill` is ink: a rule with a few breaks is kept, a word is not."""
    a = ink if across else ink.T
    h, w = a.shape
    if w < length or length < 2:
        return np.zeros(ink.shape, dtype=bool)
    sums = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(a, axis=1, dtype=np.int32, out=sums[:, 1:])
    good = (sums[:, length:] - sums[:, :-length]) >= int(fill * length)  # a window starting at each x
    starts = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(np.pad(good, ((0, 0), (0, length - 1))), axis=1, dtype=np.int32, out=starts[:, 1:])
    xs = np.arange(w)
    covered = (starts[:, xs + 1] - starts[:, np.maximum(xs - length + 1, 0)]) > 0
    covered &= a
    return covered if across else covered.T


@dataclass(frozen=True)
class Segment:
    """A ruled line: `at` is its y (a horizontal rule) or x (a vertical one); it runs from
    `start` to `end` along its length; `width` is how thick it is."""

    at: float
    start: int
    end: int
    width: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def covers(self, lo: float, hi: float, share: float = 0.5) -> bool:
        overlap = min(self.end, hi) - max(self.start, lo)
        return overlap >= share * (hi - lo)


def segments(lines: np.ndarray, *, across: bool, min_length: int, gap: int) -> list[Segment]:
    """The separate rules in a mask of line ink: neighbouring rows (or columns) of line ink are
    one rule; along it, a break wider than `gap` ends one segment and starts the next."""
    a = lines if across else lines.T
    rows = np.nonzero(a.any(axis=1))[0]
    found: list[Segment] = []
    if len(rows) == 0:
        return found
    for band in np.split(rows, np.nonzero(np.diff(rows) > 1)[0] + 1):
        along = np.nonzero(a[band[0]:band[-1] + 1].any(axis=0))[0]
        for part in np.split(along, np.nonzero(np.diff(along) > gap)[0] + 1):
            if part[-1] - part[0] + 1 >= min_length:
                found.append(Segment((band[0] + band[-1]) / 2, int(part[0]), int(part[-1]), len(band)))
    return found


def straightened(page: Image.Image) -> tuple[Image.Image, np.ndarray, float]:
    """The page turned level, its ink, and the angle it was turned by."""
    grey = np.asarray(page)
    step = max(1, round(max(grey.shape) / 1200))  # the angle from a page about 1,200 pixels high
    angle = skew_degrees(ink_of(grey[::step, ::step]))
    if abs(angle) >= 0.05:
        page = page.rotate(angle, resample=Image.BILINEAR, fillcolor=255)
        grey = np.asarray(page)
    level = threshold(grey[::2, ::2])
    if int(grey.max()) - int(grey.min()) < 32:
        return page, np.zeros(grey.shape, dtype=bool), angle
    return page, grey <= level, angle
