"""Returned files through the Django layer: the commands and the admin's upload, preview and
confirm. Every sample return lands in the database as exactly its truth.json cells; a refusal
writes nothing."""
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.db.models import Sum
from django.urls import reverse

from collection.requests.models import FoiRequest
from collection.returns.models import ForceColumnMapping, OffenceCount, ReturnedFile, ReturnStatus
from tests.helpers import TEST_DATA, command

DATA = TEST_DATA / "returns"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
TRUTH = json.loads((DATA / "truth.json").read_text())
PROVIDED = sorted(f for f, m in MANIFEST.items() if m.get("file"))

pytestmark = pytest.mark.django_db


def cells_in_db(request):
    rows = (OffenceCount.objects.filter(request=request).values("offence__code", "victim_age")
            .annotate(n=Sum("count")))
    return Counter({(r["offence__code"], r["victim_age"]): r["n"] for r in rows})


def truth_cells(force_id):
    cells = Counter()
    for code, age, count in TRUTH["cells"][force_id]:
        cells[(code, age)] += count
    return cells


@pytest.mark.parametrize("force_id", PROVIDED)
def test_every_sample_return_imports_to_its_truth(campaign, force_id):
    path = DATA / MANIFEST[force_id]["file"]
    out = command("import_return", campaign.slug, force_id, str(path))
    assert f"layout {MANIFEST[force_id]['shape']}" in out
    request = campaign.requests.get(force__force_id=force_id)
    assert cells_in_db(request) == truth_cells(force_id)
    returned = request.returned_files.get()
    assert returned.status == ReturnStatus.IMPORTED and returned.layout == MANIFEST[force_id]["shape"]
    assert returned.size == path.stat().st_size and len(returned.sha256) == 64
    assert Path(returned.file.path).read_bytes() == path.read_bytes()


def test_dry_run_writes_nothing(campaign):
    out = command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"), "--dry-run")
    assert "Would import" in out
    assert not OffenceCount.objects.exists() and not ReturnedFile.objects.exists()


def test_reimporting_the_same_file_changes_nothing(campaign):
    command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"))
    ids = set(OffenceCount.objects.values_list("pk", flat=True))
    out = command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"))
    assert "already imported" in out
    assert set(OffenceCount.objects.values_list("pk", flat=True)) == ids
    assert ReturnedFile.objects.count() == 1


def test_a_newer_file_replaces_the_counts_and_supersedes_the_old_one(campaign, tmp_path):
    command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"))
    corrected = tmp_path / "kent-corrected.csv"
    corrected.write_text("Offence,Victim age,Count\n19E,9,3\n88A,14,2\n", encoding="utf-8")
    command("import_return", campaign.slug, "kent", str(corrected))
    request = campaign.requests.get(force__force_id="kent")
    assert cells_in_db(request) == Counter({("19E", 9): 3, ("88A", 14): 2})
    old, new = request.returned_files.order_by("uploaded_at", "pk")
    assert old.status == ReturnStatus.SUPERSEDED and old.superseded_by == new
    assert new.status == ReturnStatus.IMPORTED
    assert Path(old.file.path).exists()  # never lose what a force sent


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"%PDF-1.4 not a table", "PDF"),
    (b"Offence,Victim age,Count\n19E,34,2\n", "34"),
    (b"Offence,Victim age,Count\nTeleportation,12,2\n", "Teleportation"),
    (b"Offence,Victim age,Count\n19E,9,-2\n", "row 2"),
])
def test_a_refused_file_writes_nothing(campaign, tmp_path, media_root, content, message):
    command("import_return", campaign.slug, "essex", str(DATA / "essex.xlsx"))
    before = set(OffenceCount.objects.values_list("pk", "count"))
    bad = tmp_path / "essex-bad.csv"
    bad.write_bytes(content)
    with pytest.raises(CommandError) as error:
        command("import_return", campaign.slug, "essex", str(bad))
    assert "essex-bad.csv" in str(error.value) and message in str(error.value)
    assert set(OffenceCount.objects.values_list("pk", "count")) == before
    assert ReturnedFile.objects.count() == 1
    # its bytes were written while it was read, and removed again: only the first file is on disk
    assert stored_files(media_root) == [ReturnedFile.objects.get().file.name]


