"""Many returns at once, from two processes at the same moment: one set of counts per force, one
copy of each file, a file to assign given to one force only.

Two real processes on the PostgreSQL test database, started together (each waits for the same
moment on the wall clock after Django has started), never two threads sharing a connection.
Needs DATABASE_URL (PostgreSQL) and REDIS_URL: the second pass of .ci/run."""
import json
from pathlib import Path

import pytest

from collection.requests.models import EventKind
from collection.returns.models import ReturnedFile, ReturnStatus, UnmatchedReturn
from collection.returns.bulk import KeepUnmatched
from collection.returns.bundles import Incoming
from tests import processes
from tests.processes import counts_of, truth_cells
from tests.helpers import TEST_DATA

DATA = TEST_DATA / "returns"
TRUTH = json.loads((DATA / "truth.json").read_text())
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SCRIPT = """
from django.core.management.base import CommandError
if action == "import":
    try:
        call_command("import_returns", *sys.argv[3:])
    except CommandError as error:
        print("failed:", error)
else:
    from collection.forces.models import Force
    from collection.returns.models import UnmatchedReturn
    from collection.returns.bulk import AssignReturn
    from collection.validation import ServiceError
    try:
        AssignReturn(UnmatchedReturn.objects.get(pk=int(sys.argv[3])), Force.objects.get(force_id=sys.argv[4])).execute()
        print("assigned")
    except ServiceError as error:
        print("refused:", error)
"""


def together(settings, *argument_lists):
    return processes.together(settings, SCRIPT, *argument_lists, timeout=180)


def truth(force_id):
    return truth_cells(TRUTH, force_id)


def test_two_import_returns_of_one_folder_at_once_give_one_set_of_counts(services, campaign, settings, tmp_path):
    forces = ("kent", "essex", "cumbria", "derbyshire")
    for force_id in forces:
        name = next(p.name for p in DATA.iterdir() if p.stem == force_id)
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    (tmp_path / "FOI 1234.csv").write_text("Cat,Yrs,N\n19E,9,3\n", encoding="utf-8")
    outputs = together(settings, ["import", campaign.slug, str(tmp_path)], ["import", campaign.slug, str(tmp_path)])
    for force_id in forces:
        request = campaign.requests.get(force__force_id=force_id)
        assert counts_of(request) == truth(force_id), (force_id, outputs)
        assert ReturnedFile.objects.filter(request=request, status=ReturnStatus.IMPORTED).count() == 1
        assert request.events.filter(kind=EventKind.FIGURES_IMPORTED).count() == 1
    assert UnmatchedReturn.objects.filter(campaign=campaign).count() == 1
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(stored) == len(forces) + 1, stored  # one copy of each, no orphan from the process that lost


def test_a_file_to_assign_given_to_two_forces_at_once_goes_to_one(services, campaign, settings):
    kept = KeepUnmatched(campaign, Incoming("Disclosure 3734.xlsx", (DATA / "merseyside.xlsx").read_bytes()),
                         "no force named").execute()
    outputs = together(settings, ["assign", str(kept.pk), "merseyside"], ["assign", str(kept.pk), "kent"])
    assert sorted(o.split(":")[0].strip() for o in outputs) == ["assigned", "refused"], outputs
    kept.refresh_from_db()
    assert ReturnedFile.objects.count() == 1 and ReturnedFile.objects.get() == kept.assigned_to
    assert kept.assigned_to.request.force.force_id in ("merseyside", "kent")
