"""The reminder log: every chaser and digest the app decided to send, claimed before it goes out."""
from django.db import models
from django.utils import timezone

from .. import deadlines
from ..requests.models import Campaign, FoiRequest


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
