"""Subtotals of the counts (`reports.models.CountSubtotal`), kept by a PostgreSQL trigger.

Summing a campaign's million counts once per breakdown (by age, by offence, by force, by sex,
the suppressed cells) took ~0.7 s at every first view after a change; a bare COUNT(*) of them alone
takes ~0.15 s on two cores, so no plan over the counts could make the page's 200 ms. The
subtotals per force and period are a few thousand rows for a million counts, and the figures
are summed from them (`reports.queries.breakdowns`).

They are a second truth and must never drift from the counts, so no Python keeps them: one
statement-level trigger on the counts, with transition tables like the figures' change log
(`reports/triggers.py`), adds each statement's counts (INSERT), takes them away (DELETE) or both
(UPDATE), in the statement itself: whatever writes counts (an import, a bulk insert, COPY, the
admin, the shell, a cascade), the subtotals change in the same transaction, and roll back with it.
A TRUNCATE of the counts (which has no transition table) empties them.

The same statement folds the touched forces' rows into one per key (deleting them and inserting
their sums, dropping keys with no count left), so the table stays small. Writers of one force's
counts in one campaign take turns (a transaction-long advisory lock per campaign and force,
taken in order; an import locks its request already, so imports wait no more than before);
writers of different forces never wait on each other. Readers sum the rows of a key anyway.

SQLite has no statement-level triggers, and a row-level one would cost an upsert per count on
every import: there the figures are summed from the counts, as before (embedded use has small
campaigns).

Installed by the migration that makes the table (with the rows for the counts already there,
the counts locked meanwhile) and again after every `migrate` (`install`), like the change log's.
"""
from __future__ import annotations

TABLE = "reports_countsubtotal"
COUNTS = "collection_offencecount"
FUNCTION = "reports_count_subtotals"
TRIGGERS = {event: f"reports_subtotals_{event.lower()}" for event in ("INSERT", "UPDATE", "DELETE")}
EMPTIED = f"{FUNCTION}_emptied"  # TRUNCATE of the counts (no transition table): no subtotal is left
EMPTIED_TRIGGER = "reports_subtotals_truncate"

KEY = ("campaign_id", "period_id", "force_id", "breakdown", "offence_id", "victim_age", "age_band", "age_band_min",
       "age_band_max", "suppressed_label", "victim_sex")
SUMS = ("total", "cells", "suppressed_cells")
# What a count adds to the subtotals, read from the counts or a trigger's transition table.
COUNT_COLUMNS = ("campaign_id", "period_id", "force_id", "offence_id", "victim_age", "age_band", "age_band_min",
                 "age_band_max", "suppressed_label", "victim_sex", "count", "suppressed")


def kept(connection) -> bool:
    """Whether this database keeps the subtotals (else the figures are summed from the counts)."""
    return connection.vendor == "postgresql"


def _signed(source: str, sign: int) -> str:
    return f"SELECT {', '.join(COUNT_COLUMNS)}, {sign} AS sign FROM {source}"


def _grouped(changed: str) -> str:
    """The counts in `changed` (a relation of COUNT_COLUMNS and sign: +1 for a count added, -1 for
    one taken away) summed per cell key: the one pass over the counts themselves."""
    return (f"SELECT campaign_id, period_id, force_id, offence_id, victim_age, age_band, age_band_min, age_band_max, "
            f"suppressed, suppressed_label, victim_sex, SUM(sign * COALESCE(count, 0)) AS total, SUM(sign) AS cells "
            f"FROM ({changed}) c GROUP BY campaign_id, period_id, force_id, offence_id, victim_age, age_band, "
            f"age_band_min, age_band_max, suppressed, suppressed_label, victim_sex")


def _contributions(grouped: str) -> str:
    """Each breakdown's rows from `grouped` (`_grouped`): each count adds its cell (and its count,
    0 when suppressed) to its age, its offence, its victim's sex (with its label, suppressed: what
    it allows by sex is read from it) and, suppressed, its label."""
    suppressed = "CASE WHEN suppressed THEN cells ELSE 0 END"
    return (f"SELECT campaign_id, period_id, force_id, 'age'::varchar, NULL::bigint, victim_age::smallint, age_band, "
            f"age_band_min::smallint, age_band_max::smallint, ''::varchar, ''::varchar, total, cells, {suppressed} "
            f"FROM {grouped} "
            f"UNION ALL SELECT campaign_id, period_id, force_id, 'offence', offence_id, NULL, '', NULL, NULL, '', '', "
            f"total, cells, {suppressed} FROM {grouped} "
            f"UNION ALL SELECT campaign_id, period_id, force_id, 'sex', NULL, NULL, '', NULL, NULL, "
            f"CASE WHEN suppressed THEN suppressed_label ELSE '' END, victim_sex, total, cells, {suppressed} "
            f"FROM {grouped} "
            f"UNION ALL SELECT campaign_id, period_id, force_id, 'suppressed', NULL, NULL, '', NULL, NULL, "
            f"suppressed_label, '', 0, cells, cells FROM {grouped} WHERE suppressed")


def _summed(rows: str) -> str:
    key = ", ".join(KEY)
    return (f"SELECT {key}, SUM(total), SUM(cells), SUM(suppressed_cells) FROM ({rows}) AS r ({key}, {', '.join(SUMS)}) "
            f"GROUP BY {key} HAVING SUM(cells) <> 0")


def _from_counts(changed: str) -> str:
    """The subtotals of the counts in `changed`."""
    return f"WITH g AS MATERIALIZED ({_grouped(changed)}) " + _summed(_contributions("g"))


