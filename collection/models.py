"""What the data is: forces, offence codes, campaigns, requests and their events, returned
files and the normalised counts made from them. What happens to the data lives in
`services.py` (requests), `returns/` (returned files) and `reminders/` (emails)."""
import datetime as dt
import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from . import deadlines
from .periods import Period, period_label
from .links import pk_url
from .querysets import RequestQuerySet


class Force(models.Model):
    force_id = models.SlugField("force id", max_length=40, unique=True,
                                help_text="The data.police.uk id, e.g. devon-and-cornwall.")
    name = models.CharField(max_length=120)
    ons_code = models.CharField("ONS code", max_length=9, blank=True)
    country = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=40, blank=True)
    territorial = models.BooleanField(default=True)
    wdtk_slug = models.CharField("WhatDoTheyKnow slug", max_length=80, blank=True)
    foi_email = models.EmailField("FOI email address", blank=True,
                                  help_text="Where requests and chasers are sent.")
    other_names = models.TextField(blank=True, help_text="Other names forces use, one per line.")
    active = models.BooleanField(default=True, help_text="Asked by default in new campaigns.")
    foi_email_failing = models.BooleanField("FOI address failing", default=False,
                                            help_text="Mail to this address bounced; correct it before sending again.")
    foi_email_problem = models.CharField(max_length=300, blank=True,
                                         help_text="What the last delivery failure said.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def wdtk_url(self):
        return f"https://www.whatdotheyknow.com/body/{self.wdtk_slug}" if self.wdtk_slug else ""


class OffenceCategory(models.TextChoices):
    RAPE = "rape", "Rape"
    SEXUAL_ASSAULT = "sexual_assault", "Sexual assault"
    SEXUAL_ACTIVITY = "sexual_activity", "Sexual activity"
    GROOMING = "grooming", "Grooming"
    EXPLOITATION = "exploitation", "Exploitation"
    INDECENT_IMAGES = "indecent_images", "Indecent images"
    EXPOSURE_VOYEURISM = "exposure_voyeurism", "Exposure and voyeurism"
    OTHER = "other", "Other"


class OffenceCode(models.Model):
    code = models.CharField(max_length=10, unique=True, help_text="Home Office Counting Rules code, e.g. 19E.")
    description = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=OffenceCategory.choices)
    victim_min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    victim_max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.description}"

    def consistent_with_age(self, age: int | None) -> bool:
        if age is None:
            return True
        if self.victim_min_age is not None and age < self.victim_min_age:
            return False
        return self.victim_max_age is None or age <= self.victim_max_age


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
        return pk_url("admin:collection_campaign_workspace", self.pk)

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


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    AWAITING_CLARIFICATION = "awaiting_clarification", "Awaiting clarification"
    EXTENDED = "extended", "Extended"
    UNDELIVERED = "undelivered", "Undelivered (bounced)"
    ANSWERED = "answered", "Answered"
    INTERNAL_REVIEW = "internal_review", "Internal review"
    ICO_COMPLAINT = "ico_complaint", "ICO complaint"
    CLOSED = "closed", "Closed"

    @classmethod
    def awaiting_force(cls):
        return [cls.SENT, cls.AWAITING_CLARIFICATION, cls.EXTENDED]


class Outcome(models.TextChoices):
    PROVIDED = "provided", "Data provided"
    PARTIAL = "partial", "Data provided in part"
    NIL_RETURN = "nil_return", "Nil return"
    NOT_HELD = "not_held", "Information not held"
    REFUSED = "refused", "Refused"
    NO_RESPONSE = "no_response", "No response"

    @classmethod
    def with_data(cls):
        return [cls.PROVIDED, cls.PARTIAL]


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
        return pk_url("admin:collection_foirequest_change", self.pk)

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
        from .services import clock_events

        return deadlines.request_clock(self.received_on, clock_events(self.events.all()),
                                       calendar=calendar or working_calendar(),
                                       weekend_rule=settings.FOI_WEEKEND_RECEIPT_RULE)


class EventKind(models.TextChoices):
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLARIFICATION_ASKED = "clarification_asked", "Clarification asked"
    CLARIFICATION_GIVEN = "clarification_given", "Clarification given"
    FEES_NOTICE = "fees_notice", "Fees notice"
    FEES_PAID = "fees_paid", "Fees paid"
    EXTENSION_CLAIMED = "extension_claimed", "Extension claimed"
    ANSWERED = "answered", "Answered"
    REVIEW_ASKED = "review_asked", "Internal review asked"
    REVIEW_ANSWERED = "review_answered", "Internal review answered"
    ICO_COMPLAINT = "ico_complaint", "ICO complaint"
    FILE_RECEIVED = "file_received", "File received"
    FIGURES_IMPORTED = "figures_imported", "Figures imported"
    EDITED = "edited", "Edited"
    NOTE = "note", "Note"


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


