"""Published figures and exports agree: an export of final figures is the stored final snapshot's
dataset (its id and checksums in the metadata), and a correction after the snapshot does not
silently change it. The csv written by PostgreSQL's COPY is byte for byte Python's."""
import csv
import hashlib
import io
import json
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from collection.forces.models import Force, OffenceCode
from collection.returns.models import OffenceCount
from reports import dataset
from reports.models import AggregateSnapshot, SnapshotRow
from reports.resources import COLUMNS, read_back
from reports.services import CompileAggregate, ExportDataset
from tests.reports.practice import TRUTH, load_counts, record_outcomes
from tests.reports.test_export import figures_from_rows

pytestmark = pytest.mark.django_db
FORMATS = ("csv", "json", "xlsx")


def content(campaign, fmt):
    return ExportDataset(campaign, fmt).execute().content


def metadata_sheet(xlsx_bytes):
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes), read_only=True)
    return {r[0]: r[1] for r in book["Metadata"].iter_rows(min_row=2, values_only=True)}


@pytest.fixture
def published(complete):
    """The complete practice campaign with its final figures compiled and stored."""
    return complete, CompileAggregate(complete, trigger="test").execute()


def test_the_snapshot_keeps_the_dataset_it_was_compiled_from(published):
    campaign, snapshot = published
    live = list(dataset.rows(dataset.live(campaign.pk)))
    assert len(live) == sum(len(c) for c in TRUTH["cells"].values()) == snapshot.dataset_rows
    assert list(dataset.rows(dataset.stored(snapshot.pk))) == live
    assert snapshot.dataset.count() == len(live)
    csv_bytes = b"".join(dataset.csv_chunks(dataset.live(campaign.pk)))
    assert snapshot.dataset_sha256 == hashlib.sha256(csv_bytes).hexdigest()
    assert snapshot.figures["total_offences"] == TRUTH["total_offences"] and snapshot.figures_digest
    # The one list of columns: the snapshot's rows have a field of each name.
    fields = [f.name for f in SnapshotRow._meta.get_fields()
              if f.name not in ("id", "snapshot", "position", "json_object", "suppressed_label")]
    assert fields == list(COLUMNS) == [c.name for c in dataset.SPEC]
    # Beside them, each suppressed cell's mark (not exported): the figures list the cells from it.
    marks = sorted(snapshot.dataset.filter(suppressed=True).values_list("suppressed_label", flat=True))
    counted = OffenceCount.objects.filter(campaign=campaign, suppressed=True)
    assert marks == sorted(counted.values_list("suppressed_label", flat=True)) and all(marks)
    assert not snapshot.dataset.filter(suppressed=False).exclude(suppressed_label="").exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_final_export_comes_from_the_snapshot_and_reads_back_the_truth(published, fmt):
    campaign, snapshot = published
    export = ExportDataset(campaign, fmt).execute()
    export.checksum = True
    assert export.snapshot == snapshot and export.final and not export.changed_since_snapshot
    rows = read_back(export.content, fmt)
    for key, value in figures_from_rows(rows).items():
        assert value == TRUTH[key], key
    assert export.rows == snapshot.dataset_rows == len(rows)
    meta = export.metadata()
    assert meta["from"] == "snapshot" and meta["snapshot"]["id"] == snapshot.pk
    assert meta["snapshot"]["dataset_sha256"] == snapshot.dataset_sha256
    files = [s for s in meta["sources"] if s.get("sha256")]
    assert len(files) == 40 and {s["sha256"] for s in files} == {s["sha256"] for s in snapshot.sources}
    if fmt == "csv":  # the csv is exactly the bytes the checksum was taken of
        assert export.sha256 == snapshot.dataset_sha256


def test_xlsx_metadata_names_the_snapshot_and_the_source_files(published):
    campaign, snapshot = published
    meta = metadata_sheet(content(campaign, "xlsx"))
    assert meta["Snapshot"] == snapshot.pk and meta["Dataset SHA-256"] == snapshot.dataset_sha256
    assert meta["Dataset from"] == "snapshot" and meta["Changed since the snapshot"] == "no"
    book = openpyxl.load_workbook(io.BytesIO(content(campaign, "xlsx")), read_only=True)
    sources = [r[1] for r in book["Metadata"].iter_rows(min_row=2, values_only=True) if r[0] == "Source"]
    assert len(sources) == 40 and all("SHA-256" in s for s in sources)
    kent = next(s for s in snapshot.sources if s["force_id"] == "kent")
    assert any(kent["sha256"] in s for s in sources)


