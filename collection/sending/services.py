"""E-mailing a campaign's request to the forces: a preview first, then each request sent once.

`PreviewSend` says what would go: the e-mail as each force will get it, the forces it goes
to, and those it cannot (no address, an address that is not one, an address marked failing
because mail to it bounced). `SendCampaign` sends exactly that. The admin action (preview,
then "Send to N forces"), `send_campaign SLUG [--dry-run] [--force ID ...]` and the Celery
task `collection.send_campaign` all call these two.

A request is recorded as sent only once the mail server has accepted it, and it is sent once
however often sending is started (a double click, two commands at once, a retried task): the
same claim-then-send-then-mark shape as the reminder log. A run claims the request with a
conditional UPDATE (unsent, and not claimed by a live run), commits, sends, then records it
sent (status, the day the force received it, the clock, a "sent" event) and keeps the
Message-ID. A failed send clears the claim and keeps the server's error on the request
(`send_error`); the task retries it, and running the action or the command again sends it.
While the server is busy the claim is renewed (`claims.LeaseKeeper`); a run that died leaves
its claim, which the next run takes over once `FOI_REMINDER_LEASE_SECONDS` have passed.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from ..forces.models import Force
from ..requests.models import Campaign, FoiRequest, RequestStatus
from ..requests.services import MarkSent
from ..validation import ServiceError
from .claims import LeaseKeeper, lease
from .envelope import mailbox_problem, new_message_id, outgoing, sender, signature
from .rules import plural, request_subject

logger = logging.getLogger(__name__)

#: A request that may be e-mailed: never sent, or sent and bounced (status undelivered).
SENDABLE = Q(sent_at__isnull=True) | Q(status=RequestStatus.UNDELIVERED)


def address_problem(force: Force, *, no_address_remedy: str = "") -> str | None:
    """Why a force cannot be e-mailed, in words staff can act on, or None."""
    address = force.foi_email.strip()
    if not address:
        return f"{force.name} has no FOI email address: add it under Forces{no_address_remedy}"
    try:
        validate_email(address)
    except ValidationError:
        return f"{force.name}'s FOI address {address!r} is not an email address: correct it under Forces"
    if force.foi_email_failing:
        why = force.foi_email_problem.strip() or "mail to it bounced"
        return f"{force.name}'s FOI address {address!r} is failing ({why}): correct it under Forces"
    return None


def is_sent(request: FoiRequest) -> bool:
    return request.sent_at is not None and request.status != RequestStatus.UNDELIVERED


@dataclass
class RequestEmail:
    """The request as one force will get it."""

    request: FoiRequest
    address: str
    subject: str
    text: str
    html: str

    @property
    def force(self) -> Force:
        return self.request.force

    def headers(self) -> list[tuple[str, str]]:
        from django.conf import settings

        return [("From", sender()), ("Reply-To", settings.FOI_MAILBOX_ADDRESS), ("To", self.address),
                ("Subject", self.subject)]

    def message(self, message_id: str):
        return outgoing(self.subject, self.text, self.html, [self.address], message_id=message_id, to_force=True)

    def __str__(self):
        return f"{self.force.name} <{self.address}>"


def render_request(request: FoiRequest) -> RequestEmail:
    campaign = request.campaign
    owner = campaign.owner.get_full_name() if campaign.owner else ""
    context = {"request": request, "campaign": campaign, "force": request.force, "signature": signature(owner)}
    # Plain strings, not the SafeStrings templates return: the text part is text, and a page that
    # shows it (the preview) must escape what people typed in it.
    return RequestEmail(request, request.force.foi_email.strip(), request_subject(request.our_reference, campaign.title),
                        "".join([render_to_string("collection/email/request.txt", context)]),
                        "".join([render_to_string("collection/email/request.html", context)]))


@dataclass
class SendPlan:
    """What sending would do now: nothing is written while it is made."""

    campaign: Campaign
    emails: list[RequestEmail] = field(default_factory=list)
    cannot: list[tuple[Force, str]] = field(default_factory=list)
    already_sent: list[FoiRequest] = field(default_factory=list)
    being_sent: list[FoiRequest] = field(default_factory=list)
    blocking: str | None = None  # why nothing can go at all (the mailbox is not set)

    @property
    def can_send(self) -> bool:
        return not self.blocking and bool(self.emails)

    @property
    def button(self) -> str:
        return f"Send to {plural(len(self.emails), 'force')}"

    def headline(self) -> str:
        parts = [f"the request goes to {plural(len(self.emails), 'force')}"]
        if self.cannot:
            parts.append(f"cannot go to {plural(len(self.cannot), 'force')}")
        if self.already_sent:
            parts.append(f"already sent to {plural(len(self.already_sent), 'force')}")
        if self.being_sent:
            parts.append(f"being sent to {plural(len(self.being_sent), 'force')} by another run")
        return f"{self.campaign.slug}: " + "; ".join(parts) + "."

    def lines(self) -> list[str]:
        """The preview as text, for `send_campaign --dry-run`."""
        out = [self.headline()]
        if self.blocking:
            out.append(f"Nothing can be sent: {self.blocking}")
        if self.emails:
            out.append(f"Goes to {plural(len(self.emails), 'force')}:")
            out += [f"  {email.force.name} <{email.address}>" for email in self.emails]
        if self.cannot:
            out.append(f"Cannot go to {plural(len(self.cannot), 'force')}:")
            out += [f"  {reason}" for _, reason in self.cannot]
        if self.already_sent:
            out.append(f"Already sent (not sent again): {', '.join(r.force.name for r in self.already_sent)}")
        if self.being_sent:
            out.append(f"Being sent by another run: {', '.join(r.force.name for r in self.being_sent)}")
        for email in self.emails:
            out += ["", f"--- The e-mail as {email.force.name} will get it ---"]
            out += [f"{name}: {value}" for name, value in email.headers()]
            out += ["", email.text.rstrip()]
        return out


@dataclass
class PreviewSend:
    """The e-mail each force would get and who it can go to; sends and writes nothing."""

    campaign: Campaign
    force_ids: list[str] | None = None

    def requests(self) -> list[FoiRequest]:
        requests = (FoiRequest.objects.filter(campaign=self.campaign)
                    .select_related("force", "campaign__owner").order_by("force__name"))
        if not self.force_ids:
            return list(requests)
        wanted = list(dict.fromkeys(f.strip() for f in self.force_ids if f.strip()))
        known = set(Force.objects.filter(force_id__in=wanted).values_list("force_id", flat=True))
        for force_id in wanted:
            if force_id not in known:
                raise ServiceError(f"--force {force_id}: no force with that id (see Forces in the admin)")
        found = list(requests.filter(force__force_id__in=wanted))
        asked = {r.force.force_id for r in found}
        for force_id in wanted:
            if force_id not in asked:
                raise ServiceError(f"--force {force_id}: that force was not asked in campaign {self.campaign.slug!r}")
        return found

    def execute(self) -> SendPlan:
        plan = SendPlan(self.campaign, blocking=mailbox_problem())
        stale = timezone.now() - lease()
        for request in self.requests():
            if is_sent(request):
                plan.already_sent.append(request)
            elif request.send_claimed_at is not None and request.send_claimed_at >= stale:
                plan.being_sent.append(request)
            elif problem := address_problem(request.force):
                plan.cannot.append((request.force, problem))
            else:
                plan.emails.append(render_request(request))
        return plan


@dataclass
class SendSummary:
    """What a send did, for the command's output, the admin's messages and the task's result."""

    campaign: Campaign
    plan: SendPlan
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    being_sent: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.already_sent += [r.force.name for r in self.plan.already_sent]
        self.being_sent += [r.force.name for r in self.plan.being_sent]

    @property
    def cannot(self) -> list[str]:
        return [reason for _, reason in self.plan.cannot]

    def headline(self) -> str:
        parts = [f"e-mailed {plural(len(self.sent), 'force')}"]
        if self.failed:
            parts.append(f"{plural(len(self.failed), 'send')} failed (left unsent with the error, and retried)")
        if self.cannot:
            parts.append(f"{plural(len(self.cannot), 'force')} cannot be e-mailed")
        if self.already_sent:
            parts.append(f"{plural(len(self.already_sent), 'force')} already sent to, not sent again")
        if self.being_sent:
            parts.append(f"{plural(len(self.being_sent), 'force')} being sent to by another run")
        return f"{self.campaign.slug}: " + "; ".join(parts) + "."

    def lines(self) -> list[str]:
        return ([self.headline()] + [f"  sent to {line}" for line in self.sent]
                + [f"  FAILED {line}" for line in self.failed] + [f"  cannot: {line}" for line in self.cannot]
                + [f"  being sent by another run: {name}" for name in self.being_sent])

    def as_dict(self) -> dict:
        return {"campaign": self.campaign.slug, "headline": self.headline(), "sent": self.sent, "failed": self.failed,
                "cannot": self.cannot,
                "already_sent": self.already_sent, "being_sent": self.being_sent}


