"""What happens to campaigns and requests: command objects called alike by the admin, the
management commands and Celery tasks (build with the input, then `.execute()`).

Every change to a request goes through here so that it leaves an event saying who, when and
what, and so that the due date is recomputed from the events each time.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from .. import signals
from ..forces.models import Force, OffenceCode
from ..sending.rules import title_problem
from ..validation import ServiceError, check_date, check_length
from .models import Campaign, EventKind, FoiRequest, Outcome, RequestEvent, RequestStatus, working_calendar


# What an event does to a request's status (events not listed leave it as it is).
STATUS_AFTER_EVENT = {
    EventKind.SENT: RequestStatus.SENT,
    EventKind.CLARIFICATION_ASKED: RequestStatus.AWAITING_CLARIFICATION,
    EventKind.CLARIFICATION_GIVEN: RequestStatus.SENT,
    EventKind.EXTENSION_CLAIMED: RequestStatus.EXTENDED,
    EventKind.ANSWERED: RequestStatus.ANSWERED,
    EventKind.REVIEW_ASKED: RequestStatus.INTERNAL_REVIEW,
    EventKind.REVIEW_ANSWERED: RequestStatus.ANSWERED,
    EventKind.ICO_COMPLAINT: RequestStatus.ICO_COMPLAINT,
}


def recompute_clock(request: FoiRequest, calendar=None) -> None:
    """Set the request's due dates from its received date and its clock events (the same replay
    that explains the date on the request's page: FoiRequest.clock)."""
    state = request.clock(calendar)
    request.due_on = state.due_on
    request.review_due_on = state.review_due_on
    request.clock_note = (state.stopped_reason or state.basis)[:200]


def record_change(request: FoiRequest, user, changes: dict, *, detail: str = "", on: dt.date | None = None) -> None:
    """Leave a trace of an edit made outside the event services (for example in the admin form)."""
    if changes:
        RequestEvent.objects.record(request, EventKind.EDITED, on, user=user, changes=changes,
                                    detail=detail or "Edited: " + ", ".join(sorted(changes)))


# How a request went, in the words its timeline shows (the stored value is the form's choice).
SENT_DETAIL = {"email": "Sent by e-mail", "post": "Sent by post", "whatdotheyknow": "Sent through WhatDoTheyKnow",
               "recorded": "Sent (recorded by hand)"}


def sent_detail(via: str) -> str:
    return SENT_DETAIL.get(via, f"Sent ({via})" if via else "Sent")


@dataclass
class RecordEvent:
    """Record one thing that happened to a request, and let it move the status and the clock."""

    request: FoiRequest
    kind: str
    on: dt.date
    user: object = None
    detail: str = ""
    new_due_on: dt.date | None = None

    def execute(self) -> RequestEvent:
        if self.kind not in EventKind.values:
            raise ServiceError(f"event kind {self.kind!r} is not one of {', '.join(EventKind.values)}")
        if self.kind == EventKind.EXTENSION_CLAIMED and self.new_due_on is None:
            raise ServiceError("an extension needs the new date the force gives")
        check_date(self.on, "date")
        if self.new_due_on is not None:
            check_date(self.new_due_on, "new due date")
        with transaction.atomic():
            request = FoiRequest.objects.select_for_update().get(pk=self.request.pk)
            before = {"status": request.status, "due_on": request.due_on}
            event = RequestEvent.objects.record(request, self.kind, self.on, user=self.user, detail=self.detail,
                                                new_due_on=self.new_due_on)
            if self.kind in STATUS_AFTER_EVENT and not (
                request.outcome and self.kind in (EventKind.CLARIFICATION_GIVEN, EventKind.EXTENSION_CLAIMED)
            ):
                request.status = STATUS_AFTER_EVENT[self.kind]
            recompute_clock(request)
            request.save()
            after = {"status": request.status, "due_on": request.due_on}
            changes = {k: [str(before[k]), str(after[k])] for k in before if before[k] != after[k]}
            if changes:
                event.changes = changes
                event.save(update_fields=["changes"])
        self.request.refresh_from_db()
        return event


