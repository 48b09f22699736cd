"""A campaign's figures computed once per version of its data, not once per page, chart or export.

The version (`figures_version`) is read from the log the database triggers keep
(`reports/triggers.py`): it changes in the same commit as any count, request, the campaign, a
force, an offence code or a non-working day. The figures kept under it (`report_figures`) are
the aggregate without its list of suppressed cells (their count and ranges instead): what the
report page, the charts and the provisional xlsx export show. Charts are kept as rendered too.

A campaign that repeats another compares itself with the other's published figures: its version
(`campaign_version`) holds the other's version and latest final snapshot too.

Read the version before the data: figures computed from data newer than their version are
harmless (a later reader sees a newer version and misses), never older.

The cache is `CACHES["reports"]` (REPORTS_CACHE_URL; by default each process's memory). Keys
hold the version, today (timeliness counts working days to today) and the suppression rule;
old entries just expire.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connections, router
from django.utils import timezone

from collection.returns.models import OffenceCount

from .aggregate import Aggregate, figures_digest
from .figures import campaign_chain, compute_aggregate, suppression_threshold, trend as compute_trend
from .models import AggregateSnapshot, FiguresChange

SCHEMA = "1"  # bump when the cached shapes change
TIMEOUT = 24 * 3600


@dataclass(frozen=True)
class Figures:
    aggregate: Aggregate
    version: str
    digest: str  # figures_digest of the aggregate, compared with a snapshot's


def cache():
    return caches["reports"] if "reports" in settings.CACHES else caches["default"]


def figures_version(campaign_id: int) -> str:
    """The version of everything the campaign's figures are made of, as this transaction sees it."""
    connection = connections[router.db_for_read(OffenceCount)]
    log = connection.ops.quote_name(FiguresChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n.total, n.top, t.token FROM (SELECT COUNT(*) AS total, MAX(id) AS top FROM {log} "
                       f"WHERE campaign_id IN (%s, 0)) n LEFT JOIN {log} t ON t.id = n.top", [campaign_id])
        total, top, token = cursor.fetchone()
    return f"{total}.{top or 0}.{token or '-'}"


def campaign_version(campaign) -> str:
    """The version of everything a campaign's figures are made of: its own data's version, and for
    a campaign that repeats another (its comparison reads the earlier campaign's published figures)
    the earlier campaign's version and its latest final snapshot too. The same as
    `figures_version` for a campaign that repeats none."""
    own = figures_version(campaign.pk)
    previous = campaign.repeats_id
    if not previous or previous == campaign.pk:
        return own
    latest = (AggregateSnapshot.objects.filter(campaign_id=previous, final=True).order_by("-compiled_at", "-pk")
              .values_list("pk", flat=True).first())
    # Hashed: a snapshot's data_version holds it (120 characters at most).
    depends = hashlib.sha256(f"r{previous}:{figures_version(previous)}:s{latest or 0}".encode()).hexdigest()
    return f"{own}~{depends[:20]}"


def _key(campaign_id: int, version: str, *parts) -> str:
    today = timezone.localdate().isoformat()
    return ":".join(map(str, ("foi-figures", SCHEMA, campaign_id, version, today, suppression_threshold(), *parts)))


def report_figures(campaign) -> Figures:
    """The campaign's figures as they stand (without the list of suppressed cells), computed at
    most once per version of its data."""
    version = campaign_version(campaign)
    key = _key(campaign.pk, version)
    figures = cache().get(key)
    if figures is None:
        aggregate = compute_aggregate(campaign, cells=False)
        figures = Figures(aggregate, version, figures_digest(aggregate.as_dict()))
        cache().set(key, figures, TIMEOUT)
    return figures


def chart(campaign, figures: Figures, kind: str, fmt: str, render) -> bytes:
    """A chart of these figures, rendered once (`render()` gives its bytes)."""
    return cache().get_or_set(_key(campaign.pk, figures.version, "chart", kind, fmt), render, TIMEOUT)


def chain_version(campaign_ids) -> str:
    """The version of a chain of campaigns' data and of their final snapshots (the trend chart)."""
    ids = sorted({int(i) for i in campaign_ids} | {0})
    connection = connections[router.db_for_read(FiguresChange)]
    log = connection.ops.quote_name(FiguresChange._meta.db_table)
    snapshots = connection.ops.quote_name(AggregateSnapshot._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n.total, n.top, t.token, (SELECT COUNT(*) FROM {snapshots} WHERE final AND campaign_id "
                       f"IN ({marks})), (SELECT MAX(id) FROM {snapshots} WHERE final AND campaign_id IN ({marks})) "
                       f"FROM (SELECT COUNT(*) AS total, MAX(id) AS top FROM {log} WHERE campaign_id IN ({marks})) n "
                       f"LEFT JOIN {log} t ON t.id = n.top", [*ids, *ids, *ids])
        row = cursor.fetchone()
    return hashlib.sha256(":".join(map(str, (ids, *row))).encode()).hexdigest()[:32]


def trend(campaign):
    """The trend across the campaign's chain (`reports.figures.trend`), computed once per version of
    the chain (ask only for a campaign that repeats another or asks about more than one period)."""
    chain = campaign_chain(campaign)
    key = ":".join(map(str, ("foi-trend", SCHEMA, campaign.pk, chain_version(c["pk"] for c in chain))))
    return cache().get_or_set(key, lambda: compute_trend(chain), TIMEOUT)


def trend_chart(campaign, points, fmt: str, render) -> bytes:
    key = ":".join(map(str, ("foi-trend-chart", SCHEMA, campaign.pk, hash_points(points), fmt)))
    return cache().get_or_set(key, render, TIMEOUT)


def hash_points(points) -> str:
    return hashlib.sha256(repr(points).encode()).hexdigest()[:32]


def mark_changed(campaign_id: int) -> None:
    """Log a change by hand, as if the campaign's data had changed (benchmarks use it)."""
    FiguresChange.objects.create(campaign_id=campaign_id, token=secrets.token_hex(16))
