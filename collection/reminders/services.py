"""Reminders and chasers: what the daily job decides to send, and how each email goes once.

The admin, the `send_reminders` command and the Celery task all call `SendReminders`; the
admin's "send chaser now" calls `ChaseNow`. What is due on a day is judged by the pure rules
in `rules.py`; this module loads the facts, renders the emails and delivers them.

Exactly once: before an email goes, its row in the reminder log (request or campaign, kind,
the day it is about, recipient) is claimed by INSERT, which the unique constraints let only
one run win. The claim commits, then the email is sent, then the row is marked sent. A second
run, another worker or a retry finds the row taken and sends nothing. A claim whose run died
before marking it is retried once its lease has run out; a failed send is recorded with its
error and retried by the next run. While the mail server is busy with an email its claim is
renewed (`sending.claims.LeaseKeeper`), so a slow server never lets a second run take it over,
and the claim is checked again just before sending. The one window left is a crash between the
mail server accepting an email and the row being marked, which no database can close.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Iterable, Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .. import deadlines
from ..forces.models import Force
from ..requests.models import Campaign, FoiRequest, RequestStatus, working_calendar
from .models import ReminderLog, ReminderStatus
from ..sending.claims import LeaseKeeper, lease
from ..sending.envelope import mailbox_problem, new_message_id, outgoing, signature
from ..sending.rules import one_line
from ..sending.services import address_problem as force_address_problem
from .rules import (CHASER_BY_HAND, CHASER_OVERDUE, CHASER_VERY_OVERDUE, DIGEST, DIGEST_SECTIONS, UNDELIVERED,
                    RequestFacts, chaser_due, digest_section, is_reminder_day, ladder_section)
from ..roles import RESEARCHERS
from ..validation import check_date

logger = logging.getLogger(__name__)


# --- What a run decides -------------------------------------------------------------------

def plain(text: str) -> str:
    """`text` as a plain str, no longer marked safe for HTML (a SafeString's str() is itself)."""
    return "".join([text])


@dataclass
class Email:
    """One email a run has decided on, rendered and ready, not yet claimed."""

    kind: str
    campaign: Campaign
    request: FoiRequest | None
    about: dt.date
    recipient: str
    subject: str
    text: str
    html: str
    reason: str
    status: str = ""  # for a dry run: what the log already says about it

    def __post_init__(self):
        # render_to_string marks what it returns as safe HTML, which the plain-text part (from a
        # template with autoescape off) is not. Kept as plain strings, any page that shows a
        # part (the preview) escapes it, and the HTML part can go in an iframe's srcdoc.
        self.text, self.html = plain(self.text), plain(self.html)

    def key(self) -> dict:
        return {"campaign": self.campaign, "request": self.request, "kind": self.kind, "about": self.about,
                "recipient": self.recipient}

    def message(self, message_id: str) -> EmailMultiAlternatives:
        to_force = self.request is not None  # chasers go to forces; digests to staff
        thread = self.request.sent_message_id if to_force and self.request.sent_at else ""
        return outgoing(self.subject, self.text, self.html, [self.recipient], message_id=message_id,
                        to_force=to_force, in_reply_to=thread)

    def __str__(self):
        return f"{kind_label(self.kind)} to {self.recipient}: {self.subject}"


@dataclass
class ReminderSummary:
    """What a run did, for the command's output, the admin's messages and the task's result."""

    today: dt.date
    dry_run: bool = False
    not_a_working_day: str = ""
    planned: list[Email] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def headline(self) -> str:
        day = f"{self.today:%a %d %b %Y}"
        if self.not_a_working_day:
            return f"Reminders for {day}: {self.not_a_working_day}, so nothing is sent."
        if self.dry_run:
            new = sum(1 for e in self.planned if not e.status)
            return f"Reminders for {day} (dry run, nothing sent or logged): {new} would be sent, " \
                   f"{len(self.planned) - new} already logged."
        return (f"Reminders for {day}: {len(self.sent)} sent, {len(self.already_sent)} already sent, "
                f"{len(self.in_progress)} being sent by another run, {len(self.failed)} failed.")

    def lines(self) -> list[str]:
        out = [self.headline()]
        if self.dry_run:
            out += [f"  would send {e}" if not e.status else f"  already {e.status}: {e}" for e in self.planned]
        out += [f"  sent {line}" for line in self.sent]
        out += [f"  FAILED {line}" for line in self.failed]
        out += [f"  being sent elsewhere: {line}" for line in self.in_progress]
        return out

    def as_dict(self) -> dict:
        return {"today": self.today.isoformat(), "dry_run": self.dry_run,
                "not_a_working_day": self.not_a_working_day, "planned": [str(e) for e in self.planned],
                "sent": self.sent, "already_sent": self.already_sent, "in_progress": self.in_progress,
                "failed": self.failed, "problems": self.problems}


# --- Kinds of reminder --------------------------------------------------------------------

class ReminderKind:
    """A kind of email the daily job may send. To add one: subclass, give `labels` for the
    kind(s) it logs, yield `Email`s from `emails(day)`, decorate with `@register`, and add its
    templates under templates/collection/email/. The log, exactly-once delivery, the dry run
    and the admin preview then work for it unchanged (no migration: the kind is free text)."""

    labels: dict[str, str] = {}

    def emails(self, day: "ReminderDay") -> Iterable[Email]:
        raise NotImplementedError


KINDS: list[ReminderKind] = []
LABELS: dict[str, str] = {CHASER_BY_HAND: "Chaser sent by hand"}


def register(cls):
    KINDS.append(cls())
    LABELS.update(cls.labels)
    return cls


def kind_label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " ").capitalize())


