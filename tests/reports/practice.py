"""The practice campaign of ../shared/samples/returns, loaded straight from truth.json and
manifest.json (copies in tests/data/returns): counts as OffenceCount rows, outcomes through
RecordResponse. No importer involved."""
import datetime as dt
import hashlib
import json
from pathlib import Path

from collection.forces.models import OffenceCode
from collection.returns.models import OffenceCount, ReturnedFile, ReturnStatus
from collection.requests.services import RecordResponse

DATA = Path(__file__).resolve().parent.parent / "data" / "returns"
TRUTH = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
MANIFEST = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
FIGURE_KEYS = ("total_offences", "per_day_average", "period_days", "by_age", "under_10", "youngest_age", "modal_age",
               "by_offence_category", "by_offence_code", "by_force", "forces_asked", "forces_with_data", "outcomes")
SECTIONS = {"refused": "s.12"}


def answer_date(index: int) -> dt.date:
    """Spread the answers from 8 March to 27 April 2016 (due 1 April): some late."""
    return dt.date(2016, 3, 8) + dt.timedelta(days=(index * 7) % 51)


def load_counts(campaign):
    """One ReturnedFile (checksum of the real sample file) and the truth cells per force with data."""
    codes = {o.code: o for o in OffenceCode.objects.all()}
    requests = {r.force.force_id: r for r in campaign.requests.select_related("force")}
    rows = []
    for force_id, cells in TRUTH["cells"].items():
        request = requests[force_id]
        name = MANIFEST[force_id]["file"]
        content = (DATA / name).read_bytes()
        returned = ReturnedFile.objects.create(
            request=request, file=f"returns/{campaign.slug}/{force_id}/{name}", original_name=name,
            sha256=hashlib.sha256(content).hexdigest(), size=len(content), status=ReturnStatus.IMPORTED)
        for code, age, count in cells:
            rows.append(OffenceCount(campaign=campaign, force=request.force, request=request, returned_file=returned,
                                     offence=codes[code], victim_age=age, count=count))
    OffenceCount.objects.bulk_create(rows)
    return len(rows)


def record_outcomes(campaign, *, leave_out=(), user=None):
    """Each force's outcome from the manifest, except the forces in `leave_out`."""
    requests = {r.force.force_id: r for r in campaign.requests.select_related("force")}
    for index, (force_id, entry) in enumerate(sorted(MANIFEST.items())):
        if force_id in leave_out:
            continue
        outcome = entry["outcome"]
        RecordResponse(requests[force_id], outcome, answer_date(index), user,
                       sections=SECTIONS.get(outcome, "")).execute()


def record_outcome(campaign, force_id, user=None):
    index = sorted(MANIFEST).index(force_id)
    outcome = MANIFEST[force_id]["outcome"]
    request = campaign.requests.get(force__force_id=force_id)
    return RecordResponse(request, outcome, answer_date(index), user, sections=SECTIONS.get(outcome, "")).execute()


def expected(key):
    return TRUTH[key]
