"""What is asked and of whom: campaigns, the periods they ask about, one request per force and its
timeline, and the working calendar the FOI clock counts in. What happens to them lives in
`services.py` beside this file; the questions staff ask of many requests in `querysets.py`."""
import datetime as dt
import time

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .. import deadlines
from ..forces.models import Force, OffenceCode
from ..periods import Period, period_label
from .choices import EventKind, Outcome, RequestStatus
from .querysets import RequestQuerySet


class NonWorkingDay(models.Model):
    """A one-off non-working day (a newly proclaimed bank holiday) before the library knows it."""

    date = models.DateField(unique=True)
    description = models.CharField(max_length=120)

    class Meta:
        ordering = ["-date"]

    def __str__(self):
        return f"{deadlines.format_day(self.date)}: {self.description}"


#: How long a process trusts its copy of the working calendar: a non-working day added in the
#: admin reaches the process that saved it at once (the cache is cleared) and the others within this.
CALENDAR_CACHE_SECONDS = 300
_calendar_cache: dict = {}


def working_calendar() -> deadlines.WorkingCalendar:
    """The FOIA working calendar: UK bank holidays plus the days staff added, read once and cached."""
    cached = _calendar_cache.get("calendar")
    now = time.monotonic()
    if cached is not None and now - cached[0] < CALENDAR_CACHE_SECONDS:
        return cached[1]
    calendar = deadlines.WorkingCalendar(dict(NonWorkingDay.objects.values_list("date", "description")))
    _calendar_cache["calendar"] = (now, calendar)
    return calendar


def forget_working_calendar(**_) -> None:
    _calendar_cache.clear()


models.signals.post_save.connect(forget_working_calendar, sender=NonWorkingDay, dispatch_uid="calendar_saved")
models.signals.post_delete.connect(forget_working_calendar, sender=NonWorkingDay, dispatch_uid="calendar_deleted")


class Campaign(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    question = models.TextField(help_text="The request exactly as sent to every force.")
    period_start = models.DateField(help_text="First day the figures cover.")
    period_end = models.DateField(help_text="Last day the figures cover.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="campaigns", help_text="Gets the daily digest.")
    forces = models.ManyToManyField(Force, related_name="campaigns", blank=True,
                                    help_text="The forces asked.")
    chasers_enabled = models.BooleanField(default=True, help_text="Email forces when a request is late.")
    offence_codes = models.ManyToManyField(OffenceCode, related_name="campaigns", blank=True,
                                           help_text="The offence codes the question asks about; empty for all. "
                                                     "With exactly one, a table with no offence column is that code.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_on = models.DateField(null=True, blank=True)
    repeats = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeated_by",
                                help_text="The earlier campaign this one asks again (the same question, a later period).")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="campaign_period_ends_after_start"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        """The campaign's page: its workspace, one row per force (collection/workspace/)."""
        return reverse("admin:collection_campaign_workspace", args=[self.pk])

    @property
    def period_days(self) -> int:
        return (self.period_end - self.period_start).days + 1

    @property
    def period(self) -> Period:
        """The period the campaign is about: its latest, the one its headline figures describe."""
        return Period(self.period_start, self.period_end)

    @property
    def period_label(self) -> str:
        return period_label(self.period_start, self.period_end)


class CampaignPeriod(models.Model):
    """A period a campaign asks about. Every campaign has its main period (``period_start`` to
    ``period_end``, kept in step by ``sync_main_period``); a campaign that also asks forces to
    restate an earlier period has one more row per earlier period. Each count belongs to one."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="periods")
    first_day = models.DateField()
    last_day = models.DateField()
    label = models.CharField(max_length=24, editable=False,
                             help_text="2015-16 for a financial year, else 2016-01-01..2016-12-31.")
    main = models.BooleanField(default=False, editable=False,
                               help_text="The campaign's own period (the others are earlier periods asked again).")

    class Meta:
        ordering = ["campaign", "first_day"]
        constraints = [
            models.CheckConstraint(condition=models.Q(last_day__gte=models.F("first_day")), name="period_ends_after_start"),
            models.UniqueConstraint(fields=["campaign", "label"], name="one_period_per_label"),
            models.UniqueConstraint(fields=["campaign"], condition=models.Q(main=True), name="one_main_period"),
        ]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        self.label = period_label(self.first_day, self.last_day)
        super().save(*args, **kwargs)

    @property
    def period(self) -> Period:
        return Period(self.first_day, self.last_day)


def sync_main_period(campaign: Campaign) -> CampaignPeriod:
    """The campaign's main period row, made or moved to match ``period_start``/``period_end``."""
    main = campaign.periods.filter(main=True).first()
    if main is None:
        main = CampaignPeriod(campaign=campaign, main=True)
    if (main.first_day, main.last_day) != (campaign.period_start, campaign.period_end):
        main.first_day, main.last_day = campaign.period_start, campaign.period_end
        main.save()
    return main


def _campaign_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        sync_main_period(instance)


models.signals.post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid="campaign_main_period")


class FoiRequest(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="requests")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="requests")
    force_reference = models.CharField(max_length=80, blank=True, help_text="The force's own reference.")
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_via = models.CharField(max_length=40, blank=True, help_text="email, post, WhatDoTheyKnow ...")
    sent_message_id = models.CharField("Message-ID sent", max_length=255, blank=True, db_index=True,
                                       help_text="The Message-ID of the request e-mail, to match replies.")
    send_error = models.TextField(blank=True, help_text="Why the last attempt to e-mail the request failed.")
    send_claimed_at = models.DateTimeField(
        "being sent since", null=True, blank=True, editable=False,
        help_text="Set while a run is e-mailing the request: no other run sends it until the lease runs out.")
    send_attempts = models.PositiveSmallIntegerField(default=0, editable=False,
                                                     help_text="Attempts to e-mail the request so far.")
    received_on = models.DateField(null=True, blank=True, help_text="When the force received it (day 0).")
    status = models.CharField(max_length=30, choices=RequestStatus.choices, default=RequestStatus.DRAFT)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    sections_cited = models.CharField(max_length=200, blank=True,
                                      help_text="FOIA sections cited on refusal, e.g. s.12, s.40(2).")
    answered_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True, db_index=True,
                              help_text="Follows from the events; None while the clock is stopped.")
    clock_note = models.CharField(max_length=200, blank=True)
    review_due_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "force__name"]
        verbose_name = "FOI request"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "force"], name="one_request_per_force_per_campaign"),
        ]
        indexes = [models.Index(fields=["campaign", "status"]), models.Index(fields=["campaign", "outcome"])]

    def __str__(self):
        return f"{self.force.name}: {self.campaign.title}"

    def get_absolute_url(self):
        return reverse("admin:collection_foirequest_change", args=[self.pk])

    @property
    def our_reference(self) -> str:
        return f"FOI-{self.campaign.slug}-{self.force.force_id}".upper()

    @property
    def is_open(self) -> bool:
        """Sent and waiting for the force: the same test as `FoiRequest.objects.open()`."""
        return self.status in RequestStatus.awaiting_force() and not self.outcome

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """The same test as `FoiRequest.objects.overdue(today)`."""
        return self.is_open and deadlines.is_late(self.due_on, today or timezone.localdate())

    def working_days_overdue(self, today: dt.date | None = None, calendar=None) -> int:
        if not self.is_overdue(today):
            return 0
        return deadlines.working_days_overdue(self.due_on, today or timezone.localdate(),
                                              calendar=calendar or working_calendar())

    def is_very_overdue(self, today: dt.date | None = None, calendar=None) -> bool:
        """The same test as `FoiRequest.objects.very_overdue(today)`."""
        return self.is_open and deadlines.is_very_overdue(self.due_on, today or timezone.localdate(),
                                                          calendar=calendar or working_calendar())

    def clock(self, calendar=None) -> deadlines.ClockState:
        """The request's clock replayed from its events: its due date and why."""
        return deadlines.request_clock(self.received_on, clock_events(self.events.all()),
                                       calendar=calendar or working_calendar(),
                                       weekend_rule=settings.FOI_WEEKEND_RECEIPT_RULE)


