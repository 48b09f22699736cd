"""A campaign whose forces answered in age bands and suppressed cells: the figures are the bounds
the cells hold, and each is said the same way on the report page, in --json and in the exports."""
import io
import json

import openpyxl
import pytest
from django.urls import reverse

from collection.forces.models import OffenceCode
from collection.returns.models import OffenceCount
from reports.aggregate import figure_text, headline_figures
from reports.figures import compute_aggregate
from reports.services import ExportDataset
from tests.helpers import command_output

pytestmark = pytest.mark.django_db

# (force, band, low, high, count or None for suppressed, label)
CELLS = [("kent", "0-11", 0, 11, 40, ""), ("essex", "7-12", 7, 12, 55, ""),
         ("dorset", "0-6", 0, 6, None, "<5"), ("dorset", "0-6", 0, 6, None, "<5")]


@pytest.fixture
def banded(campaign):
    requests = {r.force.force_id: r for r in campaign.requests.select_related("force")}
    offence = OffenceCode.objects.get(code="88A")
    OffenceCount.objects.bulk_create(
        OffenceCount(campaign=campaign, force=requests[f].force, request=requests[f], offence=offence,
                     age_band=band, age_band_min=low, age_band_max=high, count=count, suppressed=count is None,
                     suppressed_label=label, victim_sex="F" if i % 2 else "M")
        for i, (f, band, low, high, count, label) in enumerate(CELLS))
    return campaign


def test_json_gives_the_bounds_the_cells_hold(banded):
    out, _ = command_output("compile_aggregate", banded.slug, "--provisional", "--json")
    figures = json.loads(out)
    assert figures["under_10"] == {"min": 2, "max": 103}
    assert figures["youngest_age"] == {"min": 0, "max": 6}
    assert figures["modal_age"] is None and figures["modal_age_known"] is False
    assert figures["total_offences"] == 95
    assert figures["total_offences_min"] == 97 and figures["total_offences_max"] == 103
    assert figures["per_day_average"] == {"min": 0.27, "max": 0.28}
    assert figures["by_force_bounds"]["dorset"] == {"min": 2, "max": 8}
    assert figures["by_force_bounds"]["kent"] == 40
    text = " ".join(figures["headlines"])
    assert "between 2 and 103 offences were against children under 10" in text
    assert "the youngest victim was 6 or younger" in text
    assert "0 offences" not in text and "youngest victim was 12" not in text


def test_one_figure_reads_the_same_in_every_place(banded, researcher_client):
    """The report's tiles, the summary command and the xlsx headline sheet all show the figures
    `headline_figures` says, and the same findings."""
    said = {f["label"]: f["text"] for f in headline_figures(compute_aggregate(banded))}
    assert said["Offences against children under 10"] == "2 to 103" == figure_text({"min": 2, "max": 103})
    html = researcher_client.get(reverse("admin:reports_campaign_report", args=[banded.pk])).content.decode()
    book = openpyxl.load_workbook(io.BytesIO(ExportDataset(banded, "xlsx").execute().content))
    sheet = {r[0]: r[1] for r in book["Headline figures"].iter_rows(min_row=2, values_only=True)}
    summary, _ = command_output("compile_aggregate", banded.slug, "--provisional")
    for label, text in said.items():
        assert f'<span class="n">{text}</span><span class="l">{label}</span>' in html, label
        assert str(sheet[label]).lstrip("'") == text.replace(",", "") or str(sheet[label]) == text, label
        assert text in summary, label
    findings = [v for k, v in book["Headline figures"].iter_rows(min_row=2, values_only=True) if k == "Finding"]
    assert findings == compute_aggregate(banded).headlines
    for sentence in findings:
        assert sentence.replace("'", "&#x27;") in html


# (force, age, sex, count or None for suppressed, label)
SEXED = [("kent", 12, "female", 20, ""), ("kent", 12, "male", 7, ""), ("kent", 13, "male", None, "<5"),
         ("essex", 14, "female", None, "*"), ("essex", 14, "unknown", 3, ""), ("dorset", 15, "", 11, "")]


