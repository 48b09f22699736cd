"""Publishing a release, one command object for every door (`publish_release`, the report page's
button through its Celery task):

    release = PublishRelease(campaign, suppress_below=None, user=None, output=None).execute()

It compiles the final figures unless they are stored already and unchanged (`CompileAggregate`
with only_if_changed), and returns the release of that snapshot and rule if there is one; else it
builds the files (`build_files`: the same snapshot always gives the same bytes), stores the zip as
the next version and, with `output`, writes the folder and the zip there too.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from collection.archives import FIXED_TIME, with_sums, zip_bytes
from collection.requests.models import Campaign
from collection.validation import ServiceError

from .. import dataset
from ..aggregate import answer_counts, from_figures
from ..services import CompileAggregate, snapshot_figures
from . import disclosure, methodology, package
from .models import Release

CHART_KINDS = ("age", "category", "force")


def release_facts(campaign: Campaign, snapshot, version: int, suppress_below: int | None) -> dict:
    """What the release says, from the snapshot's figures and the campaign's requests and chasers."""
    from collection.challenges.services import challenge_outcomes
    from collection.reminders.models import ReminderLog, ReminderStatus

    figures = snapshot_figures(snapshot.pk, cells=False)
    requests = list(campaign.requests.select_related("force").values_list(
        "force__force_id", "force__ons_code", "sent_via", "sent_at", "received_on"))
    sent = sorted(timezone.localtime(s).date().isoformat() for _, _, _, s, _ in requests if s) or \
        sorted(r.isoformat() for *_, r in requests if r)
    chasers = ReminderLog.objects.filter(campaign=campaign, kind__startswith="chaser", status=ReminderStatus.SENT)
    timeliness = figures.get("timeliness", [])
    dues = sorted(t["due_on"] for t in timeliness if t.get("due_on"))
    return {
        **{k: figures.get(k) for k in (
            "forces_asked", "forces_with_data", "total_offences", "total_offences_min", "total_offences_max",
            "per_day_average", "period_days", "under_10", "outcomes", "suppressed_count", "suppression_threshold",
            "comparison", "headlines")},
        "by_age": figures.get("by_age", {}), "by_age_band": figures.get("by_age_band", {}),
        "by_offence_category": figures.get("by_offence_category", {}), "by_force": figures.get("by_force", {}),
        "suppressed_by_force": figures.get("suppressed_by_force", {}), "caveats": figures.get("caveats", []),
        "timeliness": timeliness, "figures": figures,
        "campaign": {"slug": campaign.slug, "title": campaign.title, "question": campaign.question,
                     "period_start": figures.get("period_start"), "period_end": figures.get("period_end"),
                     "sent_on": campaign.sent_on.isoformat() if campaign.sent_on else (sent[0] if sent else None),
                     "first_sent": sent[0] if sent else None, "last_sent": sent[-1] if sent else None,
                     "sent_via": dict(Counter(via for _, _, via, s, _ in requests if via and s))},
        "names": {t["force_id"]: t["force_name"] for t in timeliness},
        "ons_codes": {f: ons for f, ons, *_ in requests},
        "chasers": {"sent": chasers.count(), "forces": chasers.values("request").distinct().count()},
        "deadline": {**answer_counts(timeliness),  # the report's own count, from the same rows
                     "no_response": sum(1 for t in timeliness if t.get("outcome") == "no_response"),
                     "due_first": dues[0] if dues else None, "due_last": dues[-1] if dues else None},
        "challenges": challenge_outcomes(campaign),
        "version": version, "suppress_below": suppress_below,
        "snapshot": {"id": snapshot.pk, "compiled_at": snapshot.compiled_at.isoformat(timespec="seconds"),
                     "dataset_sha256": snapshot.dataset_sha256, "dataset_rows": snapshot.dataset_rows,
                     "figures_digest": snapshot.figures_digest},
    }


def force_categories(snapshot_id: int, period: str | None) -> dict[str, dict[str, int]]:
    """Offences per force and category (counts not suppressed) of the snapshot's main period."""
    index = {name: i for i, name in enumerate(dataset.COLUMNS)}
    out: dict[str, dict[str, int]] = {}
    for row in dataset.rows(dataset.stored(snapshot_id)):
        if row[index["suppressed"]] or (period and row[index["period"]] and row[index["period"]] != period):
            continue
        per_force = out.setdefault(row[index["force_id"]], {})
        category = row[index["offence_category"]]
        per_force[category] = per_force.get(category, 0) + (row[index["count"]] or 0)
    return out


def _alt(kind: str, f: dict) -> str:
    total = f"{f['total_offences']:,} offences in all"
    if kind == "age":
        ages = {a: f["by_age"].get(str(a), 0) for a in range(18)}
        top = max(ages, key=lambda a: (ages[a], -a)) if any(ages.values()) else None
        most = f"; the most, {ages[top]:,}, at age {top}" if top is not None else ""
        return (f"Bar chart of offences by victim age, single years 0 to 17 and unknown ({total}{most}; "
                f"unknown age: {f['by_age'].get('unknown', 0):,}).")
    if kind == "category":
        items = sorted(f["by_offence_category"].items(), key=lambda kv: -kv[1])
        from ..aggregate import CATEGORY_LABELS

        return ("Bar chart of offences by category (" + ", ".join(f"{CATEGORY_LABELS.get(k, k)}: {n:,}"
                                                                   for k, n in items) + ").")
    ranked = sorted(f["by_force"].items(), key=lambda kv: (-kv[1], kv[0]))
    names = f["names"]
    top = ", ".join(f"{names.get(k, k)}: {n:,}" for k, n in ranked[:3])
    return f"Bar chart of offences by force, {len(ranked)} forces with data ({total}; the most: {top})."


