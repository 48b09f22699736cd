"""A campaign's figures worked out from the database as they stand: the national aggregate of
each period it asks about, the comparison with the period before, and the trend across the
campaigns it repeats. The report, the exports and the snapshots read them through
`reports/cache.py`, which keeps them once per version of the data."""
from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.utils import timezone

from collection.periods import period_label
from collection.requests.models import Campaign, working_calendar
from collection.validation import ServiceError

from . import comparison, queries
from .aggregate import (Aggregate, PeriodRow, build_aggregate, comparison_sentences, outcome_counts,
                        requests_for_period, timeliness_table)
from .models import AggregateSnapshot


def suppression_threshold() -> int:
    return int(getattr(settings, "REPORTS_SUPPRESSION_THRESHOLD", 5))


def compute_aggregate(campaign: Campaign, *, today: dt.date | None = None, calendar=None,
                      cells: bool = True, period: str | None = None) -> Aggregate:
    """The aggregate of a campaign as it stands: final if every force has an outcome.

    The figures describe the campaign's main (latest) period; `periods` holds the same figures
    for each period it asks about, and `comparison` compares the latest period with the earlier
    one (`reports.comparison`), when the campaign asked for an earlier period again or repeats
    an earlier campaign. period="2015-16": that period's figures alone.

    cells=False leaves out the list of suppressed cells (their count and ranges stay): the
    report page's figures (`reports.cache.report_figures`), which never show 30,000 of them."""
    cid = campaign.pk
    requests = queries.request_rows(cid)
    timeliness = timeliness_table(requests, calendar or working_calendar(), today or timezone.localdate())
    periods = queries.period_rows(cid)
    main = next((p for p in periods if p.main), None)
    if main is None:  # a campaign saved without its signal (raw fixtures): its own dates
        main = PeriodRow(None, campaign.period_label, campaign.period_start, campaign.period_end, True)
        periods = [*periods, main]
    known = {p.pk for p in periods if not p.main}

    def split(rows):
        # A count of an unknown period (none should be) counts the main one rather than vanish.
        return queries.by_period([(pid if pid in known else main.pk, row) for pid, row in rows])

    found = queries.breakdowns(cid, cells=cells)
    ages, offences, forces, suppressed, sexes = (split(found.ages), split(found.offences), split(found.forces),
                                                 split(found.suppressed), split(found.sexes))
    with_counts = {pid: {row.force_pk for row in rows} for pid, rows in forces.items()}

    def build(p: PeriodRow) -> Aggregate:
        reqs = requests
        if not p.main:
            elsewhere = set().union(*(v for pid, v in with_counts.items() if pid != p.pk))
            reqs = requests_for_period(requests, with_counts.get(p.pk, set()), elsewhere)
        kind = "suppressed_rows" if cells else "suppressed_groups"
        return build_aggregate(
            campaign=campaign.slug, title=campaign.title, period_start=p.first_day, period_end=p.last_day,
            age_rows=ages.get(p.pk, []), offence_rows=offences.get(p.pk, []), force_rows=forces.get(p.pk, []),
            outcome_rows=outcome_counts(reqs), requests=reqs, threshold=suppression_threshold(),
            timeliness=timeliness, sex_rows=sexes.get(p.pk, []), **{kind: suppressed.get(p.pk, [])})

    if period is not None:
        chosen = next((p for p in periods if p.label == period), None)
        if chosen is None:
            raise ServiceError(f"campaign {campaign.slug!r} does not ask about period {period!r}: it asks about "
                               + ", ".join(p.label for p in periods))
        return build(chosen)
    aggregate = build(main)
    by_label = {p.label: (aggregate if p.main else build(p)) for p in periods}
    aggregate.periods = {label: agg.period_dict() for label, agg in by_label.items()}
    aggregate.comparison = comparison_of(campaign, main, [p for p in periods if p.first_day < main.first_day],
                                         {label: agg.by_force for label, agg in by_label.items()}, requests)
    return aggregate


