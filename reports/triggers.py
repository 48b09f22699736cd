"""Database triggers that log every write to what the national figures are made of.

The report page and the exports keep a campaign's figures between page views (`reports/cache.py`),
keyed by a version read from `FiguresChange`. Only the database sees every write: counts arrive
by bulk insert, COPY, the admin, the shell and other streams' code, none of which would remember
to say so. So triggers write the log, in the same transaction as the change, and a version is
visible exactly when the change it stands for is.

- PostgreSQL: one statement-level trigger per table and event, with transition tables: one log
  row per campaign a statement touched, whatever the number of rows (a million-row COPY adds
  one). Appends only, so concurrent imports never wait on each other here. A TRUNCATE logs
  campaign 0 (every campaign's figures).
- SQLite: row-level triggers (SQLite has no other kind) that replace the campaign's log row;
  SQLite has a single writer, so replacing cannot reorder anything.

Installed after every `migrate` (a `post_migrate` receiver, `install()`), not by a migration:
SQLite drops a table's triggers whenever a migration rebuilds the table, and other apps'
migrations rebuild these tables.
"""
from __future__ import annotations

LOG = "reports_figureschange"
# (table, the column naming the campaign, the columns whose change matters (None: all)).
PER_CAMPAIGN = (
    ("collection_offencecount", "campaign_id", None),
    ("collection_foirequest", "campaign_id",
     ("campaign_id", "force_id", "status", "outcome", "received_on", "due_on", "answered_on", "sections_cited")),
    ("collection_campaign", "id", ("slug", "title", "period_start", "period_end", "repeats_id")),
    ("collection_campaignperiod", "campaign_id", ("campaign_id", "first_day", "last_day", "label", "main")),
)
# Tables every campaign's figures read: a change logs campaign 0.
EVERY_CAMPAIGN = (
    ("collection_force", ("force_id", "name", "ons_code")),
    ("collection_offencecode", ("code", "description", "category")),
    ("collection_nonworkingday", None),
)
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _name(table: str, event: str) -> str:
    return f"reports_figures_{table.removeprefix('collection_')}_{event.lower()}"


def _of(event: str, columns) -> str:
    return f"UPDATE OF {', '.join(columns)}" if event == "UPDATE" and columns else event


# --- PostgreSQL ---------------------------------------------------------------------------------

def _postgres_function(column: str) -> str:
    new_old = {
        "INSERT": f"SELECT {column} FROM changed_new",
        "DELETE": f"SELECT {column} FROM changed_old",
        "UPDATE": f"SELECT {column} FROM changed_new UNION SELECT {column} FROM changed_old",
    }
    branches = "\n".join(
        f"  {'IF' if i == 0 else 'ELSIF'} TG_OP = '{op}' THEN\n"
        f"    INSERT INTO {LOG} (campaign_id, token)\n"
        f"    SELECT c, md5(random()::text || clock_timestamp()::text) FROM ({sql}) AS touched (c)\n"
        f"    WHERE c IS NOT NULL GROUP BY c ORDER BY c;"
        for i, (op, sql) in enumerate(new_old.items()))
    return (f"CREATE OR REPLACE FUNCTION reports_figures_changed_by_{column}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$\nBEGIN\n{branches}\n  END IF;\n  RETURN NULL;\nEND\n$$;")


POSTGRES_EVERY_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION reports_figures_changed_everywhere() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    f"BEGIN\n  INSERT INTO {LOG} (campaign_id, token) VALUES (0, md5(random()::text || clock_timestamp()::text));\n"
    f"  RETURN NULL;\nEND\n$$;")


def postgres_statements() -> list[str]:
    out = [_postgres_function("campaign_id"), _postgres_function("id"), POSTGRES_EVERY_FUNCTION]
    for table, column, columns in PER_CAMPAIGN:
        for event in EVENTS:
            transition = {"INSERT": "NEW TABLE AS changed_new", "DELETE": "OLD TABLE AS changed_old",
                          "UPDATE": "NEW TABLE AS changed_new OLD TABLE AS changed_old"}[event]
            name = _name(table, event)
            # PostgreSQL allows no column list on a trigger with transition tables: every UPDATE logs.
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            out.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transition} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_changed_by_{column}()")
    for table, columns in EVERY_CAMPAIGN:
        for event in EVENTS:
            name = _name(table, event)
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            out.append(f"CREATE TRIGGER {name} AFTER {_of(event, columns)} ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_changed_everywhere()")
    # TRUNCATE has no transition table to say which campaigns it emptied: it changes every one.
    for table in (*(t for t, *_ in PER_CAMPAIGN), *(t for t, _ in EVERY_CAMPAIGN)):
        name = _name(table, "TRUNCATE")
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        out.append(f"CREATE TRIGGER {name} AFTER TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_changed_everywhere()")
    return out


# --- SQLite -----------------------------------------------------------------------------------------

def _sqlite_log(expr: str) -> str:
    return (f"DELETE FROM {LOG} WHERE campaign_id = {expr}; "
            f"INSERT INTO {LOG} (campaign_id, token) VALUES ({expr}, lower(hex(randomblob(16))));")


def sqlite_statements() -> list[str]:
    out = []
    for table, column, columns in PER_CAMPAIGN:
        for event in EVENTS:
            name = _name(table, event)
            rows = {"INSERT": ["NEW"], "DELETE": ["OLD"], "UPDATE": ["OLD", "NEW"]}[event]
            body = " ".join(_sqlite_log(f"{row}.{column}") for row in rows)
            out.append(f"DROP TRIGGER IF EXISTS {name}")
            out.append(f"CREATE TRIGGER {name} AFTER {_of(event, columns)} ON {table} FOR EACH ROW BEGIN {body} END")
    for table, columns in EVERY_CAMPAIGN:
        for event in EVENTS:
            name = _name(table, event)
            out.append(f"DROP TRIGGER IF EXISTS {name}")
            out.append(f"CREATE TRIGGER {name} AFTER {_of(event, columns)} ON {table} FOR EACH ROW "
                       f"BEGIN {_sqlite_log('0')} END")
    return out


def statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return postgres_statements()
    if vendor == "sqlite":
        return sqlite_statements()
    raise NotImplementedError(f"no figures-change triggers for {vendor}: the report cache would go stale")


def install(connection) -> None:
    """(Re)create every trigger; idempotent."""
    tables = set(connection.introspection.table_names())
    needed = {LOG} | {t for t, *_ in PER_CAMPAIGN} | {t for t, _ in EVERY_CAMPAIGN}
    if not needed <= tables:
        return  # a partial migrate (an earlier state): the last migrate installs them
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor):
            cursor.execute(sql)


def on_post_migrate(sender, using="default", **kwargs):
    from django.db import connections

    from . import subtotals

    install(connections[using])
    subtotals.install(connections[using])  # the counts' subtotals (PostgreSQL)
