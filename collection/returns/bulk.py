"""Many returns at once: a folder, a zip or a pile of files dropped on a campaign.

Each file is matched to its force (its name, the force named in its title rows, the sender of the
e-mail it came in: `matching.py`), then goes through the same three steps as any other return
(`services.py`: ReceiveReturn, PreviewReturn, ConfirmReturn). What no rule can place is kept with
its SHA-256 as a file to assign, with the reason, until a person says whose it is (`AssignReturn`).

The doors:
- the admin's drop zone receives the files (`ReceiveMany(mode=RECEIVE)`), queues their previews,
  and shows the campaign's queue (`campaign_queue`): "Confirm all clean" (`ConfirmClean`) and
  "Confirm and next";
- `import_returns SLUG PATH ...` reads and imports each file as `import_return` would
  (`mode=IMPORT`), or only reads them (`mode=DRY_RUN`), printing one line per file.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..importer import ImportRefused, sha256_of
from ..forces.models import Force
from ..requests.models import Campaign, FoiRequest, Outcome
from .models import OffenceCount, ReturnedFile, ReturnSource, ReturnStatus, UnmatchedReturn
from ..validation import ServiceError
from .bundles import Incoming, expand
from .matching import ForceMatcher, ForceNames
from .services import (ImportReturn, PreviewReturn, ReceiveReturn, ReturnAlreadyImported, _safe_name, limits,
                       read_return)
from .sheets import title_text

# What became of one file.
RECEIVED = "received"  # kept, its preview to be made
PREVIEWED = "previewed"  # read: awaits confirmation in the queue
IMPORTED = "imported"
UNCHANGED = "already imported"
WOULD_IMPORT = "would import"
REFUSED = "refused"
STORED = "kept for entry by hand"
UNMATCHED = "to assign"

# RECEIVE: keep each file, its preview left to the caller (the admin queues it on the worker);
# PREVIEW: keep and read each, to confirm in the queue; IMPORT: keep, read and import each as
# import_return does; DRY_RUN: read each, keep nothing.
RECEIVE, PREVIEW, IMPORT, DRY_RUN = "receive", "preview", "import", "dry_run"
MODES = (RECEIVE, PREVIEW, IMPORT, DRY_RUN)


@dataclass
class FileLine:
    """One file of a bulk upload: its force, or why none, and what became of it."""

    name: str
    status: str
    force: Force | None = None
    matched_by: str = ""
    came_in: str = ""
    returned: ReturnedFile | None = None
    unmatched: UnmatchedReturn | None = None
    layout: str = ""
    cells: int = 0
    total: int = 0
    reason: str = ""
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The command line's line: force, layout, cells, total, or the reason it was refused."""
        name = f"{self.name} (in {self.came_in})" if self.came_in else self.name
        who = self.force.name if self.force else "no force"
        if self.status in (IMPORTED, WOULD_IMPORT, PREVIEWED):
            return f"{name}: {who}, {self.layout}, {self.cells} cells, total {self.total:,} ({self.status})"
        if self.status == UNCHANGED:
            return f"{name}: {who}, {self.cells} cells ({self.status}; nothing changed)"
        if self.status == STORED:
            return f"{name}: {who}, kept for entry by hand (not a table the importer reads)"
        if self.status == UNMATCHED:
            kept = ", kept to assign in the admin" if self.unmatched else ""
            return f"{name}: no force: {self.reason}{kept}"
        if self.status == RECEIVED:
            return f"{name}: {who}, received; being read"
        return f"{name}: {who}: refused: {self.reason}"


def force_matcher() -> ForceMatcher:
    """Every force with the names staff gave it and the domain of its FOI address."""
    def domain(address: str) -> tuple[str, ...]:
        return (address.rsplit("@", 1)[1].lower(),) if "@" in address else ()

    return ForceMatcher(ForceNames(f.force_id, f.name, tuple(n.strip() for n in f.other_names.splitlines() if n.strip()),
                                   domain(f.foi_email))
                        for f in Force.objects.only("force_id", "name", "other_names", "foi_email"))


def _refusal_text(error: Exception, name: str) -> str:
    """The refusal without the file's name, which the line gives first."""
    if isinstance(error, ImportRefused) and error.filename:
        return str(ImportRefused(error.reason, sheet=error.sheet, row=error.row, column=error.column))
    return str(error)


