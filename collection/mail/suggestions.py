"""What a matched message changes, and a person's say over it.

A bounce marks its request undelivered at once; every other kind that means something becomes a
suggestion on its request that a person accepts with one click (or `apply_suggestions` accepts,
when it is clean). A suggestion is clean only when nothing needs a person: the message comes from
the force (`trust`), its files were read, its refusal names grounds, its extension a date.
Auto-replies, delays, mailings and what the rules could not read change nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ..forces.models import Force
from ..importer import ImportRefused
from ..requests.models import EventKind, FoiRequest, Outcome, RequestEvent, RequestStatus
from ..requests.services import RecordEvent, RecordResponse
from ..returns.models import ReturnedFile, ReturnSource, ReturnStatus
from ..returns.services import (ConfirmReturn, PreviewReturn, ReceiveReturn, ReturnAlreadyImported, ReturnReader)
from ..validation import ServiceError
from .html import table_to_csv
from .models import MailAttachment, MailKind, MailMessage, MailSuggestion, SuggestionAction, SuggestionStatus
from .reading import Reading

BODY_TABLE = "body_table"
OUTCOME_OF_KIND = {"refusal": Outcome.REFUSED, "not_held": Outcome.NOT_HELD, "nil_return": Outcome.NIL_RETURN,
                   "answer": Outcome.PROVIDED, "partial": Outcome.PARTIAL}
CHANGES_NOTHING = (MailKind.AUTO_REPLY, MailKind.DELAY, MailKind.UNRELATED, MailKind.UNREADABLE, MailKind.UNCLEAR)


@dataclass
class Kept:
    """An attachment as stored (or about to be), with its bytes when they are at hand."""

    row: MailAttachment
    data: bytes | None = None

    def read(self) -> bytes:
        if self.data is None:
            with self.row.file.open("rb") as fh:
                self.data = fh.read()
        return self.data


@dataclass
class Delivery:
    """A message as its ingestion run holds it: its attachments as kept (stored, or about to be)
    with their bytes, and the run's ReturnReader. `later`: where the run collects the rows to insert
    with its batch's (the suggestion, a returned file and its event); None inserts them now."""

    kept: list[Kept]
    reader: ReturnReader = field(default_factory=ReturnReader)
    later: list | None = None


def act_on(message: MailMessage, delivery: Delivery | None, reading: Reading, user=None) -> None:
    """What a matched message changes. Without a delivery (a person assigned a stored message)
    its attachments are read from the database."""
    request = message.request
    if request is None or message.kind in CHANGES_NOTHING:
        return
    if message.kind == MailKind.BOUNCE:
        mark_undelivered(message, user)
        return
    stored = delivery is None
    delivery = Delivery([Kept(a) for a in message.attachments.all()]) if stored else delivery
    suggestion, problems = _suggestion(message, reading)
    if message.kind in (MailKind.ANSWER, MailKind.PARTIAL):
        problems += receive_answer_files(message, reading, delivery.kept, user, delivery.reader, delivery.later)
    if stored:  # the table from the body is the one new attachment; the caller keeps the rest
        MailAttachment.objects.bulk_create([k.row for k in delivery.kept if k.row.pk is None])
    if message.from_force is False:
        problems.insert(0, message.sender_check)
    suggestion.attention = "; ".join(problems)[:400]
    suggestion.clean = not problems
    if delivery.later is not None:
        delivery.later.append(suggestion)
    else:
        suggestion.save()


def _suggestion(message: MailMessage, reading: Reading) -> tuple[MailSuggestion, list[str]]:
    on = message.sent_on
    suggestion = MailSuggestion(message=message, request=message.request, on=on,
                                force_reference=message.force_reference, sections=message.sections)
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
    return suggestion, problems