class RequestEventManager(models.Manager):
    def record(self, request, kind: str, on: dt.date | None = None, *, user=None, detail: str = "",
               changes: dict | None = None, new_due_on: dt.date | None = None, save: bool = True,
               at: dt.datetime | None = None) -> "RequestEvent":
        """The one way anything writes a request's timeline (save=False builds it for bulk_create;
        `request` may be a request or its id)."""
        ref = {"request_id": request} if isinstance(request, int) else {"request": request}
        event = self.model(**ref, kind=kind, happened_on=on or timezone.localdate(),
                           new_due_on=new_due_on, detail=detail[:2000], changes=changes or {},
                           created_by=user if getattr(user, "pk", None) else None,
                           created_at=at or timezone.now())
        if save:
            event.save()
        return event


class RequestEvent(models.Model):
    """Something that happened to a request: the trace of who, when and what."""

    request = models.ForeignKey(FoiRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    happened_on = models.DateField(help_text="The day it happened (for the clock).")
    new_due_on = models.DateField(null=True, blank=True, help_text="For an extension: the date the force gives.")
    detail = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RequestEventManager()

    class Meta:
        ordering = ["happened_on", "created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} on {deadlines.format_day(self.happened_on)}"


#: The timeline events that move the FOI clock, and what each is to the clock.
CLOCK_EVENT_KINDS = {
    EventKind.CLARIFICATION_ASKED: deadlines.CLARIFICATION_ASKED,
    EventKind.CLARIFICATION_GIVEN: deadlines.CLARIFICATION_GIVEN,
    EventKind.FEES_NOTICE: deadlines.FEES_NOTICE,
    EventKind.FEES_PAID: deadlines.FEES_PAID,
    EventKind.EXTENSION_CLAIMED: deadlines.EXTENSION_CLAIMED,
    EventKind.REVIEW_ASKED: deadlines.REVIEW_ASKED,
}


def clock_events(events) -> list[deadlines.ClockEvent]:
    """A request's timeline as the clock sees it."""
    return [deadlines.ClockEvent(CLOCK_EVENT_KINDS[e.kind], e.happened_on, e.new_due_on)
            for e in events if e.kind in CLOCK_EVENT_KINDS]