@dataclass
class ReceiveMany:
    """Match each file to its force and receive, import or only read it (`mode`).

    Each file stands alone: one refused, unmatched or over the limits leaves the others as they
    are. `files` may be a generator (the command line reads one file at a time)."""

    campaign: Campaign
    files: Iterable[Incoming]
    user: object = None
    mode: str = RECEIVE
    outcome: str = ""
    received_on: dt.date | None = None
    source: str = ReturnSource.UPLOAD
    on_line: Callable[[FileLine], None] | None = None

    def execute(self) -> list[FileLine]:
        if self.mode not in MODES:
            raise ServiceError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.outcome and self.outcome not in Outcome.values:
            raise ServiceError(f"outcome {self.outcome!r} is not one of {', '.join(Outcome.values)}")
        self._limits = limits()
        self._matcher = force_matcher()
        self._requests = {r.force.force_id: r for r in
                          FoiRequest.objects.filter(campaign=self.campaign).select_related("force", "campaign")}
        lines: list[FileLine] = []
        for dropped in self.files:
            if dropped.problem:  # not even read (too big to take in)
                self._emit(lines, self._one(dropped))
                continue
            try:
                for item in expand(dropped.name, dropped.data, self._limits, sender=dropped.sender,
                                   max_files=settings.FOI_BULK_MAX_FILES):
                    self._emit(lines, self._one(item))
            except ImportRefused as refusal:  # a bundle that cannot be opened safely: nothing in it is kept
                self._emit(lines, FileLine(dropped.name, REFUSED, reason=_refusal_text(refusal, dropped.name)))
        return lines

    def _emit(self, lines: list[FileLine], line: FileLine) -> None:
        lines.append(line)
        if self.on_line:
            self.on_line(line)

    def _one(self, item: Incoming) -> FileLine:
        if item.problem:
            return FileLine(item.name, REFUSED, came_in=item.came_in, reason=item.problem)
        match = self._matcher.match(item.name, sender=item.sender,
                                    read_title=lambda: title_text(item.data, item.name, self._limits))
        request = self._requests.get(match.force_id) if match.force_id else None
        if request is None:
            reason = match.reason
            if match.force_id:
                reason = f"{reason}, who was not asked in this campaign: say which force sent it"
            return self._keep_unmatched(item, reason)
        line = FileLine(item.name, REFUSED, force=request.force, matched_by=match.how, came_in=item.came_in)
        try:
            if self.mode == DRY_RUN:
                return self._read(line, read_return(request, item.data, item.name), WOULD_IMPORT)
            if self.mode == IMPORT:
                return self._import(line, request, item)
            return self._receive(line, request, item)
        except (ImportRefused, ServiceError) as refusal:
            line.reason = _refusal_text(refusal, item.name)
            return line

    @staticmethod
    def _read(line: FileLine, result, status: str) -> FileLine:
        line.status, line.layout, line.cells, line.total = status, result.layout, len(result.rows), result.total
        line.warnings = list(result.warnings)
        return line

    def _import(self, line: FileLine, request: FoiRequest, item: Incoming) -> FileLine:
        done = ImportReturn(request, item.data, item.name, self.user, outcome=self.outcome,
                            received_on=self.received_on).execute()
        line.returned = done.returned
        if done.unchanged:
            line.status, line.cells = UNCHANGED, done.cells
        elif done.result is None:
            line.status = STORED
        else:
            self._read(line, done.result, IMPORTED)
        return line

    def _receive(self, line: FileLine, request: FoiRequest, item: Incoming) -> FileLine:
        returned = ReceiveReturn(request, item.data, item.name, self.user, self.source, outcome=self.outcome,
                                 received_on=self.received_on).execute().returned
        line.returned = returned
        line.status = {ReturnStatus.STORED: STORED, ReturnStatus.IMPORTED: UNCHANGED,
                       ReturnStatus.QUEUED: UNCHANGED}.get(returned.status, RECEIVED)
        if line.status == UNCHANGED:
            line.cells = returned.counts.count()
        if line.status == RECEIVED and self.mode == PREVIEW:
            try:
                self._read(line, PreviewReturn(returned).execute(), PREVIEWED)
            except ReturnAlreadyImported:
                line.status = UNCHANGED
        return line

    def _keep_unmatched(self, item: Incoming, reason: str) -> FileLine:
        line = FileLine(item.name, UNMATCHED, came_in=item.came_in, reason=reason)
        if self.mode == DRY_RUN:
            return line
        if not item.data:
            line.status, line.reason = REFUSED, "the file is empty"
            return line
        if len(item.data) > settings.FOI_IMPORT_MAX_FILE_BYTES:
            line.status = REFUSED
            line.reason = f"{len(item.data):,} bytes, over the limit of {settings.FOI_IMPORT_MAX_FILE_BYTES:,}"
            return line
        line.unmatched = KeepUnmatched(self.campaign, item, reason, self.user, self.outcome, self.received_on).execute()
        return line