def returned_file_path(instance, filename):
    return f"returns/{instance.request.campaign.slug}/{instance.request.force.force_id}/{instance.sha256[:12]}-{filename}"


class ReturnStatus(models.TextChoices):
    PENDING = "pending", "Awaiting confirmation"
    QUEUED = "queued", "Confirmed, being imported"
    IMPORTED = "imported", "Imported"
    REFUSED = "refused", "Refused"
    SUPERSEDED = "superseded", "Superseded by a newer file"
    STORED = "stored", "Stored only (enter by hand)"


class ReturnSource(models.TextChoices):
    UPLOAD = "upload", "Uploaded in the admin"
    COMMAND = "command", "Imported from the command line"
    MAIL = "mail", "Attached to an e-mail"
    TYPED = "typed", "Typed in by hand"


class ReturnedFile(models.Model):
    """A file a force sent back, kept byte for byte with its checksum, whatever became of it.

    What the person chose at upload (the outcome to record, the day the answer arrived, the
    column mapping) is kept here too, so whoever confirms imports exactly what the preview showed.
    """

    request = models.ForeignKey(FoiRequest, on_delete=models.PROTECT, related_name="returned_files")
    file = models.FileField(upload_to=returned_file_path, max_length=300)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.PENDING)
    file_format = models.CharField(max_length=10, blank=True)
    sheet = models.CharField(max_length=120, blank=True)
    layout = models.CharField(max_length=40, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    counting_unit = models.CharField(max_length=10, blank=True, help_text="crimes or victims, if the force says.")
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=10, choices=ReturnSource.choices, default=ReturnSource.UPLOAD)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True,
                               help_text="The outcome to record when the import is confirmed.")
    received_on = models.DateField(null=True, blank=True, help_text="When the answer arrived.")
    mapping = models.JSONField(null=True, blank=True, help_text="The column mapping chosen for this file.")
    remember_mapping = models.BooleanField(default=False,
                                           help_text="Keep the mapping for the force's next returns.")
    tidy_rows = models.JSONField(null=True, blank=True, editable=False,
                                 help_text="The cells the preview showed: exactly what a confirm loads.")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    typed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="typed_copies",
                                   help_text="For figures typed in by hand: the letter or scan they were typed from.")

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "sha256"], name="one_copy_of_a_file_per_request"),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"


def unmatched_file_path(instance, filename):
    return f"unmatched/{instance.campaign.slug}/{instance.sha256[:12]}-{filename}"


class UnmatchedReturn(models.Model):
    """A file dropped on a campaign whose force could not be told (from its name, its title rows or
    its sender): kept byte for byte until a person says whose it is, then received as that force's return."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="unmatched_returns")
    file = models.FileField(upload_to=unmatched_file_path, max_length=300)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    sender = models.CharField(max_length=254, blank=True, help_text="Who sent it, when it came in an e-mail.")
    came_in = models.CharField(max_length=255, blank=True, help_text="The zip or e-mail it came out of, if any.")
    reason = models.CharField(max_length=500, help_text="Why no force could be told.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True,
                               help_text="The outcome to record when its import is confirmed.")
    received_on = models.DateField(null=True, blank=True, help_text="When the answer arrived.")
    assigned_to = models.ForeignKey(ReturnedFile, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", help_text="The force's return it became once assigned.")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = "file to assign to a force"
        verbose_name_plural = "files to assign to a force"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sha256"], name="one_unmatched_copy_per_campaign"),
        ]

    def __str__(self):
        return self.original_name


class OffenceCountManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _default_periods(objs)
        return super().bulk_create(objs, *args, **kwargs)


def _default_periods(counts) -> None:
    """A count given no period counts its campaign's own (main) period."""
    missing = {c.campaign_id for c in counts if c.period_id is None}
    if not missing:
        return
    main = dict(CampaignPeriod.objects.filter(campaign_id__in=missing, main=True).values_list("campaign_id", "pk"))
    for campaign_id in missing - set(main):
        main[campaign_id] = sync_main_period(Campaign.objects.get(pk=campaign_id)).pk
    for c in counts:
        if c.period_id is None:
            c.period_id = main[c.campaign_id]


