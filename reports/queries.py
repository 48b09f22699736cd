"""The queries behind the national aggregate, all per campaign.

`breakdowns` gives the figures' breakdowns (by age, by offence, by force, the suppressed cells)
as the plain tuples `reports.aggregate` works on: on PostgreSQL summed from the counts'
subtotals (`reports/subtotals.py`: one query over a few thousand rows, whatever the number of
counts), elsewhere from one GROUP BY over the counts per breakdown. (The national dataset's
query is in `reports/dataset.py`.) Every count query filters on `campaign_id` first, which the
OffenceCount indexes (campaign, force) and (campaign, victim_age) serve; the requests of a
campaign come from (campaign, status/outcome).
"""
from __future__ import annotations

from typing import NamedTuple

from django.db import connections, router
from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from collection.forces.models import Force, OffenceCode
from collection.requests.models import CampaignPeriod, FoiRequest
from collection.returns.models import OffenceCount, ReturnedFile

from . import subtotals
from .aggregate import AgeRow, ForceRow, OffenceRow, PeriodRow, RequestRow, SexRow, SuppressedGroup, SuppressedRow
from .models import CountSubtotal


class CampaignQuery:
    """A per-campaign ORM query, compiled to SQL once per process and database; a call only puts
    the campaign id in. The ORM still writes the SQL; the report stops paying to rebuild it on
    every page view (it was most of the aggregate's cost over the bare queries).

    Only for queries whose values need no conversion from the database (ints and text): raw rows
    skip the ORM's converters, which SQLite needs for dates.
    """

    SENTINEL = -918273645  # a campaign id no database hands out, to find where the id goes

    def __init__(self, build):
        self.build = build
        self.compiled: dict[str, tuple[str, tuple, list[int], list[str]]] = {}

    def _compile(self, alias: str):
        query = self.build(self.SENTINEL).query
        sql, params = query.get_compiler(alias).as_sql()
        positions = [i for i, p in enumerate(params) if p == self.SENTINEL]
        if not positions:
            raise AssertionError("the campaign id is not a parameter of this query")
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return sql, tuple(params), positions, names

    def __call__(self, campaign_id) -> list[dict]:
        alias = router.db_for_read(OffenceCount)
        if alias not in self.compiled:
            self.compiled[alias] = self._compile(alias)
        sql, params, positions, names = self.compiled[alias]
        params = list(params)
        for i in positions:
            params[i] = campaign_id
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            return [dict(zip(names, row)) for row in cursor.fetchall()]


def counts(campaign_id):
    # order_by() clears the model's default ordering, which would otherwise join into GROUP BY.
    return OffenceCount.objects.filter(campaign_id=campaign_id).order_by()


# Every breakdown is also by period (one scan for every period a campaign asks about); a
# campaign with one period has one group more per breakdown, nothing else.
_by_age = CampaignQuery(lambda cid: counts(cid).values("period_id", "victim_age", "age_band", "age_band_min",
                                                       "age_band_max")
                        .annotate(total=Sum("count"), n_suppressed=Count("pk", filter=Q(suppressed=True))))
# By offence id, named afterwards from the (small) offence table: joining every count to its
# offence cost twice the GROUP BY itself at a million counts.
_by_offence = CampaignQuery(lambda cid: counts(cid).values("period_id", "offence_id").annotate(
    total=Sum("count"), n_suppressed=Count("pk", filter=Q(suppressed=True))))
# By force and the victim's sex in one GROUP BY: the totals by force and by sex are both summed
# from it (a force splits by sex into a handful of groups at most).
# (With the label of the suppressed cells: the most they allow by sex is read from it.)
_by_force_and_sex = CampaignQuery(lambda cid: counts(cid).values("period_id", "force_id", "victim_sex",
                                                                 "suppressed_label").annotate(
    total=Sum("count"), n_suppressed=Count("pk", filter=Q(suppressed=True))))
_by_outcome = CampaignQuery(lambda cid: FoiRequest.objects.filter(campaign_id=cid).order_by().values("outcome")
                            .annotate(n=Count("pk")))
_suppressed = CampaignQuery(lambda cid: counts(cid).filter(suppressed=True).values(
    "period_id", "victim_age", "age_band", "victim_sex", "suppressed_label", force_code=F("force__force_id"),
    offence_code=F("offence__code")))
_suppressed_groups = CampaignQuery(lambda cid: counts(cid).filter(suppressed=True).values(
    "period_id", "suppressed_label", force_code=F("force__force_id")).annotate(n=Count("pk")))


class Breakdowns(NamedTuple):
    """(period id, row) pairs of each breakdown; `suppressed` holds SuppressedGroup rows, or a
    SuppressedRow per cell when asked for."""
    ages: list[tuple[int, AgeRow]]
    offences: list[tuple[int, OffenceRow]]
    forces: list[tuple[int, ForceRow]]
    suppressed: list[tuple[int, SuppressedGroup | SuppressedRow]]
    sexes: list[tuple[int, SexRow]]


