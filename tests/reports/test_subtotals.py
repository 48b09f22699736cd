"""The counts' subtotals (`reports/subtotals.py`), which the figures are summed from on PostgreSQL,
never drift from the counts: whatever writes them, rolled back or not, two processes at once; and
the figures summed from them are the figures summed from the counts.

The subtotals are kept on PostgreSQL only: on SQLite these tests are skipped (the figures there
are summed from the counts, which every other report test checks)."""
import datetime as dt
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F, Sum

from collection.importer import TidyRow
from collection.forces.models import OffenceCode
from collection.requests.models import CampaignPeriod, FoiRequest
from collection.returns.models import OffenceCount
from collection.returns.services import load_counts as replace_counts
from reports import queries, subtotals
from reports.models import CountSubtotal
from reports.figures import compute_aggregate, trend
from tests import processes
from tests.reports.practice import TRUTH, load_counts
from tests.helpers import TEST_DATA

DATA = TEST_DATA / "returns"


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("DATABASE_URL is PostgreSQL but the tests are not using it", pytrace=False)
        pytest.skip("the counts' subtotals are kept on PostgreSQL only: runs in the PostgreSQL pass of .ci/run")


def drift(campaign=None) -> list:
    with connection.cursor() as cursor:
        return subtotals.drift(cursor, campaign.pk if campaign is not None else None)


def kept_rows(campaign) -> list:
    return sorted(CountSubtotal.objects.filter(campaign=campaign).values_list(*subtotals.KEY, *subtotals.SUMS),
                  key=repr)


def summed_from_counts(monkeypatch, compute):
    """What `compute()` gives when the figures are summed from the counts, as on SQLite."""
    with monkeypatch.context() as patch:
        patch.setattr(subtotals, "kept", lambda connection: False)
        return compute()


def add_awkward_counts(campaign):
    """Cells the practice returns lack: bands, unknown ages, suppressed cells (a force with nothing
    else), 18-year-olds, and an earlier period asked again."""
    earlier = CampaignPeriod.objects.create(campaign=campaign, first_day=dt.date(2014, 4, 1),
                                            last_day=dt.date(2015, 3, 31))
    codes = list(OffenceCode.objects.order_by("code")[:3])
    kent = campaign.requests.get(force__force_id="kent")
    surrey = campaign.requests.get(force__force_id="surrey")
    dorset = campaign.requests.get(force__force_id="dorset")
    cells = [
        (kent, codes[0], dict(victim_age=None, age_band="0-5", age_band_min=0, age_band_max=5, count=7)),
        (kent, codes[1], dict(victim_age=None, age_band="11-15", age_band_min=11, age_band_max=15, count=None,
                              suppressed=True, suppressed_label="<5")),
        (kent, codes[2], dict(victim_age=None, count=4)),
        (surrey, codes[0], dict(victim_age=3, count=None, suppressed=True, suppressed_label="*")),
        (surrey, codes[0], dict(victim_age=3, count=2, victim_sex="F")),
        (dorset, codes[1], dict(victim_age=12, count=None, suppressed=True, suppressed_label="x")),
        (dorset, codes[2], dict(victim_age=17, count=None, suppressed=True, suppressed_label="1-3")),
        (kent, codes[0], dict(victim_age=14, count=9, period=earlier)),
        (surrey, codes[1], dict(victim_age=None, age_band="0-5", age_band_min=0, age_band_max=5, count=5,
                                period=earlier)),
    ]
    OffenceCount.objects.bulk_create(
        OffenceCount(campaign=campaign, force=request.force, request=request, offence=code, **fields)
        for request, code, fields in cells)
    return earlier