@dataclass
class ReminderDay:
    """Everything a run knows about the day, loaded once and shared by every kind."""

    today: dt.date
    calendar: deadlines.WorkingCalendar
    campaigns: list[Campaign]
    requests: dict[int, list[FoiRequest]]
    chased_by_hand: dict[int, dt.date]  # request id -> the latest day it was chased by hand
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, today: dt.date, campaign: Campaign | None = None) -> "ReminderDay":
        campaigns = [campaign] if campaign is not None else list(
            Campaign.objects.select_related("owner").filter(requests__status__in=DIGEST_STATUSES).distinct())
        requests: dict[int, list[FoiRequest]] = {c.pk: [] for c in campaigns}
        for r in (FoiRequest.objects.filter(campaign__in=campaigns).select_related("force", "campaign__owner")
                  .order_by("due_on", "force__name")):
            requests[r.campaign_id].append(r)
        by_hand: dict[int, dt.date] = {}
        for request_id, about in ReminderLog.objects.filter(
                kind=CHASER_BY_HAND, status=ReminderStatus.SENT, campaign__in=campaigns).values_list("request_id",
                                                                                                    "about"):
            by_hand[request_id] = max(about, by_hand.get(request_id, about))
        return cls(today, working_calendar(), campaigns, requests, by_hand)

    def link(self, obj) -> str:
        return settings.SITE_URL.rstrip("/") + obj.get_absolute_url()

    def url(self, name: str) -> str:
        return settings.SITE_URL.rstrip("/") + reverse(name)

    def link_to_force(self, force: Force) -> str:
        return settings.SITE_URL.rstrip("/") + reverse("admin:collection_force_change", args=[force.pk])


ACTIVE_STATUSES = [*RequestStatus.awaiting_force(), RequestStatus.INTERNAL_REVIEW]
#: Campaigns the daily job looks at: something is running, or a request bounced and waits for a person.
DIGEST_STATUSES = [*ACTIVE_STATUSES, RequestStatus.UNDELIVERED, RequestStatus.ICO_COMPLAINT]


def facts(request: FoiRequest) -> RequestFacts:
    return RequestFacts(awaiting_force=request.is_open, due_on=request.due_on,
                        in_internal_review=request.status == RequestStatus.INTERNAL_REVIEW,
                        review_due_on=request.review_due_on,
                        undelivered=request.status == RequestStatus.UNDELIVERED)


