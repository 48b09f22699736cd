"""The national aggregate of the practice campaign equals truth.json: through the service, the
command, the automatic compile on the last answer and the snapshot it stores."""
import json

import pytest
from django.core import mail
from django.core.management import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collection.forces.models import OffenceCode
from collection.returns.models import OffenceCount
from reports.models import AggregateSnapshot
from reports.figures import compute_aggregate
from reports.services import AggregateNotFinal, CompileAggregate
from tests.reports.practice import FIGURE_KEYS, MANIFEST, TRUTH, load_counts, record_outcome, record_outcomes
from tests.helpers import command_output

pytestmark = pytest.mark.django_db

LAST = "west-yorkshire"


@pytest.fixture
def practice(campaign, researcher):
    """Every count loaded, every force answered except the last one."""
    load_counts(campaign)
    record_outcomes(campaign, leave_out={LAST}, user=researcher)
    return campaign


@pytest.fixture
def complete(practice, researcher):
    record_outcome(practice, LAST, researcher)
    return practice


def test_final_aggregate_equals_truth(complete):
    figures = CompileAggregate(complete, final=True, save=False).execute().as_dict()
    for key in FIGURE_KEYS:
        assert figures[key] == TRUTH[key], key
    assert figures["final"] is True and figures["outstanding_forces"] == []
    assert figures["suppressed_cells"] == []
    assert figures["total_offences_min"] == figures["total_offences_max"] == 2552
    assert figures["largest_force"] == {"total": 344, "forces": [{"force_id": "metropolitan",
                                                                   "name": "Metropolitan Police Service"}]}
    assert figures["smallest_force"]["total"] == 2 and len(figures["smallest_force"]["forces"]) == 3


def test_headline_sentences_read_like_a_press_release(complete):
    headlines = compute_aggregate(complete).headlines
    text = " ".join(headlines)
    assert "more than 2,500 offences" in text and "(2,552)" in text
    assert "The most common victim age was 14 (442 offences), 208 offences were against children under 10 and " \
           "the youngest victim was under a year old." in headlines
    assert "On average 7 offences were recorded a day (6.97 over 366 days)." in headlines
    assert "Metropolitan Police Service recorded the most (344)" in text
    assert "1 force refused (Suffolk Constabulary, s.12)" in text and "did not respond (North Wales Police)" in text
    assert "provisional" not in text


def test_aggregate_runs_one_group_by_per_breakdown(complete):
    """PostgreSQL sums the breakdowns from the counts' subtotals in one query, and reads the counts
    only for the list of suppressed cells; SQLite runs one GROUP BY per breakdown."""
    with CaptureQueriesContext(connection) as queries:
        compute_aggregate(complete)
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) <= 8, sql
    count_queries = [s for s in sql if "collection_offencecount" in s]
    assert not any("collection_offencecount" in s and "LIMIT" in s for s in sql)  # no per-row queries
    if connection.vendor == "postgresql":
        assert len(count_queries) == 1 and "GROUP BY" not in count_queries[0]  # the suppressed cells, listed
        assert sum("reports_countsubtotal" in s for s in sql) == 1
        with CaptureQueriesContext(connection) as queries:
            compute_aggregate(complete, cells=False)
        assert not any("collection_offencecount" in q["sql"] for q in queries.captured_queries)
    else:
        assert len(count_queries) == 4  # by age, by offence, by force, suppressed cells
        assert sum("GROUP BY" in s for s in count_queries) == 3


def test_final_is_refused_while_a_force_is_outstanding_and_named(practice):
    with pytest.raises(AggregateNotFinal, match="West Yorkshire Police") as error:
        CompileAggregate(practice, final=True).execute()
    assert [f["force_id"] for f in error.value.outstanding] == [LAST]
    assert not AggregateSnapshot.objects.exists()
    with pytest.raises(CommandError, match=r"cannot be final: 1 of 44 forces have no outcome yet: "
                                           r"West Yorkshire Police \(west-yorkshire\)"):
        command_output("compile_aggregate", practice.slug)


def test_provisional_aggregate_says_what_is_missing(practice):
    out, _ = command_output("compile_aggregate", practice.slug, "--provisional", "--json")
    figures = json.loads(out)
    assert figures["final"] is False
    assert figures["outcomes"] == {**{k: v for k, v in TRUTH["outcomes"].items()}, "provided": 39, "outstanding": 1}
    assert figures["outstanding_forces"] == [{"force_id": LAST, "name": "West Yorkshire Police"}]
    # The counts are there already; only the outcome is missing.
    assert figures["total_offences"] == TRUTH["total_offences"]
    assert figures["forces_with_data"] == 39
    assert figures["headlines"][0].startswith("These figures are provisional: 1 force has not answered yet")
    out, _ = command_output("compile_aggregate", practice.slug, "--provisional")
    assert "PROVISIONAL" in out and "Outstanding: West Yorkshire Police" in out
    assert not AggregateSnapshot.objects.exists()


