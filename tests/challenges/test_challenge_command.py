"""The ladder from the command line: `challenge --draft` prints the letter the sections call for,
`challenge --record` and `record_response --review` write the steps, and `campaign_status --json`
gives each request's next step and its date from the same clock."""
import json

import pytest

from collection.challenges.models import ChallengeStep
from collection.requests.models import EventKind, FoiRequest, RequestStatus
from tests.helpers import command

pytestmark = pytest.mark.django_db
SLUG = "cyber-2015-16"


def draft(force, today):
    """The drafted letter with its lines joined (it is wrapped for e-mail)."""
    return " ".join(command("challenge", SLUG, force, "--draft", "--today", today).split())


def status(today):
    rows = json.loads(command("campaign_status", SLUG, "--json", "--today", today))["requests"]
    return {r["force_id"]: r for r in rows}


def test_a_cost_refusal_draws_a_letter_asking_for_the_estimate_and_a_narrower_question(campaign):
    command("record_response", SLUG, "suffolk", "--outcome", "refused", "--received-on", "2016-03-29",
            "--sections", "s.12", "--reference", "FOI/0412/16")
    letter = draft("suffolk", "2016-04-05")
    assert "Subject: Internal review request FOI-CYBER-2015-16-SUFFOLK" in letter
    assert "Your reference: FOI/0412/16" in letter and "refused the request on 29 Mar 2016, citing s.12" in letter
    assert "Cost (s.12)" in letter and "estimate" in letter and "s.16" in letter
    assert "fewer offence codes" in letter and "shorter period within 2015-16" in letter
    assert "by 4 May 2016" in letter  # 20 working days from the letter, across 2 May
    assert "Personal data" not in letter
    assert not ChallengeStep.objects.exists()  # a draft writes nothing


def test_a_personal_data_refusal_draws_the_statistics_argument(campaign):
    command("record_response", SLUG, "kent", "--outcome", "refused", "--received-on", "2016-03-30",
            "--sections", "s.40(2), s.31(1)(a)")
    letter = draft("kent", "2016-04-05")
    assert "Personal data (s.40(2))" in letter and "statistics" in letter and "'<5'" in letter
    assert "public interest test" in letter and "s.31(1)(a)" in letter
    assert "Cost (" not in letter


def test_not_held_and_silence_have_their_own_grounds(campaign):
    command("record_response", SLUG, "essex", "--outcome", "not_held", "--received-on", "2016-03-30")
    assert "how the records are kept" in draft("essex", "2016-04-05")
    silent = draft("dorset", "2016-04-20")
    assert "We have had no answer" in silent and "due by 1 Apr 2016" in silent


def test_the_steps_move_the_status_and_the_next_step(campaign):
    command("record_response", SLUG, "suffolk", "--outcome", "refused", "--received-on", "2016-03-29",
            "--sections", "s.12")
    row = status("2016-04-05")["suffolk"]
    assert (row["next_step"], row["next_step_due"]) == ("ask_internal_review", "2016-05-25")
    assert status("2016-03-20")["kent"]["next_step"] is None  # not late yet, nothing to challenge
    assert status("2016-04-05")["kent"]["next_step"] == "ask_internal_review"  # late: silence can be challenged

    out = command("challenge", SLUG, "suffolk", "--record", "review_asked", "--date", "2016-04-05",
                  "--today", "2016-04-06")
    assert "Next: review_due, due 2016-05-04" in out
    suffolk = FoiRequest.objects.get(campaign=campaign, force__force_id="suffolk")
    assert suffolk.status == RequestStatus.INTERNAL_REVIEW and str(suffolk.review_due_on) == "2016-05-04"
    assert status("2016-05-10")["suffolk"]["next_step"] == "review_due"

    command("record_response", SLUG, "suffolk", "--outcome", "refused", "--received-on", "2016-05-04",
            "--sections", "s.12", "--review", "upheld")
    assert (status("2016-05-05")["suffolk"]["next_step"], status("2016-05-05")["suffolk"]["next_step_due"]) == (
        "ico_complaint_by", "2016-06-15")
    command("challenge", SLUG, "suffolk", "--record", "ico_complaint", "--date", "2016-05-20")
    command("challenge", SLUG, "suffolk", "--record", "ico_reference", "--date", "2016-05-27", "--reference", "FS50612345")
    assert status("2016-06-01")["suffolk"]["next_step"] is None  # the ICO keeps no statutory clock
    command("challenge", SLUG, "suffolk", "--record", "decision_notice", "--date", "2016-11-27",
            "--outcome", "not_upheld", "--reference", "FS50612345")
    row = status("2016-12-01")["suffolk"]
    assert (row["next_step"], row["next_step_due"]) == ("appeal_by", "2016-12-28")
    assert [s["step"] for s in row["ladder"]] == ["Review asked", "Review answered: refusal upheld", "ICO complaint",
                                                  "ICO reference", "Decision notice: complaint not upheld"]
    kinds = list(suffolk.events.values_list("kind", flat=True))
    assert EventKind.REVIEW_ASKED in kinds and EventKind.DECISION_NOTICE in kinds and EventKind.ICO_CASE_REFERENCE in kinds


def test_a_review_that_overturns_ends_the_ladder(campaign):
    command("record_response", SLUG, "suffolk", "--outcome", "refused", "--received-on", "2016-03-29", "--sections", "s.12")
    command("challenge", SLUG, "suffolk", "--record", "review_asked", "--date", "2016-04-05")
    out = command("record_response", SLUG, "suffolk", "--outcome", "provided", "--received-on", "2016-04-28",
                  "--review", "overturned", "--today", "2016-04-29")
    assert "Next:" not in out
    assert status("2016-04-29")["suffolk"]["next_step"] is None
    assert FoiRequest.objects.get(campaign=campaign, force__force_id="suffolk").outcome == "provided"
