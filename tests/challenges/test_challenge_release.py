"""Which figures came after a challenge: a campaign in which one s.12 refusal was overturned at
review (and another force's figures came after an ICO decision notice) says so in the release's
methodology and Notes sheet and in the exports' metadata, in the report page's words, and every
number the methodology states is still one the report page shows."""
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.urls import reverse

from collection.challenges.models import ChallengeStep
from reports.releases.services import PublishRelease, unzipped
from reports.services import ExportDataset
from tests.reports.test_release_methodology import methodology_figures, numbers, page_text

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


@pytest.fixture
def challenged(complete):
    """Two forces whose figures came after a challenge; one still waiting on its review."""
    with_data = list(complete.requests.filter(outcome="provided").select_related("force").order_by("force__name"))
    reviewed, decided, waiting = with_data[0], with_data[1], with_data[2]
    for request, steps in (
            (reviewed, [("internal_review", "asked", "", "2016-04-05"),
                        ("internal_review", "answered", "overturned", "2016-04-28")]),
            (decided, [("internal_review", "asked", "", "2016-04-05"),
                       ("internal_review", "answered", "upheld", "2016-05-03"),
                       ("ico", "complaint_made", "", "2016-05-20"),
                       ("decision_notice", "decision", "upheld", "2016-09-01")]),
            (waiting, [("internal_review", "asked", "", "2016-04-05")])):
        for stage, kind, outcome, on in steps:
            ChallengeStep.objects.create(request=request, stage=stage, kind=kind, outcome=outcome, date=D(on),
                                         sections="s.12" if request is not decided else "s.40(2)")
    return complete, reviewed.force.name, decided.force.name


def test_the_methodology_and_notes_name_the_forces_whose_figures_came_after_a_challenge(challenged, researcher_client):
    campaign, reviewed, decided = challenged
    files = unzipped(PublishRelease(campaign).execute().archive.read())
    markdown = files["methodology.md"].decode()
    assert "## Challenges: figures after an internal review or an ICO decision" in markdown
    assert f"Figures that came after a review: {reviewed}." in markdown
    assert f"Figures that came after an ICO decision notice: {decided}." in markdown
    assert "| s.12 | Internal review | 2 | 0 | 1 | 0 | 0 | 1 |" in markdown
    assert "| s.40(2) | ICO decision notice | 1 | 1 | 0 | 0 | 0 | 0 |" in markdown
    assert f"after a review: {reviewed}" in files["methodology.html"].decode()
    book = openpyxl.load_workbook(io.BytesIO(files[f"{campaign.slug}.xlsx"]), read_only=True)
    notes = [tuple(r) for r in book["Notes"].iter_rows(values_only=True)]
    assert any(reviewed in (note or "") and "after a review" in (note or "") for _, note in notes)
    # every number the methodology states is on the report page, which says the same sentences
    page = researcher_client.get(reverse("admin:reports_campaign_report", args=[campaign.pk])).content.decode()
    assert f"Figures that came after a review: {reviewed}." in page
    assert f"Figures that came after an ICO decision notice: {decided}." in page
    stated = numbers(methodology_figures(markdown, campaign.question))
    missing = stated - numbers(page_text(page)) - numbers(campaign.title)
    assert not missing, sorted(missing)


def test_the_exports_notes_name_them_too(challenged, researcher_client):
    campaign, reviewed, decided = challenged
    meta = json.loads(researcher_client.get(
        reverse("admin:reports_campaign_export_metadata", args=[campaign.pk])).content)
    assert meta["challenges"]["after_review"] == [reviewed]
    assert meta["challenges"]["after_ico_decision"] == [decided]
    assert f"Figures that came after a review: {reviewed}." in meta["challenges"]["note"]
    export = ExportDataset(campaign, "xlsx").execute()
    book = openpyxl.load_workbook(export.xlsx_file(), read_only=True)
    rows = {item: value for item, value in book["Metadata"].iter_rows(values_only=True)}
    assert f"Figures that came after a review: {reviewed}." in rows["Challenges"]
    assert decided in rows["Challenges"]


def test_a_campaign_with_no_challenge_says_so(complete):
    files = unzipped(PublishRelease(complete).execute().archive.read())
    assert "No force's answer was challenged" in files["methodology.md"].decode()
    meta = ExportDataset(complete, "csv").execute().metadata()
    assert meta["challenges"] == {"after_review": [], "after_ico_decision": [],
                                  "note": "No force's answer was challenged by an internal review or a complaint "
                                          "to the ICO."}