def test_the_subtotals_follow_every_write_to_the_counts(postgresql, campaign):
    load_counts(campaign)
    assert drift(campaign) == []
    by_offence = CountSubtotal.objects.filter(campaign=campaign, breakdown=CountSubtotal.BY_OFFENCE)
    assert by_offence.aggregate(n=Sum("total"))["n"] == TRUTH["total_offences"] == 2552
    earlier = add_awkward_counts(campaign)
    assert drift(campaign) == []
    kent = campaign.requests.get(force__force_id="kent")
    counts = OffenceCount.objects.filter(campaign=campaign)

    counts.filter(pk=counts.filter(request=kent).order_by("pk")[0].pk).update(count=F("count") + 3)
    assert drift(campaign) == []
    counts.filter(pk=counts.filter(request=kent).order_by("pk")[1].pk).update(count=None, suppressed=True,
                                                                            suppressed_label="<10")
    assert drift(campaign) == []
    moved = counts.filter(request=kent, suppressed=False).order_by("pk")[2]
    counts.filter(pk=moved.pk).update(force=campaign.requests.get(force__force_id="essex").force, period=earlier,
                                      victim_age=None, age_band="6-10", age_band_min=6, age_band_max=10)
    assert drift(campaign) == []
    with connection.cursor() as cursor:  # no ORM: the database keeps them, not Python
        cursor.execute("UPDATE collection_offencecount SET count = count * 2 WHERE campaign_id = %s AND count > 5",
                       [campaign.pk])
    assert drift(campaign) == []
    counts.filter(request=kent).order_by("pk")[3].delete()
    assert drift(campaign) == []

    before = kept_rows(campaign)
    with pytest.raises(RuntimeError), transaction.atomic():
        counts.filter(request=kent).delete()
        counts.filter(force__force_id="surrey", suppressed=False).update(count=0)
        raise RuntimeError("rolled back")
    assert kept_rows(campaign) == before

    # An import replaces the request's counts for its periods.
    rows = [TidyRow("88A", 13, None, None, "", "", 6, False, ""), TidyRow("88A", None, 0, 5, "0-5", "", None, True, "*"),
            TidyRow("19E", 15, None, None, "", "M", 2, False, "", period=earlier.label)]
    replace_counts(kent, None, rows)
    assert drift(campaign) == []
    replace_counts(kent, None, [])  # a nil return: none left
    assert not CountSubtotal.objects.filter(campaign=campaign, force=kent.force).exists()
    assert drift(campaign) == []

    FoiRequest.objects.filter(campaign=campaign, force__force_id="dorset").delete()  # its counts go by cascade
    assert not CountSubtotal.objects.filter(campaign=campaign, force__force_id="dorset").exists()
    assert drift(campaign) == []
    counts.delete()
    assert not CountSubtotal.objects.filter(campaign=campaign).exists()
    assert drift() == []


def test_the_figures_summed_from_the_subtotals_are_the_counts_own(postgresql, campaign, monkeypatch):
    load_counts(campaign)
    earlier = add_awkward_counts(campaign)
    kent = campaign.requests.get(force__force_id="kent")
    OffenceCount.objects.filter(request=kent, victim_age=14).update(count=None, suppressed=True, suppressed_label="*")

    for cells in (True, False):
        figures = compute_aggregate(campaign, cells=cells).as_dict()
        assert figures == summed_from_counts(monkeypatch, lambda: compute_aggregate(campaign, cells=cells).as_dict())
    figures = compute_aggregate(campaign).as_dict()
    assert set(figures["periods"]) == {earlier.label, campaign.period_label}
    assert figures["by_age_band"] and figures["suppressed_count"] and figures["by_age"]["unknown"]
    assert list(figures["by_age_band"]) == sorted(figures["by_age_band"])
    # The same groups with the same totals (None where every cell is suppressed), in any order but
    # the ages' (the bands are listed in it).
    kept = queries.breakdowns(campaign.pk)
    from_counts = summed_from_counts(monkeypatch, lambda: queries.breakdowns(campaign.pk))
    assert kept.ages == from_counts.ages
    assert [sorted(rows, key=repr) for rows in kept] == [sorted(rows, key=repr) for rows in from_counts]
    assert any(row.total is None for _, row in kept.ages)
    # By sex too, with the labels of the suppressed cells (what they allow by sex is read from them).
    assert any(row.sex for _, row in kept.sexes) and any(row.label for _, row in kept.sexes)
    chain = [{"pk": campaign.pk, "repeats_id": None, "slug": campaign.slug, "title": campaign.title,
              "period_start": campaign.period_start, "period_end": campaign.period_end}]
    assert trend(chain) == summed_from_counts(monkeypatch, lambda: trend(chain))
    assert queries.live_by_force(campaign.pk, earlier.label) == {"kent": 0, "surrey": 5}  # kent's 9 suppressed above
    assert queries.live_by_force(campaign.pk, earlier.label) == summed_from_counts(
        monkeypatch, lambda: queries.live_by_force(campaign.pk, earlier.label))


