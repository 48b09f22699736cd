"""The report page's Publish button: Researchers publish (through the Celery task), the page lists
each release's zip and its files with their checksums; Viewers see the releases, never the button."""
import hashlib

import pytest
from django.urls import reverse

from reports.releases.models import Release
from reports.releases.services import unzipped

pytestmark = pytest.mark.django_db


def report(client, campaign):
    return client.get(reverse("admin:reports_campaign_report", args=[campaign.pk]))


def test_a_researcher_publishes_from_the_report_page_and_sees_every_file_with_its_checksum(complete,
                                                                                          researcher_client):
    page = report(researcher_client, complete)
    assert b"Publish a release" in page.content and b"No release yet." in page.content
    response = researcher_client.post(reverse("admin:reports_release_publish", args=[complete.pk]),
                                      {"suppress_below": ""}, follow=True)
    release = Release.objects.get(campaign=complete)
    html = response.content.decode()
    assert "The release is ready below." in html
    assert f"{release.name}.zip" in html and release.sha256 in html
    files = unzipped(release.archive.read())
    for path, content in files.items():
        assert f"<td>{path}</td>" in html and hashlib.sha256(content).hexdigest() in html
    download = researcher_client.get(reverse("admin:reports_release_download", args=[release.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="{release.name}.zip"'
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == release.sha256
    assert release.created_by.username == "rita"


def test_a_bad_threshold_is_refused_and_nothing_published(complete, researcher_client):
    response = researcher_client.post(reverse("admin:reports_release_publish", args=[complete.pk]),
                                      {"suppress_below": "1"}, follow=True)
    assert "is not a whole number of 2 or more" in response.content.decode()
    assert not Release.objects.exists()


def test_an_unfinished_campaign_cannot_be_released(campaign, researcher_client):
    response = researcher_client.post(reverse("admin:reports_release_publish", args=[campaign.pk]), follow=True)
    assert "some forces have no outcome yet" in response.content.decode()
    assert not Release.objects.exists()


def test_a_viewer_sees_no_button_and_cannot_publish_but_may_download(complete, researcher_client, viewer):
    researcher_client.post(reverse("admin:reports_release_publish", args=[complete.pk]))
    release = Release.objects.get()
    researcher_client.force_login(viewer)
    page = report(researcher_client, complete)
    assert b"Publish a release" not in page.content and f"{release.name}.zip".encode() in page.content
    response = researcher_client.post(reverse("admin:reports_release_publish", args=[complete.pk]))
    assert response.status_code == 403 and Release.objects.count() == 1
    assert researcher_client.get(reverse("admin:reports_release_download", args=[release.pk])).status_code == 200
