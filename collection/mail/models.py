"""Forces' mail: every message received, kept byte for byte, its attachments, what it suggests
doing to its request, and how far the poller has read the team's mailbox."""
import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from ..requests.models import FoiRequest, Outcome
from ..returns.models import ReturnedFile


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
    PARTIAL = "partial", "Partial answer"
    ANSWER = "answer", "Answer"
    BOUNCE = "bounce", "Delivery failure"
    DELAY = "delay", "Delivery delayed"
    UNCLEAR = "unclear", "Needs a person"
    UNRELATED = "unrelated", "Unrelated"
    UNREADABLE = "unreadable", "Unreadable (kept raw)"


class MailSource(models.TextChoices):
    IMAP = "imap", "IMAP mailbox"
    FILE = "file", "ingest_mail (files)"
    UPLOAD = "upload", "Uploaded in the admin"


class MailMessage(models.Model):
    """One e-mail received, kept byte for byte with its SHA-256, whatever became of it.

    `key` is what makes it this message: a hash of its content (mail.identity.content_key), so a
    second delivery (new Received fields and all) is recognised and changes nothing, while a
    different message under a reused Message-ID is kept too and marked `shares_message_id`.
    """

    key = models.CharField(max_length=300, unique=True,
                           help_text="A hash of the message's content: the same message delivered again has the same.")
    shares_message_id = models.BooleanField(
        "shares its Message-ID", default=False,
        help_text="Another message with other content came with the same Message-ID: both are kept.")
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
    from_force = models.BooleanField(
        "from the force", null=True, blank=True,
        help_text="Sent from the force's FOI address or domain and not failing the receiving server's checks; "
                  "empty when not checked (unmatched, or received before senders were checked).")
    sender_check = models.CharField("who sent it", max_length=300, blank=True,
                                    help_text="Why it is (or is not) taken to come from the force.")
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
