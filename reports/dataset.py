"""The national dataset: one row per force, offence, age (or band) and sex, streamed from the
database to csv, json or xlsx without holding it in memory.

`SPEC` (and `COLUMNS`, its names) is the one list of the dataset's columns: the live query, the
rows a snapshot stores (`reports.models.SnapshotRow` has a field of each name), every export and
README's table follow it. To add a column, add it here and to `SnapshotRow` (with a migration).

Rows come from one of two sources, each a single SQL query read through a cursor:

- `live(campaign_id)`: the campaign's counts as they stand: known counts summed per key in the
  database, each suppressed cell a row of its own (they cannot be added up), ordered by period
  (earliest first: a campaign may ask about an earlier period again), force name, offence code,
  age (unknown last), band, sex;
- `stored(snapshot_id)`: the rows a snapshot stored when it was compiled (`store`), in their order;
  on PostgreSQL each with its json object, written then (`SnapshotRow.json_object`).

Formula escaping (see `reports/resources.py`) is done in the SQL, so every writer gets escaped
text. Writers: `csv_chunks` and `json_chunks` yield bytes (on PostgreSQL the database writes
the csv itself, through COPY, and each json object); `write_xlsx` writes a workbook in constant
memory (`reports/xlsx.py`).
"""
from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

from django.db import connections, router

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FETCH = 2000  # rows per round trip of a server-side cursor


@dataclass(frozen=True)
class Column:
    name: str
    live: str  # SQL over the live query's tables: c counts, p period, f force, o offence code, r request
    kind: str  # "text", "int" or "bool"
    summed: bool = False


SPEC = (
    Column("period", "p.label", "text"),
    Column("force_id", "f.force_id", "text"),
    Column("force_name", "f.name", "text"),
    Column("ons_code", "f.ons_code", "text"),
    Column("offence_code", "o.code", "text"),
    Column("offence_description", "o.description", "text"),
    Column("offence_category", "o.category", "text"),
    Column("victim_age", "c.victim_age", "int"),
    Column("age_band", "c.age_band", "text"),
    Column("victim_sex", "c.victim_sex", "text"),
    Column("count", 'c."count"', "int", summed=True),
    Column("suppressed", "c.suppressed", "bool"),
    Column("outcome", "r.outcome", "text"),
    # Where the figure was read: "sha256:<the returned file's checksum> <sheet, row and column>"
    # (`OffenceCount.source_place`), or "entered by hand". The smallest when a row sums several.
    Column("source", "CASE WHEN rf.sha256 IS NULL THEN 'entered by hand' ELSE 'sha256:' || rf.sha256 || "
                     "CASE WHEN c.source_place <> '' THEN ' ' || c.source_place ELSE '' END END", "text", summed=True),
)
COLUMNS = tuple(c.name for c in SPEC)
# Period (earliest first), force name, offence code, age (unknown last), band, sex; each
# suppressed cell apart (by id). Text sorts by the database's collation.
ORDER = ("p.first_day", "f.name", "o.code", "c.victim_age NULLS LAST", "c.age_band_min NULLS FIRST", "c.age_band", "c.victim_sex",
         "c.suppressed", "c.cell", "f.force_id")
# The counts are grouped first on their own narrow keys (ids, ages, the band, sex), the names
# joined to the groups after: grouping a million counts on the wide joined rows (names,
# descriptions) made PostgreSQL sort them on disk, the final compile's cost.
GROUP = ("c.period_id", "c.force_id", "c.offence_id", "c.request_id", "c.victim_age", "c.age_band_min", "c.age_band",
         "c.victim_sex", "c.suppressed", "CASE WHEN c.suppressed THEN c.id END")