class OffenceCount(models.Model):
    """One normalised cell: how many offences a force recorded for one offence, age and sex, in one period."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="counts")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="counts")
    request = models.ForeignKey(FoiRequest, on_delete=models.CASCADE, related_name="counts")
    returned_file = models.ForeignKey(ReturnedFile, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="counts")
    period = models.ForeignKey(CampaignPeriod, on_delete=models.PROTECT, related_name="counts",
                               help_text="The period the count is for (a later campaign may restate an earlier one).")
    offence = models.ForeignKey(OffenceCode, on_delete=models.PROTECT, related_name="counts")
    victim_age = models.PositiveSmallIntegerField(null=True, blank=True,
                                                  validators=[MaxValueValidator(17)],
                                                  help_text="Single year of age; empty when unknown or banded.")
    age_band = models.CharField(max_length=20, blank=True, help_text="e.g. 11-15 when the force gave bands.")
    age_band_min = models.PositiveSmallIntegerField(null=True, blank=True)
    age_band_max = models.PositiveSmallIntegerField(null=True, blank=True)
    victim_sex = models.CharField(max_length=10, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(0)],
                                        help_text="Empty when the force suppressed the figure.")
    suppressed = models.BooleanField(default=False)
    suppressed_label = models.CharField(max_length=10, blank=True, help_text="What the force wrote, e.g. <5.")

    objects = OffenceCountManager()

    class Meta:
        ordering = ["campaign", "force", "offence", "victim_age"]
        indexes = [
            models.Index(fields=["campaign", "force"]),
            models.Index(fields=["campaign", "victim_age"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(suppressed=True, count__isnull=True)
                                   | models.Q(suppressed=False, count__isnull=False),
                                   name="suppressed_cells_have_no_count"),
        ]

    def __str__(self):
        age = self.victim_age if self.victim_age is not None else (self.age_band or "unknown age")
        return f"{self.force} {self.offence.code} {age}: {self.suppressed_label or self.count}"

    def save(self, *args, **kwargs):
        if self.period_id is None and self.campaign_id is not None:
            _default_periods([self])
        super().save(*args, **kwargs)


class ForceColumnMapping(models.Model):
    """How to read a force's returns when detection fails: remembered and reused next time."""

    force = models.OneToOneField(Force, on_delete=models.CASCADE, related_name="column_mapping")
    mapping = models.JSONField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Column mapping for {self.force}"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (retried on the next run)"


class ReminderLog(models.Model):
    """One email the reminder job decided to send, claimed before it goes out.

    The unique constraints are what make each email go once: a run claims a row by inserting
    it, and a second run (another worker, a retry, a rerun the same day) finds it taken.
    `kind` has no choices on purpose: a new kind of reminder needs no migration.
    """

    kind = models.CharField(max_length=40, db_index=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reminders")
    request = models.ForeignKey(FoiRequest, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="reminders", help_text="Empty for a campaign-wide email (a digest).")
    about = models.DateField("about", help_text="The due date a chaser is about, or the day a digest covers.")
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    reason = models.TextField("why", blank=True)
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=1)
    claimed_at = models.DateTimeField(default=timezone.now, help_text="When the last attempt started.")
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why the last attempt failed.")
    message_id = models.CharField("Message-ID", max_length=255, blank=True, db_index=True,
                                  help_text="The Message-ID of the e-mail sent, to match replies.")
    triggered_by = models.CharField(max_length=80, blank=True, help_text="beat, command, or the staff user.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "reminder sent"
        verbose_name_plural = "reminders sent"
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "about", "recipient"],
                                    condition=models.Q(request__isnull=False),
                                    name="one_reminder_per_request_kind_day_recipient"),
            models.UniqueConstraint(fields=["campaign", "kind", "about", "recipient"],
                                    condition=models.Q(request__isnull=True),
                                    name="one_reminder_per_campaign_kind_day_recipient"),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self):
        return f"{self.kind} to {self.recipient} about {deadlines.format_day(self.about)} ({self.get_status_display()})"


# --- Forces' mail (collection/mail/) ---------------------------------------------------------

def mail_raw_path(instance, filename):
    return f"mail/{instance.sha256[:2]}/{instance.sha256}.eml"


def mail_attachment_path(instance, filename):
    return f"mail/attachments/{instance.sha256[:2]}/{instance.sha256[:16]}-{filename}"


class MailKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    AUTO_REPLY = "auto_reply", "Auto-reply"
    CLARIFICATION = "clarification", "Clarification request"
    EXTENSION = "extension", "Extension (public interest test)"
    REFUSAL = "refusal", "Refusal"
    NOT_HELD = "not_held", "Information not held"
    NIL_RETURN = "nil_return", "Nil return"
    ANSWER = "answer", "Answer"
    BOUNCE = "bounce", "Delivery failure"
    UNRELATED = "unrelated", "Unrelated"
    UNREADABLE = "unreadable", "Unreadable (kept raw)"


class MailSource(models.TextChoices):
    IMAP = "imap", "IMAP mailbox"
    FILE = "file", "ingest_mail (files)"
    UPLOAD = "upload", "Uploaded in the admin"