def address_problem(request: FoiRequest) -> str | None:
    """Why a force cannot be chased by email (no address, not one, failing), or None."""
    return force_address_problem(request.force, no_address_remedy=", or chase by hand")


def chaser_email(request: FoiRequest, kind: str, about: dt.date, today: dt.date, calendar, reason: str) -> Email:
    campaign, force = request.campaign, request.force
    sent_on = timezone.localdate(request.sent_at) if request.sent_at else request.received_on
    context = {
        "request": request, "campaign": campaign, "force": force, "kind": kind, "sent_on": sent_on,
        "due_on": request.due_on, "today": today, "very_overdue": kind == CHASER_VERY_OVERDUE,
        "working_days_overdue": deadlines.working_days_overdue(request.due_on, today, calendar=calendar),
        "signature": signature(campaign.owner.get_full_name() if campaign.owner else ""),
    }
    adjective = {CHASER_OVERDUE: "Overdue", CHASER_VERY_OVERDUE: "Very overdue"}.get(kind, "Chasing")
    your_ref = f" (your ref {request.force_reference})" if request.force_reference else ""
    subject = one_line(f"{adjective} FOI request {request.our_reference}{your_ref} to {force.name}: {campaign.title}")
    return Email(kind, campaign, request, about, force.foi_email.strip(), subject[:255],
                 render_to_string("collection/email/chaser.txt", context),
                 render_to_string("collection/email/chaser.html", context), reason)


@register
class Chasers(ReminderKind):
    """A polite chaser to the force the first working day after the due date, a firmer one
    when the request is very overdue."""

    labels = {CHASER_OVERDUE: "Chaser: overdue", CHASER_VERY_OVERDUE: "Chaser: very overdue"}

    def emails(self, day: ReminderDay) -> Iterator[Email]:
        mailbox = mailbox_problem()
        for campaign in day.campaigns:
            if not campaign.chasers_enabled:
                continue
            no_address: list[str] = []
            chasers = list(self._chasers(day, campaign, no_address))
            if chasers and mailbox:
                # Forces reply to a chaser: with no mailbox to reply to, the answer would be lost.
                day.problems.append(f"{campaign.slug}: {len(chasers)} chaser{'s' if len(chasers) != 1 else ''} "
                                    f"not sent: {mailbox}")
            else:
                yield from chasers
            if len(no_address) == 1:
                day.problems.append(f"{campaign.slug}: cannot chase: {no_address[0]} has no FOI email address: "
                                    "add it under Forces, or chase by hand")
            elif no_address:
                # One line for the lot: a new install has no addresses yet, and 43 lines help nobody.
                day.problems.append(f"{campaign.slug}: cannot chase {len(no_address)} forces with no FOI email "
                                    f"address ({', '.join(no_address)}): add them under Forces, or chase by hand")

    def _chasers(self, day: ReminderDay, campaign: Campaign, no_address: list[str]) -> Iterator[Email]:
        for request in day.requests[campaign.pk]:
            due = chaser_due(facts(request), day.today, day.calendar)
            if due is None:
                continue
            by_hand = day.chased_by_hand.get(request.pk)
            if due.kind == CHASER_OVERDUE and by_hand is not None and by_hand > due.about:
                continue  # staff already chased it since it fell due: one chaser is polite, two is not
            problem = address_problem(request)
            if problem:
                if request.force.foi_email.strip():
                    day.problems.append(f"{campaign.slug}: cannot chase: {problem}")
                else:
                    no_address.append(request.force.name)
                continue
            reason = (f"{request.force.name} had not answered by {due.about:%d %b %Y}"
                      + (" and is now very overdue" if due.kind == CHASER_VERY_OVERDUE else ""))
            yield chaser_email(request, due.kind, due.about, day.today, day.calendar, reason)


