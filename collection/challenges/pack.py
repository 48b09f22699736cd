"""The ICO complaint pack of one request, one zip: chronology.md, grounds.md, every message (the
kept .eml bytes of each e-mail received, our letters as sent), every returned file (its stored
bytes, named with their checksum) and SHA256SUMS. Reads only: the admin's download and the
`challenge --ico-pack` command both call `IcoPack`, and a Viewer may download it."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace

from django.utils import timezone

from ..archives import with_sums, zip_bytes
from ..requests.models import FoiRequest, working_calendar
from ..validation import ServiceError
from . import chronology
from .chronology import Entry, PackFacts, safe_name


def _read(field, what: str) -> bytes:
    try:
        with field.open("rb") as handle:
            return handle.read()
    except (OSError, ValueError) as error:
        raise ServiceError(f"{what}: the stored copy cannot be read ({field.name}): {error}") from None


@dataclass
class IcoPack:
    """The pack for one request as of `today`; `problem()` says why it is not due yet."""

    request: FoiRequest
    today: dt.date | None = None

    def __post_init__(self):
        self.today = self.today or timezone.localdate()
        self.calendar = working_calendar()
        self.steps = tuple(self.request.challenge_steps.ladder())

    def problem(self) -> str | None:
        found = chronology.pack_problem(self.steps, self.today, self.calendar)
        return f"{self.request.force.name}: no ICO complaint pack yet: {found}" if found else None

    @property
    def name(self) -> str:
        return f"ico-complaint-{safe_name(self.request.our_reference)}"

    def facts(self, entries: tuple[Entry, ...] = ()) -> PackFacts:
        r = self.request
        return PackFacts(
            force_name=r.force.name, our_reference=r.our_reference, campaign_title=r.campaign.title,
            today=self.today, force_reference=r.force_reference, received_on=r.received_on, due_on=r.due_on,
            answered_on=r.answered_on, outcome=r.outcome, outcome_label=r.get_outcome_display() if r.outcome else "",
            sections=r.sections_cited, steps=self.steps, entries=entries, calendar=self.calendar)

    def _messages(self, files: dict, entries: list) -> None:
        from ..sending.services import render_request

        r = self.request
        if r.sent_at is not None:
            name = f"messages/sent/{timezone.localdate(r.sent_at).isoformat()}-request.txt"
            files[name] = render_request(r).text.encode("utf-8")
            entries.append(Entry(timezone.localdate(r.sent_at), "Our request sent", name))
        for step in r.challenge_steps.exclude(letter="").order_by("date", "pk"):
            name = f"messages/sent/{step.date.isoformat()}-{step.stage}-{step.kind}-{step.pk}.txt"
            files[name] = step.letter.encode("utf-8")
            entries.append(Entry(step.date, f"Our letter: {step.label}", name))
        chasers = r.reminders.filter(kind__startswith="chaser", sent_at__isnull=False).order_by("sent_at", "pk")
        for chaser in chasers:
            about = f": {chaser.subject}" if chaser.subject else ""
            entries.append(Entry(timezone.localdate(chaser.sent_at), f"Chaser e-mailed to {chaser.recipient}{about}"))
        for message in r.mail.order_by("sent_at", "pk"):
            data = _read(message.raw, f"e-mail {message.subject!r}")
            name = f"messages/received/{message.sent_on.isoformat()}-{hashlib.sha256(data).hexdigest()}.eml"
            files[name] = data
            entries.append(Entry(message.sent_on, f"E-mail received: {message.subject or '(no subject)'}", name))

    def _returned_files(self, files: dict, entries: list) -> None:
        for returned in self.request.returned_files.exclude(file="").order_by("uploaded_at", "pk"):
            data = _read(returned.file, f"returned file {returned.original_name!r}")
            name = f"files/{hashlib.sha256(data).hexdigest()}-{safe_name(returned.original_name)}"
            files[name] = data
            on = returned.received_on or timezone.localdate(returned.uploaded_at)
            entries.append(Entry(on, f"File returned: {returned.original_name}", name))

    def files(self) -> dict[str, bytes]:
        """Every file of the pack by its path, SHA256SUMS last; raises ServiceError, naming the
        file, when a kept copy cannot be read."""
        from .letters import grounds_of
        from .services import letter_facts

        if problem := self.problem():
            raise ServiceError(problem)
        files: dict[str, bytes] = {}
        entries = [Entry(e.happened_on, e.get_kind_display() + (f": {e.detail}" if e.detail else ""))
                   for e in self.request.events.order_by("happened_on", "pk")]
        self._messages(files, entries)
        self._returned_files(files, entries)
        facts = self.facts(tuple(entries))
        letter = letter_facts(self.request, self.today, self.calendar)
        if letter.outcome == "no_response":
            letter = replace(letter, outcome="")
        files["chronology.md"] = chronology.chronology_markdown(facts).encode("utf-8")
        files["grounds.md"] = chronology.grounds_markdown(facts, grounds_of(letter)).encode("utf-8")
        return with_sums(files)

    def zip(self) -> bytes:
        return zip_bytes(self.name, self.files())