def test_a_correction_after_the_final_snapshot_does_not_silently_change_the_final_export(
        published, researcher_client, tmp_path):
    campaign, snapshot = published
    before = {fmt: content(campaign, fmt) for fmt in ("csv", "json")}
    cell = OffenceCount.objects.filter(campaign=campaign, force__force_id="kent", suppressed=False).order_by("pk")[0]
    OffenceCount.objects.filter(pk=cell.pk).update(count=cell.count + 500)

    export = ExportDataset(campaign, "csv").execute()
    assert export.content == before["csv"] and export.snapshot == snapshot  # what was published
    assert export.changed_since_snapshot is True
    assert "changed since" in export.metadata()["note"]
    assert content(campaign, "json") == before["json"]
    assert metadata_sheet(content(campaign, "xlsx"))["Changed since the snapshot"].startswith("yes")
    out = StringIO()
    path = tmp_path / "final.csv"
    call_command("export_dataset", campaign.slug, "--output", str(path), stdout=out)
    assert path.read_bytes() == before["csv"]
    assert f"from final snapshot {snapshot.pk}" in out.getvalue() and "changed since" in out.getvalue()
    sidecar = json.loads((tmp_path / "final.csv.metadata.json").read_text())
    assert sidecar["snapshot"]["changed_since"] is True and sidecar["snapshot"]["id"] == snapshot.pk
    page = researcher_client.get(reverse("admin:reports_campaign_report", args=[campaign.pk])).content.decode()
    assert "The figures have changed since the latest snapshot." in page
    assert "Exports still give the final snapshot" in page

    # Compiling again publishes the correction, and the exports follow.
    again = CompileAggregate(campaign, trigger="test").execute()
    assert again.pk != snapshot.pk and again.figures["total_offences"] == TRUTH["total_offences"] + 500
    rows = read_back(content(campaign, "csv"), "csv")
    assert sum(r["count"] or 0 for r in rows) == TRUTH["total_offences"] + 500
    assert ExportDataset(campaign, "csv").execute().snapshot == again


def test_without_a_stored_snapshot_or_before_the_last_answer_the_export_is_the_live_counts(campaign):
    load_counts(campaign)
    record_outcomes(campaign, leave_out={"kent"})
    export = ExportDataset(campaign, "json").execute()
    assert not export.final and export.snapshot is None and export.metadata()["from"] == "live counts"
    # a provisional snapshot is not what a final export comes from
    CompileAggregate(campaign, final=False, save=True).execute()
    assert ExportDataset(campaign, "json").execute().snapshot is None
    assert sum(r["count"] or 0 for r in read_back(export.content, "json")) == TRUTH["total_offences"]


