"""The practice chain: the first year (../shared/samples/returns, 2015/16) and its repeat a year
later asking for 2016/17 and 2015/16 again (../shared/samples/returns-2016-17), loaded straight
from the truth and manifest files (copies in tests/data): counts as OffenceCount rows with their
period, outcomes through RecordResponse. No importer involved."""
import datetime as dt
import json
from pathlib import Path

from collection.forces.models import OffenceCode
from collection.requests.models import Campaign, CampaignPeriod
from collection.returns.models import OffenceCount
from collection.requests.services import CreateCampaign, RecordResponse

from tests.conftest import ensure_reference_data
from tests.reports import practice

DATA = Path(__file__).resolve().parent.parent / "data" / "returns-2016-17"
TRUTH = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
MANIFEST = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
SECTIONS = {"refused": "s.12"}


def first_year(owner, *, counts: bool = True) -> Campaign:
    """The first year, every outcome recorded; its counts from truth.json (counts=False: none, for
    the importer to read)."""
    ensure_reference_data()
    campaign = CreateCampaign(slug="cyber-2015-16", title="Cyber-flagged sexual offences against children 2015/16",
                              question="How many sexual offences against children ...",
                              period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                              owner=owner, sent_on=dt.date(2016, 3, 1)).execute()
    if counts:
        practice.load_counts(campaign)
    practice.record_outcomes(campaign, user=owner)
    return campaign


def second_year(owner, repeats: Campaign | None, *, ask_previous: bool = True, slug="cyber-2016-17") -> Campaign:
    """The repeat, as `repeat_campaign --ask-previous` makes it: 2016/17 plus 2015/16 again."""
    ensure_reference_data()
    campaign = CreateCampaign(slug=slug, title="Cyber-flagged sexual offences against children 2016/17",
                              question="How many sexual offences against children ... 2016/17 and 2015/16?",
                              period_start=dt.date(2016, 4, 1), period_end=dt.date(2017, 3, 31),
                              owner=owner, sent_on=dt.date(2017, 3, 1)).execute()
    if repeats is not None:
        campaign.repeats = repeats
        campaign.save()
    if ask_previous:
        CampaignPeriod.objects.create(campaign=campaign, first_day=dt.date(2015, 4, 1), last_day=dt.date(2016, 3, 31))
    return campaign


def load_second_year_counts(campaign, labels=("2015-16", "2016-17")) -> int:
    codes = {o.code: o for o in OffenceCode.objects.all()}
    periods = {p.label: p for p in campaign.periods.all()}
    requests = {r.force.force_id: r for r in campaign.requests.select_related("force")}
    rows = []
    for label in labels:
        for force_id, cells in TRUTH[label]["cells"].items():
            request = requests[force_id]
            for code, age, count in cells:
                rows.append(OffenceCount(campaign=campaign, force=request.force, request=request,
                                         period=periods[label], offence=codes[code], victim_age=age, count=count))
    OffenceCount.objects.bulk_create(rows)
    return len(rows)


def record_second_year_outcomes(campaign, user=None):
    requests = {r.force.force_id: r for r in campaign.requests.select_related("force")}
    for index, (force_id, entry) in enumerate(sorted(MANIFEST.items())):
        outcome = entry["outcome"]
        RecordResponse(requests[force_id], outcome, dt.date(2017, 3, 8) + dt.timedelta(days=(index * 7) % 51), user,
                       sections=entry.get("sections") or SECTIONS.get(outcome, "")).execute()


def chain(owner, *, ask_previous=True, publish_first=True):
    """Both campaigns, every answer in; the first year's final figures stored (published)."""
    from reports.services import CompileAggregate

    first = first_year(owner)
    if publish_first:
        CompileAggregate(first, final=True, trigger="test").execute()
    second = second_year(owner, first, ask_previous=ask_previous)
    load_second_year_counts(second, ("2015-16", "2016-17") if ask_previous else ("2016-17",))
    record_second_year_outcomes(second, owner)
    return first, second


def expected_per_force():
    """truth.json's per_force in the contract's words."""
    out = {}
    for force_id, entry in TRUTH["comparison"]["per_force"].items():
        row = {"base": entry["restated_2015_16"], "current": entry["2016_17"], "change": entry["change"]}
        if entry["original_2015_16"] is not None:
            row["original_base"] = entry["original_2015_16"]
        out[force_id] = row
    return out
