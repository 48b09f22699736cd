"""The GROUP BY queries behind the national aggregate: one query per breakdown, all per campaign.

Each returns the plain tuples `reports.aggregate` works on. Every count query filters on
`campaign_id` first, which the OffenceCount indexes (campaign, force) and (campaign,
victim_age) serve; the requests of a campaign come from (campaign, status/outcome).
"""
from __future__ import annotations

from django.db.models import Count, F, Q, Sum

from collection.models import FoiRequest, OffenceCount, ReturnedFile

from .aggregate import AgeRow, ForceRow, OffenceRow, RequestRow, SuppressedRow


def counts(campaign_id):
    # order_by() clears the model's default ordering, which would otherwise join into GROUP BY.
    return OffenceCount.objects.filter(campaign_id=campaign_id).order_by()


def age_rows(campaign_id) -> list[AgeRow]:
    qs = (counts(campaign_id).values("victim_age", "age_band", "age_band_min", "age_band_max")
          .annotate(total=Sum("count"), n_suppressed=Count("pk", filter=Q(suppressed=True))))
    return [AgeRow(r["victim_age"], r["age_band"], r["age_band_min"], r["age_band_max"], r["total"],
                   r["n_suppressed"]) for r in qs]


def offence_rows(campaign_id) -> list[OffenceRow]:
    qs = (counts(campaign_id).values(code=F("offence__code"), category=F("offence__category"),
                                     description=F("offence__description"))
          .annotate(total=Sum("count")))
    return [OffenceRow(r["code"], r["category"], r["description"], r["total"]) for r in qs]


def force_rows(campaign_id) -> list[ForceRow]:
    return [ForceRow(r["force_id"], r["total"]) for r in counts(campaign_id).values("force_id").annotate(total=Sum("count"))]


def outcome_rows(campaign_id) -> list[tuple[str, int]]:
    return list(FoiRequest.objects.filter(campaign_id=campaign_id).order_by().values("outcome")
                .annotate(n=Count("pk")).values_list("outcome", "n"))


def request_rows(campaign_id) -> list[RequestRow]:
    qs = (FoiRequest.objects.filter(campaign_id=campaign_id).order_by("force__name")
          .values_list("force_id", "force__force_id", "force__name", "outcome", "status", "received_on", "due_on",
                       "answered_on", "sections_cited"))
    return [RequestRow(*row) for row in qs]


def suppressed_rows(campaign_id) -> list[SuppressedRow]:
    qs = (counts(campaign_id).filter(suppressed=True)
          .values_list("force__force_id", "offence__code", "victim_age", "age_band", "victim_sex",
                       "suppressed_label"))
    return [SuppressedRow(*row) for row in qs]


def sources(campaign_id) -> list[dict]:
    """The returned files whose counts are in the campaign's figures, by checksum."""
    qs = (ReturnedFile.objects.filter(request__campaign_id=campaign_id, counts__campaign_id=campaign_id)
          .order_by("request__force__force_id", "pk").distinct()
          .values_list("request__force__force_id", "original_name", "sha256", "uploaded_at", "pk"))
    out = [{"force_id": f, "file_name": name, "sha256": sha, "uploaded_at": up.isoformat(), "returned_file_id": pk}
           for f, name, sha, up, pk in qs]
    by_hand = (counts(campaign_id).filter(returned_file__isnull=True).values_list("force__force_id", flat=True)
               .distinct().order_by("force__force_id"))
    out += [{"force_id": f, "file_name": None, "sha256": None, "note": "entered by hand"} for f in by_hand]
    return out


def dataset_rows(campaign_id) -> list[dict]:
    """The compiled national dataset: one row per force, offence, age (or band) and sex.

    Known counts are summed per key in the database; suppressed cells stay one row each (they
    cannot be added up). Ordered by force name, offence code, age.
    """
    # Aliased with a prefix (force_id is also OffenceCount's own column), renamed back below.
    names = dict(x_force_id=F("force__force_id"), x_force_name=F("force__name"), x_ons_code=F("force__ons_code"),
                 x_offence_code=F("offence__code"), x_offence_description=F("offence__description"),
                 x_offence_category=F("offence__category"), x_outcome=F("request__outcome"))
    keys = ["victim_age", "age_band", "age_band_min", "age_band_max", "victim_sex"]

    def clean(row):
        return {k[2:] if k.startswith("x_") else k: v for k, v in row.items()}

    known = (counts(campaign_id).filter(suppressed=False).values(*keys, **names)
             .annotate(total=Sum("count")))
    rows = [{**clean(r), "count": r["total"], "suppressed": False, "suppressed_label": ""} for r in known]
    for r in rows:
        del r["total"]
    hidden = counts(campaign_id).filter(suppressed=True).values(*keys, "suppressed_label", **names)
    rows += [{**clean(r), "count": None, "suppressed": True} for r in hidden]
    rows.sort(key=lambda r: (r["force_name"], r["offence_code"], r["victim_age"] is None,
                             r["victim_age"] or 0, r["age_band_min"] or 0, r["age_band"], r["victim_sex"]))
    return rows