# A suppressed cell is a group of its own: its mark is the cell's (the known counts' is NULL,
# skipped by MIN without a comparison).
GROUPED = (f"SELECT {', '.join(GROUP[:-1])}, {GROUP[-1]} AS cell, SUM(c.\"count\") AS \"count\", "
           "MIN(c.returned_file_id) AS returned_file_id, MIN(c.source_place) AS source_place, "
           "MIN(CASE WHEN c.suppressed THEN c.suppressed_label END) AS suppressed_label "
           "FROM {counts} c WHERE c.campaign_id = %s GROUP BY " + ", ".join(GROUP))
# The store numbers the groups before the names are joined: ORDER on the groups with each force's
# and offence code's rank among all of them (a few dozen rows, ranked in the database's collation)
# for its name, code and id, so that the 50,000 groups of a million counts sort on integers, and
# narrow, not on text compared in the collation in the wide rows of every joined name.
RANKED = {"f.name": "fn.name_rank", "o.code": "oc.code_rank", "f.force_id": "fn.force_rank"}
POSITIONED = ("SELECT c.*, ROW_NUMBER() OVER (ORDER BY {order}) AS position FROM ({grouped}) c "
              "JOIN {period} p ON p.id = c.period_id "
              "JOIN (SELECT id, RANK() OVER (ORDER BY name) AS name_rank, ROW_NUMBER() OVER (ORDER BY name, force_id) "
              "AS force_rank FROM {force}) fn ON fn.id = c.force_id "
              "JOIN (SELECT id, RANK() OVER (ORDER BY code) AS code_rank FROM {code}) oc ON oc.id = c.offence_id")
# Memory for the store's statement on PostgreSQL: grouping a million counts into 50,000 groups
# takes about 25 MB of hash table, which at the default work_mem (4 MB) spills to disk in 65 batches.
STORE_WORK_MEM = "64MB"