def _from_subtotals() -> bool:
    return subtotals.kept(connections[router.db_for_read(OffenceCount)])


def breakdowns(campaign_id, cells: bool = False) -> Breakdowns:
    """The campaign's breakdowns; cells=True lists every suppressed cell (read from the counts)."""
    if _from_subtotals():
        found = summed_subtotals(campaign_id)
    else:
        forces, sexes = force_and_sex_rows(campaign_id)
        found = Breakdowns(age_rows(campaign_id), offence_rows(campaign_id), forces,
                           [] if cells else suppressed_groups(campaign_id), sexes)
    # In one order whatever the plan: the bands are listed in it (by_age_band, the caveat).
    found = found._replace(ages=sorted(found.ages, key=_age_order))
    return found._replace(suppressed=suppressed_rows(campaign_id)) if cells else found


def _age_order(pair):
    period_id, row = pair
    return (period_id, row.age is None, row.age or 0, row.band, row.band_min is None, row.band_min or 0,
            row.band_max is None, row.band_max or 0)


_subtotals = CampaignQuery(lambda cid: CountSubtotal.objects.filter(campaign_id=cid).order_by().values(
    "breakdown", "period_id", "force_id", "offence_id", "victim_age", "age_band", "age_band_min", "age_band_max",
    "suppressed_label", "victim_sex", "total", "cells", "suppressed_cells", force_code=F("force__force_id"),
    offence_code=F("offence__code"), category=F("offence__category"), description=F("offence__description")))


def summed_subtotals(campaign_id) -> Breakdowns:
    """The breakdowns summed from the subtotals per force: the groups the GROUP BYs over the counts
    give (a group for any count), with their totals (None, as SUM gives, when every cell is
    suppressed)."""
    ages: dict[tuple, list[int]] = {}
    offences: dict[tuple, list[int]] = {}
    forces: dict[tuple, list[int]] = {}
    suppressed: dict[tuple, list[int]] = {}
    sexes: dict[tuple, list[int]] = {}
    for r in _subtotals(campaign_id):
        kind, pid = r["breakdown"], r["period_id"]
        if kind == CountSubtotal.BY_AGE:
            groups = [ages.setdefault((pid, r["victim_age"], r["age_band"], r["age_band_min"], r["age_band_max"]),
                                      [0, 0, 0])]
        elif kind == CountSubtotal.BY_OFFENCE:
            groups = [offences.setdefault((pid, r["offence_code"], r["category"], r["description"]), [0, 0, 0]),
                      forces.setdefault((pid, r["force_id"]), [0, 0, 0])]
        elif kind == CountSubtotal.BY_SEX:
            groups = [sexes.setdefault((pid, r["victim_sex"], r["suppressed_label"]), [0, 0, 0])]
        else:
            groups = [suppressed.setdefault((pid, r["force_code"], r["suppressed_label"]), [0, 0, 0])]
        for sums in groups:
            sums[0] += r["total"]
            sums[1] += r["cells"]
            sums[2] += r["suppressed_cells"]

    def total(sums):
        return None if sums[2] == sums[1] else sums[0]

    return Breakdowns(
        [(key[0], AgeRow(*key[1:], total(sums), sums[2])) for key, sums in ages.items() if sums[1] > 0],
        [(key[0], OffenceRow(*key[1:], total(sums), sums[2])) for key, sums in offences.items() if sums[1] > 0],
        [(key[0], ForceRow(key[1], total(sums))) for key, sums in forces.items() if sums[1] > 0],
        [(key[0], SuppressedGroup(*key[1:], sums[1])) for key, sums in suppressed.items() if sums[1] > 0],
        [(key[0], SexRow(*key[1:], total(sums), sums[2])) for key, sums in sexes.items() if sums[1] > 0])


def live_totals(campaign_ids) -> list[tuple[int, str, int]]:
    """(campaign id, period label, total offences) of the campaigns' counts as they stand, for each
    period with any count."""
    if _from_subtotals():
        rows = (CountSubtotal.objects.filter(campaign_id__in=campaign_ids, breakdown=CountSubtotal.BY_OFFENCE)
                .order_by().values("campaign_id", "period__label")
                .annotate(offences=Sum("total"), n=Sum("cells")).filter(n__gt=0))
    else:
        rows = (OffenceCount.objects.filter(campaign_id__in=campaign_ids).order_by()
                .values("campaign_id", "period__label").annotate(offences=Sum("count")))
    return [(cid, label, total or 0) for cid, label, total in rows.values_list("campaign_id", "period__label",
                                                                                "offences")]


def live_by_force(campaign_id, label: str) -> dict[str, int]:
    """Offences per force (by force id) in one period of a campaign's counts as they stand."""
    if _from_subtotals():
        rows = (CountSubtotal.objects.filter(campaign_id=campaign_id, period__label=label,
                                             breakdown=CountSubtotal.BY_OFFENCE)
                .order_by().values("force__force_id").annotate(offences=Sum("total"), n=Sum("cells")).filter(n__gt=0))
    else:
        rows = (OffenceCount.objects.filter(campaign_id=campaign_id, period__label=label).order_by()
                .values("force__force_id").annotate(offences=Sum("count")))
    return {force: total or 0 for force, total in rows.values_list("force__force_id", "offences")}


