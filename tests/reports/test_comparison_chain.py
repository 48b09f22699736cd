"""The practice chain (2015/16, then its repeat asking 2016/17 and 2015/16 again) gives exactly
truth.json's figures for both periods and its comparison: the contract (compile_aggregate --json,
the stored snapshot), per period and like for like."""
import json
from io import StringIO

import pytest
from django.core.management import call_command

from collection.requests.models import CampaignPeriod
from reports.models import AggregateSnapshot
from reports.figures import compute_aggregate
from reports.services import CompileAggregate
from tests.reports import practice
from tests.reports.practice import FIGURE_KEYS
from tests.reports.practice_chain import TRUTH, chain, expected_per_force

pytestmark = pytest.mark.django_db
COMPARISON = TRUTH["comparison"]


def figures_json(slug) -> dict:
    out = StringIO()
    call_command("compile_aggregate", slug, "--json", "--no-snapshot", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def assert_truth(figures, label):
    for key in FIGURE_KEYS:
        assert figures[key] == TRUTH[label][key], (label, key)
    assert (figures["period_start"], figures["period_end"]) == (TRUTH[label]["period_start"],
                                                                 TRUTH[label]["period_end"])
    assert figures["period"] == label


def assert_comparison(c, *, original=True):
    assert (c["base_period"], c["period"], c["base"]) == ("2015-16", "2016-17", "restated")
    assert c["like_for_like_forces"] == COMPARISON["like_for_like_forces"]
    assert c["base_total"] == COMPARISON["restated_2015_16_total"] == 2675
    assert c["total"] == COMPARISON["total_2016_17"] == 3134
    assert (c["change"], c["change_pct"]) == (COMPARISON["change"], COMPARISON["change_pct"]) == (459, 17.2)
    assert {f: {k: v for k, v in e.items() if k != "change_pct"} for f, e in c["per_force"].items()} == \
        (expected_per_force() if original else
         {f: {k: v for k, v in e.items() if k != "original_base"} for f, e in expected_per_force().items()})
    single = {f: e["current"] for f, e in c["single_period_forces"].items()}
    assert single == {f: e["2016_17"] for f, e in COMPARISON["single_year_forces"].items()}
    if original:
        assert c["original_base_total"] == COMPARISON["original_2015_16_total"] == 2278
        assert c["original_base_forces"] == COMPARISON["original_2015_16_forces"] == 36
        assert {f: e["original_base"] for f, e in c["single_period_forces"].items()} == \
            {f: e["original_2015_16"] for f, e in COMPARISON["single_year_forces"].items()}


def test_the_chain_gives_the_truth_for_both_periods_and_the_comparison(researcher):
    first, second = chain(researcher)
    figures = figures_json(second.slug)
    assert_truth(figures, "2016-17")  # the existing keys describe the latest period
    assert list(figures["periods"]) == ["2015-16", "2016-17"]
    assert_truth(figures["periods"]["2015-16"], "2015-16")  # as restated, previously_provided included
    assert_truth(figures["periods"]["2016-17"], "2016-17")
    assert set(figures["periods"]["2015-16"]) == set(figures) - {"periods", "comparison"}
    c = figures["comparison"]
    assert_comparison(c)
    published = AggregateSnapshot.objects.get(campaign=first, final=True)
    assert c["original_source"]["snapshot"] == published.pk and c["original_source"]["campaign"] == first.slug
    assert c["headlines"][0] == ("3,134 offences in 2016/17 from 37 forces, 459 (17.2%) more than the same forces "
                                 "recorded in 2015/16 (2,675).")
    assert "2,278 first published for the same forces (36 of them had given figures then)" in c["headlines"][1]
    assert ("3 forces gave figures for 2016/17 only (Kent Police, Norfolk Constabulary and South Yorkshire Police)"
            in " ".join(c["headlines"]))
    # The earlier period's own sentences say who gave it before and did not restate it.
    assert any("had given these figures before and did not restate them" in s
               for s in figures["periods"]["2015-16"]["headlines"])


def test_the_stored_snapshot_holds_the_same_contract(researcher):
    _, second = chain(researcher)
    snapshot = CompileAggregate(second, final=True).execute()
    assert_truth(snapshot.figures, "2016-17")
    assert_truth(snapshot.figures["periods"]["2015-16"], "2015-16")
    assert_comparison(snapshot.figures["comparison"])


def test_one_period_alone(researcher):
    _, second = chain(researcher)
    alone = compute_aggregate(second, period="2015-16")
    assert_truth(alone.as_dict(), "2015-16")
    assert alone.periods == {} and alone.comparison is None


def test_the_original_comes_from_the_live_figures_until_a_final_snapshot_is_stored(researcher):
    first, second = chain(researcher, publish_first=False)
    c = compute_aggregate(second).comparison
    assert_comparison(c)
    assert c["original_source"]["snapshot"] is None and "live counts" in c["original_source"]["note"]


def test_the_published_snapshot_is_the_original_even_after_a_correction(researcher):
    """A correction to the first year after its figures were published changes its live counts,
    not what was published: the original base stays the snapshot's."""
    first, second = chain(researcher)
    kent = first.counts.filter(force__force_id="avon-and-somerset").first()
    kent.count += 100
    kent.save()
    c = compute_aggregate(second).comparison
    assert c["original_base_total"] == 2278
    CompileAggregate(first, final=True).execute()  # published again, corrected
    assert compute_aggregate(second).comparison["original_base_total"] == 2378


def test_a_repeat_that_did_not_ask_the_earlier_period_again_compares_with_the_original(researcher):
    first, second = chain(researcher, ask_previous=False)
    figures = compute_aggregate(second).as_dict()
    assert list(figures["periods"]) == ["2016-17"]
    c = figures["comparison"]
    assert (c["base"], c["base_period"], c["period"]) == ("original", "2015-16", "2016-17")
    original = practice.TRUTH["by_force"]
    current = TRUTH["2016-17"]["by_force"]
    both = sorted(set(original) & set(current))
    assert c["like_for_like_forces"] == both
    assert c["base_total"] == c["original_base_total"] == sum(original[f] for f in both)
    assert c["total"] == sum(current[f] for f in both)
    assert "as first published" in c["headlines"][1]


def test_a_campaign_with_one_period_and_no_repeat_has_no_comparison(complete):
    figures = compute_aggregate(complete).as_dict()
    assert "comparison" not in figures and list(figures["periods"]) == ["2015-16"]
    assert figures["periods"]["2015-16"]["total_offences"] == figures["total_offences"] == 2552


def test_an_earlier_period_without_a_repeat_is_compared_restated_only(researcher):
    _, second = chain(researcher)
    second.repeats = None
    second.save()
    c = compute_aggregate(second).comparison
    assert c["base"] == "restated" and c["original_base_total"] is None and c["base_total"] == 2675
    assert all("original_base" not in e for e in c["per_force"].values())
    assert CampaignPeriod.objects.filter(campaign=second).count() == 2


def test_the_cached_figures_follow_the_earlier_campaign(researcher):
    """The report's figures are kept per version; the comparison reads the earlier campaign's
    published figures, so a change there (its live counts, a new final snapshot) is a new version."""
    from reports.cache import campaign_version, figures_version, report_figures

    first, second = chain(researcher, publish_first=False)
    assert campaign_version(first) == figures_version(first.pk)  # repeats nothing: as before
    before = campaign_version(second)
    assert report_figures(second).aggregate.comparison["original_base_total"] == 2278
    avon = first.counts.filter(force__force_id="avon-and-somerset").first()
    avon.count += 10
    avon.save()  # no snapshot yet: the live counts are the original
    assert campaign_version(second) != before
    assert report_figures(second).aggregate.comparison["original_base_total"] == 2288
    snapshot = CompileAggregate(first, final=True).execute()
    version = campaign_version(second)
    avon.count -= 10
    avon.save()  # after publication: the snapshot stays the original
    assert report_figures(second).aggregate.comparison["original_base_total"] == 2288
    CompileAggregate(first, final=True).execute()  # published again
    assert campaign_version(second) not in (version, before)
    assert report_figures(second).aggregate.comparison["original_source"]["snapshot"] != snapshot.pk
    assert report_figures(second).aggregate.comparison["original_base_total"] == 2278


def test_a_snapshot_of_the_repeat_is_unchanged_until_something_it_reads_changes(researcher):
    from reports.services import changed_since

    first, second = chain(researcher)
    snapshot = CompileAggregate(second, final=True).execute()
    assert not changed_since(snapshot, second)
    CompileAggregate(first, final=True).execute()  # the same figures published again: nothing moved
    assert not changed_since(snapshot, second)
    avon = first.counts.filter(force__force_id="avon-and-somerset").first()
    avon.count += 10
    avon.save()
    CompileAggregate(first, final=True).execute()  # the original moved
    assert changed_since(snapshot, second)


def test_the_command_says_the_periods_and_the_comparison(researcher):
    _, second = chain(researcher)
    out = StringIO()
    call_command("compile_aggregate", second.slug, "--no-snapshot", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "2015-16        2,675 offences, 37 forces with data  (asked again: restated)" in text
    assert "Compared with 2015-16 (like for like, base restated):" in text
    assert "459 (17.2%) more than the same forces recorded in 2015/16 (2,675)." in text