def stored_files(media_root) -> list[str]:
    return sorted(str(p.relative_to(media_root)) for p in Path(media_root).rglob("*") if p.is_file())


def test_the_same_bytes_sent_again_before_they_are_imported_are_kept_once(campaign, media_root):
    from collection.returns.services import ImportReturn, ReceiveReturn

    request = campaign.requests.get(force__force_id="kent")
    data = (DATA / "kent.xlsx").read_bytes()
    pending = ReceiveReturn(request, data, "kent.xlsx").execute().returned
    outcome = ImportReturn(request, data, "kent again.xlsx").execute()
    assert outcome.returned.pk == pending.pk and outcome.returned.status == ReturnStatus.IMPORTED
    assert stored_files(media_root) == [pending.file.name]
    assert pending.file.name == f"returns/{campaign.slug}/kent/{pending.sha256[:12]}-kent.xlsx"


def test_missing_file_and_bad_mapping_are_clear(campaign, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        command("import_return", campaign.slug, "kent", str(tmp_path / "nope.xlsx"))
    m = tmp_path / "m.json"
    m.write_text('{"layout": "sideways"}')
    with pytest.raises(CommandError, match="--mapping"):
        command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"), "--mapping", str(m))


def test_record_response_with_file_is_one_transaction(campaign, tmp_path, media_root):
    bad = tmp_path / "surrey.csv"
    bad.write_text("Offence,Victim age,Count\n19E,19,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing recorded"):
        command("record_response", campaign.slug, "surrey", "--outcome", "provided", "--received-on", "2016-03-25",
            "--file", str(bad))
    surrey = FoiRequest.objects.get(campaign=campaign, force__force_id="surrey")
    assert surrey.outcome == "" and not surrey.events.filter(kind="answered").exists()
    assert stored_files(media_root) == []
    assert not ReturnedFile.objects.exists()
    command("record_response", campaign.slug, "surrey", "--outcome", "provided", "--received-on", "2016-03-25",
        "--file", str(DATA / "surrey.xlsx"))
    surrey.refresh_from_db()
    assert surrey.outcome == "provided" and cells_in_db(surrey) == truth_cells("surrey")


def test_record_response_with_a_letter_the_importer_cannot_read_keeps_it_for_entry_by_hand(campaign, tmp_path):
    letter = tmp_path / "dorset-reply.doc"  # legacy Word: PDF and .docx letters now go to the importer
    letter.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 a letter saying the force does not use the cyber flag")
    out = command("record_response", campaign.slug, "dorset", "--outcome", "provided", "--received-on", "2016-03-25",
              "--file", str(letter))
    assert "enter its figures by hand" in out
    dorset = FoiRequest.objects.get(campaign=campaign, force__force_id="dorset")
    assert dorset.outcome == "provided" and not OffenceCount.objects.exists()
    kept = dorset.returned_files.get()
    assert kept.status == ReturnStatus.STORED and Path(kept.file.path).read_bytes() == letter.read_bytes()


def test_record_response_keeps_a_not_held_letter_without_reading_it(campaign):
    letter = TEST_DATA / "documents" / "norfolk.pdf"  # a scan: no text to read anyway
    out = command("record_response", campaign.slug, "dorset", "--outcome", "not_held", "--received-on", "2016-03-25",
              "--file", str(letter))
    assert "kept on record with the answer" in out
    dorset = FoiRequest.objects.get(campaign=campaign, force__force_id="dorset")
    assert dorset.outcome == "not_held"
    assert dorset.returned_files.get().status == ReturnStatus.STORED


UNDETECTABLE = "Ref,Col1,Col2,Col3\nx,19E,9,3\nx,88A,14,2\n"


def test_a_mapping_reads_what_detection_cannot_and_is_remembered(campaign, tmp_path):
    odd = tmp_path / "odd.csv"
    odd.write_text(UNDETECTABLE, encoding="utf-8")
    with pytest.raises(CommandError, match="odd.csv"):
        command("import_return", campaign.slug, "wiltshire", str(odd))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"layout": "count_long", "header_row": 1, "offence": "B", "age": "C",
                                   "count": "D"}))
    command("import_return", campaign.slug, "wiltshire", str(odd), "--mapping", str(mapping), "--remember")
    request = campaign.requests.get(force__force_id="wiltshire")
    assert cells_in_db(request) == Counter({("19E", 9): 3, ("88A", 14): 2})
    assert ForceColumnMapping.objects.get(force__force_id="wiltshire").mapping["count"] == "D"
    again = tmp_path / "odd-again.csv"
    again.write_text(UNDETECTABLE.replace("x,19E,9,3", "x,19E,9,4"), encoding="utf-8")
    command("import_return", campaign.slug, "wiltshire", str(again))  # the remembered mapping is used
    assert cells_in_db(request)[("19E", 9)] == 4