@dataclass
class KeepUnmatched:
    """Keep a file no rule could place, byte for byte with its SHA-256, once per campaign."""

    campaign: Campaign
    item: Incoming
    reason: str
    user: object = None
    outcome: str = ""
    received_on: dt.date | None = None

    def execute(self) -> UnmatchedReturn:
        digest = sha256_of(self.item.data)
        existing = UnmatchedReturn.objects.filter(campaign=self.campaign, sha256=digest).first()
        if existing is not None:
            return existing
        name = _safe_name(self.item.name)
        kept = UnmatchedReturn(campaign=self.campaign, original_name=name, sha256=digest, size=len(self.item.data),
                               sender=self.item.sender[:254], came_in=self.item.came_in[:255],
                               reason=self.reason[:500], outcome=self.outcome, received_on=self.received_on,
                               uploaded_by=self.user if getattr(self.user, "pk", None) else None)
        kept.file.save(name, ContentFile(self.item.data), save=False)
        try:
            with transaction.atomic():
                kept.save()
        except IntegrityError:  # another upload kept the same bytes a moment ago
            kept.file.storage.delete(kept.file.name)
            return UnmatchedReturn.objects.get(campaign=self.campaign, sha256=digest)
        except BaseException:
            kept.file.storage.delete(kept.file.name)
            raise
        return kept


def read_unmatched(kept: UnmatchedReturn) -> bytes:
    with kept.file.open("rb") as f:
        data = f.read()
    if sha256_of(data) != kept.sha256:
        raise ServiceError(f"{kept.original_name}: the stored file no longer matches its checksum")
    return data


@dataclass
class AssignReturn:
    """A person says which force sent a file no rule could place: it becomes that force's return
    (received as any other, its preview to be made), once."""

    kept: UnmatchedReturn
    force: Force
    user: object = None

    def execute(self) -> ReturnedFile:
        request = FoiRequest.objects.filter(campaign_id=self.kept.campaign_id, force=self.force).select_related(
            "force", "campaign").first()
        if request is None:
            raise ServiceError(f"{self.force.name} was not asked in this campaign")
        with transaction.atomic():
            kept = UnmatchedReturn.objects.select_for_update().get(pk=self.kept.pk)
            if kept.assigned_to_id:
                raise ServiceError(f"{kept.original_name} was already given to "
                                   f"{kept.assigned_to.request.force.name}")
            returned = ReceiveReturn(request, read_unmatched(kept), kept.original_name, self.user,
                                     ReturnSource.UPLOAD, outcome=kept.outcome,
                                     received_on=kept.received_on).execute().returned
            kept.assigned_to, kept.assigned_at = returned, timezone.now()
            kept.assigned_by = self.user if getattr(self.user, "pk", None) else None
            kept.save(update_fields=["assigned_to", "assigned_at", "assigned_by"])
        self.kept = kept
        return returned


# --- The campaign's queue ----------------------------------------------------------------------

#: Warnings that tell, without asking anything of a person: a preview with only these is clean.
#: Anything else (an age the code cannot have, a count combined with a suppressed cell, a total not
#: checked, a new kind of warning) needs a look before confirming.
INFORMATIONAL = tuple(re.compile(p, re.I) for p in (
    r"total cell\(s\) checked against their parts",
    r"total\(s\) over suppressed cells checked as a range",
    r"suppressed cell\(s\) .* kept as suppressed",
    r"^hidden sheet '.*' skipped$",
    r"skipped: no table found \(cover or notes sheet\)$",
    r"combined as a split by victim sex$",
    r"hold the same figures; used '",
    r"^layout \w+ given by the column mapping$",
    r"^victim sex \w+, from the title above the table$",
    r"combined: each holds the figures for (male|female|unknown)",
    r"no offence column: every count is offence \w+, the one offence the campaign asks about$",
    r"^figures for \d+ periods \(.*; the periods the campaign asks about$",
))


def warnings_needing_a_look(warnings: Iterable[str]) -> list[str]:
    return [w for w in warnings if not any(p.search(w) for p in INFORMATIONAL)]


@dataclass
class QueueEntry:
    returned: ReturnedFile
    problems: list[str]  # why it is not clean; empty: confirm it without a second look

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass
class CampaignQueue:
    waiting: list[QueueEntry]  # read or being read, awaiting confirmation
    refused: list[ReturnedFile]  # refused, or kept for entry by hand, with nothing imported since
    unmatched: list[UnmatchedReturn]
    imported_forces: int
    asked_forces: int

    @property
    def clean(self) -> list[QueueEntry]:
        return [e for e in self.waiting if e.clean]