def comparison_of(campaign: Campaign, main: PeriodRow, earlier: list[PeriodRow], by_force: dict[str, dict],
                  requests) -> dict | None:
    """The comparison of the campaign's latest period with the one before: the latest earlier
    period it asked again (restated), else the main period of the campaign it repeats (as
    published); with the repeated campaign's published figures beside, when there are any."""
    previous = None
    if campaign.repeats_id and campaign.repeats_id != campaign.pk:
        previous = Campaign.objects.filter(pk=campaign.repeats_id).only("pk", "slug", "period_start",
                                                                          "period_end").first()
    if earlier:
        base_label = max(earlier, key=lambda p: p.first_day).label
    elif previous is not None:
        base_label = previous.period_label
    else:
        return None
    original, source = published_by_force(previous, base_label) if previous is not None else (None, None)
    restated = by_force[base_label] if earlier else None
    if restated is None and original is None:
        return None
    result = comparison.compare(base_period=base_label, period=main.label, current=by_force[main.label],
                                restated=restated, original=original, original_source=source)
    result["headlines"] = comparison_sentences(result, {r.force_id: r.force_name for r in requests})
    return result


def published_by_force(previous: Campaign, label: str) -> tuple[dict | None, dict | None]:
    """Offences per force for one period as the earlier campaign published them, and where from.

    Published means its latest final snapshot (what went out; never rewritten); a campaign with
    no final snapshot yet gives its live counts (and says so). None when it has no figures for
    that period."""
    snapshot = (AggregateSnapshot.objects.filter(campaign=previous, final=True).order_by("-compiled_at", "-pk")
                .values("pk", "compiled_at", "figures__period_start", "figures__period_end", "figures__by_force",
                        f"figures__periods__{label}__by_force").first())
    if snapshot is not None:
        source = {"campaign": previous.slug, "snapshot": snapshot["pk"],
                  "compiled_at": snapshot["compiled_at"].isoformat(timespec="seconds"),
                  "note": "the final figures as published (its latest final snapshot)"}
        in_periods = snapshot[f"figures__periods__{label}__by_force"]
        if in_periods is not None:
            return _as_dict(in_periods), source
        start, end = snapshot["figures__period_start"], snapshot["figures__period_end"]
        if start and end and period_label(dt.date.fromisoformat(start), dt.date.fromisoformat(end)) == label:
            return _as_dict(snapshot["figures__by_force"]), source
        return None, None
    if not previous.periods.filter(label=label).exists():
        return None, None
    source = {"campaign": previous.slug, "snapshot": None,
              "note": "its live counts: no final snapshot of its figures is stored yet"}
    return queries.live_by_force(previous.pk, label), source


def _as_dict(value) -> dict:
    # A JSON key read on its own comes back decoded on PostgreSQL, as text on some backends.
    return json.loads(value) if isinstance(value, (str, bytes)) else dict(value or {})


# --- The trend across a chain of campaigns ------------------------------------------------------

def campaign_chain(campaign: Campaign) -> list[dict]:
    """The campaign and those it repeats, followed back (`Campaign.repeats`), oldest first; one
    query whatever the length (campaigns are few)."""
    every = {c["pk"]: c for c in Campaign.objects.order_by().values("pk", "repeats_id", "slug", "title",
                                                                     "period_start", "period_end")}
    out, seen, pk = [], set(), campaign.pk
    while pk is not None and pk in every and pk not in seen:
        seen.add(pk)
        out.append(every[pk])
        pk = every[pk]["repeats_id"]
    return out[::-1]


def trend(chain: list[dict]) -> list[dict]:
    """One point per period across the chain: the total first published (the latest final snapshot
    of the campaign whose own period it is; its live counts, marked, while it has none) and the
    latest restatement by a later campaign of the chain (that campaign's live total for it)."""
    from django.db.models.fields.json import KT

    ids = [c["pk"] for c in chain]
    published: dict[int, int] = {}
    for cid, total in (AggregateSnapshot.objects.filter(campaign_id__in=ids, final=True)
                       .order_by("campaign_id", "compiled_at", "pk")
                       .values_list("campaign_id", KT("figures__total_offences"))):
        if total not in (None, ""):
            published[cid] = int(total)  # the latest wins
    live: dict[int, dict[str, int]] = {}
    for cid, label, total in queries.live_totals(ids):
        live.setdefault(cid, {})[label] = total
    campaigns = []
    for c in chain:
        own = period_label(c["period_start"], c["period_end"])
        counts = live.get(c["pk"], {})
        campaigns.append({"slug": c["slug"], "period": own,
                          "published": published.get(c["pk"], counts.get(own, 0)),
                          "final_snapshot": c["pk"] in published,
                          "restated": {label: n for label, n in counts.items() if label != own}})
    points = comparison.trend_points(campaigns)
    provisional = {c["period"] for c in campaigns if not c["final_snapshot"]}
    for p in points:
        p["published_is_live"] = p["period"] in provisional
    return points
