"""Snapshots of the national aggregate: the figures as compiled, when, and from which files."""
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from collection.models import Campaign


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
