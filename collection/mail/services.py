"""Forces' mail in the database: one code path for the IMAP poller (`fetch_mail`, the beat
task), `ingest_mail` and the admin upload. Store each message once, match it, read it, check who
sent it, and turn what it says into suggestions on its request (suggestions.py).

A run (`MailRun`) does what is the same for every message once: it indexes the requests (with
the forces' references and domains learned so far), knows the messages held (their content keys
and Message-IDs) and keeps one ReturnReader. Its messages are committed together in batches
(`Batch`), each in a savepoint of its own: a message that breaks is rolled back alone and kept
raw, saying why, and the batch goes on. Inside a batch, the rows of a message that needs no
write before the batch's end (most: not a bounce, not sharing a Message-ID) are kept aside
(`Pending`) and inserted with the batch's others, a table at a time, just before it commits.
"""
from __future__ import annotations

import datetime as dt
import logging
import sys
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..reminders.models import ReminderLog
from ..challenges.models import ChallengeStep
from ..requests.models import FoiRequest, RequestEvent
from ..returns.models import ReturnedFile, ReturnStatus
from ..returns.services import ReturnReader, limits as import_limits
from .attachments import Attachment
from .bounds import MailBounds
from .files import WrittenFiles
from .imap import ImapError, ImapMailbox, parse_imap_url
from .matching import Match, RequestIndex, RequestRecord, match_message
from .models import (MailAttachment, MailboxPosition, MailKind, MailMessage, MailSource, MailSuggestion,
                     SuggestionStatus)
from .parse import ParsedMessage, parse_message, quick_key
from .reading import Reading, own_text, read_message
from .suggestions import (BODY_TABLE, AcceptSuggestion, ApplySuggestions, AssignMessage, Delivery, Kept,  # noqa: F401
                          act_on)
from .trust import Trust, bounce_evidence, sender_trust
from .wording import force_reference

log = logging.getLogger(__name__)

#: Kinds whose sender matters: what they say is acted on once a person or apply_suggestions accepts it.
CHECKED_KINDS = ("acknowledgement", "clarification", "extension", "refusal", "not_held", "nil_return", "partial",
                 "answer", "unclear")
#: Kinds whose every row `act_on` gives to the run (Delivery.later) instead of writing it: in a batch,
#: their rows wait for its end. A bounce writes to its request and force at once, so it is stored at once.
WAITING_KINDS = CHECKED_KINDS + ("auto_reply", "delay", "unrelated")


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower() if "@" in (address or "") else ""


def _learned() -> tuple[dict[int, set[str]], dict[str, set[str]]]:
    """What earlier mail taught: each request's force reference, and each force's mail domains
    (from the messages a person accepted or assigned, never from a message alone). Two queries."""
    refs: dict[int, set[str]] = {}
    for request_id, ref in MailMessage.objects.exclude(force_reference="").exclude(request__isnull=True) \
            .exclude(kind=MailKind.AUTO_REPLY).values_list("request_id", "force_reference"):
        refs.setdefault(request_id, set()).add(ref)
    domains: dict[str, set[str]] = {}
    confirmed = MailMessage.objects.filter(request__isnull=False).filter(
        Q(assigned_by__isnull=False) | Q(suggestions__status=SuggestionStatus.ACCEPTED,
                                         suggestions__decided_by__isnull=False))
    for force_id, address in confirmed.values_list("request__force__force_id", "from_address").distinct():
        if _domain(address):
            domains.setdefault(force_id, set()).add(_domain(address))
    return refs, domains