def by_period(rows: list[tuple[int, object]]) -> dict[int, list]:
    """(period id, row) pairs as {period id: [row, ...]}."""
    out: dict[int, list] = {}
    for period_id, row in rows:
        out.setdefault(period_id, []).append(row)
    return out


def age_rows(campaign_id) -> list[tuple[int, AgeRow]]:
    return [(r["period_id"], AgeRow(r["victim_age"], r["age_band"], r["age_band_min"], r["age_band_max"], r["total"],
                                    r["n_suppressed"])) for r in _by_age(campaign_id)]


def offence_rows(campaign_id) -> list[tuple[int, OffenceRow]]:
    rows = _by_offence(campaign_id)
    names = {pk: (code, category, description) for pk, code, category, description in
             OffenceCode.objects.filter(pk__in={r["offence_id"] for r in rows})
             .values_list("pk", "code", "category", "description")}
    return [(r["period_id"], OffenceRow(*names[r["offence_id"]], r["total"], r["n_suppressed"])) for r in rows]


def force_and_sex_rows(campaign_id) -> tuple[list[tuple[int, ForceRow]], list[tuple[int, SexRow]]]:
    """The totals by force and by the victim's sex, summed from one GROUP BY over both (None, as
    SUM gives, where every cell of the group is suppressed)."""
    forces: dict[tuple, list] = {}
    sexes: dict[tuple, list] = {}
    for r in _by_force_and_sex(campaign_id):
        label = r["suppressed_label"] if r["n_suppressed"] else ""
        for sums in (forces.setdefault((r["period_id"], r["force_id"]), [None, 0]),
                     sexes.setdefault((r["period_id"], r["victim_sex"], label), [None, 0])):
            if r["total"] is not None:
                sums[0] = (sums[0] or 0) + r["total"]
            sums[1] += r["n_suppressed"]
    return ([(pid, ForceRow(force, total)) for (pid, force), (total, _) in forces.items()],
            [(pid, SexRow(sex, label, total, hidden)) for (pid, sex, label), (total, hidden) in sexes.items()])


def outcome_rows(campaign_id) -> list[tuple[str, int]]:
    return [(r["outcome"], r["n"]) for r in _by_outcome(campaign_id)]


def request_rows(campaign_id) -> list[RequestRow]:
    qs = (FoiRequest.objects.filter(campaign_id=campaign_id).order_by("force__name")
          .values_list("force_id", "force__force_id", "force__name", "outcome", "status", "received_on", "due_on",
                       "answered_on", "sections_cited"))
    return [RequestRow(*row) for row in qs]


def suppressed_rows(campaign_id) -> list[tuple[int, SuppressedRow]]:
    return [(r["period_id"], SuppressedRow(r["force_code"], r["offence_code"], r["victim_age"], r["age_band"],
                                           r["victim_sex"], r["suppressed_label"])) for r in _suppressed(campaign_id)]


def suppressed_groups(campaign_id) -> list[tuple[int, SuppressedGroup]]:
    return [(r["period_id"], SuppressedGroup(r["force_code"], r["suppressed_label"], r["n"]))
            for r in _suppressed_groups(campaign_id)]


def period_rows(campaign_id) -> list[PeriodRow]:
    """The periods the campaign asks about, earliest first."""
    return [PeriodRow(*row) for row in CampaignPeriod.objects.filter(campaign_id=campaign_id).order_by("first_day")
            .values_list("pk", "label", "first_day", "last_day", "main")]


def sources(campaign_id) -> list[dict]:
    """The returned files whose counts are in the campaign's figures, by checksum."""
    # EXISTS per file (the counts' returned_file index), not a join with every count of the campaign.
    used = OffenceCount.objects.filter(returned_file=OuterRef("pk"), campaign_id=campaign_id)
    qs = (ReturnedFile.objects.filter(request__campaign_id=campaign_id).filter(Exists(used))
          .order_by("request__force__force_id", "pk")
          .values_list("request__force__force_id", "original_name", "sha256", "uploaded_at", "pk"))
    out = [{"force_id": f, "file_name": name, "sha256": sha, "uploaded_at": up.isoformat(), "returned_file_id": pk}
           for f, name, sha, up, pk in qs]
    # One probe of the partial index `count_entered_by_hand` per force (a few dozen), not a read of
    # every count entered by hand (all of a campaign's million, when nothing was imported).
    by_hand_counts = counts(campaign_id).filter(force=OuterRef("pk"), returned_file__isnull=True)
    by_hand = (Force.objects.filter(Exists(by_hand_counts)).order_by("force_id")
               .values_list("force_id", flat=True))
    out += [{"force_id": f, "file_name": None, "sha256": None, "note": "entered by hand"} for f in by_hand]
    return out
