"""Scanned answers read with OCR, the Django side (issue 24): a scan's reading pre-fills the typed-entry
grid; a person confirms each cell; nothing read from a scan reaches the counts, the figures, an
export or a stored snapshot until then; manage.py ocr_preview; OCR unavailable."""
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from collection.returns.models import (
    OffenceCount,
    ReturnedFile,
    ReturnSource,
    ReturnStatus,
    ScanReading,
)
from collection.scans import OcrUnavailable, ScanLimits, Tesseract, read_scan
from reports.models import AggregateSnapshot
from reports.services import CompileAggregate, ExportDataset
from tests.helpers import TEST_DATA, command
from tests.scans.practice import practice_scan, require_ocr

DOCUMENTS = TEST_DATA / "documents"
TRUTH = json.loads((DOCUMENTS / "truth.json").read_text())
pytestmark = pytest.mark.django_db


@pytest.fixture
def ocr():
    require_ocr()


def type_url(request, **query):
    from urllib.parse import urlencode
    url = reverse("admin:collection_returnedfile_type", args=[request.pk])
    return f"{url}?{urlencode(query)}" if query else url


@pytest.fixture
def scan(researcher_client, campaign):
    """The practice scanned letter uploaded for Norfolk: kept, refused (no text)."""
    norfolk = campaign.requests.get(force__force_id="norfolk")
    researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[norfolk.pk]), {
        "file": SimpleUploadedFile("norfolk.pdf", (DOCUMENTS / "norfolk.pdf").read_bytes()),
        "outcome": "provided", "received_on": "2016-04-26"})
    returned = ReturnedFile.objects.get(request=norfolk)
    assert returned.status == ReturnStatus.REFUSED and "no text" in returned.error
    return returned


@pytest.fixture
def read(ocr, researcher_client, scan):
    """The scan read with OCR from its preview's button (embedded: at once)."""
    response = researcher_client.post(reverse("admin:collection_returnedfile_read_scan", args=[scan.pk]))
    assert response.status_code == 302 and response["Location"] == type_url(scan.request, **{"from": scan.pk})
    return ScanReading.objects.get(scan=scan)


def posted_grid(page, confirm=None, **changes) -> dict:
    """The typed-entry form as the pre-filled page would post it; `confirm`: the fields ticked as
    confirmed (each with the value it holds), all of those read from the image by default."""
    headings, rows = page.context["headings"], page.context["rows"]
    data = {"rows": str(len(rows)), "cols": str(len(headings)), "orientation": page.context["table"].orientation,
            "from": str(page.context["source"].pk), "reading": str(page.context["reading"].pk),
            "outcome": "provided", "received_on": "2016-04-26", "_preview": "Check and preview"}
    cells = list(headings) + [c for r in rows for c in [r["label"], r["sex"]] + r["cells"]]
    for c in cells:
        data[c["name"]] = changes.get(c["name"], c["value"])
    read = [c["name"] for c in cells if c.get("ocr")]
    for name in read if confirm is None else confirm:
        data[f"k-{name}"] = data[name]
    return data


def norfolk_counts(request) -> Counter:
    out = Counter()
    for c in OffenceCount.objects.filter(request=request).select_related("offence"):
        out[(c.offence.code, c.victim_age, c.age_band or "", c.victim_sex or "", c.suppressed)] += c.count or 0
    return out


def hand_entry(force_id) -> Counter:
    return Counter({(code, age if isinstance(age, int) or age is None else None,
                     age if isinstance(age, str) else "", sex or "", supp): n
                    for code, age, n, sex, supp in TRUTH["hand_entry_cells"][force_id]})