def request_index() -> tuple[RequestIndex, dict[int, FoiRequest]]:
    """Every request that has gone out, indexed for matching, and the requests themselves (with
    their campaign and force): a handful of queries, whatever the count, once per run."""
    requests = {r.pk: r for r in FoiRequest.objects.exclude(sent_at__isnull=True, sent_message_id="")
                .select_related("campaign", "force")}
    chasers: dict[int, set[str]] = {}
    for request_id, mid in ReminderLog.objects.exclude(message_id="").exclude(request__isnull=True) \
            .values_list("request_id", "message_id"):
        chasers.setdefault(request_id, set()).add(mid.strip())
    refs, domains = _learned()
    ico: dict[int, set[str]] = {}
    for request_id, ref in ChallengeStep.objects.exclude(ico_reference="").values_list("request_id", "ico_reference"):
        ico.setdefault(request_id, set()).add(ref)
    records = []
    for r in requests.values():
        ids = chasers.get(r.pk, set()) | ({r.sent_message_id.strip()} if r.sent_message_id else set())
        known = refs.get(r.pk, set()) | ({r.force_reference} if r.force_reference else set())
        force_domains = {d for d in (_domain(r.force.foi_email),) if d} | domains.get(r.force.force_id, set())
        records.append(RequestRecord(key=r.pk, force_id=r.force.force_id, our_reference=r.our_reference,
                                     sent_message_ids=frozenset(ids), force_references=frozenset(known),
                                     force_domains=frozenset(force_domains), is_open=r.is_open,
                                     force_address=r.force.foi_email,
                                     ico_references=frozenset(ico.get(r.pk, ()))))
    return RequestIndex(records), requests


