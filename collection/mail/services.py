"""Forces' mail in the database: one code path for the IMAP poller (`fetch_mail`, the beat
task), `ingest_mail` and the admin upload. Store each message once with its SHA-256, match it,
read it, turn what it says into suggestions on its request and its attachments into returned
files with previews made; accept suggestions through the request and returns services.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..importer import ImportRefused
from ..forces.models import Force
from ..reminders.models import ReminderLog
from ..requests.models import EventKind, FoiRequest, Outcome, RequestEvent, RequestStatus
from ..returns.models import ReturnedFile, ReturnSource, ReturnStatus
from .models import (MailAttachment, MailboxPosition, MailKind, MailMessage, MailSource, MailSuggestion,
                     SuggestionAction, SuggestionStatus)
from ..returns.services import (ConfirmReturn, PreviewReturn, ReceiveReturn, ReturnAlreadyImported,
                               limits as import_limits)
from ..requests.services import RecordEvent, RecordResponse
from ..validation import ServiceError
from .attachments import Attachment
from .html import table_to_csv
from .imap import ImapError, ImapMailbox, parse_imap_url
from .matching import Match, RequestRecord, match_message
from .parse import ParsedMessage, parse_message, quick_key
from .reading import Reading, read_message

log = logging.getLogger(__name__)

BODY_TABLE = "body_table"
OUTCOME_OF_KIND = {"refusal": Outcome.REFUSED, "not_held": Outcome.NOT_HELD, "nil_return": Outcome.NIL_RETURN,
                   "answer": Outcome.PROVIDED}


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower() if "@" in (address or "") else ""


def request_records() -> list[RequestRecord]:
    """Every request that has gone out, as matching needs it: a handful of queries, whatever the count."""
    requests = list(FoiRequest.objects.exclude(sent_at__isnull=True, sent_message_id="")
                    .select_related("campaign", "force"))
    chasers: dict[int, set[str]] = {}
    for request_id, mid in ReminderLog.objects.exclude(message_id="").exclude(request__isnull=True) \
            .values_list("request_id", "message_id"):
        chasers.setdefault(request_id, set()).add(mid.strip())
    learned: dict[int, set[str]] = {}
    for request_id, ref in MailMessage.objects.exclude(force_reference="").exclude(request__isnull=True) \
            .exclude(kind=MailKind.AUTO_REPLY).values_list("request_id", "force_reference"):
        learned.setdefault(request_id, set()).add(ref)
    records = []
    for r in requests:
        ids = set(chasers.get(r.pk, set()))
        if r.sent_message_id:
            ids.add(r.sent_message_id.strip())
        refs = set(learned.get(r.pk, set()))
        if r.force_reference:
            refs.add(r.force_reference)
        domains = {d for d in (_domain(r.force.foi_email),) if d}
        records.append(RequestRecord(key=r.pk, force_id=r.force.force_id, our_reference=r.our_reference,
                                     sent_message_ids=frozenset(ids), force_references=frozenset(refs),
                                     force_domains=frozenset(domains), is_open=r.is_open))
    return records


def learn_reference(records: list[RequestRecord], message: MailMessage) -> list[RequestRecord]:
    """After a message is matched, its force's reference matches the force's next mail too."""
    if not (message.request_id and message.force_reference) or message.kind == MailKind.AUTO_REPLY:
        return records
    return [dataclasses.replace(r, force_references=r.force_references | {message.force_reference})
            if r.key == message.request_id and message.force_reference not in r.force_references else r
            for r in records]


@dataclass
class IngestResult:
    message: MailMessage
    created: bool
    duplicate: bool
    source_name: str = ""

    def as_json(self) -> dict:
        m = self.message
        request = m.request
        return {
            "file": self.source_name or m.source_name,
            "message_id": m.message_id or None,
            "force_id": request.force.force_id if request else None,
            "campaign": request.campaign.slug if request else None,
            "kind": m.kind,
            "matched_by": m.matched_by or None,
            "duplicate": self.duplicate,
            "attachments": [attachment_json(a) for a in m.attachments.all() if a.parent_id is None and a.role != BODY_TABLE],
            "body_table": next((attachment_json(a) for a in m.attachments.all() if a.role == BODY_TABLE), None),
        }


def attachment_json(a: MailAttachment) -> dict:
    returned = a.returned_file
    out = {"name": a.name, "stored": bool(a.file), "sha256": a.sha256 or None,
           "import_status": returned.status if returned else None,
           "refused": a.refused or (returned.error if returned and returned.status == ReturnStatus.REFUSED else "")
           or None}
    if a.flag:
        out["flag"] = a.flag
    children = list(a.children.all())
    if children:
        out["contains"] = [attachment_json(c) for c in children]
    return out


@dataclass
class IngestMessage:
    """Store one message once, match it, read it, and suggest what it means."""

    raw: bytes
    source: str = MailSource.FILE
    source_name: str = ""
    user: object = None
    records: list[RequestRecord] | None = None  # a batch passes them once; they are re-read otherwise

    def execute(self) -> IngestResult:
        existing = MailMessage.objects.filter(key=quick_key(self.raw)[:300]).first()
        if existing is not None:
            return self._duplicate(existing)
        parsed = parse_message(self.raw, import_limits(), settings.FOI_MAIL_MAX_MESSAGE_BYTES)
        existing = MailMessage.objects.filter(key=parsed.key[:300]).first()
        if existing is not None:
            return self._duplicate(existing)
        reading = read_message(parsed) if parsed.readable else Reading("unreadable", parsed.problem)
        records = self.records if self.records is not None else request_records()
        match = match_message(parsed, reading, records) if parsed.readable else Match(None, None, parsed.problem)
        try:
            with transaction.atomic():
                message = self._store(parsed, reading, match)
                act_on(message, parsed, reading, self.user)
        except IntegrityError:
            # Another poller or upload stored the same message a moment ago.
            existing = MailMessage.objects.filter(key=parsed.key[:300]).first()
            if existing is None:
                raise
            return self._duplicate(existing)
        except Exception as exc:  # one bad message never stops a batch: keep it raw, say why
            log.exception("ingest: %s could not be processed", self.source_name or parsed.key)
            parsed.problem = f"kept, but could not be processed ({type(exc).__name__}: {exc})"[:300]
            with transaction.atomic():
                message = self._store(parsed, Reading("unreadable", parsed.problem), Match(None, None, parsed.problem))
        return IngestResult(message, True, False, self.source_name)

    def _duplicate(self, existing: MailMessage) -> IngestResult:
        MailMessage.objects.filter(pk=existing.pk).update(duplicates=F("duplicates") + 1,
                                                          last_duplicate_at=timezone.now())
        existing.refresh_from_db()
        return IngestResult(existing, False, True, self.source_name)

    def _store(self, parsed: ParsedMessage, reading: Reading, match: Match) -> MailMessage:
        request = FoiRequest.objects.select_related("campaign", "force").get(pk=match.key) if match.key else None
        message = MailMessage(
            key=parsed.key[:300], message_id=parsed.message_id[:255], sha256=parsed.sha256, size=parsed.size,
            source=self.source, source_name=self.source_name[:500], sent_at=parsed.date,
            from_name=parsed.from_name[:200], from_address=parsed.from_address[:254], subject=parsed.subject[:500],
            text=parsed.text[:200_000], problem=parsed.problem[:300],
            kind=reading.kind if parsed.readable and reading.kind in MailKind.values else MailKind.UNREADABLE, evidence=reading.evidence[:300],
            force_reference="" if reading.kind == "auto_reply" else reading.force_reference[:80],
            sections=", ".join(reading.sections)[:200], new_due_on=reading.new_due_on,
            reading={**reading.as_dict(), "charset_note": parsed.charset_note,
                     "candidates": match.candidates,
                     "report": parsed.report.__dict__ if parsed.report else None},
            request=request, matched_by=match.matched_by or "", match_reason=match.reason[:300])
        message.raw.save("message.eml", ContentFile(self.raw), save=False)
        message.save()
        for attachment in parsed.attachments:
            _store_attachment(message, attachment, None)
        return message


def _store_attachment(message: MailMessage, att: Attachment, parent: MailAttachment | None) -> None:
    stored = MailAttachment(message=message, parent=parent, name=att.name, content_type=att.content_type[:120],
                            size=att.size, sha256=att.sha256, role=att.role, refused=att.refused[:400],
                            flag=att.flag[:300])
    if att.data is not None and att.sha256:
        stored.file.save(att.name, ContentFile(att.data), save=False)
    stored.save()
    for child in att.children:
        _store_attachment(message, child, stored)


def act_on(message: MailMessage, parsed: ParsedMessage | None, reading: Reading, user=None) -> None:
    """What a matched message changes: a bounce marks the request undelivered at once; every other
    kind becomes a suggestion a person accepts. Auto-replies and unrelated mail change nothing."""
    request = message.request
    if request is None or message.kind in (MailKind.AUTO_REPLY, MailKind.UNRELATED, MailKind.UNREADABLE):
        return
    on = message.sent_on
    if message.kind == MailKind.BOUNCE:
        mark_undelivered(message, user)
        return
    suggestion = MailSuggestion(message=message, request=request, on=on, force_reference=message.force_reference,
                                sections=message.sections)
    problems: list[str] = []
    if message.kind == MailKind.ACKNOWLEDGEMENT:
        suggestion.action = SuggestionAction.ACKNOWLEDGED
        suggestion.summary = f"Acknowledged on {on:%d %b %Y}" + (
            f", their reference {message.force_reference}" if message.force_reference else "")
        if not message.force_reference:
            problems.append("no reference of the force's found")
    elif message.kind == MailKind.CLARIFICATION:
        suggestion.action = SuggestionAction.CLARIFICATION
        suggestion.summary = f"Clarification asked on {on:%d %b %Y}: the clock stops until we answer"
    elif message.kind == MailKind.EXTENSION:
        suggestion.action, suggestion.new_due_on = SuggestionAction.EXTENSION, message.new_due_on
        if message.new_due_on:
            suggestion.summary = f"Extended to {message.new_due_on:%d %b %Y}" + (
                f" ({message.sections})" if message.sections else "")
        else:
            suggestion.summary = "Extension claimed, no new date found"
            problems.append("no new date found in the message: enter it by hand")
    else:
        suggestion.action, suggestion.outcome = SuggestionAction.OUTCOME, OUTCOME_OF_KIND[message.kind]
        label = Outcome(suggestion.outcome).label
        suggestion.summary = f"{label} on {on:%d %b %Y}" + (f", citing {message.sections}" if message.sections else "")
        if message.kind == MailKind.REFUSAL and not message.sections:
            problems.append("a refusal with no grounds found: enter the sections by hand")
        if message.kind == MailKind.ANSWER:
            problems += receive_answer_files(message, reading, user)
    suggestion.attention = "; ".join(problems)[:400]
    suggestion.clean = not problems
    suggestion.save()


def receive_answer_files(message: MailMessage, reading: Reading, user=None) -> list[str]:
    """Each data file (and a table in the body) becomes a returned file with its preview made.
    Returns what a person must look at; nothing means the answer is clean."""
    problems: list[str] = []
    files: list[MailAttachment] = []
    for a in message.attachments.all():
        if a.refused and a.role in ("data", "oversize", "archive"):
            problems.append(a.refused)
        if a.flag:
            problems.append(f"{a.name}: {a.flag}")
        if a.role == "data" and not a.refused and a.file:
            files.append(a)
    if reading.body_table and not files:
        files.append(_keep_body_table(message, reading))
    if len(files) > 1:
        problems.append(f"{len(files)} data files: confirm the right one on the request's page")
    for attachment in files:
        problems += _receive_attachment(message, attachment, user)
    if not files and not problems:
        problems.append("no data file or table found: enter the figures by hand")
    return problems


def _keep_body_table(message: MailMessage, reading: Reading) -> MailAttachment:
    """The table pasted in the body, kept as a CSV beside the attachments and read like one."""
    data = table_to_csv(reading.body_table)
    body = MailAttachment(message=message, name=f"table in the e-mail of {message.sent_on:%Y-%m-%d}.csv",
                          content_type="text/csv", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                          role=BODY_TABLE)
    body.file.save(body.name, ContentFile(data), save=False)
    body.save()
    return body


def _receive_attachment(message: MailMessage, attachment: MailAttachment, user=None) -> list[str]:
    """The attachment as its request's returned file, read into a preview. The returned file is the
    attachment's stored copy and checksum (the bytes are kept once); the outcome is recorded when the
    suggestion is accepted, with the sections the message cites, so none is chosen here."""
    with attachment.file.open("rb") as fh:
        data = fh.read()
    try:
        returned = ReceiveReturn(message.request, data, attachment.name, user=user, source=ReturnSource.MAIL,
                                 received_on=message.sent_on, sha256=attachment.sha256,
                                 stored_as=attachment.file.name).execute().returned
    except ImportRefused as refused:
        return [str(refused)]
    MailAttachment.objects.filter(pk=attachment.pk).update(returned_file=returned)
    if returned.status == ReturnStatus.STORED:
        return [f"{attachment.name}: {returned.error or 'could not be read'}"]
    try:
        PreviewReturn(returned).execute()
    except ReturnAlreadyImported:
        return []
    except ImportRefused:
        pass
    returned.refresh_from_db()
    if returned.status != ReturnStatus.PENDING:
        return [f"{attachment.name}: {returned.error or 'could not be read'}"]
    return []


def mark_undelivered(message: MailMessage, user=None) -> None:
    request = message.request
    report = (message.reading or {}).get("report") or {}
    problem = f"{report.get('failed_recipient') or request.force.foi_email}: " \
              f"{report.get('status') or ''} {report.get('diagnostic') or message.subject}".strip()
    with transaction.atomic():
        FoiRequest.objects.filter(pk=request.pk).update(status=RequestStatus.UNDELIVERED, updated_at=timezone.now())
        Force.objects.filter(pk=request.force_id).update(foi_email_failing=True, foi_email_problem=problem[:300])
        RequestEvent.objects.record(request, EventKind.NOTE, message.sent_on, user=user,
                                    detail=f"Undelivered: the request bounced ({problem[:200]})",
                                    changes={"status": [request.status, RequestStatus.UNDELIVERED]})
    request.refresh_from_db()


@dataclass
class AssignMessage:
    """A person matches a message from the unmatched queue: it is then read like any other."""

    message: MailMessage
    request: FoiRequest
    user: object = None

    def execute(self) -> MailMessage:
        if self.message.request_id is not None:
            raise ServiceError(f"message {self.message.subject!r} is already matched to {self.message.request}")
        with transaction.atomic():
            message = MailMessage.objects.select_for_update().get(pk=self.message.pk)
            if message.request_id is not None:
                raise ServiceError("someone else has just matched this message")
            message.request, message.matched_by = self.request, "by_hand"
            message.match_reason = f"assigned by {getattr(self.user, 'username', 'a person')}"
            message.assigned_by = self.user
            message.save(update_fields=["request", "matched_by", "match_reason", "assigned_by"])
            reading = Reading(message.kind, message.evidence, message.force_reference,
                              sections=[s for s in message.sections.split(", ") if s],
                              new_due_on=message.new_due_on,
                              body_table=(message.reading or {}).get("body_table"))
            act_on(message, None, reading, self.user)
        return message


@dataclass
class AcceptSuggestion:
    """Do what a suggestion says, through the request and returns services."""

    suggestion: MailSuggestion
    user: object = None

    def execute(self) -> list[str]:
        s = MailSuggestion.objects.select_related("request__campaign", "request__force", "message").get(
            pk=self.suggestion.pk)
        if s.status != SuggestionStatus.WAITING:
            raise ServiceError(f"this suggestion was already {s.get_status_display().lower()}")
        done: list[str] = []
        with transaction.atomic():
            claimed = MailSuggestion.objects.filter(pk=s.pk, status=SuggestionStatus.WAITING).update(
                status=SuggestionStatus.ACCEPTED, decided_by=self.user, decided_at=timezone.now())
            if not claimed:
                raise ServiceError("this suggestion was accepted by someone else a moment ago")
            request = s.request
            detail = f"From the e-mail “{s.message.subject[:120]}”"
            if s.action == SuggestionAction.ACKNOWLEDGED:
                RecordEvent(request, EventKind.ACKNOWLEDGED, s.on, self.user,
                            detail=detail + (f"; their reference {s.force_reference}" if s.force_reference else "")
                            ).execute()
                if s.force_reference and not request.force_reference:
                    FoiRequest.objects.filter(pk=request.pk).update(force_reference=s.force_reference)
            elif s.action == SuggestionAction.CLARIFICATION:
                RecordEvent(request, EventKind.CLARIFICATION_ASKED, s.on, self.user, detail=detail).execute()
            elif s.action == SuggestionAction.EXTENSION:
                if s.new_due_on is None:
                    raise ServiceError("the extension has no new date: record it by hand on the request")
                RecordEvent(request, EventKind.EXTENSION_CLAIMED, s.on, self.user, new_due_on=s.new_due_on,
                            detail=detail + (f"; {s.sections}" if s.sections else "")).execute()
            elif s.action == SuggestionAction.OUTCOME:
                for returned in ReturnedFile.objects.filter(mail_attachments__message=s.message).distinct():
                    if returned.status == ReturnStatus.PENDING:
                        done.append(f"imported {returned.original_name} ({self._confirm(returned)} cells)")
                if s.outcome == Outcome.REFUSED and not s.sections:
                    raise ServiceError("a refusal needs the sections cited: record it by hand on the request")
                RecordResponse(request, s.outcome, s.on, self.user, sections=s.sections, detail=detail,
                               force_reference=s.force_reference if not request.force_reference else "").execute()
            done.insert(0, s.summary)
        return done

    def _confirm(self, returned: ReturnedFile) -> int:
        """Import the previewed cells; a file imported meanwhile is left as it is (0 cells)."""
        try:
            return ConfirmReturn(returned, self.user).execute().cells
        except ReturnAlreadyImported:
            return 0


@dataclass
class SuggestionReport:
    accepted: list[tuple[MailSuggestion, list[str]]] = field(default_factory=list)
    left: list[tuple[MailSuggestion, str]] = field(default_factory=list)


@dataclass
class ApplySuggestions:
    """Accept every clean suggestion of a campaign, oldest first; leave the rest for a person."""

    campaign: object
    user: object = None
    dry_run: bool = False

    def execute(self) -> SuggestionReport:
        report = SuggestionReport()
        waiting = MailSuggestion.objects.filter(request__campaign=self.campaign, status=SuggestionStatus.WAITING) \
            .select_related("request__force", "message").order_by("on", "message__sent_at", "pk")
        for s in waiting:
            if not s.clean:
                report.left.append((s, s.attention or "needs a person"))
                continue
            if self.dry_run:
                report.accepted.append((s, [s.summary]))
                continue
            try:
                report.accepted.append((s, AcceptSuggestion(s, self.user).execute()))
            except (ServiceError, ImportRefused) as exc:
                report.left.append((s, str(exc)))
        return report


# --- Where mail comes from -------------------------------------------------------------------

@dataclass
class PollResult:
    mailbox: str
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: str = ""
    error: str = ""

    def line(self) -> str:
        if self.error:
            return f"{self.mailbox}: {self.error}"
        if self.skipped:
            return f"{self.mailbox}: {self.skipped}"
        return f"{self.mailbox}: {self.read} new message(s), {self.stored} stored, {self.duplicates} already held"


@dataclass
class FetchMail:
    """Read new mail from the IMAP mailbox. Remembers UIDVALIDITY + the last UID read, never
    deletes, and holds a lease on the mailbox's row so two pollers at once never read the same
    message: the second finds the lease taken and stops."""

    url: str = ""
    lease_seconds: int | None = None

    def execute(self) -> PollResult:
        url = self.url or settings.IMAP_URL
        if not url:
            return PollResult("(none)", skipped="IMAP_URL is not set: no mailbox to read")
        try:
            config = parse_imap_url(url)
        except ImapError as exc:
            return PollResult("(IMAP_URL)", error=str(exc))
        position, _ = MailboxPosition.objects.get_or_create(mailbox=config.label)
        token = uuid.uuid4().hex
        now = timezone.now()
        lease = dt.timedelta(seconds=self.lease_seconds or settings.FOI_MAIL_LEASE_SECONDS)
        got = MailboxPosition.objects.filter(pk=position.pk).filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now)).update(leased_until=now + lease, leased_by=token)
        result = PollResult(config.label)
        if not got:
            result.skipped = "another poller is reading this mailbox now; skipped"
            return result
        try:
            self._poll(config, position, token, result)
        except ImapError as exc:
            result.error = str(exc)
            log.warning("fetch_mail: %s", result.line())
        finally:
            MailboxPosition.objects.filter(pk=position.pk, leased_by=token).update(
                leased_until=None, leased_by="", last_poll_at=timezone.now(), last_error=result.error[:400],
                **({"last_success_at": timezone.now()} if not result.error else {}))
        return result

    def _poll(self, config, position: MailboxPosition, token: str, result: PollResult) -> None:
        with ImapMailbox(config) as box:
            position.refresh_from_db()
            last_uid = position.last_uid
            if position.uidvalidity != box.uidvalidity:
                # A new UIDVALIDITY means the server renumbered the mailbox: read it all again;
                # messages already held are recognised by Message-ID or hash and change nothing.
                last_uid = 0
                MailboxPosition.objects.filter(pk=position.pk, leased_by=token).update(
                    uidvalidity=box.uidvalidity, last_uid=0)
            uids = box.uids_after(last_uid)
            records = request_records()
            for uid, raw in box.fetch(uids):
                outcome = IngestMessage(raw, MailSource.IMAP, f"{config.label}#{box.uidvalidity}:{uid}",
                                        records=records).execute()
                result.read += 1
                if outcome.duplicate:
                    result.duplicates += 1
                else:
                    result.stored += 1
                    records = learn_reference(records, outcome.message)
                MailboxPosition.objects.filter(pk=position.pk, leased_by=token).update(
                    last_uid=uid, messages_read=F("messages_read") + 1)


@dataclass
class IngestPaths:
    paths: list[str]
    user: object = None
    source: str = MailSource.FILE

    def execute(self) -> list[IngestResult]:
        from . import sources

        results = []
        records = request_records()
        for path in self.paths:
            for name, raw in sources.messages_at(path):
                result = IngestMessage(raw, self.source, name, self.user, records=records).execute()
                results.append(result)
                if result.created:
                    records = learn_reference(records, result.message)
        return results


def mail_status_line() -> str:
    """The IMAP poller in one line, for the admin."""
    if not settings.IMAP_URL:
        return "IMAP: not connected (set IMAP_URL to read the team's mailbox); mail comes in by upload or ingest_mail."
    try:
        label = parse_imap_url(settings.IMAP_URL).label
    except ImapError as exc:
        return f"IMAP: {exc}"
    position = MailboxPosition.objects.filter(mailbox=label).first()
    if position is None or position.last_poll_at is None:
        return f"IMAP {label}: not polled yet."
    when = timezone.localtime(position.last_poll_at).strftime("%d %b %Y %H:%M")
    if position.last_error:
        return f"IMAP {label}: last poll {when} failed: {position.last_error} (retried at the next poll)"
    return f"IMAP {label}: last poll {when}, {position.messages_read} message(s) read in all."


def digest_counts(campaign_ids: list[int], since: dt.datetime) -> dict[int, tuple[int, int]]:
    """Per campaign: replies stored since `since` (auto-replies aside) and suggestions ready to
    accept, for the morning digest. Two GROUP BY queries whatever the number of campaigns."""
    from django.db.models import Count

    new = dict(MailMessage.objects.filter(request__campaign_id__in=campaign_ids, stored_at__gte=since)
               .exclude(kind=MailKind.AUTO_REPLY).values_list("request__campaign_id")
               .annotate(n=Count("pk")).values_list("request__campaign_id", "n"))
    ready = dict(MailSuggestion.objects.filter(request__campaign_id__in=campaign_ids, clean=True,
                                               status=SuggestionStatus.WAITING)
                 .values_list("request__campaign_id").annotate(n=Count("pk")).values_list("request__campaign_id", "n"))
    return {cid: (new.get(cid, 0), ready.get(cid, 0)) for cid in campaign_ids if new.get(cid) or ready.get(cid)}

