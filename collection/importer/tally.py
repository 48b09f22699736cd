"""The tally: rows of plain figures counted a chunk at a time in C, for tables of many thousands of rows.

The long layouts (one row per crime, or per offence+age with a count) can be hundreds of thousands of
rows, the pivots tens of thousands.  The cells that matter are pulled with ``itemgetter``, each
distinct combination of them (a key, a row label, a cell) is worked out once, and a chunk of rows is
counted by collections' own counting loop, or turned into rows of counts, in C.  A chunk holding
anything unusual -- blank or short rows, totals, notes, refusals, a warning that names its row -- is
given back uncounted, to be read row by row by the layout's own loop (``long_tables``, ``pivots``),
which names the row.  What a key means is worked out by the same steps as that loop, with nothing said.
"""
from __future__ import annotations

from collections import Counter
from itertools import chain, islice
from operator import itemgetter

from .figures import PeriodMemo
from .labels import CountProblem, is_blank, parse_count

# Rows held at once. Each row is a list the garbage collector tracks: past its first threshold (700
# objects alive) it runs, moving them to an older generation that a full collection then walks, which
# is slow with Django's many objects loaded. Small chunks keep the rows alive under that threshold.
CHUNK = 256

_MISS = object()


def holds_number(cells: tuple) -> bool:
    """Whether a cell is a number, which a tick box (True/False) equals as a key when it is 1 or 0."""
    return any(type(c) is int or type(c) is float for c in cells)


class LongTally:
    """Rows counted a chunk at a time in C, for the long layouts' hundreds of thousands of rows.

    A row's key is the cells that matter (the period cell read as its period); each distinct key is worked
    out once by ``meaning`` (key as the row-by-row loop makes it -> (counts key, n), or None for anything
    but a plain figure: a total, a note, a blank, a refusal, a suppressed count, something to warn about
    with its row). A chunk is counted with collections' own counting loop; one with a key that is not a
    plain figure, or a short row, is given back uncounted, to be read row by row (which names the row)."""

    def __init__(self, value_cols: list[int], period_col: int | None, memo: PeriodMemo | None, meaning) -> None:
        self.values = itemgetter(*value_cols)
        self.single = len(value_cols) == 1
        self.period = itemgetter(period_col) if period_col is not None else None
        self.memo = memo
        self.meaning = meaning
        self.known: dict = {}  # key -> (counts key, n), every key met so far a plain figure
        self.pending: Counter = Counter()  # key -> rows counted, not yet added to the accumulator
        self.checked = 0  # the first this many keys of `pending` are known
        # A key met holding a number: a tick box (True/False) equals 1/0 as a key and would be counted
        # as the figure of a row that held one (the loop refuses it, naming its row), so from then on a
        # chunk's cells are looked over for one. A csv's cells are text: never.
        self.numbers = False
        # Told (counts key, index in the chunk) of each key met for the first time: where its count came from.
        self.first_met = None

    def loop_key(self, key) -> tuple:
        """The key the row-by-row loop makes of the same cells."""
        if self.period is None:
            return (key,) if self.single else key
        values, period = key
        return ((values,) if self.single else values) + (period,)

    def _keys(self, chunk: list):
        if self.period is None:
            return map(self.values, chunk)
        return zip(map(self.values, chunk), map(self.memo.__getitem__, map(self.period, chunk)))

    def count(self, chunk: list) -> bool:
        pending = self.pending
        try:
            pending.update(self._keys(chunk))  # the counting loop in C
        except (IndexError, TypeError):  # a short row (or an unhashable cell)
            self._uncount(chunk)
            return False
        # keys new to `pending` come last in it: only those can be new altogether
        known = self.known
        fresh = []
        for key in islice(reversed(pending), len(pending) - self.checked):
            if key not in known:
                loop_key = self.loop_key(key)
                meaning = self.meaning(loop_key)
                if meaning is None:
                    self._uncount(chunk)
                    return False
                known[key] = meaning
                fresh.append(key)
                self.numbers = self.numbers or holds_number(loop_key)
        if self.numbers and self._holds_bool(chunk):
            self._uncount(chunk)
            return False
        if fresh and self.first_met is not None:
            self._tell_first(chunk, fresh)
        self.checked = len(pending)
        return True

    def _tell_first(self, chunk: list, fresh: list) -> None:
        """Where each new key was first met in the chunk: one pass, only over chunks bringing a new key."""
        firsts: dict = {}
        for i, key in enumerate(self._keys(chunk)):
            if key not in firsts:
                firsts[key] = i
        for key in sorted(fresh, key=firsts.__getitem__):  # in the order of the rows: many keys, one count
            self.first_met(self.known[key][0], firsts[key])

    def _holds_bool(self, chunk: list) -> bool:
        values = map(self.values, chunk)
        return bool in set(map(type, values if self.single else chain.from_iterable(values)))

    def _uncount(self, chunk: list) -> None:
        """Take a chunk's rows back out (they were counted up to the first one that failed); the keys it
        brought drop out, leaving `pending` as it was."""
        pending = self.pending
        keys = self._keys(chunk)
        while True:
            try:
                key = next(keys)
                left = pending[key] - 1
            except (StopIteration, IndexError, TypeError):
                return
            if left:
                pending[key] = left
            else:
                del pending[key]

    def flush(self, counts: dict) -> tuple[int, int]:
        """Add the rows counted so far to ``counts``: (rows, their figures)."""
        rows = total = 0
        known = self.known
        for key, times in self.pending.items():
            k, n = known[key]
            counts[k] = counts.get(k, 0) + n * times
            rows += times
            total += n * times
        self.pending = Counter()
        self.checked = 0
        return rows, total

    def saw_blank(self) -> bool:
        return any(is_blank(v) for key in self.known for v in self.loop_key(key))