def escape_formula(value):
    """'=1+2' -> "'=1+2"; numbers, booleans and None untouched (the SQL below does the same)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _connection():
    from collection.returns.models import OffenceCount

    return connections[router.db_for_read(OffenceCount)]


def _tables(connection) -> dict[str, str]:
    from collection.forces.models import Force, OffenceCode
    from collection.requests.models import CampaignPeriod, FoiRequest
    from collection.returns.models import OffenceCount

    from .models import SnapshotRow

    q = connection.ops.quote_name
    from collection.returns.models import ReturnedFile

    return {"counts": q(OffenceCount._meta.db_table), "force": q(Force._meta.db_table),
            "file": q(ReturnedFile._meta.db_table),
            "period": q(CampaignPeriod._meta.db_table),
            "code": q(OffenceCode._meta.db_table), "request": q(FoiRequest._meta.db_table),
            "rows": q(SnapshotRow._meta.db_table)}


# The code points of FORMULA_TRIGGERS: testing the first character's code costs half of comparing
# its first character as text.
_TRIGGER_CODES = ", ".join(str(ord(c)) for c in FORMULA_TRIGGERS)


def _escaped(sql: str, vendor: str) -> str:
    first = "ASCII" if vendor == "postgresql" else "UNICODE"  # both: the first character's code point
    return f"CASE WHEN {first}({sql}) IN ({_TRIGGER_CODES}) THEN '''' || {sql} ELSE {sql} END"


@dataclass(frozen=True)
class Source:
    """Where the rows come from: everything but the SELECT list, and how to name each column."""

    exprs: tuple[str, ...]  # one SQL expression per column of SPEC
    tail: str  # FROM ... ORDER BY ...
    params: tuple
    connection: object
    json_column: str | None = None  # where the rows keep their JSON object, if they do

    def select(self, flavour: str = "values") -> str:
        """The query: "values" (typed, escaped), "csv" (text as COPY should print it) or "json"
        (one compact JSON object a row, keys in COLUMNS order)."""
        vendor = self.connection.vendor
        q = self.connection.ops.quote_name
        if flavour == "json":
            if self.json_column:
                # A snapshot's rows hold their JSON, written when compiled; rows stored before
                # that was kept (NULL) are written out here.
                objects = f"COALESCE({self.json_column}, {json_object(self.exprs, self.connection)})"
                return f"SELECT {objects} {self.tail}"
            # The rows keep the inner query's order.
            raw = ", ".join(f"{sql} AS {q(col.name)}" for col, sql in zip(SPEC, self.exprs))
            refs = tuple(f"d.{q(col.name)}" for col in SPEC)
            return f"SELECT {json_object(refs, self.connection)} FROM (SELECT {raw} {self.tail}) d"
        parts = []
        for col, sql in zip(SPEC, self.exprs):
            value = _escaped(sql, vendor) if col.kind == "text" else sql
            if flavour == "csv":  # what COPY prints as Python's csv writer would
                value = {"text": f"NULLIF({value}, '')",
                         "bool": f"CASE WHEN {sql} THEN 'True' WHEN NOT {sql} THEN 'False' END"}.get(col.kind, value)
            parts.append(f"{value} AS {q(col.name)}")
        return f"SELECT {', '.join(parts)} {self.tail}"


def json_object(refs: tuple[str, ...], connection) -> str:
    """SQL (PostgreSQL) for one row's compact JSON object, keys in COLUMNS order, text escaped for
    formulas; `refs` names each column's raw value, simple column references (each is read more
    than once). Written out by concatenation (to_json escapes the text): a quarter faster than
    row_to_json, half json_build_object's time; byte for byte Python's writer."""
    return f"'{{' || {_json_pairs(SPEC, refs, connection)} || '}}'"


def _json_pairs(columns, refs, connection) -> str:
    """SQL of the `"name":value` pairs of these columns, comma-separated, as `json_object` writes them."""
    def value(col, ref):
        return {"text": f"to_json({_escaped(ref, connection.vendor)})::text",
                "int": f"COALESCE({ref}::text, 'null')",
                "bool": f"CASE WHEN {ref} THEN 'true' WHEN NOT {ref} THEN 'false' ELSE 'null' END"}[col.kind]
    return " || ',' || ".join(f"'{json.dumps(col.name)}:' || {value(col, ref)}" for col, ref in zip(columns, refs))


# The store writes each row's JSON object in pieces: the pairs of the columns a joined table gives
# (the period's, the force's, the offence code's, the request's: a few dozen rows) once per row of
# that table, and only the row's own per row; escaping text for JSON was most of the store's
# writing of the objects.
_TABLE_COLUMN = re.compile(r"([pfor])\.\w+")


def _json_runs() -> list[tuple[str | None, tuple[Column, ...]]]:
    """SPEC in runs of consecutive columns that one joined table gives (its alias), or the row (None)."""
    runs: list[tuple[str | None, tuple[Column, ...]]] = []
    for col in SPEC:
        found = _TABLE_COLUMN.fullmatch(col.live)
        alias = found.group(1) if found else None
        if runs and runs[-1][0] == alias:
            runs[-1] = (alias, (*runs[-1][1], col))
        else:
            runs.append((alias, (col,)))
    return runs


def live(campaign_id: int) -> Source:
    connection = _connection()
    t = _tables(connection)
    tail = f"{_named(GROUPED.format(counts=t['counts']), t)} ORDER BY {', '.join(ORDER)}"
    return Source(tuple(c.live for c in SPEC), tail, (int(campaign_id),), connection)


def _named(groups: str, t: dict[str, str], extra: dict[str, str] | None = None) -> str:
    """FROM the groups (`GROUPED`, as c) with the names of their ids joined; `extra` adds columns
    (SQL over the table's own) to a joined table, by its alias, worked out once per row of that
    table (OFFSET 0 keeps PostgreSQL from merging the subquery into the join, which would work
    them out again for every row joined)."""
    def table(alias, name):
        if not extra or alias not in extra:
            return t[name]
        return f"(SELECT {alias}.*, {extra[alias]} FROM {t[name]} {alias} OFFSET 0)"
    return (f"FROM ({groups}) c JOIN {table('p', 'period')} p ON p.id = c.period_id "
            f"JOIN {table('f', 'force')} f ON f.id = c.force_id JOIN {table('o', 'code')} o ON o.id = c.offence_id "
            f"JOIN {table('r', 'request')} r ON r.id = c.request_id LEFT JOIN {t['file']} rf ON rf.id = c.returned_file_id")


def stored(snapshot_id: int) -> Source:
    connection = _connection()
    t = _tables(connection)
    q = connection.ops.quote_name
    tail = f"FROM {t['rows']} s WHERE s.snapshot_id = %s ORDER BY s.position"
    return Source(tuple(f"s.{q(c.name)}" for c in SPEC), tail, (int(snapshot_id),), connection,
                  json_column=f"s.{q('json_object')}" if connection.vendor == "postgresql" else None)


def store(snapshot_id: int, campaign_id: int) -> int:
    """Copy the campaign's live dataset into a snapshot's rows, in one INSERT ... SELECT, each
    suppressed cell's row with its mark. On PostgreSQL each row keeps its JSON object too, so that
    a json export of the snapshot is a read of one column (SQLite's exports are written by Python
    and leave it empty)."""
    connection = _connection()
    t = _tables(connection)
    q = connection.ops.quote_name
    source = live(campaign_id)
    positioned = POSITIONED.format(order=", ".join(RANKED.get(key, key) for key in ORDER),
                                   grouped=GROUPED.format(counts=t["counts"]), **t)
    names = [q(c.name) for c in SPEC] + [q("suppressed_label")]
    exprs = [*source.exprs, "COALESCE(c.suppressed_label, '')"]
    columns, values = ["snapshot_id", "position", *names], ["%s", "d.position", *(f"d.{name}" for name in names)]
    pieces, extra = [], {}
    if connection.vendor == "postgresql":
        for i, (alias, cols) in enumerate(_json_runs()):
            refs = tuple(f"{'d' if alias is None else alias}.{q(c.name if alias is None else c.live[2:])}"
                         for c in cols)
            if alias is None:
                pieces.append(_json_pairs(cols, refs, connection))
                continue
            extra[alias] = ", ".join(filter(None, [extra.get(alias), f"{_json_pairs(cols, refs, connection)} AS json_{i}"]))
            exprs.append(f"{alias}.json_{i}")
            names.append(f"json_{i}")
            pieces.append(f"d.json_{i}")
        columns.append(q("json_object"))
        values.append("'{' || " + " || ',' || ".join(pieces) + " || '}'")
    rows = (f"SELECT c.position, {', '.join(f'{sql} AS {name}' for sql, name in zip(exprs, names))} "
            f"{_named(positioned, t, extra)}")
    sql = f"INSERT INTO {t['rows']} ({', '.join(columns)}) SELECT {', '.join(values)} FROM ({rows}) d"
    with connection.cursor() as cursor, _store_settings(cursor, connection.vendor):
        cursor.execute(sql, (int(snapshot_id), *source.params))
        return cursor.rowcount


@contextmanager
def _store_settings(cursor, vendor: str):
    """On PostgreSQL, for one statement (the store's, the checksum's read): work_mem enough to
    group the counts and sort the rows in memory, and no JIT compiling (its estimate of a million
    groups buys 50 ms of compiling for nothing); each put back after, for the rest of the
    transaction (on an error, rolling the transaction or its savepoint back puts them back)."""
    if vendor != "postgresql":
        yield
        return
    cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
    work_mem, jit = cursor.fetchone()
    cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [STORE_WORK_MEM])
    yield
    cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)", [work_mem, jit])


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
            with cursor.copy(f"COPY ({_literal(source, sql)}) TO STDOUT (FORMAT csv, HEADER)") as copy:
                yield from _batched(copy)
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

PIECE = 1 << 16  # bytes: COPY's rows are passed on in pieces of about this size


def _batched(copy) -> Iterator[bytes]:
    """COPY hands over a row at a time: pass it on in pieces of about PIECE bytes."""
    size = PIECE
    batch, n = [], 0
    for chunk in copy:
        batch.append(chunk)
        n += len(chunk)
        if n >= size:
            yield b"".join(batch)
            batch, n = [], 0
    if batch:
        yield b"".join(batch)


def _literal(source: Source, sql: str) -> str:
    """COPY takes no parameters: the ids (integers) written in."""
    parts = sql.split("%s")
    assert len(parts) == len(source.params) + 1
    return "".join(part + (str(int(p)) if i < len(source.params) else "")
                   for i, (part, p) in enumerate(zip(parts, [*source.params, None])))


def _native_json(source: Source) -> Iterator[bytes]:
    """PostgreSQL writes every object; COPY in csv format with a quote and a delimiter that JSON
    text never holds raw (control characters are escaped in JSON) prints each object as it is,
    one a line."""
    sql = _literal(source, source.select("json"))
    with source.connection.cursor() as cursor:
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')") as copy:
            held = b""
            for chunk in _batched(copy):
                if held:
                    yield held
                held = chunk.replace(b"\n", b",\n")
            if held:
                yield held[:-2]  # the last object's ",\n"


def json_chunks(source: Source, native: bool | None = None) -> Iterator[bytes]:
    """A JSON list of objects, one a line, keys in COLUMNS order, numbers and booleans typed, compact
    (no spaces), UTF-8. On PostgreSQL the database writes each object."""
    if native is None:
        native = source.connection.vendor == "postgresql"
    if native:
        body = _native_json(source)
    else:
        def body():
            dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            batch = []
            for row in rows(source):
                batch.append(dumps(dict(zip(COLUMNS, row))))
                if len(batch) >= FETCH:
                    yield ",\n".join(batch).encode("utf-8")
                    batch = []
                    yield b",\n"
            if batch:
                yield ",\n".join(batch).encode("utf-8")
        body = body()
    first = True
    pending = b""
    for chunk in body:
        if first:
            yield b"[\n"
            first = False
        if pending:
            yield pending
        pending = chunk
    if first:
        yield b"[]\n"
        return
    yield pending.removesuffix(b",\n") + b"\n]\n"


# --- checksum and counting -------------------------------------------------------------------------

class CsvRowCounter:
    """Counts the records of csv bytes fed in pieces: a line end inside a quoted field (an odd
    number of quotes so far) is not one."""

    def __init__(self):
        self.lines = 0
        self.odd = False

    def feed(self, chunk: bytes) -> None:
        if not self.odd and b'"' not in chunk:  # no quoted field: every line end is a record's
            self.lines += chunk.count(b"\n")
            return
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
    # The memory of the store's statement for this read too: a snapshot's 50,000 rows, read in
    # their order, sort on disk at the default work_mem.
    with source.connection.cursor() as cursor, _store_settings(cursor, source.connection.vendor):
        for chunk in csv_chunks(source):
            digest.update(chunk)
            counter.feed(chunk)
    return digest.hexdigest(), counter.rows


def counted(chunks: Iterable[bytes], fmt: str, into: list, checksum: bool = True) -> Iterator[bytes]:
    """Pass the chunks of a csv or json export through; when they end, `into` holds the row count
    and the SHA-256 of the bytes (None unless `checksum`)."""
    digest, counter, newlines = hashlib.sha256() if checksum else None, CsvRowCounter(), 0
    for chunk in chunks:
        if digest is not None:
            digest.update(chunk)
        if fmt == "csv":
            counter.feed(chunk)
        else:
            newlines += chunk.count(b"\n")
        yield chunk
    # json: "[\n" + one object a line, joined by ",\n" + "\n]\n"; no raw line end inside an object.
    into[:] = [counter.rows if fmt == "csv" else max(newlines - 2, 0), digest.hexdigest() if digest else None]
