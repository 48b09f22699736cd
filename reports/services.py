"""What the reports app does, as command objects (build with the input, then `.execute()`),
called alike by the admin, the management commands and the Celery tasks.

- `CompileAggregate(campaign, final=True).execute()`: the national figures; a final aggregate
  is refused while any force is outstanding (`AggregateNotFinal` names them) and is stored as
  an `AggregateSnapshot`; a provisional one is returned as an `Aggregate` and says what is
  missing.
- `CompileFinalAndNotify(campaign_id).execute()`: what the task runs when the last force
  answers: compile, snapshot (unless nothing changed since the last final snapshot), email the
  owner.
- `ExportDataset(campaign, fmt).execute()`: the national dataset as csv, xlsx or json.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from collection.models import Campaign, working_calendar
from collection.services import ServiceError

from . import queries
from .aggregate import Aggregate, build_aggregate, timeliness_table
from .models import AggregateSnapshot

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


def suppression_threshold() -> int:
    return int(getattr(settings, "REPORTS_SUPPRESSION_THRESHOLD", 5))


def compute_aggregate(campaign: Campaign, *, today: dt.date | None = None, calendar=None) -> Aggregate:
    """The aggregate of a campaign as it stands: final if every force has an outcome."""
    cid = campaign.pk
    requests = queries.request_rows(cid)
    timeliness = timeliness_table(requests, calendar or working_calendar(), today or timezone.localdate())
    return build_aggregate(
        campaign=campaign.slug, title=campaign.title, period_start=campaign.period_start,
        period_end=campaign.period_end, age_rows=queries.age_rows(cid), offence_rows=queries.offence_rows(cid),
        force_rows=queries.force_rows(cid), outcome_rows=queries.outcome_rows(cid), requests=requests,
        suppressed_rows=queries.suppressed_rows(cid), threshold=suppression_threshold(), timeliness=timeliness)


def report_url(campaign: Campaign, absolute: bool = False) -> str:
    path = reverse("admin:reports_campaign_report", args=[campaign.pk])
    return settings.SITE_URL.rstrip("/") + path if absolute else path


def _comparable(figures: dict) -> dict:
    """The figures as compared to decide whether anything changed since the last snapshot."""
    return {k: v for k, v in figures.items() if k != "compiled_at"}


@dataclass
class CompileAggregate:
    """Compile the national figures of a campaign.

    final=True: refuse (AggregateNotFinal) while any force is outstanding, else store and
    return a snapshot (or just the figures with save=False). final=False: return the
    provisional `Aggregate`, whatever is missing (stored too with save=True).
    only_if_changed: return the latest final snapshot instead of a new one when the figures
    and sources are unchanged (the automatic trigger uses it, so a repeated signal does not
    pile up identical snapshots).
    """

    campaign: Campaign
    final: bool = True
    user: object = None
    save: bool | None = None  # default: save final aggregates only
    trigger: str = ""
    only_if_changed: bool = False
    today: dt.date | None = None

    created: bool = False

    def execute(self) -> AggregateSnapshot | Aggregate:
        save = self.final if self.save is None else self.save
        with transaction.atomic():
            if save:
                # One compile at a time per campaign: concurrent triggers queue here.
                Campaign.objects.select_for_update().filter(pk=self.campaign.pk).first()
            aggregate = compute_aggregate(self.campaign, today=self.today)
            if self.final and aggregate.outstanding_forces:
                raise AggregateNotFinal(self.campaign, aggregate.outstanding_forces)
            if not save:
                return aggregate
            figures = aggregate.as_dict()
            sources = queries.sources(self.campaign.pk)
            if self.only_if_changed:
                latest = (AggregateSnapshot.objects.filter(campaign=self.campaign, final=aggregate.final)
                          .order_by("-compiled_at", "-pk").first())
                if latest and _comparable(latest.figures) == _comparable(figures) and latest.sources == sources:
                    return latest
            snapshot = AggregateSnapshot.objects.create(
                campaign=self.campaign, final=aggregate.final, figures=figures, sources=sources,
                compiled_by=self.user if getattr(self.user, "pk", None) else None, trigger=self.trigger[:40])
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


@dataclass
class ExportResult:
    content: bytes
    filename: str
    content_type: str
    rows: int
    aggregate: Aggregate


@dataclass
class ExportDataset:
    """The compiled national dataset of a campaign, as csv, xlsx (with summary sheets) or json."""

    campaign: Campaign
    fmt: str
    today: dt.date | None = None

    def execute(self) -> ExportResult:
        from . import resources

        fmt = (self.fmt or "").lower()
        if fmt not in EXPORT_FORMATS:
            raise ServiceError(f"format {self.fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
        aggregate = compute_aggregate(self.campaign, today=self.today)
        rows = queries.dataset_rows(self.campaign.pk)
        dataset = resources.NationalDatasetResource().export(queryset=rows)
        if fmt == "xlsx":
            meta = resources.metadata_rows(self.campaign, aggregate, queries.sources(self.campaign.pk),
                                           compiled_at=timezone.now())
            content = resources.workbook(dataset, aggregate, meta)
        else:
            content = resources.export_format(fmt).export_data(dataset)
        if isinstance(content, str):
            content = content.encode("utf-8")
        status = "final" if aggregate.final else "provisional"
        filename = f"{self.campaign.slug}-national-dataset-{status}.{fmt}"
        return ExportResult(content, filename, resources.export_format(fmt).get_content_type(), len(rows), aggregate)