class MailMessage(models.Model):
    """One e-mail received, kept byte for byte with its SHA-256, whatever became of it.

    `key` is the Message-ID (or "sha256:<hash of the bytes>" when it has none): unique, so a
    second delivery of the same message is recognised and changes nothing.
    """

    key = models.CharField(max_length=300, unique=True)
    message_id = models.CharField("Message-ID", max_length=255, blank=True, db_index=True)
    raw = models.FileField(upload_to=mail_raw_path, max_length=300)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    source = models.CharField(max_length=10, choices=MailSource.choices)
    source_name = models.CharField(max_length=500, blank=True, help_text="The file, or the mailbox and UID.")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="The message's Date header.")
    stored_at = models.DateTimeField(default=timezone.now)
    from_name = models.CharField(max_length=200, blank=True)
    from_address = models.CharField(max_length=254, blank=True, db_index=True)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True, help_text="The body as text.")
    problem = models.CharField(max_length=300, blank=True, help_text="Why the message could not be read.")
    kind = models.CharField(max_length=20, choices=MailKind.choices)
    evidence = models.CharField("why this kind", max_length=300, blank=True,
                                help_text="The words that decided the kind.")
    force_reference = models.CharField(max_length=80, blank=True)
    sections = models.CharField(max_length=200, blank=True)
    new_due_on = models.DateField(null=True, blank=True)
    reading = models.JSONField(default=dict, blank=True)
    request = models.ForeignKey(FoiRequest, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="mail")
    matched_by = models.CharField(max_length=40, blank=True)
    match_reason = models.CharField("why this request", max_length=300, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    duplicates = models.PositiveIntegerField(default=0, help_text="Further deliveries of the same message.")
    last_duplicate_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = "e-mail received"
        verbose_name_plural = "e-mail received"
        indexes = [models.Index(fields=["request", "sent_at"])]

    def __str__(self):
        return self.subject or self.key

    @property
    def sent_on(self) -> dt.date:
        return timezone.localdate(self.sent_at) if self.sent_at else timezone.localdate(self.stored_at)


class MailAttachment(models.Model):
    """A file attached to a message (or found in an attached zip): kept with its SHA-256, and
    the returned file it became, or why it did not."""

    message = models.ForeignKey(MailMessage, on_delete=models.CASCADE, related_name="attachments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    file = models.FileField(upload_to=mail_attachment_path, max_length=300, blank=True)
    role = models.CharField(max_length=20, blank=True, help_text="data, letter, archive, oversize, ...")
    refused = models.CharField(max_length=400, blank=True, help_text="Why it is not imported.")
    flag = models.CharField(max_length=300, blank=True, help_text="Kept, but a person must look.")
    returned_file = models.ForeignKey(ReturnedFile, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="mail_attachments")

    class Meta:
        ordering = ["message", "pk"]

    def __str__(self):
        return self.name


class SuggestionAction(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLARIFICATION = "clarification", "Clarification asked (clock stopped)"
    EXTENSION = "extension", "Extended"
    OUTCOME = "outcome", "Answered"
    UNDELIVERED = "undelivered", "Undelivered (bounced)"


class SuggestionStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class MailSuggestion(models.Model):
    """What a message says, as a change to its request that a person accepts with one click."""

    message = models.ForeignKey(MailMessage, on_delete=models.CASCADE, related_name="suggestions")
    request = models.ForeignKey(FoiRequest, on_delete=models.CASCADE, related_name="mail_suggestions")
    action = models.CharField(max_length=20, choices=SuggestionAction.choices)
    on = models.DateField(help_text="The day it happened: the message's date.")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    new_due_on = models.DateField(null=True, blank=True)
    force_reference = models.CharField(max_length=80, blank=True)
    sections = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=300, help_text="The suggestion in words.")
    clean = models.BooleanField(default=False, help_text="Ready to accept: nothing a person needs to look at.")
    attention = models.CharField(max_length=400, blank=True, help_text="What a person should look at first.")
    status = models.CharField(max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.WAITING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "request", "action"], name="one_suggestion_per_message_action"),
        ]

    def __str__(self):
        return self.summary


class MailboxPosition(models.Model):
    """How far the poller has read one IMAP mailbox (UIDVALIDITY + last UID), its last poll and
    error, and a lease so two pollers at once never read the same message twice."""

    mailbox = models.CharField(max_length=300, unique=True, help_text="user@host:port/folder (no password).")
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=400, blank=True)
    messages_read = models.PositiveIntegerField(default=0)
    leased_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=80, blank=True)

    class Meta:
        verbose_name = "IMAP mailbox status"
        verbose_name_plural = "IMAP mailbox status"

    def __str__(self):
        return self.mailbox


class UnmatchedMail(MailMessage):
    """The queue of messages no rule could place: a person assigns each with one click."""

    class Meta:
        proxy = True
        verbose_name = "unmatched mail"
        verbose_name_plural = "unmatched mail"
