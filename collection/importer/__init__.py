"""Pure-Python importer for FOI returns from police forces (no Django here).

Stages: ``read`` (magic bytes, calamine/csv, limits; ``documents`` for PDF, Word, HTML and text)
-> ``locate`` (find the header, recognise the layout) -> ``labels`` (ages, counts, sexes, header
words) -> ``long_tables`` or ``pivots`` (validate totals, ages, offences while streaming rows, into
the accumulator of ``figures``; chunks of plain rows counted by ``tally``) -> ``api`` (tidy rows).
"""
from ..periods import Period
from .api import import_return, sha256_of
from .catalogue import OffenceCatalogue, OffenceEntry, load_catalogue_csv
from .errors import ImportRefused
from .limits import ImportLimits
from .mapping import ColumnMapping
from .model import ImportResult, TidyRow

__all__ = [
    "ColumnMapping", "ImportLimits", "ImportRefused", "ImportResult", "OffenceCatalogue",
    "OffenceEntry", "Period", "TidyRow", "import_return", "load_catalogue_csv", "sha256_of",
]