@pytest.fixture
def by_sex(campaign):
    requests = {r.force.force_id: r for r in campaign.requests.select_related("force")}
    offence = OffenceCode.objects.get(code="88A")
    OffenceCount.objects.bulk_create(
        OffenceCount(campaign=campaign, force=requests[f].force, request=requests[f], offence=offence, victim_age=age,
                     victim_sex=sex, count=count, suppressed=count is None, suppressed_label=label)
        for f, age, sex, count, label in SEXED)
    return campaign


def test_the_breakdown_by_sex_is_the_same_bounds_on_the_page_in_json_and_in_the_xlsx(by_sex, researcher_client):
    """Forces split by sex (one did not: "not given"): each total by sex, with what its suppressed
    cells allow, reads alike in --json, the summary, the report page and the xlsx's notes."""
    out, _ = command_output("compile_aggregate", by_sex.slug, "--provisional", "--json")
    figures = json.loads(out)
    assert figures["by_sex"] == {"female": 20, "male": 7, "unknown": 3, "not_given": 11}
    assert figures["by_sex_bounds"] == {"female": {"min": 21, "max": 24}, "male": {"min": 8, "max": 11},
                                        "unknown": 3, "not_given": 11}
    summary, _ = command_output("compile_aggregate", by_sex.slug, "--provisional")
    html = researcher_client.get(reverse("admin:reports_campaign_report", args=[by_sex.pk])).content.decode()
    book = openpyxl.load_workbook(io.BytesIO(ExportDataset(by_sex, "xlsx").execute().content))
    sheet = {r[0]: r[1] for r in book["Headline figures"].iter_rows(min_row=2, values_only=True)}
    assert "By victim sex" in html and "By victim sex:" in summary
    for label, text in (("Female", "21 to 24"), ("Male", "8 to 11"), ("Not known", "3"), ("Not given", "11")):
        assert f'<tr><td>{label}</td><td class="num">{text}</td></tr>' in html, label
        assert str(sheet[f"Victim sex: {label}"]) == text, label
        assert label in summary and text in summary.split(label, 1)[1].splitlines()[0], label


def test_no_breakdown_by_sex_when_no_force_gave_one(banded, researcher_client):
    """The question did not ask it (no count carries a sex but 'not given'): no table of "Not given"."""
    OffenceCount.objects.filter(campaign=banded).update(victim_sex="")
    figures = compute_aggregate(banded).as_dict()
    assert figures["by_sex"] == {} and figures["by_sex_bounds"] == {}
    html = researcher_client.get(reverse("admin:reports_campaign_report", args=[banded.pk])).content.decode()
    assert "By victim sex" not in html


def test_an_age_of_only_suppressed_cells_reads_as_its_range_never_a_bare_number(banded, researcher_client):
    """The 0-6 band is two '<5' cells and age 13 one '*': the page, the summary and the xlsx say
    "2 to 8" and "1 to 4", not the 0 of their known counts nor the threshold's 4."""
    kent = banded.requests.get(force__force_id="kent")
    OffenceCount.objects.create(campaign=banded, force=kent.force, request=kent, offence=OffenceCode.objects.get(code="88A"),
                                victim_age=13, count=None, suppressed=True, suppressed_label="*")
    html = researcher_client.get(reverse("admin:reports_campaign_report", args=[banded.pk])).content.decode()
    assert '<tr><td>Band 0-6</td><td class="num">2 to 8</td>' in html
    assert '<tr><td>13</td><td class="num">1 to 4</td>' in html
    assert '<tr><td>12</td><td class="num">0</td>' in html  # nothing there: a plain 0
    summary, _ = command_output("compile_aggregate", banded.slug, "--provisional")
    assert any(line.split() == ["band", "0-6", "2", "to", "8"] for line in summary.splitlines())
    assert any(line.split() == ["13", "1", "to", "4"] for line in summary.splitlines())
    book = openpyxl.load_workbook(io.BytesIO(ExportDataset(banded, "xlsx").execute().content))
    ages = {str(r[0]): r[1:] for r in book["By age"].iter_rows(min_row=2, values_only=True)}
    assert ages["0-6"] == (0, "2 to 8") and ages["13"] == (0, "1 to 4") and ages["0-11"] == (40, 40)
    trace = researcher_client.get(reverse("admin:reports_campaign_trace_force", args=[banded.pk, "kent"])).content.decode()
    assert "<code>*</code>" in trace
