"""Imports of one request's counts from two processes at once give one set of counts.

Two real processes on the PostgreSQL test database, started together (each waits for the same
moment on the wall clock after Django has started), never two threads sharing a connection:
that is how doubled counts hide. Needs DATABASE_URL (PostgreSQL) and REDIS_URL: the second pass
of .ci/run."""
import json
from collections import Counter
from pathlib import Path

import pytest

from collection.requests.models import EventKind
from collection.returns.models import ReturnedFile, ReturnStatus
from collection.returns.services import PreviewReturn, ReceiveReturn
from tests import processes
from tests.processes import counts_of, truth_cells
from tests.helpers import TEST_DATA

DATA = TEST_DATA / "returns"
TRUTH = json.loads((DATA / "truth.json").read_text())
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SCRIPT = """
if action == "import":
    call_command("import_return", *sys.argv[3:])
else:
    from collection.returns.models import ReturnedFile
    from collection.returns.services import ConfirmReturn, ReturnAlreadyImported
    try:
        ConfirmReturn(ReturnedFile.objects.get(pk=int(sys.argv[3]))).execute()
        print("imported")
    except ReturnAlreadyImported:
        print("already imported")
"""


def together(settings, *argument_lists):
    return processes.together(settings, SCRIPT, *argument_lists)


def truth(force_id):
    return truth_cells(TRUTH, force_id)


@pytest.fixture
def practice(services, campaign):
    return campaign


def test_two_import_return_commands_of_one_file_give_one_set_of_counts(practice, settings):
    path = DATA / "kent.xlsx"
    outputs = together(settings, ["import", practice.slug, "kent", str(path)],
                       ["import", practice.slug, "kent", str(path)])
    kent = practice.requests.get(force__force_id="kent")
    assert counts_of(kent) == truth("kent")
    assert ReturnedFile.objects.filter(request=kent).count() == 1
    assert kent.events.filter(kind=EventKind.FIGURES_IMPORTED).count() == 1
    assert sum("already imported" in out for out in outputs) == 1, outputs
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(stored) == 1, stored  # one copy on disk, no orphan from the process that lost


def test_two_confirms_of_one_file_at_once_import_it_once(practice, settings, researcher):
    kent = practice.requests.get(force__force_id="kent")
    returned = ReceiveReturn(kent, (DATA / "kent.xlsx").read_bytes(), "kent.xlsx", researcher,
                             outcome="provided").execute().returned
    PreviewReturn(returned).execute()
    outputs = together(settings, ["confirm", str(returned.pk)], ["confirm", str(returned.pk)])
    assert sorted(o.strip() for o in outputs) == ["already imported", "imported"]
    assert counts_of(kent) == truth("kent")
    kent.refresh_from_db()
    assert kent.outcome == "provided" and kent.events.filter(kind=EventKind.ANSWERED).count() == 1
    assert ReturnedFile.objects.get(pk=returned.pk).status == ReturnStatus.IMPORTED


def test_two_different_files_of_one_force_at_once_leave_one_of_them_whole(practice, settings, tmp_path):
    """Imports of one request's counts queue on the request: never a mix of two files."""
    other = tmp_path / "kent-corrected.csv"
    other.write_text("Offence,Victim age,Count\n19E,9,3\n88A,14,2\n", encoding="utf-8")
    together(settings, ["import", practice.slug, "kent", str(DATA / "kent.xlsx")],
             ["import", practice.slug, "kent", str(other)])
    kent = practice.requests.get(force__force_id="kent")
    assert counts_of(kent) in (truth("kent"), Counter({("19E", 9): 3, ("88A", 14): 2}))
    statuses = sorted(ReturnedFile.objects.filter(request=kent).values_list("status", flat=True))
    assert statuses == [ReturnStatus.IMPORTED, ReturnStatus.SUPERSEDED]
