"""The national dataset: one row per force, offence, age (or band) and sex, streamed from the
database to csv, json or xlsx without holding it in memory.

`SPEC` (and `COLUMNS`, its names) is the one list of the dataset's columns: the live query, the
rows a snapshot stores (`reports.models.SnapshotRow` has a field of each name), every export and
README's table follow it. To add a column, add it here and to `SnapshotRow` (with a migration).

Rows come from one of two sources, each a single SQL query read through a cursor:

- `live(campaign_id)`: the campaign's counts as they stand: known counts summed per key in the
  database, each suppressed cell a row of its own (they cannot be added up), ordered by force
  name, offence code, age (unknown last), band, sex;
- `stored(snapshot_id)`: the rows a snapshot stored when it was compiled (`store`), in their order.

Formula escaping (see `reports/resources.py`) is done in the SQL, so every writer gets escaped
text. Writers: `csv_chunks` and `json_chunks` yield bytes (on PostgreSQL the database writes
the csv itself, through COPY, and each json object); `write_xlsx` writes a workbook in constant
memory (`reports/xlsx.py`).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from django.db import connections, router

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FETCH = 2000  # rows per round trip of a server-side cursor


@dataclass(frozen=True)
class Column:
    name: str
    live: str  # SQL over the live tables: c counts, f force, o offence code, r request
    kind: str  # "text", "int" or "bool"
    summed: bool = False


SPEC = (
    Column("force_id", "f.force_id", "text"),
    Column("force_name", "f.name", "text"),
    Column("ons_code", "f.ons_code", "text"),
    Column("offence_code", "o.code", "text"),
    Column("offence_description", "o.description", "text"),
    Column("offence_category", "o.category", "text"),
    Column("victim_age", "c.victim_age", "int"),
    Column("age_band", "c.age_band", "text"),
    Column("victim_sex", "c.victim_sex", "text"),
    Column("count", 'SUM(c."count")', "int", summed=True),
    Column("suppressed", "c.suppressed", "bool"),
    Column("outcome", "r.outcome", "text"),
)
COLUMNS = tuple(c.name for c in SPEC)
# Ties broken by the lowest count id, so the order is the same on every run and database.
LIVE_ORDER = ("f.name", "o.code", "c.victim_age IS NULL", "c.victim_age", "COALESCE(c.age_band_min, 0)",
              "c.age_band", "c.victim_sex", "c.suppressed", "MIN(c.id)")


def escape_formula(value):
    """'=1+2' -> "'=1+2"; numbers, booleans and None untouched (the SQL below does the same)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _connection():
    from collection.models import OffenceCount

    return connections[router.db_for_read(OffenceCount)]


def _tables(connection) -> dict[str, str]:
    from collection.models import FoiRequest, Force, OffenceCode, OffenceCount

    from .models import SnapshotRow

    q = connection.ops.quote_name
    return {"counts": q(OffenceCount._meta.db_table), "force": q(Force._meta.db_table),
            "code": q(OffenceCode._meta.db_table), "request": q(FoiRequest._meta.db_table),
            "rows": q(SnapshotRow._meta.db_table)}


def _escaped(sql: str, vendor: str) -> str:
    chr_ = "CHR" if vendor == "postgresql" else "CHAR"
    return (f"CASE WHEN SUBSTR({sql}, 1, 1) IN ('=', '+', '-', '@', {chr_}(9), {chr_}(13)) "
            f"THEN '''' || {sql} ELSE {sql} END")


@dataclass(frozen=True)
class Source:
    """Where the rows come from: everything but the SELECT list, and how to name each column."""

    exprs: tuple[str, ...]  # one SQL expression per column of SPEC
    tail: str  # FROM ... ORDER BY ...
    params: tuple
    connection: object

    def select(self, flavour: str = "values") -> str:
        vendor = self.connection.vendor
        q = self.connection.ops.quote_name
        parts = []
        for col, sql in zip(SPEC, self.exprs):
            value = _escaped(sql, vendor) if col.kind == "text" else sql
            if flavour == "csv":  # what COPY prints as Python's csv writer would
                value = {"text": f"NULLIF({value}, '')",
                         "bool": f"CASE WHEN {sql} THEN 'True' WHEN NOT {sql} THEN 'False' END"}.get(col.kind, value)
            parts.append(value if flavour == "json" else f"{value} AS {q(col.name)}")
        if flavour == "json":
            pairs = ", ".join(f"'{col.name}', {value}" for col, value in zip(SPEC, parts))
            return f"SELECT json_build_object({pairs})::text {self.tail}"
        return f"SELECT {', '.join(parts)} {self.tail}"


def live(campaign_id: int) -> Source:
    connection = _connection()
    t = _tables(connection)
    group = [c.live for c in SPEC if not c.summed] + ["c.age_band_min", "CASE WHEN c.suppressed THEN c.id END"]
    tail = (f"FROM {t['counts']} c JOIN {t['force']} f ON f.id = c.force_id "
            f"JOIN {t['code']} o ON o.id = c.offence_id JOIN {t['request']} r ON r.id = c.request_id "
            f"WHERE c.campaign_id = %s GROUP BY {', '.join(group)} ORDER BY {', '.join(LIVE_ORDER)}")
    return Source(tuple(c.live for c in SPEC), tail, (int(campaign_id),), connection)


def stored(snapshot_id: int) -> Source:
    connection = _connection()
    t = _tables(connection)
    q = connection.ops.quote_name
    tail = f"FROM {t['rows']} s WHERE s.snapshot_id = %s ORDER BY s.position"
    return Source(tuple(f"s.{q(c.name)}" for c in SPEC), tail, (int(snapshot_id),), connection)