def receive_answer_files(message: MailMessage, reading: Reading, kept: list[Kept], user=None,
                         reader: ReturnReader | None = None, later: list | None = None) -> list[str]:
    """Each data file (and a table in the body) becomes a returned file with its preview made.
    Returns what a person must look at; nothing means the answer is clean."""
    problems: list[str] = []
    files: list[Kept] = []
    for k in kept:
        a = k.row
        if a.refused and a.role in ("data", "oversize", "archive"):
            problems.append(a.refused)
        if a.flag:
            problems.append(f"{a.name}: {a.flag}")
        if a.role == "data" and not a.refused and a.file:
            files.append(k)
    if reading.body_table and not files:
        body = _body_table(message, reading)
        kept.append(body)
        files.append(body)
    if len(files) > 1:
        problems.append(f"{len(files)} data files: confirm the right one on the request's page")
    for k in files:
        problems += _receive_attachment(message, k, user, reader or ReturnReader(), later)
    if not files and not problems:
        problems.append("no data file or table found: enter the figures by hand")
    return problems


def _body_table(message: MailMessage, reading: Reading) -> Kept:
    """The table pasted in the body, kept as a CSV beside the attachments and read like one."""
    data = table_to_csv(reading.body_table)
    body = MailAttachment(message=message, name=f"table in the e-mail of {message.sent_on:%Y-%m-%d}.csv",
                          content_type="text/csv", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                          role=BODY_TABLE)
    body.file.save(body.name, ContentFile(data), save=False)
    return Kept(body, data)


def _receive_attachment(message: MailMessage, kept: Kept, user, reader: ReturnReader,
                        later: list | None = None) -> list[str]:
    """The attachment as its request's returned file, read into a preview. The returned file is the
    attachment's stored copy and checksum (the bytes are kept once); the outcome is recorded when the
    suggestion is accepted, with the sections the message cites, so none is chosen here."""
    attachment, data = kept.row, kept.read()
    try:
        preview = reader.read(message.request, data, attachment.name)
    except ImportRefused as refused:
        preview = refused
    try:
        received = ReceiveReturn(message.request, data, attachment.name, user=user, source=ReturnSource.MAIL,
                                 received_on=message.sent_on, sha256=attachment.sha256,
                                 stored_as=attachment.file.name, preview=preview,
                                 unseen=attachment.pk is None, later=later).execute()
    except ImportRefused as refused:
        return [str(refused)]
    returned = received.returned
    attachment.returned_file = returned
    if attachment.pk is not None:
        MailAttachment.objects.filter(pk=attachment.pk).update(returned_file=returned)
    if not received.created and returned.status in (ReturnStatus.REFUSED, ReturnStatus.PENDING) \
            and not isinstance(preview, ImportRefused):
        try:
            PreviewReturn(returned, result=preview).execute()
        except ReturnAlreadyImported:
            return []
    if returned.status == ReturnStatus.IMPORTED:
        return []
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
    request.status = RequestStatus.UNDELIVERED


@dataclass
class AssignMessage:
    """A person matches a message from the unmatched queue: it is then read like any other, and
    being a person's choice, it is taken to come from the force."""

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
            who = getattr(self.user, "username", "a person")
            message.request, message.matched_by = self.request, "by_hand"
            message.match_reason = f"assigned by {who}"
            message.assigned_by = self.user
            message.from_force, message.sender_check = True, f"{who} assigned it to {self.request.force.name}"
            message.save(update_fields=["request", "matched_by", "match_reason", "assigned_by", "from_force",
                                        "sender_check"])
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
            if s.force_reference and not request.force_reference and s.action != SuggestionAction.OUTCOME:
                # Whatever the force wrote first, its reference is the request's (an outcome records it itself).
                FoiRequest.objects.filter(pk=request.pk).update(force_reference=s.force_reference)
            if s.action == SuggestionAction.ACKNOWLEDGED:
                RecordEvent(request, EventKind.ACKNOWLEDGED, s.on, self.user,
                            detail=detail + (f"; their reference {s.force_reference}" if s.force_reference else "")
                            ).execute()
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
