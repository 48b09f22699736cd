"""A request's life through the services: every change leaves an event, the clock follows."""
import datetime as dt

import pytest

from collection.forces.models import Force
from collection.requests.models import Campaign, EventKind, FoiRequest, Outcome, RequestStatus
from collection.requests.services import CreateCampaign, MarkSent, RecordEvent, RecordResponse
from collection.validation import ServiceError

D = dt.date.fromisoformat
pytestmark = pytest.mark.django_db


def test_reference_data_is_loaded_by_migration():
    assert Force.objects.count() == 44
    assert Force.objects.get(force_id="metropolitan").ons_code == "E23000001"
    assert not Force.objects.get(force_id="btp").territorial
    from collection.forces.models import OffenceCode
    assert OffenceCode.objects.get(code="19E").victim_max_age == 12


def test_campaign_asks_every_active_force_and_records_sending(campaign, researcher):
    assert campaign.requests.count() == 44
    request = campaign.requests.get(force__force_id="kent")
    assert request.status == RequestStatus.SENT
    assert request.received_on == D("2016-03-01")
    assert request.due_on == D("2016-04-01")
    assert request.events.filter(kind=EventKind.SENT).count() == 1
    assert request.our_reference == "FOI-CYBER-2015-16-KENT"


def test_inactive_forces_are_not_asked_by_default(researcher):
    Force.objects.filter(force_id="btp").update(active=False)
    c = CreateCampaign("c2", "T", D("2015-04-01"), D("2016-03-31")).execute()
    assert c.requests.count() == 43
    assert c.requests.filter(status=RequestStatus.DRAFT).count() == 43


def test_duplicate_slug_and_bad_period_change_nothing(campaign):
    with pytest.raises(ServiceError, match="already exists"):
        CreateCampaign(campaign.slug, "T", D("2015-04-01"), D("2016-03-31")).execute()
    with pytest.raises(ServiceError, match="ends"):
        CreateCampaign("other", "T", D("2016-04-01"), D("2016-03-31")).execute()
    assert Campaign.objects.count() == 1


def test_clarification_extension_and_answer_move_status_and_clock(campaign, researcher):
    r = campaign.requests.get(force__force_id="kent")
    RecordEvent(r, EventKind.CLARIFICATION_ASKED, D("2016-03-08"), researcher).execute()
    r.refresh_from_db()
    assert r.status == RequestStatus.AWAITING_CLARIFICATION and r.due_on is None
    RecordEvent(r, EventKind.CLARIFICATION_GIVEN, D("2016-03-15"), researcher).execute()
    r.refresh_from_db()
    assert r.status == RequestStatus.SENT and r.due_on == D("2016-04-15")
    RecordEvent(r, EventKind.EXTENSION_CLAIMED, D("2016-04-14"), researcher, new_due_on=D("2016-05-13")).execute()
    r.refresh_from_db()
    assert r.status == RequestStatus.EXTENDED and r.due_on == D("2016-05-13")
    RecordResponse(r, Outcome.PROVIDED, D("2016-05-10"), researcher).execute()
    r.refresh_from_db()
    assert r.status == RequestStatus.ANSWERED and r.outcome == Outcome.PROVIDED and r.answered_on == D("2016-05-10")
    kinds = list(r.events.values_list("kind", flat=True))
    assert kinds == ["sent", "clarification_asked", "clarification_given", "extension_claimed", "answered"]
    assert all(e.created_by == researcher for e in r.events.exclude(kind="sent"))
    answered = r.events.get(kind="answered")
    assert answered.changes["outcome"] == ["", "provided"]


def test_extension_without_a_date_is_refused(campaign):
    r = campaign.requests.first()
    with pytest.raises(ServiceError, match="new date"):
        RecordEvent(r, EventKind.EXTENSION_CLAIMED, D("2016-03-20")).execute()
    assert not r.events.filter(kind=EventKind.EXTENSION_CLAIMED).exists()


def test_refusal_needs_sections(campaign):
    r = campaign.requests.first()
    with pytest.raises(ServiceError, match="sections"):
        RecordResponse(r, Outcome.REFUSED, D("2016-03-20")).execute()
    RecordResponse(r, Outcome.REFUSED, D("2016-03-20"), sections="s.12").execute()
    r.refresh_from_db()
    assert r.sections_cited == "s.12"


def test_internal_review_and_overdue(campaign):
    r = campaign.requests.get(force__force_id="kent")
    assert r.working_days_overdue(D("2016-04-01")) == 0
    assert r.working_days_overdue(D("2016-04-04")) == 1
    assert not r.is_very_overdue(D("2016-04-28")) and r.is_very_overdue(D("2016-04-29"))
    assert FoiRequest.objects.overdue(D("2016-04-04")).count() == 44
    RecordEvent(r, EventKind.REVIEW_ASKED, D("2016-07-15")).execute()
    r.refresh_from_db()
    assert r.status == RequestStatus.INTERNAL_REVIEW and r.review_due_on == D("2016-08-15")


def test_no_response_closes_the_request(campaign):
    r = campaign.requests.first()
    RecordResponse(r, Outcome.NO_RESPONSE, D("2016-06-01")).execute()
    r.refresh_from_db()
    assert r.status == RequestStatus.CLOSED and r.outcome == Outcome.NO_RESPONSE


# E-mailing the request: tests/sending/test_sending.py.


def test_mark_sent_leaves_already_sent_requests_alone(campaign):
    n = MarkSent(list(campaign.requests.all()), D("2016-03-10")).execute()
    assert n == 0
    assert campaign.requests.filter(received_on=D("2016-03-01")).count() == 44


def test_the_sent_event_says_how_the_request_went_in_words_not_the_stored_choice(campaign):
    events = campaign.requests.first().events.filter(kind=EventKind.SENT)
    assert [e.detail for e in events] == ["Sent (recorded by hand)"]