def store(snapshot_id: int, campaign_id: int) -> int:
    """Copy the campaign's live dataset into a snapshot's rows, in one INSERT ... SELECT."""
    connection = _connection()
    t = _tables(connection)
    q = connection.ops.quote_name
    source = live(campaign_id)
    order = ", ".join(LIVE_ORDER)
    names = ", ".join(q(c.name) for c in SPEC)
    sql = (f"INSERT INTO {t['rows']} (snapshot_id, position, {names}) "
           f"SELECT %s, ROW_NUMBER() OVER (ORDER BY {order}), {', '.join(source.exprs)} {source.tail}")
    with connection.cursor() as cursor:
        cursor.execute(sql, (int(snapshot_id), *source.params))
        return cursor.rowcount


# --- reading rows -------------------------------------------------------------------------------

def rows(source: Source) -> Iterator[tuple]:
    """The rows, escaped and typed, through a server-side cursor on PostgreSQL."""
    with source.connection.chunked_cursor() as cursor:
        cursor.execute(source.select(), source.params)
        while batch := cursor.fetchmany(FETCH):
            yield from batch


def _dicts(source: Source) -> Iterator[dict]:
    for row in rows(source):
        yield dict(zip(COLUMNS, row))


# --- csv ----------------------------------------------------------------------------------------

_NEEDS_QUOTES = re.compile(r'[",\r\n]').search


def _csv_text(value) -> str:
    if not value:
        return ""
    if _NEEDS_QUOTES(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _csv_line(row: tuple, formatters) -> str:
    return ",".join([f(v) for f, v in zip(formatters, row)]) + "\n"


_CSV_FORMAT = {"text": _csv_text, "int": lambda v: "" if v is None else str(v),
               "bool": lambda v: "" if v is None else ("True" if v else "False")}


def csv_chunks(source: Source, native: bool | None = None) -> Iterator[bytes]:
    """RFC 4180 csv with "\\n" line ends, a header of COLUMNS, UTF-8 without a BOM; NULL and empty
    text as an empty field, booleans True/False. PostgreSQL writes it (COPY); elsewhere Python,
    byte for byte the same (native=False asks for Python's on PostgreSQL too: tests compare)."""
    if native is None:
        native = source.connection.vendor == "postgresql"
    if native:
        sql = source.select("csv")
        with source.connection.cursor() as cursor:
            literal = sql.replace("%s", "{}").format(*(int(p) for p in source.params))
            with cursor.copy(f"COPY ({literal}) TO STDOUT (FORMAT csv, HEADER)") as copy:
                for chunk in copy:
                    yield bytes(chunk)
        return
    formatters = [_CSV_FORMAT[c.kind] for c in SPEC]
    yield (",".join(_csv_text(c) for c in COLUMNS) + "\n").encode("utf-8")
    batch = []
    for row in rows(source):
        batch.append(_csv_line(row, formatters))
        if len(batch) >= FETCH:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


# --- json ---------------------------------------------------------------------------------------

def _json_objects(source: Source, native: bool | None = None) -> Iterator[str]:
    if native is None:
        native = source.connection.vendor == "postgresql"
    if native:
        with source.connection.chunked_cursor() as cursor:
            cursor.execute(source.select("json"), source.params)
            while batch := cursor.fetchmany(FETCH):
                yield from (text for (text,) in batch)
        return
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for row in rows(source):
        yield dumps(dict(zip(COLUMNS, row)))


def json_chunks(source: Source, native: bool | None = None) -> Iterator[bytes]:
    """A JSON list of objects, one per row, keys in COLUMNS order, numbers and booleans typed (on
    PostgreSQL the database writes each object)."""
    batch = []
    first = True
    for text in _json_objects(source, native):
        batch.append(text)
        if len(batch) >= FETCH:
            yield (("[\n" if first else ",\n") + ",\n".join(batch)).encode("utf-8")
            first, batch = False, []
    if batch:
        yield (("[\n" if first else ",\n") + ",\n".join(batch)).encode("utf-8")
        first = False
    yield b"[]\n" if first else b"\n]\n"


# --- checksum and counting -------------------------------------------------------------------------

class CsvRowCounter:
    """Counts the records of csv bytes fed in pieces: a line end inside a quoted field (an odd
    number of quotes so far) is not one."""

    def __init__(self):
        self.lines = 0
        self.odd = False

    def feed(self, chunk: bytes) -> None:
        pieces = chunk.split(b"\n")
        for piece in pieces[:-1]:
            self.odd ^= bool(piece.count(b'"') & 1)
            self.lines += not self.odd
        self.odd ^= bool(pieces[-1].count(b'"') & 1)

    @property
    def rows(self) -> int:
        return max(self.lines - 1, 0)  # the header


def csv_sha256(source: Source) -> tuple[str, int]:
    """SHA-256 of the csv export of these rows (what `sha256sum` of the downloaded csv gives), and
    the number of rows."""
    digest, counter = hashlib.sha256(), CsvRowCounter()
    for chunk in csv_chunks(source):
        digest.update(chunk)
        counter.feed(chunk)
    return digest.hexdigest(), counter.rows


def counted(chunks: Iterable[bytes], fmt: str, into: list) -> Iterator[bytes]:
    """Pass the chunks of a csv or json export through; when they end, `into` holds the row count
    and the SHA-256 of the bytes."""
    digest, counter, newlines = hashlib.sha256(), CsvRowCounter(), 0
    for chunk in chunks:
        digest.update(chunk)
        if fmt == "csv":
            counter.feed(chunk)
        else:
            newlines += chunk.count(b"\n")
        yield chunk
    # json: "[\n" + one object a line, joined by ",\n" + "\n]\n"; no raw line end inside an object.
    into[:] = [counter.rows if fmt == "csv" else max(newlines - 2, 0), digest.hexdigest()]
