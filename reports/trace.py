"""Show your working: from a figure of the report to the forces' contributions, to each count of a
force, to the cell of the returned file it was read from (that file's rows around it, the cell
marked). Pages of the report's admin (`reports/admin.py` routes them); the rendering of the file
is `collection.returns.sheets.cell_view` (pure)."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Sum
from django.shortcuts import get_object_or_404

from collection.importer import ImportRefused
from collection.returns.models import OffenceCount
from collection.returns.services import limits, read_stored
from collection.returns.sheets import cell_view, parse_place

COUNTS_PER_PAGE = 200


def forces_context(campaign, agg) -> dict:
    """Each force's part of the national total (the known counts, and what its suppressed cells may add)."""
    names = {t["force_id"]: t["force_name"] for t in agg.timeliness}
    rows = [{"force_id": f, "name": names.get(f, f), "offences": n, "bounds": agg.by_force_bounds.get(f, n)}
            for f, n in agg.by_force.items()]
    rows.sort(key=lambda r: (-r["offences"], r["name"]))
    return {"rows": rows, "total": agg.total_offences, "total_bounds": (agg.total_offences_min, agg.total_offences_max)}


def force_context(campaign, force_id: str, page_number) -> dict:
    """One force's counts in the campaign's own period, each with its file and place."""
    counts = (OffenceCount.objects.filter(campaign=campaign, force__force_id=force_id, period__main=True)
              .select_related("offence", "returned_file", "force")
              .only("offence__code", "offence__description", "victim_age", "age_band", "victim_sex", "count",
                    "suppressed", "suppressed_label", "source_place", "returned_file__original_name",
                    "returned_file__sha256", "force__name")
              .order_by("offence__code", "victim_age", "age_band_min", "age_band", "victim_sex", "pk"))
    page = Paginator(counts, COUNTS_PER_PAGE).get_page(page_number)
    total = counts.aggregate(n=Sum("count"))["n"] or 0
    first = page.object_list[0] if page.object_list else None
    return {"page": page, "counts": list(page.object_list), "force_total": total, "force_id": force_id,
            "force_name": first.force.name if first else force_id}


def cell_context(campaign, count_pk: int) -> dict:
    """A count and its file's rows around the cell it was read from."""
    count = get_object_or_404(OffenceCount.objects.select_related("offence", "returned_file", "force"),
                              pk=count_pk, campaign=campaign)
    sheet, row, column = parse_place(count.source_place)
    context = {"count": count, "view": None, "unreadable": ""}
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
