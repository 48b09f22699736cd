"""The workspace's door onto sending a campaign's request: the e-mail as each force will get it,
"Send to N forces" (or one force from its row), or "record as sent by post / WhatDoTheyKnow on a
day". The sending itself is the mailout stream's (`collection.sending`: PreviewSend, and the
send_campaign task over SendCampaign, which claims, sends and marks each request once); recording
by hand is MarkSent. Nothing here sends or writes in any other way.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from celery.result import EagerResult

from ..requests.models import Campaign, FoiRequest
from ..sending.rules import plural
from ..sending.services import PreviewSend, SendPlan, address_problem  # noqa: F401 (address_problem: the board)
from ..requests.services import MarkSent
from ..validation import ServiceError

#: How a request may be recorded as sent without e-mailing it from here.
SENT_VIA = [("post", "Post"), ("whatdotheyknow", "WhatDoTheyKnow"), ("email", "E-mail sent outside the tracker"),
            ("recorded", "Other")]


def plan(campaign: Campaign, force_ids: list[str] | None = None) -> SendPlan:
    """What "Send" would do now (PreviewSend): nothing is sent or written."""
    return PreviewSend(campaign, force_ids).execute()


@dataclass
class Sent:
    """What a send did, in lines for the person who asked (the first is the headline)."""

    level: str
    lines: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # "Force <address> (Message-ID ...)" of each e-mail accepted


def send(campaign: Campaign, user, force_ids: list[str]) -> Sent:
    """E-mail these forces (the ones the preview listed) through the send_campaign task."""
    from ..jobs.services import QUEUE_DOWN
    from ..sending.tasks import queue_send

    if not force_ids:
        raise ServiceError(f"{campaign.title}: nothing to send")
    preview = PreviewSend(campaign, force_ids).execute()  # refuses now what the worker would refuse
    if preview.blocking:
        raise ServiceError(f"nothing sent: {preview.blocking}")
    result = queue_send(campaign.pk, force_ids, getattr(user, "pk", None))
    if result is None:
        return Sent("warning", [f"{QUEUE_DOWN} Nothing has been sent yet."])
    if not isinstance(result, EagerResult):
        return Sent("success", [f"Sending to {plural(len(force_ids), 'force')} now. Each row shows Sent once the "
                                "mail server has accepted it; a failure shows its error and is retried."])
    summary = result.get()
    # In words, naming the forces (the task's headline names the campaign by its slug).
    lines = [f"E-mailed the request to {plural(len(summary['sent']), 'force')}."
             if summary["sent"] else "The request is on its way." if not (summary["failed"] or summary["cannot"])
             else "Nothing was e-mailed."]
    lines += [f"Not sent, retried: {line}" for line in summary["failed"]] + list(summary["cannot"])
    if summary["already_sent"]:
        lines.append(f"Already sent, not sent again: {', '.join(summary['already_sent'])}.")
    if summary["being_sent"]:
        lines.append(f"Being sent by another run: {', '.join(summary['being_sent'])}.")
    return Sent("warning" if summary["failed"] or summary["cannot"] else "success", lines, summary["sent"])


def record_sent(campaign: Campaign, user, on: dt.date, via: str, requests: list[FoiRequest] | None = None) -> int:
    """Record unsent requests (all of the campaign's, or these) as sent on a day by post, WhatDoTheyKnow..."""
    if requests is None:
        requests = list(FoiRequest.objects.filter(campaign=campaign, sent_at__isnull=True))
    return MarkSent(requests, on, user, via=via).execute()
