"""A release: the press-ready files of one final snapshot (data package, workbook, methodology,
charts, checksums), kept as one zip per version so that every version stays downloadable."""
from django.conf import settings
from django.db import models
from django.utils import timezone


def release_path(release, filename: str) -> str:
    return f"releases/{release.campaign.slug}/{filename}"


class Release(models.Model):
    """One version of a campaign's published figures; never rewritten.

    The same snapshot with the same disclosure rule gives the same bytes, so publishing again
    returns the release already made; figures that changed since (a new final snapshot), or
    another rule, make the next version.
    """

    campaign = models.ForeignKey("collection.Campaign", on_delete=models.CASCADE, related_name="releases")
    snapshot = models.ForeignKey("reports.AggregateSnapshot", on_delete=models.RESTRICT, related_name="releases",
                                 help_text="The final figures it was made from.")
    version = models.PositiveIntegerField()
    suppress_below = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Counts from 1 to this minus 1 suppressed (empty: counts as they are).")
    figures_digest = models.CharField(max_length=64, editable=False, help_text="The snapshot's figures' SHA-256.")
    archive = models.FileField(upload_to=release_path, max_length=300)
    sha256 = models.CharField("zip SHA-256", max_length=64)
    files = models.JSONField(default=list, help_text="Each file in the zip: path, bytes, SHA-256.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["campaign", "-version"]
        constraints = [models.UniqueConstraint(fields=["campaign", "version"], name="one_release_per_version")]

    def __str__(self):
        return f"{self.campaign.slug} release {self.version}"

    @property
    def name(self) -> str:
        return f"{self.campaign.slug}-v{self.version}"