def test_command_writes_a_sidecar_with_the_files_checksum(published, tmp_path):
    campaign, snapshot = published
    for fmt in ("csv", "json"):
        path = tmp_path / f"national.{fmt}"
        call_command("export_dataset", campaign.slug, "--format", fmt, "--output", str(path), stdout=StringIO())
        sidecar = json.loads((tmp_path / f"national.{fmt}.metadata.json").read_text())
        assert sidecar["file"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert sidecar["file"]["rows"] == snapshot.dataset_rows and sidecar["snapshot"]["id"] == snapshot.pk
        assert sidecar["columns"] == list(COLUMNS)
    assert not list(tmp_path.glob("*.part"))


def test_admin_export_headers_and_metadata_download(published, viewer_client):
    campaign, snapshot = published
    response = viewer_client.get(reverse("admin:reports_campaign_export", args=[campaign.pk, "csv"]))
    assert response.streaming and response["X-Snapshot-Id"] == str(snapshot.pk)
    assert hashlib.sha256(response.getvalue()).hexdigest() == response["X-Dataset-SHA256"] == snapshot.dataset_sha256
    meta = viewer_client.get(reverse("admin:reports_campaign_export_metadata", args=[campaign.pk]))
    assert meta.status_code == 200 and meta["Content-Disposition"].endswith('.metadata.json"')
    assert json.loads(meta.content)["snapshot"]["dataset_sha256"] == snapshot.dataset_sha256


TRICKY = ['Comma, "quoted" name', "line\nbreak", "carriage\rreturn", "=cmd|' /C calc'!A0", "Ümlaut & <tag>",
          "_x0041_ literal"]


@pytest.fixture
def tricky(campaign):
    """Forces and offences whose text tries every corner of csv, json and xml."""
    requests = list(campaign.requests.select_related("force").order_by("force__name")[:len(TRICKY)])
    code = OffenceCode.objects.get(code="88A")
    for text, r in zip(TRICKY, requests):
        Force.objects.filter(pk=r.force_id).update(name=text, ons_code="")
        OffenceCount.objects.create(campaign=campaign, force_id=r.force_id, request=r, offence=code, victim_age=7,
                                    victim_sex="\tF", count=3)
        OffenceCount.objects.create(campaign=campaign, force_id=r.force_id, request=r, offence=code, age_band="0-5",
                                    age_band_min=0, age_band_max=5, suppressed=True, suppressed_label="*")
    return campaign


def test_every_format_gives_back_every_text_exactly(tricky):
    expected = sorted(["'" + t if t[0] in "=+-@\t\r" else t for t in TRICKY])
    for fmt in FORMATS:
        rows = read_back(content(tricky, fmt), fmt)
        assert sorted({r["force_name"] for r in rows}) == expected, fmt
        assert {r["victim_sex"] for r in rows if r["count"] is not None} == {"'\tF"}, fmt
        assert sum(r["suppressed"] for r in rows) == len(TRICKY) and sum(r["count"] or 0 for r in rows) == 18, fmt


def test_the_databases_csv_is_byte_for_byte_pythons(tricky):
    """On PostgreSQL the database writes the csv (COPY) and the json objects; the Python writers
    (SQLite's) must give the same bytes, so a snapshot's checksum means the same whichever
    database wrote it."""
    source = dataset.live(tricky.pk)
    python = b"".join(dataset.csv_chunks(source, native=False))
    parsed = list(csv.reader(io.StringIO(python.decode("utf-8"), newline="")))
    assert parsed[0] == list(COLUMNS) and len(parsed) == 1 + 2 * len(TRICKY)
    assert dataset.CsvRowCounter().rows == 0
    counter = dataset.CsvRowCounter()
    for i in range(0, len(python), 7):  # fed in awkward pieces
        counter.feed(python[i:i + 7])
    assert counter.rows == 2 * len(TRICKY)
    assert b"".join(dataset.csv_chunks(source)) == python
    python_json = json.loads(b"".join(dataset.json_chunks(source, native=False)))
    assert b"".join(dataset.json_chunks(source)) == b"".join(dataset.json_chunks(source, native=False))
    assert [list(r) for r in python_json] == [list(COLUMNS)] * len(python_json)


def test_a_snapshots_json_is_the_one_python_writes_whether_or_not_its_rows_keep_it(tricky):
    """On PostgreSQL a snapshot's rows keep their JSON object, written when compiled, and its json
    export reads them; rows stored before that (NULL) are written out as they are read. Either
    way the bytes are Python's, texts that try every corner of JSON included."""
    from django.db import connection

    record_outcomes(tricky)
    snapshot = CompileAggregate(tricky, trigger="test").execute()
    assert snapshot.final
    source = dataset.stored(snapshot.pk)
    python = b"".join(dataset.json_chunks(source, native=False))
    assert json.loads(python) and b"".join(dataset.json_chunks(source)) == python
    kept = SnapshotRow.objects.filter(snapshot=snapshot, json_object__isnull=False)
    if connection.vendor != "postgresql":
        assert not kept.exists()  # Python writes SQLite's exports
        return
    assert kept.count() == snapshot.dataset_rows == len(json.loads(python))
    # What the export reads is the kept text: a changed one shows (only a test writes to it).
    first = SnapshotRow.objects.filter(snapshot=snapshot).order_by("position").first()
    SnapshotRow.objects.filter(pk=first.pk).update(json_object='{"kept":true}')
    assert b"".join(dataset.json_chunks(source)).startswith(b'[\n{"kept":true},\n')
    # Rows stored before the JSON was kept, or half of them, give the same bytes.
    SnapshotRow.objects.filter(pk=first.pk).update(json_object=None)
    assert b"".join(dataset.json_chunks(source)) == python
    SnapshotRow.objects.filter(snapshot=snapshot).update(json_object=None)
    assert b"".join(dataset.json_chunks(source)) == python
    assert ExportDataset(tricky, "json").execute().content == python


def test_an_empty_dataset_in_every_format(campaign):
    for fmt in FORMATS:
        export = ExportDataset(campaign, fmt).execute()
        assert read_back(export.content, fmt) == [] and export.rows == 0, fmt


def test_exports_stream_in_pieces(published, monkeypatch):
    campaign, _ = published
    monkeypatch.setattr(dataset, "FETCH", 100)  # rows a fetch (Python's writers)
    monkeypatch.setattr(dataset, "PIECE", 10_000)  # bytes a piece (PostgreSQL's COPY)
    chunks = list(ExportDataset(campaign, "json").execute().chunks())
    assert len(chunks) > 10  # never one block of the whole dataset
    monkeypatch.setattr(dataset, "FETCH", 2000)
    monkeypatch.setattr(dataset, "PIECE", 1 << 16)
    assert b"".join(chunks) == content(campaign, "json")


def test_a_compile_that_sees_the_counts_move_starts_again(complete, monkeypatch):
    from reports import cache

    versions = iter(["a", "b", "c", "c"])  # moved during the first attempt, steady in the second
    monkeypatch.setattr(cache, "figures_version", lambda campaign_id: next(versions))
    snapshot = CompileAggregate(complete, trigger="test").execute()
    assert AggregateSnapshot.objects.get() == snapshot and snapshot.data_version == "c"
    assert SnapshotRow.objects.filter(snapshot=snapshot).count() == snapshot.dataset_rows  # none left from the first

    from collection.validation import ServiceError

    monkeypatch.setattr(cache, "figures_version", lambda campaign_id, n=iter(range(100)): str(next(n)))
    with pytest.raises(ServiceError, match="kept changing"):
        CompileAggregate(complete, trigger="test").execute()
    assert AggregateSnapshot.objects.count() == 1


def test_command_streams_to_standard_output(published):
    campaign, snapshot = published
    out, err = StringIO(), StringIO()
    call_command("export_dataset", campaign.slug, "--format", "json", "--output", "-", stdout=out, stderr=err)
    assert json.loads(out.getvalue()) == json.loads(content(campaign, "json"))
    assert f"from final snapshot {snapshot.pk}" in err.getvalue()