@dataclass
class MarkSent:
    """Record requests as sent (and received by the force) on a day, however they went."""

    requests: list[FoiRequest]
    sent_on: dt.date
    user: object = None
    via: str = "email"
    received_on: dt.date | None = None
    sent_at: dt.datetime | None = None  # the moment it went, when known (the mail server's acceptance)
    detail: str = ""

    def execute(self) -> int:
        check_date(self.sent_on, "sent on")
        if self.received_on is not None:
            check_date(self.received_on, "received on")
        sent_at = self.sent_at or timezone.make_aware(dt.datetime.combine(self.sent_on, dt.time(9, 0)))
        received_on = self.received_on or self.sent_on
        calendar = working_calendar()
        with transaction.atomic():
            # One pass for a whole campaign: lock the unsent requests, set them, one event each. A
            # request whose e-mail bounced (undelivered) counts as unsent: it may go again, another way.
            requests = list(FoiRequest.objects.select_for_update().prefetch_related("events")
                            .filter(Q(sent_at__isnull=True) | Q(status=RequestStatus.UNDELIVERED),
                                    pk__in=[r.pk for r in self.requests]))
            events = []
            for request in requests:
                before = {"status": str(request.status), "due_on": str(request.due_on)}
                request.sent_at, request.sent_via, request.received_on = sent_at, self.via, received_on
                request.status = STATUS_AFTER_EVENT[EventKind.SENT]
                request.updated_at = timezone.now()
                recompute_clock(request, calendar)
                after = {"status": str(request.status), "due_on": str(request.due_on)}
                events.append(RequestEvent.objects.record(
                    request, EventKind.SENT, self.sent_on, user=self.user, detail=self.detail or sent_detail(self.via),
                    changes={k: [before[k], after[k]] for k in before if before[k] != after[k]}, save=False))
            FoiRequest.objects.bulk_update(requests, ["sent_at", "sent_via", "received_on", "status", "due_on",
                                                      "review_due_on", "clock_note", "updated_at"])
            RequestEvent.objects.bulk_create(events)
            campaigns = {r.campaign_id for r in self.requests}
            Campaign.objects.filter(pk__in=campaigns, sent_on__isnull=True).update(sent_on=self.sent_on)
        return len(requests)


@dataclass
class CreateCampaign:
    slug: str
    title: str
    period_start: dt.date
    period_end: dt.date
    question: str = ""
    owner: object = None
    forces: list[Force] | None = None
    sent_on: dt.date | None = None
    user: object = None
    offence_codes: list[str] | None = None  # the codes the question asks about; none for all

    def execute(self) -> Campaign:
        check_length(Campaign, "slug", self.slug, "slug")
        check_length(Campaign, "title", self.title, "title")
        if problem := title_problem(self.title):
            raise ServiceError(f"title {self.title!r}: {problem}")
        for name in ("period_start", "period_end", "sent_on"):
            if getattr(self, name) is not None:
                check_date(getattr(self, name), name.replace("_", " "))
        if slugify(self.slug) != self.slug:
            raise ServiceError(f"slug {self.slug!r} may hold only lower-case letters, digits and hyphens")
        if Campaign.objects.filter(slug=self.slug).exists():
            raise ServiceError(f"a campaign with slug {self.slug!r} already exists")
        if self.period_end < self.period_start:
            raise ServiceError(f"the period ends ({self.period_end}) before it starts ({self.period_start})")
        forces = list(self.forces) if self.forces is not None else list(Force.objects.filter(active=True))
        if not forces:
            raise ServiceError("no forces to ask: load the forces or mark some active")
        codes = offence_codes_named(self.offence_codes or [])
        with transaction.atomic():
            try:
                with transaction.atomic():
                    campaign = Campaign.objects.create(slug=self.slug, title=self.title, question=self.question,
                                                       period_start=self.period_start, period_end=self.period_end,
                                                       owner=self.owner)
            except IntegrityError:
                # Two starts or repeats of one slug at once: the check above saw neither.
                if Campaign.objects.filter(slug=self.slug).exists():
                    raise ServiceError(f"a campaign with slug {self.slug!r} already exists") from None
                raise
            campaign.forces.set(forces)
            campaign.offence_codes.set(codes)
            requests = FoiRequest.objects.bulk_create(
                [FoiRequest(campaign=campaign, force=force) for force in forces])
            if self.sent_on:
                MarkSent(requests, self.sent_on, self.user or self.owner, via="recorded").execute()
                campaign.refresh_from_db()
        return campaign


