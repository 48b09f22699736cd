"""What the reports app does, as command objects (build with the input, then `.execute()`),
called alike by the admin, the management commands and the Celery tasks.

- `CompileAggregate(campaign, final=True).execute()`: the national figures; a final aggregate
  is refused while any force is outstanding (`AggregateNotFinal` names them) and is stored as
  an `AggregateSnapshot`; a provisional one is returned as an `Aggregate` and says what is
  missing.
- `CompileFinalAndNotify(campaign_id).execute()`: what the task runs when the last force
  answers: compile, snapshot (unless nothing changed since the last final snapshot), email the
  owner.
- `ExportDataset(campaign, fmt).execute()`: the national dataset as csv, xlsx or json, streamed
  (a `DatasetExport`); for a campaign whose figures are final, from the rows the latest final
  snapshot stored when it was compiled, so that an export is what was published.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from dataclasses import dataclass, field
from typing import IO, Iterator

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from collection.challenges.services import challenge_outcomes
from collection.challenges.tally import NONE_CHALLENGED
from collection.requests.models import Campaign
from collection.validation import ServiceError


from . import dataset, queries
from .aggregate import (Aggregate, SuppressedRow, figures_digest, from_figures, with_listed_cells,
                        without_listed_cells)
from .cache import campaign_version, report_figures
from .figures import compute_aggregate
from .models import AggregateSnapshot, SnapshotRow

log = logging.getLogger(__name__)


class AggregateNotFinal(ServiceError):
    """A final aggregate was asked for while some forces have no outcome yet."""

    def __init__(self, campaign: Campaign, outstanding: list[dict]):
        self.campaign = campaign
        self.outstanding = outstanding
        names = ", ".join(f"{f['name']} ({f['force_id']})" for f in outstanding)
        super().__init__(f"the figures of {campaign.slug!r} cannot be final: {len(outstanding)} of "
                         f"{campaign.requests.count()} forces have no outcome yet: {names}. "
                         "Compile a provisional aggregate instead.")


def report_url(campaign: Campaign, absolute: bool = False) -> str:
    path = reverse("admin:reports_campaign_report", args=[campaign.pk])
    return settings.SITE_URL.rstrip("/") + path if absolute else path


def _comparable(figures: dict) -> dict:
    """The figures as compared to decide whether anything changed since the last snapshot."""
    return {k: v for k, v in figures.items() if k != "compiled_at"}


class _DataMoved(Exception):
    """The counts changed while a snapshot was being compiled: compile again."""


@dataclass
class CompileAggregate:
    """Compile the national figures of a campaign.

    final=True: refuse (AggregateNotFinal) while any force is outstanding, else store and
    return a snapshot (or just the figures with save=False). final=False: return the
    provisional `Aggregate`, whatever is missing (stored too with save=True).
    only_if_changed: return the latest final snapshot instead of a new one when the figures
    and sources are unchanged (the automatic trigger uses it, so a repeated signal does not
    pile up identical snapshots).

    A stored snapshot keeps, besides the figures, the dataset they were compiled from
    (`SnapshotRow`, with the SHA-256 of its csv): the figures and the rows are read in one
    transaction, and if the data changed between the first read and the last (another import
    committed meanwhile) the compile starts again, so the two always agree.
    """

    campaign: Campaign
    final: bool = True
    user: object = None
    save: bool | None = None  # default: save final aggregates only
    trigger: str = ""
    only_if_changed: bool = False
    today: dt.date | None = None

    created: bool = False
    attempts: int = 3

    def execute(self) -> AggregateSnapshot | Aggregate:
        save = self.final if self.save is None else self.save
        for _ in range(self.attempts):
            try:
                return self._compile(save)
            except _DataMoved:
                continue
        raise ServiceError(f"the counts of {self.campaign.slug!r} kept changing while its figures were compiled "
                           f"({self.attempts} tries); compile again when the imports are done")

    def _compile(self, save: bool):
        with transaction.atomic():
            if save:
                # One compile at a time per campaign: concurrent triggers queue here.
                Campaign.objects.select_for_update().filter(pk=self.campaign.pk).first()
            version = campaign_version(self.campaign)
            # A stored snapshot lists its suppressed cells from its dataset rows (`snapshot_figures`),
            # not again in its figures: they are not read from the counts here.
            aggregate = compute_aggregate(self.campaign, today=self.today, cells=not save)
            if self.final and aggregate.outstanding_forces:
                raise AggregateNotFinal(self.campaign, aggregate.outstanding_forces)
            if not save:
                return aggregate
            figures = aggregate.as_dict()
            digest = figures_digest(figures)
            sources = queries.sources(self.campaign.pk)
            if self.only_if_changed:
                latest = (AggregateSnapshot.objects.filter(campaign=self.campaign, final=aggregate.final)
                          .order_by("-compiled_at", "-pk").first())
                if latest and latest.dataset_sha256 and latest.sources == sources and (
                        latest.figures_digest == digest if latest.figures_digest
                        else _comparable(latest.figures) == _comparable(figures)):
                    return latest
            snapshot = AggregateSnapshot.objects.create(
                campaign=self.campaign, final=aggregate.final, figures=without_listed_cells(figures), sources=sources,
                compiled_by=self.user if getattr(self.user, "pk", None) else None, trigger=self.trigger[:40],
                data_version=version, figures_digest=digest)
            stored = dataset.store(snapshot.pk, self.campaign.pk)
            snapshot.dataset_sha256, snapshot.dataset_rows = dataset.csv_sha256(dataset.stored(snapshot.pk))
            if snapshot.dataset_rows != stored or campaign_version(self.campaign) != version:
                raise _DataMoved  # rolls the snapshot back
            snapshot.save(update_fields=["dataset_sha256", "dataset_rows"])
            self.created = True
            return snapshot


@dataclass
class CompileFinalAndNotify:
    """The last force has answered: compile the final figures, snapshot them, tell the owner."""

    campaign_id: int

    def execute(self) -> AggregateSnapshot | None:
        campaign = Campaign.objects.select_related("owner").filter(pk=self.campaign_id).first()
        if campaign is None:
            log.warning("compile_final_aggregate: campaign %s no longer exists", self.campaign_id)
            return None
        command = CompileAggregate(campaign, final=True, trigger="last answer", only_if_changed=True)
        try:
            snapshot = command.execute()
        except AggregateNotFinal as error:
            # An outcome was cleared again between the trigger and the task: nothing to do.
            log.info("compile_final_aggregate: %s", error)
            return None
        if command.created:
            notify_owner(campaign, snapshot)
        return snapshot


def who_answered(figures: dict) -> dict:
    """How the forces asked answered, from a snapshot's figures: final means every request has an
    outcome, and "no response" is an outcome, so "final" never means "every force answered"."""
    rows = sorted(figures.get("timeliness", []), key=lambda r: r.get("force_name") or "")
    no_response = [r["force_name"] for r in rows if r.get("outcome") == "no_response"]
    refused = [f"{r['force_name']} ({r['sections_cited']})" if r.get("sections_cited") else r["force_name"]
               for r in rows if r.get("outcome") == "refused"]
    asked = figures.get("forces_asked", len(rows))
    answered = asked - len(no_response) - sum(1 for r in rows if not r.get("outcome"))
    return {"asked": asked, "answered": answered, "everyone_answered": answered == asked,
            "no_response": no_response, "refused": refused, "with_data": figures.get("forces_with_data", 0)}


def notify_owner(campaign: Campaign, snapshot: AggregateSnapshot) -> bool:
    from collection.sending.envelope import new_message_id, outgoing

    owner = campaign.owner
    if owner is None or not owner.email:
        log.info("final figures of %s compiled; the campaign has no owner with an email address", campaign.slug)
        return False
    context = {"campaign": campaign, "snapshot": snapshot, "figures": snapshot.figures, "owner": owner,
               "answers": who_answered(snapshot.figures), "report_url": report_url(campaign, absolute=True),
               "snapshot_url": settings.SITE_URL.rstrip("/") + snapshot.get_absolute_url()}
    subject = f"Final national figures compiled: {campaign.title}"
    body = render_to_string("reports/email/final_aggregate.txt", context)
    html = render_to_string("reports/email/final_aggregate.html", context)
    outgoing(subject, body, html, [owner.email], message_id=new_message_id(), to_force=False).send()
    return True


EXPORT_FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def latest_final_snapshot(campaign: Campaign) -> AggregateSnapshot | None:
    """The final snapshot an export of final figures comes from: the latest with its dataset."""
    return (AggregateSnapshot.objects.filter(campaign=campaign, final=True).exclude(dataset_sha256="")
            .defer("figures").order_by("-compiled_at", "-pk").first())


def snapshot_figures(snapshot_id: int, cells: bool = True) -> dict:
    """A snapshot's figures, with their list of suppressed cells: kept in the figures by snapshots
    compiled before their dataset rows kept each cell's mark, read from those rows since (a
    million counts' 30,000 cells were most of the JSON). cells=False leaves the list out, unread."""
    if cells:
        figures = AggregateSnapshot.objects.values_list("figures", flat=True).get(pk=snapshot_id)
        if "suppressed_cells" in figures:
            return figures
        rows = (SnapshotRow.objects.filter(snapshot_id=snapshot_id, suppressed=True).order_by()
                .values_list("period", "force_id", "offence_code", "victim_age", "age_band", "victim_sex",
                             "suppressed_label"))
        return with_listed_cells(figures, ((period, SuppressedRow(*cell)) for period, *cell in rows))
    from django.db import connections, router

    connection = connections[router.db_for_read(AggregateSnapshot)]
    table = connection.ops.quote_name(AggregateSnapshot._meta.db_table)
    # Each period's figures hold their own list too.
    if connection.vendor == "postgresql":
        expr = ("CASE WHEN jsonb_typeof(figures -> 'periods') = 'object' THEN jsonb_set(figures - 'suppressed_cells', "
                "'{periods}', COALESCE((SELECT jsonb_object_agg(key, value - 'suppressed_cells') FROM "
                "jsonb_each(figures -> 'periods')), '{}'::jsonb)) ELSE figures - 'suppressed_cells' END")
    else:
        expr = ("CASE WHEN json_type(figures, '$.periods') = 'object' THEN json_set(json_remove(figures, "
                "'$.suppressed_cells'), '$.periods', (SELECT json_group_object(key, json(json_remove(value, "
                "'$.suppressed_cells'))) FROM json_each(figures, '$.periods'))) "
                "ELSE json_remove(figures, '$.suppressed_cells') END")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expr} FROM {table} WHERE id = %s", [snapshot_id])
        (value,) = cursor.fetchone()
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def changed_since(snapshot: AggregateSnapshot, campaign: Campaign) -> bool:
    """Whether the campaign's figures differ from the snapshot's now (cheap when nothing changed)."""
    if snapshot.data_version and snapshot.data_version == campaign_version(campaign):
        return False
    if snapshot.figures_digest:
        return report_figures(campaign).digest != snapshot.figures_digest
    return _comparable(snapshot.figures) != _comparable(compute_aggregate(campaign).as_dict())