def test_compile_aggregate_json_gives_truth(complete):
    out, err = command_output("compile_aggregate", complete.slug, "--json")
    figures = json.loads(out)
    assert list(figures)[:15] == ["total_offences", "per_day_average", "period_days", "by_age", "under_10",
                                  "youngest_age", "modal_age", "by_offence_category", "by_offence_code", "by_force",
                                  "forces_asked", "forces_with_data", "outcomes", "suppressed_cells", "final"]
    for key in FIGURE_KEYS:
        assert figures[key] == TRUTH[key], key
    assert figures["final"] is True
    assert list(figures["by_age"]) == [str(a) for a in range(18)] + ["unknown"]
    assert "Stored snapshot" in err
    assert AggregateSnapshot.objects.filter(campaign=complete, final=True, trigger="command").count() == 1


def test_compile_aggregate_human_summary(complete):
    out, _ = command_output("compile_aggregate", complete.slug, "--no-snapshot")
    assert "FINAL national figures" in out
    assert "Total offences         2,552" in out and "Average per day         6.97" in out
    assert "Most common age           14" in out
    assert not AggregateSnapshot.objects.exists()


def test_unknown_campaign(db):
    with pytest.raises(CommandError, match="no campaign with slug 'nope'"):
        command_output("compile_aggregate", "nope")


def test_last_answer_compiles_snapshots_and_emails_the_owner(practice, researcher,
                                                             django_capture_on_commit_callbacks):
    assert not AggregateSnapshot.objects.exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_outcome(practice, LAST, researcher)
    assert len(callbacks) >= 1
    snapshot = AggregateSnapshot.objects.get(campaign=practice)
    assert snapshot.final and snapshot.trigger == "last answer" and snapshot.compiled_by is None
    for key in FIGURE_KEYS:
        assert snapshot.figures[key] == TRUTH[key], key
    # Sources: one file per force with data, by checksum of the file the force sent.
    assert len(snapshot.sources) == 40
    kent = next(s for s in snapshot.sources if s["force_id"] == "kent")
    assert kent["file_name"] == MANIFEST["kent"]["file"] and len(kent["sha256"]) == 64
    # The owner is told, with a link to the report page.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [researcher.email] and "Final national figures compiled" in message.subject
    assert f"/admin/reports/aggregatesnapshot/campaign/{practice.pk}/report/" in message.body
    assert "2552" in message.body or "2,552" in message.body
    assert message.alternatives and "Open the report" in message.alternatives[0][0]


def test_answers_before_the_last_compile_nothing(campaign, researcher,
                                                 django_capture_on_commit_callbacks):
    load_counts(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        record_outcomes(campaign, leave_out={LAST, "kent"}, user=researcher)
        record_outcome(campaign, "kent", researcher)
    assert not AggregateSnapshot.objects.exists()


def test_correction_after_the_final_makes_a_new_snapshot_and_keeps_the_old(complete, researcher,
                                                                          django_capture_on_commit_callbacks):
    first = CompileAggregate(complete, final=True, trigger="command").execute()
    # A correction: Kent's 88A count at age 14 was 1 more than imported, and its answer is re-recorded.
    cell = OffenceCount.objects.filter(campaign=complete, force__force_id="kent",
                                       offence=OffenceCode.objects.get(code="88A")).first()
    cell.count += 1
    cell.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(complete, "kent", researcher)
    snapshots = list(AggregateSnapshot.objects.filter(campaign=complete).order_by("pk"))
    assert [s.pk for s in snapshots][0] == first.pk and len(snapshots) == 2
    assert snapshots[0].figures["total_offences"] == 2552 and snapshots[1].figures["total_offences"] == 2553
    assert len(mail.outbox) == 1
    # The same answer recorded again, nothing changed: no third snapshot, no second email.
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(complete, "kent", researcher)
    assert AggregateSnapshot.objects.filter(campaign=complete).count() == 2 and len(mail.outbox) == 1


def test_timeliness_table(complete):
    rows = {t["force_id"]: t for t in compute_aggregate(complete).timeliness}
    assert len(rows) == 44
    # Sent and received 1 March 2016, due 1 April 2016.
    on_time = rows["avon-and-somerset"]
    assert on_time["due_on"] == "2016-04-01" and on_time["answered_on"] == "2016-03-08"
    assert on_time["working_days"] == 5 and on_time["on_time"] is True and on_time["verdict"] == "On time"
    late = [t for t in rows.values() if t["on_time"] is False and t["outcome"] != "no_response"]
    assert late and all(t["verdict"].startswith("Late by") for t in late)
    assert rows["north-wales"]["verdict"].startswith("No response") and rows["north-wales"]["working_days"] is None
    assert rows["suffolk"]["sections_cited"] == "s.12"
