"""A large return imported by a real Celery worker, the admin following its progress."""
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collection.returns.models import OffenceCount, ReturnedFile, ReturnStatus
from tests.helpers import TEST_DATA

DATA = TEST_DATA / "returns"
pytestmark = pytest.mark.services


def wait_for_phase(client, returned_id, phases, timeout=60):
    url = reverse("admin:collection_returnedfile_progress", args=[returned_id])
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(url).json()
        if not seen or seen[-1] != state["phase"]:
            seen.append(state["phase"])
        if state["phase"] in phases:
            return state, seen
        time.sleep(0.05)
    raise AssertionError(f"the worker did not reach {phases} in {timeout}s; phases seen: {seen}")


def test_the_worker_previews_and_imports_while_the_admin_shows_progress(celery_worker_factory, settings,
                                                                       researcher_client, campaign):
    worker = celery_worker_factory(MEDIA_ROOT=str(settings.MEDIA_ROOT))
    request = campaign.requests.get(force__force_id="avon-and-somerset")
    big = "Crime reference,Offence,Victim age\n" + "".join(
        f"AS/{i},{('19E', '88A', '20B')[i % 3]},{(5, 14, 9)[i % 3]}\n" for i in range(30_000))
    response = researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[request.pk]), {
        "file": SimpleUploadedFile("avon-crimes.csv", big.encode()), "outcome": "provided",
        "received_on": "2016-03-28"})
    assert response.status_code == 302
    returned = ReturnedFile.objects.get()
    page = researcher_client.get(response["Location"])
    assert b"<progress" in page.content or b"Confirm import" in page.content
    state, seen = wait_for_phase(researcher_client, returned.pk, {"previewed", "refused"})
    assert state["phase"] == "previewed", worker.log()[-3000:]
    assert b"Confirm import" in researcher_client.get(response["Location"]).content
    assert not OffenceCount.objects.exists()

    researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[returned.pk]))
    state, _ = wait_for_phase(researcher_client, returned.pk, {"imported", "refused"})
    assert state == {"status": "imported", "phase": "imported", "percent": 100, "error": ""}, worker.log()[-3000:]
    counts = {(c.offence.code, c.victim_age): c.count for c in OffenceCount.objects.select_related("offence")}
    assert counts == {("19E", 5): 10_000, ("88A", 14): 10_000, ("20B", 9): 10_000}
    returned.refresh_from_db()
    request.refresh_from_db()
    assert returned.status == ReturnStatus.IMPORTED and request.outcome == "provided"