class PivotTally:
    """Pivot rows read a chunk at a time in C, for the pivots of tens of thousands of rows.

    A chunk's figures are pulled with ``itemgetter``, each distinct cell parsed once (as the row-by-row
    loop parses it) and the chunk turned into rows of counts in C. What each distinct row label (the
    label cells, a sex column, the period) means is worked out once, by the same steps as the loop with
    nothing said. A chunk is given back, to be read row by row (which names the row), when anything in
    it is not plain: a cell that is no count, a suppressed one or a tick box, a short row, a total row or
    a heading, notes, a label the loop would refuse or warn about. Whether the row's totals add up is for
    the caller."""

    PIECE = 32  # a chunk that is not all plain is tried again a piece of this many rows at a time

    def __init__(self, value_cols: list[int], label_cols: list[int], seen_counts: dict, meaning) -> None:
        self.values = itemgetter(*value_cols) if len(value_cols) > 1 else (lambda r, _c=value_cols[0]: (r[_c],))
        self.width = len(value_cols)
        self.labels = itemgetter(*label_cols) if len(label_cols) > 1 else (lambda r, _c=label_cols[0]: (r[_c],))
        self.seen_counts = seen_counts
        self.meaning = meaning  # (label cells, section sex) -> the row's label key, or None
        self.known: dict = {}  # label cells -> label key, under the section sex `known_under`
        self.known_under: str | None = None
        self.plain: dict = {}  # cell -> its count: cells the loop reads as a plain figure or a blank
        self.numbers = False  # a label in `known` holds a number: see LongTally.numbers

    def read(self, chunk: list, section_sex: str) -> tuple[list, list, bool] | None:
        """(label key of each row, counts of each row as tuples in `across` order, a blank cell among
        them), or None when the chunk has to be read row by row."""
        try:
            cells = list(chain.from_iterable(map(self.values, chunk)))
            labels = list(map(self.labels, chunk))
        except IndexError:  # a short row
            return None
        types = set(map(type, cells))
        if bool in types:  # True == 1 as a key; a tick box is not a count
            return None
        if self.known_under != section_sex:
            self.known.clear()
            self.known_under = section_sex
        try:  # cells and labels met before: a dict hit each, in C
            counts = list(map(self.plain.__getitem__, cells))
            keys = list(map(self.known.__getitem__, labels))
        except (KeyError, TypeError):  # something new (or an unhashable cell)
            if not (self._learn_cells(cells) and self._learn_labels(labels, section_sex)):
                return None
            try:
                counts = list(map(self.plain.__getitem__, cells))
                keys = list(map(self.known.__getitem__, labels))
            except KeyError:  # forgotten: a hostile file filled a memo with this chunk alone
                return None
        if self.numbers and bool in set(map(type, chain.from_iterable(labels))):
            return None  # a tick box: not the age 1 (or 0) it equals as a key
        rows = list(zip(*[iter(counts)] * self.width))
        blank = (str in types and "" in cells) or type(None) in types
        return keys, rows, blank

    def _learn_cells(self, cells: list) -> bool:
        """Each cell new to `plain` parsed as the loop parses it; False if one is not a plain figure."""
        plain = self.plain
        try:
            new = set(cells).difference(plain)
        except TypeError:
            return False
        for value in new:
            got = self.seen_counts.get(value, _MISS)
            if got is _MISS:
                try:
                    got = parse_count(value)
                except CountProblem:
                    return False
            if got[1]:  # suppressed
                return False
            if len(plain) >= 65536:  # a hostile file of distinct figures: start again
                plain.clear()
            plain[value] = got[0]
        return True

    def _learn_labels(self, labels: list, section_sex: str) -> bool:
        """What each label new to `known` means; False if the loop would do anything but count its row."""
        known = self.known
        try:
            new = set(labels).difference(known)
        except TypeError:
            return False
        for cells_of_label in new:
            key = self.meaning(cells_of_label, section_sex)
            if key is None:
                return False
            if len(known) >= 65536:
                known.clear()
            known[cells_of_label] = key
            self.numbers = self.numbers or holds_number(cells_of_label)
        return True
