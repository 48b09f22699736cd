"""The workspace's door onto sending a campaign's request: the e-mail as each force will get it,
and "Send to N forces" or "record as sent by post / WhatDoTheyKnow on a day".

The sending itself belongs to the services (`collection.services.SendCampaign` and `MarkSent`
today; the mailout stream's `collection.sending` preview and send service replace the first when
they land on main: only this module changes then).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.loader import render_to_string

from ..models import Campaign, FoiRequest, Force
from ..services import MarkSent, SendCampaign

#: How a request may be recorded as sent without e-mailing it from here.
SENT_VIA = [("post", "Post"), ("whatdotheyknow", "WhatDoTheyKnow"), ("email", "E-mail sent outside the tracker"),
            ("recorded", "Other")]


def address_problem(force: Force) -> str | None:
    """Why a force cannot be e-mailed, in words staff can act on, or None."""
    address = force.foi_email.strip()
    if not address:
        return f"{force.name} has no FOI e-mail address: add it under Forces"
    try:
        validate_email(address)
    except ValidationError:
        return f"{force.name}'s FOI address {address!r} is not an e-mail address: correct it under Forces"
    # The same test as SendCampaign on main (a failing address is the mailout stream's to refuse).
    return None


@dataclass
class RequestEmail:
    """The request as one force will get it (escaped wherever it is shown: these are plain strings)."""

    request: FoiRequest
    address: str
    subject: str
    text: str
    problem: str | None = None

    @property
    def force(self) -> Force:
        return self.request.force

    @property
    def sender(self) -> str:
        return settings.DEFAULT_FROM_EMAIL


@dataclass
class SendPlan:
    campaign: Campaign
    emails: list[RequestEmail] = field(default_factory=list)    # unsent, with a good address
    cannot: list[RequestEmail] = field(default_factory=list)    # unsent, no good address
    already_sent: int = 0

    @property
    def unsent(self) -> int:
        return len(self.emails) + len(self.cannot)

    @property
    def sample(self) -> RequestEmail | None:
        return (self.emails or self.cannot or [None])[0]


def render_email(request: FoiRequest) -> RequestEmail:
    campaign = request.campaign
    context = {"request": request, "campaign": campaign, "force": request.force}
    subject = f"Freedom of Information request {request.our_reference}: {campaign.title}"
    text = "".join([render_to_string("collection/email/request.txt", context)])  # a str, escaped when shown
    return RequestEmail(request, request.force.foi_email.strip(), subject, text, address_problem(request.force))


def plan(campaign: Campaign) -> SendPlan:
    """What "Send" would do now; nothing is written."""
    result = SendPlan(campaign)
    requests = FoiRequest.objects.filter(campaign=campaign).select_related("force").order_by("force__name")
    for request in requests:
        request.campaign = campaign
        if request.sent_at is not None:
            result.already_sent += 1
            continue
        email = render_email(request)
        (result.cannot if email.problem else result.emails).append(email)
    return result


def send(campaign: Campaign, user) -> tuple[int, list[Force]]:
    """E-mail every unsent request with a good address (the campaign's send service)."""
    return SendCampaign(campaign, user).execute()


def record_sent(campaign: Campaign, user, on: dt.date, via: str, requests: list[FoiRequest] | None = None) -> int:
    """Record unsent requests (all of the campaign's, or these) as sent on a day by post, WhatDoTheyKnow..."""
    if requests is None:
        requests = list(FoiRequest.objects.filter(campaign=campaign, sent_at__isnull=True))
    return MarkSent(requests, on, user, via=via).execute()
