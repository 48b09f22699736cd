"""A lease per queued job: what was asked, since when, and until when the run holding it counts as alive.

A row exists from the moment a page (or beat) asks for a job until a run of it finishes. While a
worker runs it, the lease is renewed; a worker that dies renews nothing, the lease runs out and the
sweeper (sweeper.py, every minute) queues the job again. A job asked for while the queue was down
has no lease at all (`lease_until` empty): the sweeper queues it once the queue answers again."""
from django.db import models
from django.utils import timezone


class JobKind(models.TextChoices):
    PREVIEW = "preview", "Reading a returned file"
    CONFIRM = "confirm", "Importing a confirmed file"
    SEND = "send", "E-mailing a campaign's request"
    DIGEST = "digest", "Daily reminders and chasers"
    CHASE = "chase", "Chasing a force"
    FETCH = "fetch", "Fetching forces' mail"


class JobLease(models.Model):
    kind = models.CharField(max_length=10, choices=JobKind.choices)
    key = models.CharField(max_length=100, help_text="What the job is for: a file's, campaign's or request's id.")
    task = models.CharField(max_length=100, help_text="The Celery task that does the work.")
    kwargs = models.JSONField(default=dict, blank=True, help_text="What the task is called with.")
    since = models.DateTimeField(default=timezone.now, help_text="When the job was asked for.")
    running_since = models.DateTimeField(null=True, blank=True, help_text="When a worker started its current run.")
    lease_until = models.DateTimeField(null=True, blank=True,
                                       help_text="Until when its run (or its place in the queue) counts as alive; "
                                                 "empty while the queue is down.")
    token = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveIntegerField(default=0, help_text="Runs started so far.")
    note = models.CharField(max_length=500, blank=True, help_text="Why it waits (the queue was down, a run died).")

    class Meta:
        ordering = ["since", "pk"]
        verbose_name = "job in progress"
        verbose_name_plural = "jobs in progress"
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="one_lease_per_job")]
        indexes = [models.Index(fields=["lease_until"])]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.key})"