@dataclass
class IngestResult:
    message: MailMessage
    created: bool
    duplicate: bool
    source_name: str = ""

    def as_json(self) -> dict:
        m = self.message
        request = m.request
        attachments = list(m.attachments.all())
        return {
            "file": self.source_name or m.source_name,
            "message_id": m.message_id or None,
            "force_id": request.force.force_id if request else None,
            "campaign": request.campaign.slug if request else None,
            "kind": m.kind,
            "matched_by": m.matched_by or None,
            "duplicate": self.duplicate,
            "shares_message_id": m.shares_message_id,
            "from_force": m.from_force,
            "attachments": [attachment_json(a) for a in attachments if a.parent_id is None and a.role != BODY_TABLE],
            "body_table": next((attachment_json(a) for a in attachments if a.role == BODY_TABLE), None),
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
class Pending:
    """A message read in a batch whose rows wait for the batch's end: its row, its attachments',
    its returned files and their events and its suggestion, unsaved; what it was read from, to
    read it again alone if the batch's insert fails; and the result its caller holds."""

    rows: list
    files: set[str]  # the names in storage it wrote, as the run's WrittenFiles knows them
    parsed: ParsedMessage
    raw: bytes
    result: IngestResult


class MailRun:
    """One run of ingestion: the requests indexed, the held messages known and one ReturnReader,
    for every message it reads. `preload`: read every held key and Message-ID at the start (a run
    of many messages); otherwise each message asks the database (one upload). `together`: set by
    a Batch around the run; a message's rows may then wait for `flush`."""

    def __init__(self, source: str = MailSource.FILE, user=None, *, preload: bool = True):
        self.source, self.user = source, user
        self.index, self.requests = request_index()
        self.reader = ReturnReader()
        self.limits = import_limits()
        self.bounds = MailBounds(settings.FOI_MAIL_MAX_PARTS, settings.FOI_MAIL_MAX_ATTACHMENTS,
                                 settings.FOI_MAIL_MAX_DECODED_BYTES)
        self.shared_ids: set[str] = set()  # Message-IDs this run found shared by two messages
        self.files = WrittenFiles()
        self.keys: dict[str, int] | None = None
        self.message_ids: set[str] | None = None
        self.together = False
        self.pending: dict[str, Pending] = {}
        if preload:
            self.keys, self.message_ids = {}, set()
            for pk, key, message_id in MailMessage.objects.values_list("pk", "key", "message_id"):
                self.keys[key] = pk
                if message_id:
                    self.message_ids.add(message_id)

    def ingest(self, raw: bytes, source_name: str = "") -> IngestResult:
        """Store one message once, match it, read it, check its sender and suggest what it means."""
        held = self._held(quick_key(raw))
        if held is not None:
            return self._duplicate(held, source_name)
        parsed = parse_message(raw, self.limits, settings.FOI_MAIL_MAX_MESSAGE_BYTES, self.bounds)
        if self.together:
            waiting = self._later(parsed, raw, source_name)
            if waiting is not None:
                return waiting
            self.flush()  # what is stored now comes after what was read before it
        return self._now(parsed, raw, source_name)

    def _now(self, parsed: ParsedMessage, raw: bytes, source_name: str) -> IngestResult:
        """The message's rows inserted at once, in a savepoint of its own."""
        before = self.files.mark()
        try:
            with transaction.atomic():
                message = self._keep(parsed, raw, source_name)
        except (OperationalError, InterfaceError):
            self.files.remove(before)
            raise  # the database went away: the run stops, and a rerun takes up the message again
        except Exception as exc:  # one bad message never stops a batch: keep it raw, say why
            self.files.remove(before)  # no file in storage without its row
            existing = MailMessage.objects.filter(key=parsed.key).values_list("pk", flat=True).first() \
                if isinstance(exc, IntegrityError) else None
            if existing is not None:  # another poller or upload stored the same message a moment ago
                return self._duplicate(existing, source_name)
            log.exception("ingest: %s could not be processed", source_name or parsed.key)
            parsed.problem = f"kept, but could not be processed ({type(exc).__name__}: {exc})"[:300]
            with transaction.atomic():
                message = self._store(parsed, Reading("unreadable", parsed.problem), Match(None, None, parsed.problem),
                                      raw, source_name, None)
                _insert(self._attachments(message, parsed))
        self._remember(message)
        return IngestResult(message, True, False, source_name)

    def _later(self, parsed: ParsedMessage, raw: bytes, source_name: str) -> IngestResult | None:
        """Read the message and keep its rows for the batch's end. None when it must be stored now:
        unreadable or past the bounds, sharing a Message-ID, not of WAITING_KINDS (each writes to
        rows already held), or it broke (read again now, it is kept raw with the reason, as always)."""
        if not parsed.readable or parsed.over_limit or self._shares_id(parsed.message_id[:255]):
            return None
        before = self.files.mark()
        try:
            reading, match = self._read(parsed)
            if reading.kind not in WAITING_KINDS:
                return None
            trust, match = self._trust(parsed, reading, match)
            message = self._message(parsed, reading, match, raw, source_name, trust)
            rows: list = [message]
            delivery = Delivery(self._attachments(message, parsed), self.reader, later=rows)
            try:
                act_on(message, delivery, reading, self.user)
            finally:  # a table from the body is written there, beside the attachments
                for kept in delivery.kept:
                    self.files.add(kept.row.file)
        except (OperationalError, InterfaceError):
            self.files.remove(before)
            raise  # the database went away: the run stops, and a rerun takes up the message again
        except Exception:
            self.files.remove(before)
            return None
        kept = [k.row for k in delivery.kept if k.row.pk is None]
        files = self.files.mark() - before
        pending = Pending(rows + kept, files, parsed, raw, IngestResult(message, True, False, source_name))
        self.pending[message.key] = pending
        if message.message_id and self.message_ids is not None:
            self.message_ids.add(message.message_id)
        self._learn(message)
        return pending.result

    def flush(self) -> None:
        """Insert the waiting messages' rows, a table at a time. If that fails (another poller
        stored one of them, a file was already kept for its request), each is stored again alone,
        as if it had never waited: the files it wrote while waiting go first."""
        if not self.pending:
            return
        pending, self.pending = list(self.pending.values()), {}
        try:
            with transaction.atomic():
                _insert_rows([row for p in pending for row in p.rows])
        except (OperationalError, InterfaceError):
            self.files.drop(name for p in pending for name in p.files)
            raise  # the database went away: the batch rolls back, and a rerun takes up its messages
        except Exception:
            log.warning("ingest: the batch's rows could not be inserted together; storing each message alone")
            for p in pending:
                self.files.drop(p.files)
                if self.message_ids is not None:
                    self.message_ids.discard(p.result.message.message_id)
            for p in pending:
                again = self._now(p.parsed, p.raw, p.result.source_name)
                p.result.message, p.result.created, p.result.duplicate = again.message, again.created, again.duplicate
            return
        for p in pending:
            self._remember(p.result.message)

    def discard(self) -> None:
        """The batch rolled back: every file not committed goes with its rows, the waiting
        messages' among them."""
        self.pending = {}
        self.files.remove()

    def _held(self, key: str) -> int | None:
        if key in self.pending:
            self.flush()
        if self.keys is not None:
            return self.keys.get(key)
        return MailMessage.objects.filter(key=key).values_list("pk", flat=True).first()

    def _duplicate(self, pk: int, source_name: str) -> IngestResult:
        MailMessage.objects.filter(pk=pk).update(duplicates=F("duplicates") + 1, last_duplicate_at=timezone.now())
        return IngestResult(MailMessage.objects.select_related("request__force", "request__campaign").get(pk=pk),
                            False, True, source_name)

    def _remember(self, message: MailMessage) -> None:
        if self.keys is not None:
            self.keys[message.key] = message.pk
            if message.message_id:
                self.message_ids.add(message.message_id)
        self._learn(message)

    def _learn(self, message: MailMessage) -> None:
        if message.request_id and message.force_reference and message.kind != MailKind.AUTO_REPLY:
            self.index.learn_reference(message.request_id, message.force_reference)

    def _read(self, parsed: ParsedMessage) -> tuple[Reading, Match]:
        if parsed.over_limit:  # listed on its request, by its headers alone; nothing inside it is read
            reading = Reading("unreadable", parsed.problem)
            return reading, match_message(parsed, reading, self.index)
        if not parsed.readable:
            return Reading("unreadable", parsed.problem), Match(None, None, parsed.problem)
        reading = read_message(parsed)
        match = match_message(parsed, reading, self.index)
        if match.key is not None and not reading.force_reference and reading.kind in CHECKED_KINDS:
            # The force's format, learned from its earlier mail, finds a reference with no label.
            found = force_reference(parsed.subject, own_text(parsed.text), self.index.shapes(match.key))
            if found is not None:
                reading.force_reference, reading.reference_words = found.reference, found.words
        return reading, match

    def _trust(self, parsed: ParsedMessage, reading: Reading, match: Match) -> tuple[Trust | None, Match]:
        """Who sent it, for the kinds whose sender matters. A delivery failure without evidence
        (our Message-ID, or the force's own mail system) is taken off its request: it waits in the
        unmatched queue for a person, the request it names offered first."""
        if match.key is None:
            return None, match
        request = self.requests[match.key]
        if reading.kind == MailKind.BOUNCE:
            report = reading.report.original_message_id if reading.report else ""
            evidence = bounce_evidence(parsed, report, self.index.records[match.key].sent_message_ids,
                                       request.force.name, request.force.foi_email, self.index.domains_of(match.key))
            if evidence.trusted:
                return evidence, match
            return evidence, Match(None, None, f"{evidence.why} (it names {request.force.name}: {match.reason})"[:300],
                                   [match.key])
        if reading.kind not in CHECKED_KINDS:
            return None, match
        return sender_trust(parsed, request.force.name, request.force.foi_email,
                            self.index.domains_of(match.key)), match

    def _keep(self, parsed: ParsedMessage, raw: bytes, source_name: str) -> MailMessage:
        reading, match = self._read(parsed)
        trust, match = self._trust(parsed, reading, match)
        message = self._store(parsed, reading, match, raw, source_name, trust)
        delivery = Delivery(self._attachments(message, parsed), self.reader)
        try:
            act_on(message, delivery, reading, self.user)
        finally:  # a table from the body is written there, beside the attachments
            for kept in delivery.kept:
                self.files.add(kept.row.file)
        _insert(delivery.kept)
        if message.shares_message_id:
            MailMessage.objects.filter(message_id=message.message_id).exclude(pk=message.pk).update(
                shares_message_id=True)
            self.shared_ids.add(message.message_id)
        return message

    def _shares_id(self, message_id: str) -> bool:
        if not message_id:
            return False
        if self.message_ids is not None:
            return message_id in self.message_ids
        return MailMessage.objects.filter(message_id=message_id).exists()

    def _store(self, parsed: ParsedMessage, reading: Reading, match: Match, raw: bytes, source_name: str,
               trust: Trust | None) -> MailMessage:
        message = self._message(parsed, reading, match, raw, source_name, trust)
        message.save()
        return message

    def _message(self, parsed: ParsedMessage, reading: Reading, match: Match, raw: bytes, source_name: str,
                 trust: Trust | None) -> MailMessage:
        """The message's row, unsaved, its raw bytes in storage."""
        request = self.requests.get(match.key) if match.key else None
        kind = reading.kind if parsed.readable and reading.kind in MailKind.values else MailKind.UNREADABLE
        message = MailMessage(
            key=parsed.key[:300], message_id=parsed.message_id[:255], sha256=parsed.sha256, size=parsed.size,
            shares_message_id=self._shares_id(parsed.message_id[:255]),
            source=self.source, source_name=source_name[:500], sent_at=parsed.date,
            from_name=parsed.from_name[:200], from_address=parsed.from_address[:254], subject=parsed.subject[:500],
            text=parsed.text[:200_000], problem=parsed.problem[:300], kind=kind, evidence=reading.evidence[:300],
            force_reference="" if kind == MailKind.AUTO_REPLY else reading.force_reference[:80],
            sections=", ".join(reading.sections)[:200], new_due_on=reading.new_due_on,
            reading={**reading.as_dict(), "charset_note": parsed.charset_note, "candidates": match.candidates},
            request=request, matched_by=match.matched_by or "", match_reason=match.reason[:300],
            from_force=trust.trusted if trust and kind != MailKind.BOUNCE else None,
            sender_check=trust.why[:300] if trust else "")
        message.raw.save("message.eml", ContentFile(raw), save=False)
        self.files.add(message.raw)
        return message

    def _attachments(self, message: MailMessage, parsed: ParsedMessage) -> list[Kept]:
        """Every attachment (and file found in a zip) kept in storage, its row ready to insert."""
        kept: list[Kept] = []

        def keep(att: Attachment, parent: MailAttachment | None) -> None:
            row = MailAttachment(message=message, parent=parent, name=att.name, content_type=att.content_type[:120],
                                 size=att.size, sha256=att.sha256, role=att.role, refused=att.refused[:400],
                                 flag=att.flag[:300])
            if att.data is not None and att.sha256:
                row.file.save(att.name, ContentFile(att.data), save=False)
                self.files.add(row.file)
            kept.append(Kept(row, att.data))
            for child in att.children:
                keep(child, row)

        for attachment in parsed.attachments:
            keep(attachment, None)
        return kept


def _depth(row: MailAttachment) -> int:
    depth, parent = 0, row.parent
    while parent is not None:
        depth, parent = depth + 1, parent.parent
    return depth


def _insert(kept: list[Kept]) -> None:
    """The attachments' rows not yet in the database, parents before the files found in them."""
    _insert_attachments([k.row for k in kept if k.row.pk is None])


def _insert_attachments(rows: list[MailAttachment]) -> None:
    for level in sorted({_depth(r) for r in rows}):
        MailAttachment.objects.bulk_create([r for r in rows if _depth(r) == level])


def _insert_rows(rows: list) -> None:
    """Many messages' rows, one INSERT per table, each after the rows it refers to (a foreign key
    to a row inserted before it takes that row's new id)."""
    for model in (MailMessage, ReturnedFile, RequestEvent):
        model.objects.bulk_create([r for r in rows if type(r) is model])
    _insert_attachments([r for r in rows if type(r) is MailAttachment])
    MailSuggestion.objects.bulk_create([r for r in rows if type(r) is MailSuggestion])


@dataclass
class IngestMessage:
    """Store one message once, match it, read it, and suggest what it means."""

    raw: bytes
    source: str = MailSource.FILE
    source_name: str = ""
    user: object = None
    run: MailRun | None = None  # a batch passes its run; one is made otherwise

    def execute(self) -> IngestResult:
        run = self.run or MailRun(self.source, self.user, preload=False)
        return run.ingest(self.raw, self.source_name)


class Batch:
    """Several messages in one transaction, committed every `size` messages or `seconds`: a commit
    is the dearest step of storing a message, and a batch lasts too little to hold others up.
    `run`: the MailRun reading them, whose waiting rows are inserted before each commit (and whose
    files go if the batch rolls back). `before_commit`: called inside the transaction just before
    each commit, after the rows (the poller records how far it has read)."""

    def __init__(self, size: int = 50, seconds: float = 1.0, before_commit=None, run: MailRun | None = None):
        self.size, self.seconds, self.before_commit, self.run = size, seconds, before_commit, run
        self.atomic = None

    def __enter__(self) -> "Batch":
        self._open()
        if self.run is not None:
            self.run.together = True
        return self

    def _open(self) -> None:
        self.atomic, self.count, self.started = transaction.atomic(), 0, time.monotonic()
        self.atomic.__enter__()

    def tick(self) -> None:
        self.count += 1
        if self.count >= self.size or time.monotonic() - self.started >= self.seconds:
            self._close(None, None, None)
            self._open()

    def _close(self, *exc) -> None:
        if exc[0] is None:
            try:
                if self.run is not None:
                    self.run.flush()
                if self.before_commit is not None and self.count:
                    self.before_commit()
            except BaseException:
                self._end(*sys.exc_info())
                raise
        self._end(*exc)

    def _end(self, *exc) -> None:
        atomic, self.atomic = self.atomic, None
        committed = False
        try:
            atomic.__exit__(*exc)
            committed = exc[0] is None
        finally:
            if not committed and self.run is not None:
                self.run.discard()  # the rows rolled back: their files go too

    def __exit__(self, *exc) -> None:
        if self.run is not None:
            self.run.together = False
        if self.atomic is not None:  # None: a commit inside the batch failed and rolled it back
            self._close(*exc)


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
                # messages already held are recognised by their content and change nothing.
                last_uid = 0
                MailboxPosition.objects.filter(pk=position.pk, leased_by=token).update(
                    uidvalidity=box.uidvalidity, last_uid=0)
            uids = box.uids_after(last_uid)
            run = MailRun(MailSource.IMAP)
            read = {"uid": last_uid, "count": 0}

            def record_position():
                MailboxPosition.objects.filter(pk=position.pk, leased_by=token).update(
                    last_uid=read["uid"], messages_read=F("messages_read") + read["count"])
                read["count"] = 0

            with Batch(before_commit=record_position, run=run) as batch:
                for uid, raw in box.fetch(uids):
                    outcome = run.ingest(raw, f"{config.label}#{box.uidvalidity}:{uid}")
                    result.read += 1
                    result.duplicates += outcome.duplicate
                    result.stored += not outcome.duplicate
                    read["uid"], read["count"] = uid, read["count"] + 1
                    batch.tick()


@dataclass
class IngestPaths:
    paths: list[str]
    user: object = None
    source: str = MailSource.FILE

    def execute(self) -> list[IngestResult]:
        from . import sources

        results = []
        run = MailRun(self.source, self.user)
        with Batch(run=run) as batch:
            for path in self.paths:
                for name, raw in sources.messages_at(path):
                    results.append(run.ingest(raw, name))
                    batch.tick()
        for result in results:  # an earlier message of the run may share its id with a later one
            if result.message.message_id in run.shared_ids:
                result.message.shares_message_id = True
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


def where_answers_go() -> dict:
    """Where forces' answers come back and how the tracker reads them, for the pages that send:
    said before the first request goes, not when the first answer is missing."""
    from ..sending.envelope import mailbox_problem

    return {"address": settings.FOI_MAILBOX_ADDRESS, "problem": mailbox_problem(), "polling": bool(settings.IMAP_URL),
            "reading": mail_status_line()}


def digest_counts(campaign_ids: list[int], since: dt.datetime) -> dict[int, tuple[int, int]]:
    """Per campaign: replies stored since `since` (auto-replies and delays aside) and suggestions
    ready to accept, for the morning digest. Two GROUP BY queries whatever the number of campaigns."""
    from django.db.models import Count

    new = dict(MailMessage.objects.filter(request__campaign_id__in=campaign_ids, stored_at__gte=since)
               .exclude(kind__in=[MailKind.AUTO_REPLY, MailKind.DELAY]).values_list("request__campaign_id")
               .annotate(n=Count("pk")).values_list("request__campaign_id", "n"))
    ready = dict(MailSuggestion.objects.filter(request__campaign_id__in=campaign_ids, clean=True,
                                               status=SuggestionStatus.WAITING)
                 .values_list("request__campaign_id").annotate(n=Count("pk")).values_list("request__campaign_id", "n"))
    return {cid: (new.get(cid, 0), ready.get(cid, 0)) for cid in campaign_ids if new.get(cid) or ready.get(cid)}