# --- the admin ----------------------------------------------------------------------------

def upload(client, request, path, name=None, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile
    content = path.read_bytes() if isinstance(path, Path) else path
    data = {"file": SimpleUploadedFile(name or path.name, content), "outcome": "provided",
            "received_on": "2016-03-24", **extra}
    return client.post(reverse("admin:collection_returnedfile_upload", args=[request.pk]), data)


def test_admin_upload_preview_confirm(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="cheshire")
    page = researcher_client.get(request.get_absolute_url())
    assert b"Upload a return" in page.content
    response = upload(researcher_client, request, DATA / "cheshire.xlsx")
    assert response.status_code == 302
    preview = researcher_client.get(response["Location"])
    assert b"Pivot table: offences down, ages across" in preview.content and b"Confirm import" in preview.content
    assert b"pivot_offence_age" not in preview.content  # no internal name reaches a person
    assert not OffenceCount.objects.exists()  # nothing until confirmed
    returned = ReturnedFile.objects.get()
    done = researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[returned.pk]))
    assert done.status_code == 302
    assert cells_in_db(request) == truth_cells("cheshire")
    request.refresh_from_db()
    assert request.outcome == "provided" and request.answered_on == dt.date(2016, 3, 24)
    progress = researcher_client.get(reverse("admin:collection_returnedfile_progress", args=[returned.pk])).json()
    assert progress == {"status": "imported", "phase": "imported", "percent": 100, "error": ""}


def test_admin_upload_of_a_bad_file_shows_the_reason_and_keeps_the_file(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="gwent")
    response = upload(researcher_client, request, b"Offence,Victim age,Count\n19E,21,2\n", name="gwent.csv")
    page = researcher_client.get(response["Location"])
    assert b"Refused" in page.content and b"gwent.csv" in page.content and b"21" in page.content
    returned = ReturnedFile.objects.get()
    assert returned.status == ReturnStatus.REFUSED and "21" in returned.error
    assert not OffenceCount.objects.exists()
    request.refresh_from_db()
    assert request.outcome == ""


def test_admin_keeps_a_letter_it_cannot_read_for_entry_by_hand(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="dorset")
    upload(researcher_client, request, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 ...", name="dorset-letter.doc")
    returned = ReturnedFile.objects.get()
    assert returned.status == ReturnStatus.STORED and not OffenceCount.objects.exists()


def test_a_pdf_letter_with_a_table_is_imported(campaign):
    letter = TEST_DATA / "documents" / "kent.pdf"
    command("import_return", campaign.slug, "kent", str(letter))
    request = campaign.requests.get(force__force_id="kent")
    assert sum(cells_in_db(request).values()) == 94
    assert request.returned_files.get().status == ReturnStatus.IMPORTED


def test_a_scanned_pdf_is_refused_saying_it_must_be_typed_in_and_kept(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="norfolk")
    scan = (TEST_DATA / "documents" / "norfolk.pdf").read_bytes()
    upload(researcher_client, request, scan, name="norfolk.pdf")
    returned = ReturnedFile.objects.get()
    assert returned.status == ReturnStatus.REFUSED and "no text layer" in returned.error
    assert "typed in by hand" in returned.error and Path(returned.file.path).read_bytes() == scan
    assert not OffenceCount.objects.exists()


def test_admin_mapping_form_imports_and_remembers(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="wiltshire")
    response = upload(researcher_client, request, UNDETECTABLE.encode(), name="odd.csv",
                      **{"map-layout": "count_long", "map-header_row": "1", "map-offence": "B", "map-age": "C",
                         "map-count": "D", "map-remember": "on"})
    assert b"Confirm import" in researcher_client.get(response["Location"]).content
    researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[ReturnedFile.objects.get().pk]))
    assert cells_in_db(request) == Counter({("19E", 9): 3, ("88A", 14): 2})
    assert ForceColumnMapping.objects.filter(force__force_id="wiltshire").exists()