@dataclass
class SendCampaign:
    """E-mail the request to every force (or the chosen ones) that can get it and has not yet."""

    campaign: Campaign
    user: object = None
    force_ids: list[str] | None = None

    def execute(self) -> SendSummary:
        plan = PreviewSend(self.campaign, self.force_ids).execute()
        if plan.blocking:
            raise ServiceError(f"{self.campaign.slug}: nothing sent: {plan.blocking}")
        summary = SendSummary(self.campaign, plan)
        claimed = []
        for email in plan.emails:
            with transaction.atomic():
                attempt, message_id = claim(email.request)
            if attempt is not None:
                claimed.append(Claimed(email, attempt, message_id))
                continue
            current = FoiRequest.objects.filter(pk=email.request.pk).only("sent_at", "status").first()
            (summary.already_sent if current is None or is_sent(current) else summary.being_sent).append(
                email.force.name)
        if claimed:
            # Send only once the claims are committed: rolled back, they were never ours to send.
            transaction.on_commit(partial(send_claimed_requests, claimed, summary, self.user))
        return summary


@dataclass
class Claimed:
    """A request this run claimed: its e-mail, the attempt that is ours, the Message-ID it goes with."""

    email: RequestEmail
    attempt: int
    message_id: str

    def mine(self):
        return FoiRequest.objects.filter(SENDABLE, pk=self.email.request.pk, send_attempts=self.attempt,
                                         send_claimed_at__isnull=False)