def _apply(changed: str) -> str:
    """Fold the changed counts into the subtotals of the forces they touch, in one statement."""
    columns = ", ".join((*KEY, *SUMS))
    return (f"WITH g AS MATERIALIZED ({_grouped(changed)}), "
            f"touched AS (SELECT DISTINCT campaign_id, force_id FROM g), "
            f"folded AS (DELETE FROM {TABLE} s USING touched t WHERE s.campaign_id = t.campaign_id "
            f"AND s.force_id = t.force_id RETURNING {', '.join('s.' + c for c in (*KEY, *SUMS))}) "
            f"INSERT INTO {TABLE} ({columns}) "
            + _summed(f"SELECT {columns} FROM folded UNION ALL {_contributions('g')}"))


def _lock(changed: str) -> str:
    """Wait for any other transaction writing the same forces' counts of the same campaigns to end:
    one at a time per force, each force in the same order, so that each fold sees the others'
    rows committed and none is left holding a row another waits on (two folds of one force, each
    in a transaction with more than one statement, deadlocked without it)."""
    return (f"PERFORM pg_advisory_xact_lock(hashtext('{FUNCTION}'), hashtext(campaign_id || '.' || force_id)) "
            f"FROM (SELECT DISTINCT campaign_id, force_id FROM ({changed}) c ORDER BY campaign_id, force_id) t")


def function_sql() -> str:
    new, old = _signed("changed_new", 1), _signed("changed_old", -1)
    both = f"{new} UNION ALL {old}"
    # Each statement of a VOLATILE function takes a new snapshot: the fold sees what committed
    # while its lock was awaited.
    return (f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$\nBEGIN\n"
            f"  IF TG_OP = 'INSERT' THEN\n    {_lock(new)};\n    {_apply(new)};\n"
            f"  ELSIF TG_OP = 'DELETE' THEN\n    {_lock(old)};\n    {_apply(old)};\n"
            f"  ELSE\n    {_lock(both)};\n    {_apply(both)};\n"
            f"  END IF;\n  RETURN NULL;\nEND\n$$;")


def statements() -> list[str]:
    """The function and its three triggers (PostgreSQL); run in one transaction, so that no write
    to the counts falls between dropping a trigger and making it again."""
    out = [function_sql()]
    for event, name in TRIGGERS.items():
        transition = {"INSERT": "NEW TABLE AS changed_new", "DELETE": "OLD TABLE AS changed_old",
                      "UPDATE": "NEW TABLE AS changed_new OLD TABLE AS changed_old"}[event]
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {COUNTS}")
        out.append(f"CREATE TRIGGER {name} AFTER {event} ON {COUNTS} REFERENCING {transition} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")
    out.append(f"CREATE OR REPLACE FUNCTION {EMPTIED}() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$\n"
               f"BEGIN\n  DELETE FROM {TABLE};\n  RETURN NULL;\nEND\n$$;")
    out.append(f"DROP TRIGGER IF EXISTS {EMPTIED_TRIGGER} ON {COUNTS}")
    out.append(f"CREATE TRIGGER {EMPTIED_TRIGGER} AFTER TRUNCATE ON {COUNTS} FOR EACH STATEMENT EXECUTE FUNCTION {EMPTIED}()")
    return out


def drop_statements() -> list[str]:
    return [*(f"DROP TRIGGER IF EXISTS {name} ON {COUNTS}" for name in (*TRIGGERS.values(), EMPTIED_TRIGGER)),
            f"DROP FUNCTION IF EXISTS {FUNCTION}()", f"DROP FUNCTION IF EXISTS {EMPTIED}()"]


def _where(campaign_id) -> tuple[str, list]:
    return ("WHERE campaign_id = %s", [campaign_id]) if campaign_id is not None else ("", [])


def rebuild(cursor, campaign_id: int | None = None) -> None:
    """Make the subtotals (of one campaign, or all) again from the counts. Call it inside a
    transaction: the counts are locked against writes until it ends."""
    where, params = _where(campaign_id)
    cursor.execute(f"LOCK TABLE {COUNTS} IN SHARE MODE")
    cursor.execute(f"DELETE FROM {TABLE} {where}", params)
    cursor.execute(f"INSERT INTO {TABLE} ({', '.join((*KEY, *SUMS))}) " + _from_counts(f"{_signed(COUNTS, 1)} {where}"),
                   params)


def drift(cursor, campaign_id: int | None = None) -> list[tuple]:
    """Where the subtotals differ from the counts' own sums: ("kept" or "counts", *key, *sums)
    for each key summed differently; empty when they agree."""
    where, params = _where(campaign_id)
    kept_sums = _summed(f"SELECT {', '.join((*KEY, *SUMS))} FROM {TABLE} {where}")
    from_counts = _from_counts(f"{_signed(COUNTS, 1)} {where}")
    cursor.execute(f"WITH k AS ({kept_sums}), c AS ({from_counts}) "
                   f"(SELECT 'kept', * FROM (SELECT * FROM k EXCEPT ALL SELECT * FROM c) a) UNION ALL "
                   f"(SELECT 'counts', * FROM (SELECT * FROM c EXCEPT ALL SELECT * FROM k) b)", params * 2)
    return cursor.fetchall()


def install(connection) -> None:
    """(Re)make the function and triggers, in one transaction (PostgreSQL only)."""
    from django.db import transaction

    if not kept(connection) or TABLE not in connection.introspection.table_names():
        return  # SQLite, or a partial migrate (an earlier state): the last migrate installs them
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, TABLE)}
    if not set(KEY) <= columns:
        return  # a partial migrate, before a column the function names was added
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for sql in statements():
            cursor.execute(sql)