@register
class Digest(ReminderKind):
    """Each campaign's morning digest to its owner: what is due soon, due today, late."""

    labels = {DIGEST: "Daily digest"}

    def emails(self, day: ReminderDay) -> Iterator[Email]:
        mail = self.mail_counts(day)
        for campaign in day.campaigns:
            sections = self.sections(day, campaign)
            failing = self.failing_addresses(day, campaign)
            new_replies, ready = mail.get(campaign.pk, (0, 0))
            if not sections and not failing and not (new_replies or ready):
                continue  # nothing to say, so say nothing
            recipients, why = self.recipients(campaign)
            if not recipients:
                day.problems.append(f"{campaign.slug}: nobody to send the digest to: give the campaign an "
                                    f"owner with an email address")
                continue
            counts = ", ".join([f"{len(items)} {title.split(':')[0].lower()}" for _, title, items in sections]
                               + ([f"{len(failing)} failing address{'es' if len(failing) != 1 else ''}"]
                                  if failing else [])
                               + ([f"{new_replies} new repl{'ies' if new_replies != 1 else 'y'}"] if new_replies else []))
            subject = f"FOI digest {day.today:%a %d %b}: {campaign.title}: {counts}"
            if sum(len(items) for _, _, items in sections) == 1 and not failing:
                subject += f" ({sections[0][2][0]['force'].name})"
            subject = one_line(subject)
            context = {"campaign": campaign, "today": day.today, "sections": sections, "why": why,
                       "failing": failing, "campaign_url": day.link(campaign),
                       "new_replies": new_replies, "ready": ready,
                       "inbox_url": settings.SITE_URL.rstrip("/") + reverse("admin:collection_campaign_inbox",
                                                                           args=[campaign.pk]),
                       "requests_url": day.url("admin:collection_foirequest_changelist"),
                       "log_url": day.url("admin:collection_reminderlog_changelist")}
            text = render_to_string("collection/email/digest.txt", context)
            html = render_to_string("collection/email/digest.html", context)
            for address in recipients:
                yield Email(DIGEST, campaign, None, day.today, address, subject[:255], text, html,
                            f"{counts} on {day.today:%d %b %Y}; {why}")

    def sections(self, day: ReminderDay, campaign: Campaign) -> list[tuple[str, str, list[dict]]]:
        found: dict[str, list[dict]] = {key: [] for key in DIGEST_SECTIONS}
        for request in day.requests[campaign.pk]:
            section = digest_section(facts(request), day.today, day.calendar)
            if section is None:
                continue
            late = (deadlines.working_days_overdue(request.due_on, day.today, calendar=day.calendar)
                    if request.due_on else 0)
            note = ""
            if section == UNDELIVERED:
                note = address_problem(request) or ("the address has changed since: send the request again "
                                                    "(campaign action, or send_campaign)")
            elif request.is_open and request.due_on and request.due_on < day.today:
                note = address_problem(request) or ("" if campaign.chasers_enabled
                                                     else "chasers are off for this campaign")
            found[section].append({"request": request, "force": request.force, "url": day.link(request),
                                   "working_days_overdue": late, "note": note})
        self.ladder_items(day, campaign, found)
        return [(key, title, found[key]) for key, title in DIGEST_SECTIONS.items() if found[key]]

    @staticmethod
    def ladder_items(day: ReminderDay, campaign: Campaign, found: dict[str, list[dict]]) -> None:
        """The challenge ladder's steps due or late (one query for the campaign's steps)."""
        from ..challenges.services import ladders_of, next_step_for

        requests = day.requests[campaign.pk]
        ladders = ladders_of(requests)
        for request in requests:
            if not ladders[request.pk] and request.outcome not in deadlines.CHALLENGEABLE_OUTCOMES:
                continue  # silence is the overdue sections' already
            step = next_step_for(request, day.today, day.calendar, [s.as_ladder_step() for s in ladders[request.pk]])
            section = ladder_section(step, day.today, day.calendar)
            if section is not None:
                found[section].append({"request": request, "force": request.force, "url": day.link(request),
                                       "working_days_overdue": 0, "step": step, "note": str(step)})

    def mail_counts(self, day: ReminderDay) -> dict[int, tuple[int, int]]:
        """Forces' mail since the last working day's digest: new replies, suggestions ready to accept."""
        from ..mail.services import digest_counts

        previous = day.today - dt.timedelta(days=1)
        while not day.calendar.is_working_day(previous):
            previous -= dt.timedelta(days=1)
        since = timezone.make_aware(dt.datetime.combine(previous, dt.time(0, 0)))
        return digest_counts([c.pk for c in day.campaigns], since)

    def failing_addresses(self, day: ReminderDay, campaign: Campaign) -> list[dict]:
        """Forces of this campaign still waited on whose FOI address bounced: fix before anything goes."""
        forces: dict[int, Force] = {}
        for request in day.requests[campaign.pk]:
            waiting = request.is_open or request.status in (RequestStatus.UNDELIVERED, RequestStatus.INTERNAL_REVIEW,
                                                            RequestStatus.DRAFT)
            if waiting and request.force.foi_email_failing:
                forces[request.force.pk] = request.force
        return [{"force": force, "address": force.foi_email, "problem": force.foi_email_problem,
                 "url": day.link_to_force(force)} for force in sorted(forces.values(), key=lambda f: f.name)]

    def recipients(self, campaign: Campaign) -> tuple[list[str], str]:
        owner = campaign.owner
        if owner is not None and owner.is_active and owner.email.strip():
            return [owner.email.strip()], "you own this campaign"
        users = get_user_model().objects.filter(is_active=True).exclude(email="").order_by("username")
        researchers = sorted({u.email.strip() for u in users.filter(is_staff=True, groups__name=RESEARCHERS)
                              if u.email.strip()})
        if researchers:
            return researchers, "the campaign has no owner who can be emailed, so every researcher gets it"
        # Somebody must hear that forces are late: with no researcher either, the site's administrators do.
        admins = sorted({u.email.strip() for u in users.filter(is_superuser=True) if u.email.strip()})
        return admins, ("the campaign has no owner who can be emailed and there are no researchers, so every "
                        "administrator gets it")


