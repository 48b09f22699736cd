"""Snapshots of the national aggregate: the figures as compiled, when, from which files, and the
dataset they were compiled from (so that an export of final figures is what was published); the
log of changes to what the figures are made of, which keeps cached figures honest; and the
counts' subtotals the figures are summed from on PostgreSQL."""
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from collection.requests.models import Campaign


class AggregateSnapshot(models.Model):
    """The national figures of a campaign as compiled at one moment; never rewritten.

    Recompiling after a correction makes a new snapshot; the old ones stay as the record of
    what was published when.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="aggregate_snapshots")
    compiled_at = models.DateTimeField(default=timezone.now)
    final = models.BooleanField(help_text="Every force had an outcome when it was compiled.")
    figures = models.JSONField(help_text="The aggregate, as compile_aggregate --json prints it.")
    sources = models.JSONField(default=list, blank=True,
                               help_text="The returned files the counts came from: force, file name, SHA-256.")
    compiled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", help_text="Empty when compiled automatically.")
    trigger = models.CharField(max_length=40, blank=True,
                               help_text="What compiled it: last answer, command, admin.")
    data_version = models.CharField(max_length=120, blank=True, editable=False,
                                    help_text="The version of the counts and answers it was compiled from.")
    figures_digest = models.CharField(max_length=64, blank=True, editable=False,
                                      help_text="SHA-256 of the figures as compared to spot a change since.")
    dataset_sha256 = models.CharField("dataset SHA-256", max_length=64, blank=True, editable=False,
                                      help_text="SHA-256 of the CSV export of its stored dataset.")
    dataset_rows = models.PositiveIntegerField(null=True, blank=True, editable=False,
                                               help_text="Rows of its stored dataset (empty: none stored).")

    class Meta:
        ordering = ["-compiled_at", "-pk"]
        get_latest_by = ["compiled_at", "pk"]
        indexes = [models.Index(fields=["campaign", "-compiled_at"])]
        verbose_name = "national figures snapshot"

    def __str__(self):
        kind = "final" if self.final else "provisional"
        return f"{self.campaign.slug}: {kind} figures compiled {timezone.localtime(self.compiled_at):%d %b %Y %H:%M}"

    def get_absolute_url(self):
        return reverse("admin:reports_aggregatesnapshot_change", args=[self.pk])

    @property
    def total_offences(self):
        return self.figures.get("total_offences")


class SnapshotRow(models.Model):
    """One row of the national dataset as a snapshot was compiled from it; never rewritten.

    The columns are `reports.dataset.COLUMNS` (one field each, same names), and the row's JSON
    object as exported (`json_object`), in the order of `position`: the export of a snapshot reads
    these rows, so what was published and what is exported cannot disagree, and
    `AggregateSnapshot.dataset_sha256` checks the bytes. A suppressed cell's row keeps its mark too
    (`suppressed_label`): the snapshot's figures list their suppressed cells from these rows.
    """

    snapshot = models.ForeignKey(AggregateSnapshot, on_delete=models.CASCADE, related_name="dataset")
    position = models.PositiveIntegerField()
    period = models.CharField(max_length=24, blank=True, help_text="The period's label: 2015-16.")
    force_id = models.CharField(max_length=40)
    force_name = models.CharField(max_length=120)
    ons_code = models.CharField(max_length=9, blank=True)
    offence_code = models.CharField(max_length=10)
    offence_description = models.CharField(max_length=200, blank=True)
    offence_category = models.CharField(max_length=30, blank=True)
    victim_age = models.PositiveSmallIntegerField(null=True, blank=True)
    age_band = models.CharField(max_length=20, blank=True)
    victim_sex = models.CharField(max_length=10, blank=True)
    count = models.BigIntegerField(null=True, blank=True)
    suppressed = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=300, blank=True,
                              help_text="Where the figure was read: the file's SHA-256 and the sheet, row and column.")
    suppressed_label = models.CharField(
        max_length=10, blank=True, editable=False,
        help_text="A suppressed cell's mark as the force wrote it (<5, *): the snapshot's list of suppressed cells "
                  "is read from its rows, not kept again in its figures. Not a column of the exports.")
    json_object = models.TextField(
        null=True, blank=True, editable=False,
        help_text="The row as the json export writes it, written when compiled on PostgreSQL (empty on SQLite, "
                  "whose exports Python writes, and for rows stored before it was kept).")

    class Meta:
        ordering = ["snapshot", "position"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "position"], name="one_dataset_row_per_position")]
        verbose_name = "national dataset row of a snapshot"

    def __str__(self):
        return f"{self.snapshot_id}#{self.position}: {self.force_id} {self.offence_code} {self.count}"


class FiguresChange(models.Model):
    """A write to what a campaign's figures are made of: its counts, its requests, the campaign
    itself; or (campaign 0) to what every campaign's are: forces, offence codes, non-working days.

    Written by database triggers (`reports/triggers.py`), never by Python, so that no path that
    writes counts (an import, a bulk insert, COPY, the shell) can leave cached figures stale.
    Append-only: the version of a campaign's figures is the count, the last id and its token of
    its rows and campaign 0's (`reports.cache.figures_version`).
    """

    campaign_id = models.BigIntegerField(help_text="The campaign whose figures changed; 0 for every campaign.")
    token = models.CharField(max_length=32, help_text="Random: a rolled-back id never names two versions.")

    class Meta:
        indexes = [models.Index(fields=["campaign_id", "id"], name="figures_change_by_campaign")]

    def __str__(self):
        return f"change {self.pk} to campaign {self.campaign_id}"


class CountSubtotal(models.Model):
    """Subtotals of a campaign's counts, per force and period: by age (`BY_AGE`), by offence
    (`BY_OFFENCE`), by the victim's sex (`BY_SEX`) and the suppressed cells by the force's label
    (`SUPPRESSED`). A few thousand
    rows for a million counts: what the report's figures are summed from on PostgreSQL, instead
    of scanning every count of the campaign once per breakdown.

    Kept by a database trigger (`reports/subtotals.py`) in the same statement as every write to
    the counts, whatever wrote them, never by Python: the figures read from here are the counts'
    own, in the same transaction. Several rows may hold one key for a moment (two writers at
    once); readers sum them. SQLite keeps none: there the figures are summed from the counts.

    The relations are plain columns (no constraint, nothing done on delete): the rows go with
    their counts, by the trigger, never by a cascade of their own.
    """

    BY_AGE, BY_OFFENCE, BY_SEX, SUPPRESSED = "age", "offence", "sex", "suppressed"

    campaign = models.ForeignKey("collection.Campaign", on_delete=models.DO_NOTHING, db_constraint=False,
                                 db_index=False, related_name="+")
    period = models.ForeignKey("collection.CampaignPeriod", on_delete=models.DO_NOTHING, db_constraint=False,
                               db_index=False, related_name="+")
    force = models.ForeignKey("collection.Force", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                              related_name="+")
    breakdown = models.CharField(max_length=10)
    offence = models.ForeignKey("collection.OffenceCode", null=True, on_delete=models.DO_NOTHING,
                                db_constraint=False, db_index=False, related_name="+")
    victim_age = models.SmallIntegerField(null=True)
    age_band = models.CharField(max_length=20, blank=True)
    age_band_min = models.SmallIntegerField(null=True)
    age_band_max = models.SmallIntegerField(null=True)
    suppressed_label = models.CharField(max_length=10, blank=True)
    victim_sex = models.CharField(max_length=10, blank=True, default="")
    total = models.BigIntegerField(help_text="The sum of the counts (a suppressed cell adds nothing).")
    cells = models.BigIntegerField(help_text="How many counts.")
    suppressed_cells = models.BigIntegerField(help_text="How many of them suppressed.")

    class Meta:
        indexes = [models.Index(fields=["campaign", "force"], name="count_subtotal_by_force")]

    def __str__(self):
        return f"{self.breakdown} subtotal of campaign {self.campaign_id}, force {self.force_id}: {self.total}"


from .releases.models import Release  # noqa: E402,F401  (gathered here for Django, lives in its room)