def campaign_queue(campaign: Campaign) -> CampaignQueue:
    """What a campaign's returns wait for, in a fixed number of queries however many there are."""
    files = ReturnedFile.objects.filter(request__campaign=campaign).select_related(
        "request__force", "uploaded_by", "typed_from").defer("tidy_rows")
    has_counts = Exists(OffenceCount.objects.filter(request_id=OuterRef("request_id")))
    imported = Exists(ReturnedFile.objects.filter(request_id=OuterRef("request_id"), status=ReturnStatus.IMPORTED))
    typed_since = Exists(ReturnedFile.objects.filter(typed_from_id=OuterRef("pk")))
    waiting = list(files.filter(status__in=(ReturnStatus.PENDING, ReturnStatus.QUEUED)).annotate(
        has_counts=has_counts).order_by("request__force__name", "uploaded_at", "pk"))
    per_request: dict[int, int] = {}
    for f in waiting:
        per_request[f.request_id] = per_request.get(f.request_id, 0) + 1
    entries = [QueueEntry(f, _problems(f, f.has_counts, per_request[f.request_id] - 1)) for f in waiting]
    refused = list(files.filter(status__in=(ReturnStatus.REFUSED, ReturnStatus.STORED)).annotate(
        imported=imported, typed=typed_since).filter(imported=False, typed=False).order_by(
        "request__force__name", "uploaded_at", "pk"))
    unmatched = list(UnmatchedReturn.objects.filter(campaign=campaign, assigned_to__isnull=True).select_related(
        "uploaded_by").order_by("uploaded_at", "pk"))
    requests = FoiRequest.objects.filter(campaign=campaign)
    return CampaignQueue(entries, refused, unmatched,
                         imported_forces=requests.filter(returned_files__status=ReturnStatus.IMPORTED).distinct().count(),
                         asked_forces=requests.count())


def _problems(returned: ReturnedFile, has_counts: bool, others: int) -> list[str]:
    summary = returned.summary or {}
    force = returned.request.force.name
    if returned.status != ReturnStatus.PENDING or summary.get("phase") != "previewed" or not summary.get("fingerprint"):
        return ["not read yet" if returned.status == ReturnStatus.PENDING else "being imported"]
    problems = []
    if returned.error:
        problems.append(returned.error)
    look = warnings_needing_a_look(summary.get("warnings", []))
    if look:
        problems.append(f"{len(look)} warning{'s' if len(look) > 1 else ''}: {look[0]}")
    if not summary.get("cells"):
        problems.append("no figures found in it")
    if has_counts:
        problems.append(f"replaces the figures already imported for {force}")
    if others:
        problems.append(f"{others} other file{'s' if others > 1 else ''} for {force} await{'' if others > 1 else 's'} "
                        "confirmation: choose one")
    return problems


@dataclass
class ConfirmClean:
    """"Confirm all clean": claim for import every file the person saw listed as clean, each with
    the fingerprint of the preview they saw; one that changed or stopped being clean since is left
    in the queue, saying why. The doors queue the imports of what is claimed (as the confirm button does)."""

    campaign: Campaign
    seen: dict[int, str]  # returned file id -> fingerprint of the preview listed
    user: object = None

    def execute(self) -> tuple[list[ReturnedFile], list[str]]:
        from .services import ConfirmReturn

        queue = {e.returned.pk: e for e in campaign_queue(self.campaign).waiting}
        claimed, skipped = [], []
        for pk, fingerprint in self.seen.items():
            entry = queue.get(pk)
            if entry is None:
                skipped.append(f"file {pk} is no longer awaiting confirmation in this campaign")
                continue
            name = entry.returned.original_name
            if not entry.clean:
                skipped.append(f"{name}: {entry.problems[0]}")
                continue
            try:
                claimed.append(ConfirmReturn(entry.returned, self.user, expected=fingerprint).claim())
            except (ReturnAlreadyImported, ServiceError) as error:
                skipped.append(str(error))
        return claimed, skipped


def next_to_confirm(campaign_id: int, after: ReturnedFile | None = None) -> ReturnedFile | None:
    """The next file of the campaign awaiting confirmation, in force order ("Confirm and next")."""
    waiting = ReturnedFile.objects.filter(request__campaign_id=campaign_id, status=ReturnStatus.PENDING).exclude(
        pk=after.pk if after else None).select_related("request__force").defer("tidy_rows").order_by(
        "request__force__name", "uploaded_at", "pk")
    if after is not None:
        name = after.request.force.name
        later = waiting.filter(request__force__name__gt=name).first()
        return later or waiting.first()
    return waiting.first()