# --- Delivering each email once -----------------------------------------------------------

NEW, RETRY, ALREADY_SENT, IN_PROGRESS = "new", "retry", "already sent", "being sent"


def claim(email: Email, *, now: dt.datetime, triggered_by: str) -> tuple[str, ReminderLog | None]:
    """Claim the right to send `email`; the log row is returned only to the one run that wins."""
    try:
        with transaction.atomic():  # a savepoint: losing the race must not spoil an outer transaction
            return NEW, ReminderLog.objects.create(**email.key(), subject=email.subject, reason=email.reason,
                                                   claimed_at=now, triggered_by=triggered_by,
                                                   message_id=new_message_id())
    except IntegrityError:
        pass
    log = ReminderLog.objects.get(**email.key())
    if log.status == ReminderStatus.SENT:
        return ALREADY_SENT, None
    if log.status == ReminderStatus.PENDING and log.claimed_at > now - lease():
        return IN_PROGRESS, None
    # A failed send, or a claim whose run died: take it over, but only if nobody else just did
    # (the attempt number is the version checked). Each attempt is a new message with its own id.
    taken = (ReminderLog.objects.filter(pk=log.pk, attempts=log.attempts).exclude(status=ReminderStatus.SENT)
             .update(status=ReminderStatus.PENDING, attempts=log.attempts + 1, claimed_at=now,
                     triggered_by=triggered_by, message_id=new_message_id()))
    if not taken:
        return IN_PROGRESS, None
    log.refresh_from_db()
    return RETRY, log


