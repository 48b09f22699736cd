"""The second practice mailbox (tests/data/world-mail): 36 messages in the shapes real servers and
clients send, written from the standards and vendors' formats, and what a correct app makes of
each (expected.json)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "world-mail"
MAILBOX = DATA / "mailbox"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
SLUG = EXPECTED["campaign"]


def message_names() -> list[str]:
    return sorted(EXPECTED["messages"])


def message_bytes(name: str) -> bytes:
    return (MAILBOX / name).read_bytes()


def sent_message_id(force_id: str) -> str:
    return EXPECTED["request_message_id"].format(force_id=force_id)


def force_address(force_id: str) -> str:
    return EXPECTED["force_address"].format(force_id=force_id)


def make_world_campaign(owner):
    """The campaign as sent on 6 April 2016, each request with the Message-ID of its e-mail."""
    from collection.forces.models import Force
    from collection.requests.models import FoiRequest
    from collection.requests.services import CreateCampaign
    from tests.conftest import ensure_reference_data

    ensure_reference_data()
    for force in Force.objects.all():
        Force.objects.filter(pk=force.pk).update(foi_email=force_address(force.force_id))
    start, end = (dt.date.fromisoformat(d) for d in EXPECTED["period"])
    campaign = CreateCampaign(slug=SLUG, title=EXPECTED["title"], question="How many ...", period_start=start,
                              period_end=end, owner=owner, sent_on=dt.date.fromisoformat(EXPECTED["sent_on"])).execute()
    for request in campaign.requests.select_related("force"):
        FoiRequest.objects.filter(pk=request.pk).update(sent_message_id=sent_message_id(request.force.force_id))
    return campaign
