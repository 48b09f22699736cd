"""Show your working: from a figure of the report to the forces' contributions, to each count of a
force, to the cell of the returned file it was read from (that file's rows around it, the cell
marked). Pages of the report's admin (`reports/admin.py` routes them); the rendering of the file
is `collection.returns.sheets.cell_view` (pure)."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404

from collection.importer import ImportRefused
from collection.returns.models import OffenceCount
from collection.returns.services import limits, read_stored
from collection.returns.sheets import cell_view, parse_place

from .aggregate import Aggregate, from_figures, period_display

COUNTS_PER_PAGE = 200


def period_figures(agg: Aggregate, label: str | None) -> tuple[Aggregate, str | None]:
    """The figures a trace follows: the report's own period's (label None or its own), or those of
    another period the report shows (an earlier year asked again, the base of the comparison),
    from the same computed figures (`Aggregate.periods`). 404 for a period the campaign does not
    ask about."""
    if not label or label == agg.period:
        return agg, None
    if label not in agg.periods:
        raise Http404("the campaign does not ask about that period")
    return from_figures(agg.periods[label]), label


def forces_context(campaign, agg, period: str | None = None) -> dict:
    """Each force's part of the national total (the known counts, and what its suppressed cells may
    add), of the report's own period or of `period` (then `agg` is that period's figures)."""
    names = {t["force_id"]: t["force_name"] for t in agg.timeliness}
    rows = [{"force_id": f, "name": names.get(f, f), "offences": n, "bounds": agg.by_force_bounds.get(f, n)}
            for f, n in agg.by_force.items()]
    rows.sort(key=lambda r: (-r["offences"], r["name"]))
    return {"rows": rows, "total": agg.total_offences, "total_bounds": (agg.total_offences_min, agg.total_offences_max),
            "period": period, "period_display": period_display(agg.period) if agg.period else ""}


def force_context(campaign, force_id: str, page_number, period: str | None = None) -> dict:
    """One force's counts in the campaign's own period (or in `period`, a label of another it asks
    about), each with its file and place."""
    if period is None:
        in_period = {"period__main": True}
    elif campaign.periods.filter(label=period).exists():
        in_period = {"period__label": period}
    else:
        raise Http404("the campaign does not ask about that period")
    counts = (OffenceCount.objects.filter(campaign=campaign, force__force_id=force_id, **in_period)
              .select_related("offence", "returned_file", "force")
              .only("offence__code", "offence__description", "victim_age", "age_band", "victim_sex", "count",
                    "suppressed", "suppressed_label", "source_place", "returned_file__original_name",
                    "returned_file__sha256", "force__name")
              .order_by("offence__code", "victim_age", "age_band_min", "age_band", "victim_sex", "pk"))
    page = Paginator(counts, COUNTS_PER_PAGE).get_page(page_number)
    total = counts.aggregate(n=Sum("count"))["n"] or 0
    first = page.object_list[0] if page.object_list else None
    return {"page": page, "counts": list(page.object_list), "force_total": total, "force_id": force_id,
            "force_name": first.force.name if first else force_id, "period": period,
            "period_display": period_display(period) if period else ""}


def cell_context(campaign, count_pk: int) -> dict:
    """A count and its file's rows around the cell it was read from."""
    count = get_object_or_404(OffenceCount.objects.select_related("offence", "returned_file", "force", "period"),
                              pk=count_pk, campaign=campaign)
    sheet, row, column = parse_place(count.source_place)
    # A figure of another period than the report's own: the steps back lead to that period's pages.
    period = count.period.label if count.period_id and not count.period.main else None
    context = {"count": count, "view": None, "unreadable": "", "period": period,
               "period_display": period_display(period) if period else ""}
    if count.returned_file is None:
        context["unreadable"] = "This figure was entered by hand: there is no file to show."
    elif row is None:
        context["unreadable"] = "The place of this figure in its file was not recorded (imported before places were kept)."
    else:
        try:
            data = read_stored(count.returned_file)
            context["view"] = cell_view(data, count.returned_file.original_name, limits(), sheet, row, column)
        except ImportRefused as refusal:
            context["unreadable"] = str(refusal)
    return context