def claim(request: FoiRequest) -> tuple[int | None, str]:
    """Claim the right to e-mail `request`: (the attempt number, the Message-ID) to the one run
    that wins, (None, '') to any other. The row's own conditional UPDATE is the lock: a second
    run's UPDATE waits for the first to commit and then finds the claim taken."""
    now = timezone.now()
    message_id = new_message_id()
    taken = (FoiRequest.objects.filter(SENDABLE, pk=request.pk)
             .filter(Q(send_claimed_at__isnull=True) | Q(send_claimed_at__lt=now - lease()))
             .update(send_claimed_at=now, send_attempts=F("send_attempts") + 1, sent_message_id=message_id))
    if not taken:
        return None, ""
    return FoiRequest.objects.filter(pk=request.pk).values_list("send_attempts", flat=True).get(), message_id


def deliver(message) -> Exception | None:
    """Hand one message to the mail server (in a thread of the pool: no database here)."""
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - any failure of the mail server leaves it unsent, to retry
        return error
    return None


def send_claimed_requests(claimed: list[Claimed], summary: SendSummary, user=None) -> None:
    """Send the claimed requests, FOI_SEND_CONNECTIONS at a time, and record how each went.

    Only the mail server's part runs in the pool's threads: a hung server costs EMAIL_TIMEOUT per
    message, that many at a time, never one after another. Every claim still waiting or in flight is
    renewed together (one LeaseKeeper), so none looks dead while it waits for a connection."""
    from django.conf import settings

    ready = []
    for one in claimed:
        if one.mine().update(send_claimed_at=timezone.now()):
            ready.append(one)
        else:  # taken over since the claim (this run was held up past its lease): not ours to send
            summary.being_sent.append(one.email.force.name)
    pending = {one.email.request.pk: one for one in ready}

    def renew() -> int:
        held = list(pending.values())
        if not held:
            return 1
        ours = Q(pk__in=[])
        for one in held:
            ours |= Q(pk=one.email.request.pk, send_attempts=one.attempt)
        return FoiRequest.objects.filter(ours, SENDABLE, send_claimed_at__isnull=False).update(
            send_claimed_at=timezone.now())

    if not ready:
        return
    with LeaseKeeper(renew), ThreadPoolExecutor(max_workers=max(1, min(settings.FOI_SEND_CONNECTIONS, len(ready))),
                                                thread_name_prefix="foi-send") as pool:
        futures = {pool.submit(deliver, one.email.message(one.message_id)): one for one in ready}
        for future in as_completed(futures):
            one = futures[future]
            record_send(one, future.result(), summary, user)
            pending.pop(one.email.request.pk, None)


def record_send(one: Claimed, error: Exception | None, summary: SendSummary, user=None) -> None:
    """Keep how one send went: the server's error on the request (to retry), or the request sent."""
    email, attempt, message_id = one.email, one.attempt, one.message_id
    if error is not None:
        detail = f"{timezone.localtime():%d %b %Y %H:%M}: {type(error).__name__}: {error}"[:2000]
        one.mine().update(send_error=detail, send_claimed_at=None)
        summary.failed.append(f"{email} ({detail})")
        logger.warning("request %s not e-mailed, it stays unsent: %s", email.request.pk, detail)
        return
    accepted_at = timezone.now()
    with transaction.atomic():
        request = FoiRequest.objects.select_for_update().get(pk=email.request.pk)
        if request.send_attempts != attempt:
            logger.error("request %s was e-mailed after another run took over its claim: it may arrive twice",
                         request.pk)
        MarkSent([request], timezone.localdate(accepted_at), user, via="email", sent_at=accepted_at,
                 detail=f"E-mailed to {email.address}, Message-ID {message_id}").execute()
        if request.send_attempts == attempt:
            FoiRequest.objects.filter(pk=request.pk).update(send_claimed_at=None, send_error="",
                                                            sent_message_id=message_id)
    summary.sent.append(f"{email} (Message-ID {message_id})")