def test_the_migration_sums_the_counts_already_there(postgresql, campaign):
    """What the migration runs on a database with counts: the subtotals made again from them."""
    load_counts(campaign)
    add_awkward_counts(campaign)
    before = kept_rows(campaign)
    CountSubtotal.objects.all().delete()
    assert drift(campaign) != []
    with transaction.atomic(), connection.cursor() as cursor:
        subtotals.rebuild(cursor)
    assert drift(campaign) == []
    assert kept_rows(campaign) == before


def test_a_truncate_of_the_counts_leaves_no_subtotal_and_changes_every_campaigns_figures(postgresql, campaign):
    """TRUNCATE has no transition table: the subtotals are emptied and every campaign's figures
    version changes, so neither the page's figures nor the cache can outlive the counts."""
    from reports.cache import figures_version

    load_counts(campaign)
    assert CountSubtotal.objects.filter(campaign=campaign).exists()
    before = figures_version(campaign.pk)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks of the counts just loaded
        cursor.execute(f"TRUNCATE {subtotals.COUNTS}")
    assert not CountSubtotal.objects.exists() and drift() == []
    assert figures_version(campaign.pk) != before
    assert compute_aggregate(campaign).total_offences == 0


def test_check_subtotals_finds_a_drift_and_rebuilds(postgresql, campaign):
    load_counts(campaign)
    call_command("check_subtotals", campaign.slug, stdout=StringIO())
    CountSubtotal.objects.filter(campaign=campaign, force__force_id="kent").delete()  # as a TRUNCATE would
    with pytest.raises(CommandError, match=rf"differ from the counts' \(campaign ids \[{campaign.pk}\]\)"):
        call_command("check_subtotals", stdout=StringIO())
    out = StringIO()
    call_command("check_subtotals", campaign.slug, "--rebuild", stdout=out)
    assert "Rebuilt" in out.getvalue() and drift() == []


def test_check_subtotals_on_a_database_that_keeps_none(db):
    if connection.vendor == "postgresql":
        pytest.skip("checks the answer of a database that keeps no subtotals: runs in the SQLite pass of .ci/run")
    out = StringIO()
    call_command("check_subtotals", stdout=out)
    assert "keeps no subtotals" in out.getvalue()


# --- Two processes at once ----------------------------------------------------------------------

SCRIPT = """
from django.db import transaction
from collection.returns.models import OffenceCount

if action == "import":
    call_command("import_return", *sys.argv[3:])
else:  # add and take away cells of one force, a transaction each, slowly enough to overlap
    template, rounds = OffenceCount.objects.get(pk=int(sys.argv[3])), int(sys.argv[4])
    added = []
    for i in range(rounds):
        with transaction.atomic():
            template.pk, template.count = None, 1
            template.save()
            added.append(template.pk)
            if i % 3 == 2:
                OffenceCount.objects.filter(pk=added.pop(0)).delete()
            time.sleep(0.01)
    print(len(added))
"""


@pytest.fixture
def practice(services, postgresql, campaign):
    return campaign


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_processes_writing_one_forces_counts_at_once_keep_its_subtotals(practice, settings, monkeypatch):
    load_counts(practice)
    kent = OffenceCount.objects.filter(campaign=practice, force__force_id="kent")
    before = kent.aggregate(n=Sum("count"))["n"]
    template = kent.order_by("pk").first()
    outputs = processes.together(settings, SCRIPT, ["cells", str(template.pk), "30"], ["cells", str(template.pk), "30"])
    kept_cells = sum(int(out.split()[-1]) for out in outputs)
    assert kent.aggregate(n=Sum("count"))["n"] == before + kept_cells == before + 40
    assert drift(practice) == []
    figures = compute_aggregate(practice).as_dict()
    assert figures["by_force"]["kent"] == before + 40
    assert figures == summed_from_counts(monkeypatch, lambda: compute_aggregate(practice).as_dict())


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_imports_into_one_campaign_at_once_keep_its_subtotals(practice, settings, monkeypatch):
    processes.together(settings, SCRIPT, ["import", practice.slug, "kent", str(DATA / "kent.xlsx")],
                       ["import", practice.slug, "essex", str(DATA / "essex.xlsx")])
    assert drift(practice) == []
    figures = compute_aggregate(practice).as_dict()
    assert figures["by_force"] == {force: TRUTH["by_force"][force] for force in ("essex", "kent")}
    assert figures == summed_from_counts(monkeypatch, lambda: compute_aggregate(practice).as_dict())