def chart_files(facts: dict) -> tuple[dict[str, bytes], list[dict]]:
    import matplotlib

    from .. import charts

    agg = from_figures(facts["figures"])
    files, described = {}, []
    # A fixed salt: the SVGs' element ids are the same every time.
    with matplotlib.rc_context({"svg.hashsalt": f"release-{facts['campaign']['slug']}"}):
        for kind in CHART_KINDS:
            for fmt, content in charts.render_formats(kind, agg, tuple(charts.FORMATS), facts["names"]).items():
                files[f"charts/{kind}.{fmt}"] = content
            described.append({"png": f"charts/{kind}.png", "svg": f"charts/{kind}.svg",
                              "title": charts.CHARTS[kind], "alt": _alt(kind, facts)})
    return files, described


def _tables(facts: dict, snapshot) -> list[package.Table]:
    figures = facts["figures"]
    categories = sorted(facts["by_offence_category"])
    per_force = force_categories(snapshot.pk, figures.get("period") if figures.get("periods") else None)
    forces = sorted(per_force)
    values = [[per_force[f].get(c, 0) for c in categories] for f in forces]
    threshold = facts["suppress_below"]
    shown = values
    if threshold and forces and categories:
        result = disclosure.suppress(values, threshold)
        shown = result.shown(values)
        facts["disclosure"] = {"primary": result.primary, "secondary": result.secondary}
    tables = [package.forces_table(facts, categories, dict(zip(forces, shown)), threshold),
              package.categories_table(facts), package.ages_table(facts)]
    compared = package.comparison_table(facts)
    return tables + ([compared] if compared else [])


def build_files(campaign: Campaign, snapshot, version: int, suppress_below: int | None) -> dict[str, bytes]:
    """Every file of the release by its path: the same snapshot, version and rule give the same bytes."""
    from . import workbook

    facts = release_facts(campaign, snapshot, version, suppress_below)
    tables = _tables(facts, snapshot)
    files = {t.path: package.csv_bytes(t) for t in tables}
    resources = [package.table_resource(t, files[t.path]) for t in tables]
    if not suppress_below:
        content = b"".join(dataset.csv_chunks(dataset.stored(snapshot.pk)))
        files[package.DATASET_FILE] = content
        resources.append(package.dataset_resource(list(dataset.COLUMNS), content))
    charts, facts["charts"] = chart_files(facts)
    files.update(charts)
    blocks = methodology.blocks(facts)
    files["methodology.md"] = methodology.markdown(blocks).encode("utf-8")
    files["methodology.html"] = methodology.html(blocks).encode("utf-8")
    files["datapackage.json"] = package.datapackage(facts, resources)
    rows = None if suppress_below else dataset.rows(dataset.stored(snapshot.pk))
    files[f"{campaign.slug}.xlsx"] = workbook.write(facts, tables, blocks, FIXED_TIME, rows)
    return with_sums(files)


def unzipped(archive: bytes) -> dict[str, bytes]:
    """A release's files by their path in its folder."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return {info.filename.split("/", 1)[1]: z.read(info) for info in z.infolist()}


def write_folder(output: Path, name: str, archive: bytes) -> Path:
    """The release's folder and its zip, side by side in `output`."""
    folder = Path(output) / name
    for path, content in unzipped(archive).items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    (Path(output) / f"{name}.zip").write_bytes(archive)
    return folder


@dataclass
class PublishRelease:
    campaign: Campaign
    suppress_below: int | None = None
    user: object = None
    output: Path | str | None = None
    today: dt.date | None = None

    created: bool = False

    def execute(self) -> Release:
        if self.suppress_below is not None and self.suppress_below < 2:
            raise ServiceError(f"--suppress-below {self.suppress_below}: the threshold must be 2 or more "
                               "(counts from 1 to the threshold minus 1 are suppressed)")
        if self.output is not None:
            output = Path(self.output)
            if output.exists() and not output.is_dir():
                raise ServiceError(f"{self.output}: not a folder")
            # Before anything is stored: a folder that cannot be written leaves no release behind.
            output.mkdir(parents=True, exist_ok=True)
            if not os.access(output, os.W_OK):
                raise ServiceError(f"{self.output}: the folder cannot be written to")
        snapshot = CompileAggregate(self.campaign, final=True, user=self.user, trigger="release",
                                    only_if_changed=True, today=self.today).execute()
        release = (Release.objects.filter(campaign=self.campaign, snapshot__figures_digest=snapshot.figures_digest,
                                          snapshot__dataset_sha256=snapshot.dataset_sha256,
                                          suppress_below=self.suppress_below).order_by("-version").first())
        if release is None:
            release = self._publish(snapshot)
        if self.output is not None:
            with release.archive.open("rb") as handle:
                write_folder(Path(self.output), release.name, handle.read())
        return release

    def _publish(self, snapshot) -> Release:
        with transaction.atomic():
            Campaign.objects.select_for_update().filter(pk=self.campaign.pk).first()
            version = (Release.objects.filter(campaign=self.campaign).aggregate(v=Max("version"))["v"] or 0) + 1
            files = build_files(self.campaign, snapshot, version, self.suppress_below)
            release = Release(campaign=self.campaign, snapshot=snapshot, version=version,
                              suppress_below=self.suppress_below, figures_digest=snapshot.figures_digest,
                              created_by=self.user if getattr(self.user, "pk", None) else None,
                              files=[{"path": p, "bytes": len(c), "sha256": hashlib.sha256(c).hexdigest()}
                                     for p, c in sorted(files.items())])
            archive = zip_bytes(release.name, files)
            release.sha256 = hashlib.sha256(archive).hexdigest()
            release.archive.save(f"{release.name}.zip", ContentFile(archive), save=False)
            release.save()
        self.created = True
        return release
