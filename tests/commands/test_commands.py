"""The management commands: the same services as the admin, one clear line on bad input."""
import datetime as dt
import json

import pytest
from django.core.management import CommandError

from collection.requests.models import Campaign, FoiRequest, RequestEvent
from tests.helpers import command

pytestmark = pytest.mark.django_db


def test_create_campaign_with_question_file_and_owner(tmp_path, researcher):
    q = tmp_path / "question.txt"
    q.write_text("How many offences ...?\n", encoding="utf-8")
    out = command("create_campaign", "cyber", "--title", "Cyber", "--period-start", "2015-04-01",
              "--period-end", "2016-03-31", "--sent-on", "2016-03-01", "--question-file", str(q), "--owner", "rita")
    assert "44 requests" in out
    c = Campaign.objects.get(slug="cyber")
    assert c.question == "How many offences ...?" and c.owner == researcher
    assert c.requests.filter(due_on=dt.date(2016, 4, 1)).count() == 44


@pytest.mark.parametrize("args, message", [
    (["--period-start", "2015-04-01", "--period-end", "2014-03-31"], "ends"),
    (["--period-start", "01/04/2015", "--period-end", "2016-03-31"], "--period-start: '01/04/2015' is not a date"),
    (["--period-start", "2015-04-01", "--period-end", "2016-03-31", "--sent-on", "tomorrow"], "--sent-on"),
    (["--period-start", "2015-04-01", "--period-end", "2016-03-31", "--owner", "nobody"], "no user 'nobody'"),
    (["--period-start", "2015-04-01", "--period-end", "2016-03-31", "--question-file", "/nonexistent"],
     "--question-file"),
])
def test_create_campaign_bad_input_writes_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        command("create_campaign", "bad", "--title", "T", *args)
    assert not Campaign.objects.exists() and not FoiRequest.objects.exists()


def test_create_campaign_bad_slug_and_duplicate(campaign):
    with pytest.raises(CommandError, match="already exists"):
        command("create_campaign", campaign.slug, "--title", "T", "--period-start", "2015-04-01",
            "--period-end", "2016-03-31")
    with pytest.raises(CommandError, match="lower-case"):
        command("create_campaign", "Bad Slug", "--title", "T", "--period-start", "2015-04-01",
            "--period-end", "2016-03-31")
    assert Campaign.objects.count() == 1


def test_record_response_and_status(campaign):
    out = command("record_response", campaign.slug, "kent", "--outcome", "refused", "--received-on", "2016-03-29",
              "--sections", "s.12,s.40(2)")
    assert "Kent Police: Refused" in out
    status = json.loads(command("campaign_status", campaign.slug, "--json", "--today", "2016-04-05"))
    kent = next(r for r in status["requests"] if r["force_id"] == "kent")
    assert kent["outcome"] == "refused" and kent["sections_cited"] == "s.12,s.40(2)"
    assert kent["working_days_overdue"] == 0
    essex = next(r for r in status["requests"] if r["force_id"] == "essex")
    assert essex["due_on"] == "2016-04-01" and essex["working_days_overdue"] == 2
    text = command("campaign_status", campaign.slug, "--today", "2016-04-05")
    assert "1 answered, 43 overdue" in text


@pytest.mark.parametrize("args, message", [
    (["no-such-campaign", "kent", "--outcome", "provided", "--received-on", "2016-03-29"], "no campaign"),
    (["cyber-2015-16", "atlantis", "--outcome", "provided", "--received-on", "2016-03-29"], "no force with id"),
    (["cyber-2015-16", "kent", "--outcome", "provided", "--received-on", "29/03/2016"], "--received-on"),
    (["cyber-2015-16", "kent", "--outcome", "refused", "--received-on", "2016-03-29"], "sections"),
])
def test_record_response_bad_input_writes_nothing(campaign, args, message):
    before = RequestEvent.objects.count()
    with pytest.raises(CommandError, match=message):
        command("record_response", *args)
    assert RequestEvent.objects.count() == before
    assert not FoiRequest.objects.exclude(outcome="").exists()


def test_record_response_unknown_outcome():
    with pytest.raises(CommandError, match="invalid choice"):
        command("record_response", "x", "kent", "--outcome", "maybe", "--received-on", "2016-03-29")


def test_campaign_status_unknown_campaign(db):
    with pytest.raises(CommandError, match="no campaign with slug 'nope'"):
        command("campaign_status", "nope")