def test_a_scans_preview_offers_ocr_and_the_grid_comes_filled_with_each_cells_image(researcher_client, scan, ocr):
    preview = researcher_client.get(reverse("admin:collection_returnedfile_preview", args=[scan.pk])).content.decode()
    assert 'id="read-scan"' in preview and "Read the figures with OCR" in preview
    researcher_client.post(reverse("admin:collection_returnedfile_read_scan", args=[scan.pk]))
    reading = ScanReading.objects.get(scan=scan)
    assert reading.status == "read" and reading.pages == 1 and reading.engine.startswith("tesseract")
    page = researcher_client.get(type_url(scan.request, **{"from": scan.pk}))
    html = page.content.decode()
    table = page.context["table"]
    assert table.orientation == "offences_down" and table.headings[:3] == ["2", "3", "4"]
    assert [r.label for r in table.rows][:3] == ["17A", "19D", "20A"]
    assert f'name="reading" value="{reading.pk}"' in html
    to_confirm = page.context["to_confirm"]
    assert to_confirm == 15 * 19 - 1  # every cell of the letter's table but its empty top-left corner
    assert html.count('class="foi-crop" src="data:image/png;base64,') == to_confirm
    assert html.count('data-ocr-order="') == to_confirm and 'data-ocr-order="1"' in html
    assert html.count('type="checkbox" name="k-') == to_confirm and " checked>" not in html
    assert "Filled in from the image of norfolk.pdf by OCR" in html
    # the preview now leads to the grid to confirm, not to a second reading
    preview = researcher_client.get(reverse("admin:collection_returnedfile_preview", args=[scan.pk])).content.decode()
    assert "Confirm the figures read from the image" in preview and 'id="read-scan"' not in preview


def test_unconfirmed_ocr_values_never_reach_the_counts_the_figures_an_export_or_a_snapshot(researcher_client, read,
                                                                                          scan, campaign):
    page = researcher_client.get(type_url(scan.request, **{"from": scan.pk}))
    everything = [c["name"] for c in page.context["headings"]] + [
        c["name"] for r in page.context["rows"] for c in [r["label"]] + r["cells"]]
    read_names = [n for n in everything if n in page.context["scan"].cells and page.context["scan"].cells[n].page]

    def refused(data, words):
        response = researcher_client.post(type_url(scan.request), data)
        assert response.status_code == 200 and words in str(response.context["problem"])
        assert not ReturnedFile.objects.filter(source=ReturnSource.TYPED).exists()
        assert not OffenceCount.objects.exists()
        return response

    # Nothing confirmed; all but one confirmed (the page points at that one); one changed after it was confirmed.
    refused(posted_grid(page, confirm=[]), f"{len(read_names)} cells read from the image are not confirmed yet")
    last = read_names[-1]
    response = refused(posted_grid(page, confirm=read_names[:-1]), "1 cell read from the image is not confirmed yet")
    assert (response.context["problem"].row, response.context["problem"].column) == \
        __import__("collection.returns.typed", fromlist=["TypedTable"]).TypedTable.place(last)
    data = posted_grid(page)
    data["v-0-11"] = "7"  # typed over after the tick, without confirming again
    refused(data, "1 cell read from the image is not confirmed yet")
    # Until a person has confirmed them, OCR values are nowhere in what is published.
    figures = CompileAggregate(campaign, final=False).execute()
    assert figures.total_offences == 0 and "norfolk" not in json.dumps(figures.by_force).lower()
    assert b"Norfolk" not in ExportDataset(campaign, "csv").execute().content
    snapshot = CompileAggregate(campaign, final=False, save=True).execute()
    assert snapshot.figures["total_offences"] == 0 and snapshot.sources == []
    assert AggregateSnapshot.objects.count() == 1
    # The reading itself is a pre-fill only: the scan holds no cells to import.
    scan.refresh_from_db()
    assert scan.status == ReturnStatus.REFUSED and not scan.tidy_rows
    assert read.prefill and not OffenceCount.objects.exists()


def test_every_cell_confirmed_gives_typed_figures_that_say_so_then_the_same_preview_and_confirm(
        researcher_client, read, scan, researcher):
    page = researcher_client.get(type_url(scan.request, **{"from": scan.pk}))
    response = researcher_client.post(type_url(scan.request), posted_grid(page))
    assert response.status_code == 302, response.context and response.context["problem"]
    typed = ReturnedFile.objects.get(source=ReturnSource.TYPED)
    assert typed.read_from_scan == read and typed.typed_from == scan and typed.uploaded_by == researcher
    assert typed.status == ReturnStatus.PENDING and typed.summary["ocr"]["corrected"] == 0
    assert not OffenceCount.objects.exists()  # confirmed cell by cell, not yet imported
    preview = researcher_client.get(response["Location"]).content.decode()
    assert "Read from the image of" in preview and "norfolk.pdf" in preview and "confirmed by <strong>rita</strong>" in \
        preview and "0 corrected" in preview
    researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[typed.pk]),
                           {"fingerprint": typed.summary["fingerprint"]})
    assert norfolk_counts(scan.request) == hand_entry("norfolk")
    scan.request.refresh_from_db()
    assert scan.request.outcome == "provided"


