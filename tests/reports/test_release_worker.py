"""The Publish button on a real Celery worker (PostgreSQL + Redis): the page queues the task, the
worker builds the release through the same service, the page then lists it."""
import hashlib
import time

import pytest
from django.urls import reverse

from reports.releases.models import Release
from tests.reports.practice import load_counts, record_outcomes

pytestmark = pytest.mark.services


def test_the_worker_publishes_the_release_the_button_asked_for(celery_worker_factory, campaign, researcher,
                                                               client, settings):
    worker = celery_worker_factory(MEDIA_ROOT=str(settings.MEDIA_ROOT))
    load_counts(campaign)
    record_outcomes(campaign, user=researcher)
    client.force_login(researcher)
    response = client.post(reverse("admin:reports_release_publish", args=[campaign.pk]), {"suppress_below": "5"},
                           follow=True)
    assert "being built" in response.content.decode() or "ready below" in response.content.decode()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not Release.objects.filter(campaign=campaign).exists():
        time.sleep(0.5)
    release = Release.objects.get(campaign=campaign)
    assert release.suppress_below == 5 and release.created_by == researcher, worker.log()[-2000:]
    page = client.get(reverse("admin:reports_campaign_report", args=[campaign.pk])).content.decode()
    assert f"{release.name}.zip" in page and release.sha256 in page
    download = client.get(reverse("admin:reports_release_download", args=[release.pk]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == release.sha256