@dataclass
class DatasetExport:
    """The national dataset of a campaign in one format, ready to stream.

    `chunks()` yields its bytes (csv and json straight from the database cursor; xlsx written
    to a temporary file first, in constant memory); `write_to(file)` writes them; after either,
    `rows` and `sha256` say what was written. `metadata()` says where it came from: the
    snapshot (its id, the SHA-256 of its dataset, the source files' SHA-256) or the live counts.
    `content` holds everything in memory: for small exports and tests only.
    """

    campaign: Campaign
    fmt: str
    final: bool
    snapshot: AggregateSnapshot | None
    changed_since_snapshot: bool
    source: dataset.Source
    rows: int | None = None
    sha256: str | None = None
    exported_at: dt.datetime = field(default_factory=timezone.now)
    checksum: bool = False  # csv and json: take the SHA-256 of what is written (the command's sidecar)
    n_periods: int = 1  # how many periods the campaign asks about
    _figures: Aggregate | None = None

    @property
    def status(self) -> str:
        return "final" if self.final else "provisional"

    @property
    def filename(self) -> str:
        return f"{self.campaign.slug}-national-dataset-{self.status}.{self.fmt}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.fmt]

    @property
    def figures(self) -> Aggregate:
        """The figures beside the dataset: the snapshot's, or the campaign's now (computed once
        per version of its data, shared with the report page)."""
        if self._figures is None:
            if self.snapshot is not None:
                self._figures = from_figures(snapshot_figures(self.snapshot.pk, cells=False))
            else:
                self._figures = report_figures(self.campaign).aggregate
        return self._figures

    def periods(self) -> list[dict]:
        """The periods the rows are of (the dataset's `period` column), earliest first; `main` is
        the one the headline figures describe. A campaign of one period needs no query."""
        c = self.campaign
        rows = ([(c.period_label, c.period_start, c.period_end, True)] if self.n_periods <= 1 else
                c.periods.order_by("first_day").values_list("label", "first_day", "last_day", "main"))
        return [{"label": label, "first_day": first.isoformat(), "last_day": last.isoformat(), "main": main}
                for label, first, last, main in rows]

    def sources(self) -> list[dict]:
        return self.snapshot.sources if self.snapshot is not None else queries.sources(self.campaign.pk)

    def metadata(self) -> dict:
        c = self.campaign
        s = self.snapshot
        out = {
            "campaign": c.slug, "title": c.title,
            "period": [c.period_start.isoformat(), c.period_end.isoformat()],
            "status": self.status,
            "from": "snapshot" if s is not None else "live counts",
            "snapshot": None if s is None else {
                "id": s.pk, "compiled_at": s.compiled_at.isoformat(timespec="seconds"), "final": s.final,
                "dataset_sha256": s.dataset_sha256, "dataset_rows": s.dataset_rows,
                "changed_since": self.changed_since_snapshot},
            "periods": self.periods(),
            "columns": list(dataset.COLUMNS),
            "exported_at": self.exported_at.isoformat(timespec="seconds"),
            "sources": [{k: x.get(k) for k in ("force_id", "file_name", "sha256", "note") if x.get(k) is not None}
                        for x in self.sources()],
        }
        challenged = challenge_outcomes(c)
        out["challenges"] = {"after_review": challenged["joined_after_review"],
                             "after_ico_decision": challenged["joined_after_ico"],
                             "note": " ".join(challenged["lines"]) or NONE_CHALLENGED}
        if s is not None:
            out["note"] = (f"The rows of final snapshot {s.pk}, as compiled and published; the csv export's "
                           "SHA-256 is snapshot.dataset_sha256.")
            if self.changed_since_snapshot:
                out["note"] += (" The counts have changed since: compile the final figures again to publish "
                                "and export the corrected ones.")
        elif self.final:
            out["note"] = "Every force has an outcome, but no final snapshot is stored yet: these are the live counts."
        else:
            out["note"] = "Provisional: some forces have not answered; these are the live counts."
        if self.rows is not None:
            out["file"] = {"name": self.filename, "format": self.fmt, "rows": self.rows, "sha256": self.sha256}
        return out

    def _text_chunks(self) -> Iterator[bytes]:
        chunks = dataset.csv_chunks(self.source) if self.fmt == "csv" else dataset.json_chunks(self.source)
        tally: list = []
        yield from dataset.counted(chunks, self.fmt, tally, self.checksum)
        self.rows, self.sha256 = tally

    def write_xlsx(self, fileobj: IO[bytes]) -> None:
        from . import resources

        self.rows = resources.write_workbook(fileobj, dataset.rows(self.source), self.figures,
                                             resources.metadata_rows(self.campaign, self.figures, self.metadata()))

    def xlsx_file(self) -> IO[bytes]:
        """The workbook in an anonymous temporary file (gone when closed), at its start."""
        import hashlib

        handle = tempfile.TemporaryFile()
        try:
            self.write_xlsx(handle)
            handle.seek(0)
            digest = hashlib.sha256()
            while block := handle.read(1 << 20):
                digest.update(block)
            self.sha256 = digest.hexdigest()
            handle.seek(0)
        except BaseException:
            handle.close()
            raise
        return handle

    def chunks(self) -> Iterator[bytes]:
        if self.fmt != "xlsx":
            yield from self._text_chunks()
            return
        with self.xlsx_file() as handle:
            while block := handle.read(1 << 16):
                yield block

    def write_to(self, fileobj: IO[bytes]) -> None:
        """Write the whole export (xlsx: `sha256` stays unset, the zip is written with seeks)."""
        if self.fmt == "xlsx":
            self.write_xlsx(fileobj)
            return
        for chunk in self._text_chunks():
            fileobj.write(chunk)

    @property
    def content(self) -> bytes:
        return b"".join(self.chunks())