def test_a_corrected_cell_is_confirmed_as_corrected_and_counted(researcher_client, read, scan):
    page = researcher_client.get(type_url(scan.request, **{"from": scan.pk}))
    # The person reads 17A at 13 as 2 (and its row's, its column's and the grand total one more), confirming each.
    data = posted_grid(page, **{"v-0-11": "2", "v-0-17": "2", "v-13-11": "13", "v-13-17": "74"})
    response = researcher_client.post(type_url(scan.request), data)
    assert response.status_code == 302, response.context and response.context["problem"]
    typed = ReturnedFile.objects.get(source=ReturnSource.TYPED)
    assert typed.summary["ocr"]["corrected"] == 4
    # correcting again from the preview: the grid comes back with the image, confirmed as it was kept
    page = researcher_client.get(type_url(scan.request, edit=typed.pk))
    assert page.context["scan"] is not None and page.context["table"].rows[0].values[11] == "2"
    assert page.content.decode().count(" checked>") == page.context["to_confirm"]


def test_a_reading_of_another_letter_cannot_fill_this_one(researcher_client, read, scan, campaign):
    kent = campaign.requests.get(force__force_id="kent")
    page = researcher_client.get(type_url(scan.request, **{"from": scan.pk}))
    response = researcher_client.post(type_url(kent), posted_grid(page))
    assert response.status_code == 200 and not ReturnedFile.objects.filter(source=ReturnSource.TYPED).exists()


def test_an_image_sent_as_an_attachment_is_kept_for_entry_by_hand_and_read_with_ocr(researcher_client, campaign,
                                                                                    ocr):
    kent = campaign.requests.get(force__force_id="kent")
    scan = practice_scan("kent", 200, "fax")
    researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[kent.pk]), {
        "file": SimpleUploadedFile("fax from kent.tif", scan.tiff()), "outcome": "provided",
        "received_on": "2016-04-26"})
    returned = ReturnedFile.objects.get(request=kent)
    assert returned.status == ReturnStatus.STORED  # an image: kept for entry by hand, as before
    preview = researcher_client.get(reverse("admin:collection_returnedfile_preview", args=[returned.pk]))
    assert 'id="read-scan"' in preview.content.decode()
    researcher_client.post(reverse("admin:collection_returnedfile_read_scan", args=[returned.pk]))
    page = researcher_client.get(type_url(kent, **{"from": returned.pk}))
    table = page.context["table"]
    assert table.headings[0] == "5" and table.headings[-2:] == ["Unknown", "Total"]
    assert [r.label for r in table.rows][-1] == "Total" and page.context["to_confirm"] == 15 * 16 - 1


def test_a_file_ocr_cannot_read_says_why_and_typing_stays_open(researcher_client, campaign, ocr):
    lincs = campaign.requests.get(force__force_id="lincolnshire")
    researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[lincs.pk]), {
        "file": SimpleUploadedFile("lincolnshire.pdf", (DOCUMENTS / "lincolnshire.pdf").read_bytes()),
        "outcome": "", "received_on": "2016-04-26"})
    returned = ReturnedFile.objects.get(request=lincs)
    researcher_client.post(reverse("admin:collection_returnedfile_read_scan", args=[returned.pk]))
    reading = ScanReading.objects.get(scan=returned)
    assert reading.status == "failed" and "password protected" in reading.error and reading.prefill is None
    page = researcher_client.get(type_url(lincs, **{"from": returned.pk}))
    assert "The scan could not be read with OCR" in page.content.decode() and page.context["scan"] is None
    assert page.context["table"].rows[0].values == [""] * 6  # the empty grid, as before


