"""What forces sent back: each returned file kept byte for byte, the files waiting to be told whose
they are, the normalised counts read from them, and how to read a force's next file."""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ..forces.models import Force, OffenceCode
from ..requests.models import Campaign, CampaignPeriod, FoiRequest, Outcome, sync_main_period


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
    read_from_scan = models.ForeignKey("ScanReading", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="confirmed_as",
                                       help_text="For typed figures: the OCR reading of the scan they were "
                                                 "pre-filled from, every cell confirmed by who typed them.")

    @property
    def cannot_be_opened(self) -> bool:
        """Refused because it could not be opened at all (scanned, encrypted, damaged): there is no
        table in it to point at, only figures to type."""
        from ..importer.errors import cannot_be_opened
        return self.status == ReturnStatus.REFUSED and cannot_be_opened(self.error)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "sha256"], name="one_copy_of_a_file_per_request"),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"


class ScanReadingStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be read"
    READING = "reading", "Being read"
    READ = "read", "Read"
    FAILED = "failed", "Could not be read"


class ScanReading(models.Model):
    """What OCR read in a scanned return: the typed-entry grid pre-filled, each value with how sure
    the reading is and the cell's image. Never counts: a person confirms each cell, and what they
    confirm is typed figures of their own (ReturnedFile.read_from_scan), checked like any return."""

    scan = models.ForeignKey(ReturnedFile, on_delete=models.CASCADE, related_name="scan_readings")
    status = models.CharField(max_length=10, choices=ScanReadingStatus.choices, default=ScanReadingStatus.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    engine = models.CharField(max_length=100, blank=True, help_text="The OCR engine and its version.")
    pages = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    prefill = models.JSONField(null=True, blank=True, editable=False,
                               help_text="The grid as read: every value with its confidence and image.")
    problems = models.JSONField(default=list, blank=True, help_text="What it could not read, in words.")
    error = models.TextField(blank=True, help_text="Why nothing could be read.")

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"OCR of {self.scan.original_name} ({self.get_status_display()})"


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
    # With the returned file's checksum (returned_file.sha256), where the figure was read: a reader
    # of the figures can check it against the file.
    source_place = models.CharField("place in the file", max_length=200, blank=True, default="", db_default="",
                                    help_text="Sheet, row and column; PDF page and table; or who typed it from what.")

    objects = OffenceCountManager()

    class Meta:
        ordering = ["campaign", "force", "offence", "victim_age"]
        indexes = [
            models.Index(fields=["campaign", "force"]),
            models.Index(fields=["campaign", "victim_age"]),
            # The few counts typed in with no file: the snapshot's sources list them without
            # reading a campaign's million counts.
            models.Index(fields=["campaign", "force"], condition=models.Q(returned_file__isnull=True),
                         name="count_entered_by_hand"),
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