def offence_codes_named(names: list[str]) -> list[OffenceCode]:
    """The offence codes named, written as a researcher would ("88a", " 71 "); an unknown one is refused by name."""
    wanted = list(dict.fromkeys(n.strip().upper() for n in names if n and n.strip()))
    if not wanted:
        return []
    known = {c.code.upper(): c for c in OffenceCode.objects.all()}  # a few dozen rows: one query
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ServiceError(f"no offence code{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                           "(see Offence codes in the admin)")
    return [known[n] for n in wanted]


def ensure_requests(campaign: Campaign) -> int:
    """Create a draft request for each force asked that has none yet (after editing the forces)."""
    have = set(campaign.requests.values_list("force_id", flat=True))
    missing = [FoiRequest(campaign=campaign, force=f) for f in campaign.forces.all() if f.pk not in have]
    FoiRequest.objects.bulk_create(missing)
    return len(missing)


@dataclass
class RecordResponse:
    """Record a force's answer: its outcome, when it came, and the sections cited on refusal."""

    request: FoiRequest
    outcome: str
    received_on: dt.date | None  # may be empty only for "no response" (the day it is closed)
    user: object = None
    sections: str = ""
    detail: str = ""
    force_reference: str = ""

    def check(self) -> None:
        """Refuse an answer that cannot be recorded, before anything is written."""
        if self.received_on is not None:
            check_date(self.received_on, "received on")
        check_length(FoiRequest, "sections_cited", self.sections.strip(), "sections")
        check_length(FoiRequest, "force_reference", self.force_reference, "force reference")
        if self.outcome not in Outcome.values:
            raise ServiceError(f"outcome {self.outcome!r} is not one of {', '.join(Outcome.values)}")
        if self.outcome == Outcome.REFUSED and not self.sections.strip():
            raise ServiceError("a refusal needs the FOIA sections cited, e.g. --sections \"s.12\"")
        if self.received_on is None and self.outcome != Outcome.NO_RESPONSE:
            raise ServiceError("the date the answer arrived is needed")

    def execute(self) -> FoiRequest:
        self.check()
        if self.received_on is None:  # no response: closed today
            self.received_on = timezone.localdate()
        with transaction.atomic():
            request = FoiRequest.objects.select_for_update().get(pk=self.request.pk)
            before = {"outcome": request.outcome, "sections_cited": request.sections_cited,
                      "answered_on": str(request.answered_on or "")}
            request.outcome = self.outcome
            request.sections_cited = self.sections.strip()
            request.answered_on = self.received_on
            if self.force_reference:
                request.force_reference = self.force_reference
            request.save()
            after = {"outcome": request.outcome, "sections_cited": request.sections_cited,
                     "answered_on": str(request.answered_on)}
            event = RecordEvent(request, EventKind.ANSWERED, self.received_on, self.user,
                                detail=self.detail or f"Outcome: {request.get_outcome_display()}"
                                + (f" ({request.sections_cited})" if request.sections_cited else "")).execute()
            if self.outcome == Outcome.NO_RESPONSE:
                FoiRequest.objects.filter(pk=request.pk).update(status=RequestStatus.CLOSED)
            changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
            event.changes = {**event.changes, **changes}
            event.save(update_fields=["changes"])
            signals.outcome_recorded.send(sender=FoiRequest, request=request)
        self.request.refresh_from_db()
        return self.request