def send_claimed(email: Email, log: ReminderLog, summary: ReminderSummary) -> None:
    """Send one claimed email and record how it went; a mail server error is kept, not raised."""
    mine = ReminderLog.objects.filter(pk=log.pk, attempts=log.attempts, status=ReminderStatus.PENDING)

    def renew() -> int:
        return mine.update(claimed_at=timezone.now())

    if not renew():
        # Held up past the lease between claim and send (a run paused, a long outer transaction),
        # and another run has taken the email over: it is that run's to send now.
        summary.in_progress.append(str(email))
        logger.warning("reminder %s was taken over by another run before it was sent; not sending it", log.pk)
        return
    try:
        with LeaseKeeper(renew):
            email.message(log.message_id).send()
    except Exception as error:  # noqa: BLE001 - any failure of the mail server leaves it to retry
        detail = f"{type(error).__name__}: {error}"[:2000]
        ReminderLog.objects.filter(pk=log.pk, attempts=log.attempts).update(status=ReminderStatus.FAILED,
                                                                            error=detail)
        summary.failed.append(f"{email} ({detail})")
        logger.warning("reminder %s not sent, will be retried: %s", log.pk, detail)
        return
    marked = (ReminderLog.objects.filter(pk=log.pk, attempts=log.attempts)
              .update(status=ReminderStatus.SENT, sent_at=timezone.now(), error=""))
    if not marked:
        logger.error("reminder %s was sent after its lease ran out; another run may send it again", log.pk)
    summary.sent.append(str(email))


def deliver(emails: Iterable[Email], summary: ReminderSummary, triggered_by: str) -> None:
    for email in emails:
        with transaction.atomic():
            state, log = claim(email, now=timezone.now(), triggered_by=triggered_by)
            if log is not None:
                # Send only once the claim is committed: rolled back, it was never ours to send.
                transaction.on_commit(partial(send_claimed, email, log, summary))
        if state == ALREADY_SENT:
            summary.already_sent.append(str(email))
        elif state == IN_PROGRESS:
            summary.in_progress.append(str(email))


# --- The commands -------------------------------------------------------------------------

@dataclass
class SendReminders:
    """The daily job: decide from the database which digests and chasers are due today, and
    send each once. With `dry_run` it only decides (the admin preview and --dry-run)."""

    today: dt.date | None = None
    dry_run: bool = False
    campaign: Campaign | None = None
    triggered_by: str = ""

    def execute(self) -> ReminderSummary:
        today = check_date(self.today or timezone.localdate(), "day")
        summary = ReminderSummary(today, dry_run=self.dry_run)
        calendar = working_calendar()
        if not is_reminder_day(today, calendar):
            summary.not_a_working_day = f"not a working day ({calendar.non_working_reason(today)})"
            return summary
        day = ReminderDay.load(today, self.campaign)
        for kind in KINDS:
            summary.planned.extend(kind.emails(day))
        summary.problems = day.problems
        for problem in day.problems:
            logger.warning("reminders for %s: %s", today, problem)
        if self.dry_run:
            for email in summary.planned:
                log = ReminderLog.objects.filter(**email.key()).first()
                email.status = log.get_status_display().lower() if log else ""
            return summary
        deliver(summary.planned, summary, self.triggered_by)
        return summary


@dataclass
class ChaseNow:
    """Chase the chosen requests now, whatever the schedule says ("send chaser now"). Once a
    day per request at most, so a double click sends one email."""

    requests: list[FoiRequest]
    user: object = None
    today: dt.date | None = None

    def execute(self) -> ReminderSummary:
        today = self.today or timezone.localdate()
        summary = ReminderSummary(today)
        calendar = working_calendar()
        emails = []
        for request in FoiRequest.objects.filter(pk__in=[r.pk for r in self.requests]).select_related(
                "force", "campaign__owner").order_by("force__name"):
            name = f"{request.force.name} ({request.campaign.slug})"
            if not request.is_open:
                summary.problems.append(f"{name}: not chased, it is not awaiting an answer "
                                        f"({request.get_status_display().lower()})")
            elif request.due_on is None or request.due_on >= today:
                due = f"due {request.due_on:%d %b %Y}" if request.due_on else "its clock is stopped"
                summary.problems.append(f"{name}: not chased, it is not late yet ({due})")
            elif problem := address_problem(request) or mailbox_problem():
                summary.problems.append(f"{name}: not chased: {problem}")
            else:
                by = getattr(self.user, "username", "") or "staff"
                emails.append(chaser_email(request, CHASER_BY_HAND, today, today, calendar,
                                           f"chased by hand by {by}"))
        summary.planned = emails
        deliver(emails, summary, f"admin: {getattr(self.user, 'username', '')}".strip())
        return summary