def test_without_tesseract_ocr_is_unavailable_and_the_figures_are_typed_as_before(researcher_client, scan, settings):
    settings.FOI_OCR_TESSERACT = "no-such-tesseract"
    preview = researcher_client.get(reverse("admin:collection_returnedfile_preview", args=[scan.pk])).content.decode()
    assert "OCR is unavailable: Tesseract (no-such-tesseract) is not installed on this server" in preview
    assert 'id="read-scan"' not in preview and 'id="type-link"' in preview
    response = researcher_client.post(reverse("admin:collection_returnedfile_read_scan", args=[scan.pk]), follow=True)
    assert "is not installed on this server: type the figures instead" in response.content.decode()
    assert not ScanReading.objects.exists()
    page = researcher_client.get(type_url(scan.request, **{"from": scan.pk}))
    assert page.status_code == 200 and "type the figures from the letter, as before" in page.content.decode()
    with pytest.raises(OcrUnavailable, match="no-such-tesseract"):
        read_scan(b"%PDF-1.4", "x.pdf", limits=ScanLimits(), engine=Tesseract("no-such-tesseract"))


def test_viewers_cannot_ask_for_a_reading(client, scan, viewer):
    client.force_login(viewer)
    response = client.post(reverse("admin:collection_returnedfile_read_scan", args=[scan.pk]))
    assert response.status_code == 403 and not ScanReading.objects.exists()


def test_what_ocr_read_is_escaped_wherever_shown(researcher_client, read, scan):
    evil = "<script>alert(1)</script>"
    prefill = read.prefill
    prefill["cells"]["l-0"].update(text=evil, read=evil, note=evil)
    prefill["rows"][0][0] = evil
    prefill["problems"] = [evil]
    ScanReading.objects.filter(pk=read.pk).update(prefill=prefill)
    html = researcher_client.get(type_url(scan.request, **{"from": scan.pk})).content.decode()
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- manage.py ocr_preview ------------------------------------------------------------------------

def test_ocr_preview_prints_what_the_grid_would_be_filled_with_as_json(ocr, db):
    cells = json.loads(command("ocr_preview", str(DOCUMENTS / "norfolk.pdf"), "--json"))
    assert len(cells) == 13 * 17
    assert set(cells[0]) >= {"offence_code", "victim_age", "age_band", "victim_sex", "count", "suppressed",
                             "confidence"}
    assert all(0 <= c["confidence"] <= 1 for c in cells)
    got = Counter({(c["offence_code"], c["victim_age"], c["age_band"], c["victim_sex"], c["suppressed"]): c["count"]
                   for c in cells if c["count"]})
    assert got == hand_entry("norfolk")
    assert not ReturnedFile.objects.exists() and not ScanReading.objects.exists()  # writes nothing


def test_ocr_preview_of_a_scan_about_one_offence_takes_its_code_from_offences(ocr, db, tmp_path):
    path = tmp_path / "northamptonshire.pdf"
    path.write_bytes(practice_scan("northamptonshire", 300, "grey").pdf())
    cells = json.loads(command("ocr_preview", str(path), "--json", "--offences", "88a"))
    known = [c for c in cells if c["count"] or c["suppressed"]]
    assert {c["offence_code"] for c in cells} == {"88A"} and {c["victim_sex"] for c in known} == {"female", "male",
                                                                                                  "unknown"}
    assert sorted((c["victim_sex"], c["age_band"], c["count"], c["suppressed"]) for c in known) == sorted(
        (sex, age, n, supp) for _, age, n, sex, supp in TRUTH["cells"]["northamptonshire"])


def test_ocr_preview_refuses_bad_input_in_one_line(ocr, db, tmp_path):
    with pytest.raises(CommandError, match="nope.pdf: cannot read it"):
        command("ocr_preview", str(tmp_path / "nope.pdf"))
    with pytest.raises(CommandError, match="--offences: no offence code 99Z"):
        command("ocr_preview", str(DOCUMENTS / "norfolk.pdf"), "--offences", "99z")
    from PIL import Image
    blank = Image.new("L", (40, 56), 255)
    blank.save(tmp_path / "long.pdf", "PDF", resolution=5, save_all=True, append_images=[blank] * 499)
    with pytest.raises(CommandError, match="long.pdf: the PDF has 500 pages, more than the 50 a scan may have"):
        command("ocr_preview", str(tmp_path / "long.pdf"))
    out = StringIO()
    call_command("ocr_preview", str(DOCUMENTS / "norfolk.pdf"), stdout=out)
    assert out.getvalue().startswith("norfolk.pdf: 1 page read in ") and "221 cells of figures" in out.getvalue()
