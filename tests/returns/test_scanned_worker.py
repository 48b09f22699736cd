"""A scanned answer read with OCR by a real Celery worker, the typed-entry page waiting for it."""
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collection.returns.models import OffenceCount, ReturnedFile, ScanReading
from tests.scans.practice import require_ocr
from tests.helpers import TEST_DATA
from tests.returns.test_importing_worker import wait_for_phase

DOCUMENTS = TEST_DATA / "documents"
pytestmark = pytest.mark.services


def test_the_worker_reads_a_scan_while_the_grid_waits_for_it(celery_worker_factory, settings, researcher_client,
                                                               campaign):
    require_ocr()
    worker = celery_worker_factory(MEDIA_ROOT=str(settings.MEDIA_ROOT))
    norfolk = campaign.requests.get(force__force_id="norfolk")
    researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[norfolk.pk]), {
        "file": SimpleUploadedFile("norfolk.pdf", (DOCUMENTS / "norfolk.pdf").read_bytes()),
        "outcome": "provided", "received_on": "2016-04-26"})
    scan = ReturnedFile.objects.get(request=norfolk)
    state, _ = wait_for_phase(researcher_client, scan.pk, {"previewed", "refused"})
    assert state["phase"] == "refused", worker.log()[-3000:]

    response = researcher_client.post(reverse("admin:collection_returnedfile_read_scan", args=[scan.pk]))
    assert response.status_code == 302
    reading = ScanReading.objects.get(scan=scan)
    progress = reverse("admin:collection_returnedfile_reading_progress", args=[reading.pk])
    deadline = time.monotonic() + 120
    while researcher_client.get(progress).json()["status"] == "queued":
        assert time.monotonic() < deadline, worker.log()[-3000:]
        time.sleep(0.2)
    reading.refresh_from_db()
    assert reading.status == "read", (reading.error, worker.log()[-3000:])
    page = researcher_client.get(response["Location"])
    assert page.context["to_confirm"] == 284 and 'id="confirm-progress"' in page.content.decode()
    assert not OffenceCount.objects.exists()