def test_viewers_cannot_upload_or_confirm_but_can_download(viewer_client, campaign):
    request = campaign.requests.get(force__force_id="kent")
    assert upload(viewer_client, request, DATA / "kent.xlsx").status_code == 403
    command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"))
    returned = ReturnedFile.objects.get()
    assert b"Upload a return" not in viewer_client.get(request.get_absolute_url()).content
    assert viewer_client.post(reverse("admin:collection_returnedfile_confirm", args=[returned.pk])).status_code == 403
    download = viewer_client.get(reverse("admin:collection_returnedfile_download", args=[returned.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == (DATA / "kent.xlsx").read_bytes()


def test_anonymous_users_cannot_download_files(client, campaign):
    command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"))
    returned = ReturnedFile.objects.get()
    response = client.get(reverse("admin:collection_returnedfile_download", args=[returned.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get("/media/" + returned.file.name).status_code == 404


def test_a_remembered_mapping_that_does_not_fit_gives_way_to_detection(campaign, tmp_path):
    # Kent once sent an odd csv read through a mapping; its next return is an ordinary workbook.
    ForceColumnMapping.objects.create(force=campaign.requests.get(force__force_id="kent").force,
                                      mapping={"layout": "count_long", "header_row": 1, "offence": "B",
                                               "age": "C", "count": "D"})
    out = command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"))
    assert f"layout {MANIFEST['kent']['shape']}" in out
    assert cells_in_db(campaign.requests.get(force__force_id="kent")) == truth_cells("kent")


def test_a_count_the_database_cannot_hold_fails_as_djangos_data_error_and_writes_nothing(campaign):
    """insert_counts (COPY on PostgreSQL, bulk_create elsewhere): a database error arrives as Django's,
    whichever way the counts went in, and the transaction keeps nothing."""
    from django.db import DataError, IntegrityError, connection, transaction

    from collection.forces.models import OffenceCode
    from collection.requests.models import CampaignPeriod
    from collection.returns.services import COUNT_FIELDS, insert_counts

    request = campaign.requests.select_related("force").first()
    period = CampaignPeriod.objects.filter(campaign=campaign).first()
    code = OffenceCode.objects.get(code="88A")
    row = dict(campaign_id=campaign.pk, force_id=request.force_id, request_id=request.pk, returned_file_id=None,
               period_id=period.pk, offence_id=code.pk, victim_age=7, age_band="", age_band_min=None,
               age_band_max=None, victim_sex="", count=3, suppressed=False, suppressed_label="", source_place="")
    with transaction.atomic():
        insert_counts([tuple(row[f] for f in COUNT_FIELDS)])
        assert OffenceCount.objects.filter(request=request).count() == 1
        transaction.set_rollback(True)
    too_big = {**row, "count": 2**63}  # past any integer column
    with pytest.raises((DataError, IntegrityError, OverflowError)) as raised, transaction.atomic():
        insert_counts([tuple(row[f] for f in COUNT_FIELDS), tuple(too_big[f] for f in COUNT_FIELDS)])
    if connection.vendor == "postgresql":  # COPY: psycopg's own error unless wrapped
        assert raised.type is DataError
    else:  # SQLite's driver refuses the number before the database sees it, as bulk_create always did
        assert raised.type is OverflowError
    assert not OffenceCount.objects.filter(request=request).exists()