@dataclass
class ExportDataset:
    """The national dataset of a campaign as csv, xlsx (with summary sheets) or json.

    When every force has an outcome and a final snapshot is stored, the export is that
    snapshot's stored rows (a correction since does not change it: the metadata says so, and
    compiling again publishes it); otherwise the live counts.
    """

    campaign: Campaign
    fmt: str
    today: dt.date | None = None

    def execute(self) -> DatasetExport:
        fmt = (self.fmt or "").lower()
        if fmt not in EXPORT_FORMATS:
            raise ServiceError(f"format {self.fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
        from django.db.models import Count, Q

        # One query: the requests (asked, still open) and the periods asked about.
        n = (Campaign.objects.filter(pk=self.campaign.pk)
             .aggregate(asked=Count("requests", distinct=True),
                        open=Count("requests", filter=Q(requests__outcome=""), distinct=True),
                        periods=Count("periods", distinct=True)))
        final = n["asked"] > 0 and n["open"] == 0
        snapshot = latest_final_snapshot(self.campaign) if final else None
        if snapshot is not None:
            return DatasetExport(self.campaign, fmt, True, snapshot, changed_since(snapshot, self.campaign),
                                 dataset.stored(snapshot.pk), n_periods=n["periods"])
        return DatasetExport(self.campaign, fmt, final, None, False, dataset.live(self.campaign.pk),
                             n_periods=n["periods"])
