"""Every answer becomes data (issue 11, the Django side): single-offence campaigns, many returns at
once (the admin's drop zone and import_returns), the campaign's queue ("Confirm all clean",
"Confirm and next", files to assign), typed entry, and saying where the table is from the preview."""
import datetime as dt
import io
import json
import zipfile
from collections import Counter
from email.message import EmailMessage
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse

from collection.forces.models import Force
from collection.requests.models import Campaign, FoiRequest
from collection.returns.models import OffenceCount, ReturnedFile, ReturnSource, ReturnStatus, UnmatchedReturn
from collection.returns import bulk
from collection.returns import services as returns
from collection.requests.services import CreateCampaign
from collection.validation import ServiceError
from tests.helpers import TEST_DATA, command

DATA = TEST_DATA / "returns"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
TRUTH = json.loads((DATA / "truth.json").read_text())
pytestmark = pytest.mark.django_db

# Headings no rule reads (detection fails): a person says which column is which.
ODD = "Cat,Yrs,N\n19E,9,3\n88A,14,2\n"
ODD_TOO = "Note: figures for 2015/16\n\nCat,Yrs,N\n71,12,4\n"


def counts(request) -> Counter:
    rows = (OffenceCount.objects.filter(request=request).values("offence__code", "victim_age", "age_band",
                                                                "victim_sex", "suppressed")
            .annotate(n=Sum("count")))
    return Counter({(r["offence__code"], r["victim_age"], r["age_band"], r["victim_sex"], r["suppressed"]): r["n"]
                    for r in rows})


def truth(force_id) -> Counter:
    cells = Counter()
    for code, age, n in TRUTH["cells"][force_id]:
        cells[(code, age)] += n
    return cells


def by_code_and_age(request) -> Counter:
    return Counter({(code, age): n for (code, age, _, _, _), n in counts(request).items()})


def second_campaign(slug, researcher, **extra):
    return CreateCampaign(slug=slug, title=slug, period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                          owner=researcher, sent_on=dt.date(2016, 3, 1), **extra).execute()


# --- single-offence questions ---------------------------------------------------------------------

def test_create_campaign_records_the_offences_asked_about(db, researcher):
    from tests.conftest import ensure_reference_data
    ensure_reference_data()
    out = command("create_campaign", "grooming", "--title", "Grooming", "--period-start", "2015-04-01",
              "--period-end", "2016-03-31", "--offences", "88a, 71")
    assert "Asks about offences 71, 88A." in out
    assert sorted(Campaign.objects.get(slug="grooming").offence_codes.values_list("code", flat=True)) == ["71", "88A"]


def test_an_unknown_offence_code_is_refused_by_name_and_nothing_is_written(db, researcher):
    from tests.conftest import ensure_reference_data
    ensure_reference_data()
    with pytest.raises(CommandError, match="--offences: no offence code 99Z"):
        command("create_campaign", "grooming", "--title", "Grooming", "--period-start", "2015-04-01",
            "--period-end", "2016-03-31", "--offences", "88A,99Z")
    assert not Campaign.objects.exists() and not FoiRequest.objects.exists()
    with pytest.raises(ServiceError, match="no offence codes 1X, 2Y"):
        second_campaign("g", researcher, offence_codes=["1x", "2y"])


def test_the_offence_codes_are_edited_in_the_campaign_admin(researcher_client, campaign):
    url = reverse("admin:collection_campaign_change", args=[campaign.pk])
    page = researcher_client.get(url)
    assert b'name="offence_codes"' in page.content
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("forces", "offence_codes", "owner")}
    data.update({"period_start": "2015-04-01", "period_end": "2016-03-31", "owner": str(campaign.owner_id),
                 "forces": [str(pk) for pk in campaign.forces.values_list("pk", flat=True)],
                 "offence_codes": [str(pk) for pk in
                                   campaign.forces.model._meta.apps.get_model("collection", "OffenceCode")
                                   .objects.filter(code="88A").values_list("pk", flat=True)],
                 "chasers_enabled": "on", "_save": "Save"})
    response = researcher_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    assert list(campaign.offence_codes.values_list("code", flat=True)) == ["88A"]


def test_the_campaigns_codes_go_to_the_importer(campaign, monkeypatch):
    from collection.forces.models import OffenceCode

    seen = {}

    def fake_import(data, filename, catalogue, **options):
        seen.update(options)
        raise returns.ImportRefused("stop here", filename=filename)

    monkeypatch.setattr(returns, "import_return", fake_import)
    request = campaign.requests.get(force__force_id="kent")
    with pytest.raises(returns.ImportRefused):
        returns.read_return(request, b"x", "x.csv")
    assert seen["offence_codes"] == ()  # a campaign about every offence
    campaign.offence_codes.set(OffenceCode.objects.filter(code="88A"))
    with pytest.raises(returns.ImportRefused):
        returns.read_return(request, b"x", "x.csv")
    assert seen["offence_codes"] == ("88A",)


def test_a_single_offence_answer_with_no_offence_column_is_that_code(researcher, researcher_client):
    from tests.conftest import ensure_reference_data
    ensure_reference_data()
    grooming = second_campaign("grooming", researcher, offence_codes=["88A"])
    request = grooming.requests.get(force__force_id="warwickshire")
    answer = b"Victim age,Female,Male\n13,8,1\n14,3,\n15,<5,2\n"
    command("import_return", grooming.slug, "warwickshire", _write(answer, "warwickshire.csv"))
    assert counts(request) == Counter({("88A", 13, "", "female", False): 8, ("88A", 13, "", "male", False): 1,
                                       ("88A", 14, "", "female", False): 3, ("88A", 15, "", "female", True): None,
                                       ("88A", 15, "", "male", False): 2})


def _write(data: bytes, name: str) -> str:
    import tempfile
    folder = Path(tempfile.mkdtemp())
    (folder / name).write_bytes(data)
    return str(folder / name)


# --- import_returns: many files from the command line ---------------------------------------------

def test_a_returns_folder_gives_the_same_counts_as_one_file_at_a_time(campaign, researcher):
    out = command("import_returns", campaign.slug, str(DATA))
    provided = sorted(f for f, m in MANIFEST.items() if m.get("file"))
    assert f"{len(provided)} files: {len(provided)} imported." in out
    assert "manifest.json: passed over" in out
    one_by_one = second_campaign("one-by-one", researcher)
    for force_id in provided:
        command("import_return", one_by_one.slug, force_id, str(DATA / MANIFEST[force_id]["file"]))
    for force_id in provided:
        folder = campaign.requests.get(force__force_id=force_id)
        single = one_by_one.requests.get(force__force_id=force_id)
        assert counts(folder) == counts(single), force_id
        assert by_code_and_age(folder) == truth(force_id), force_id
        line = next(ln for ln in out.splitlines() if ln.startswith(MANIFEST[force_id]["file"] + ":"))
        total = sum(n for _, _, n in TRUTH["cells"][force_id])
        assert f"{folder.force.name}, {MANIFEST[force_id]['shape']}," in line and f"total {total:,}" in line
    assert OffenceCount.objects.filter(campaign=campaign).count() == \
        OffenceCount.objects.filter(campaign=one_by_one).count() > 1000


def test_a_zip_of_the_folder_gives_the_same_counts(campaign, tmp_path):
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("kent.xlsx", "essex.xlsx", "cumbria.xls", "derbyshire.csv"):
            z.write(DATA / name, f"returns/{name}")
    (tmp_path / "answers.zip").write_bytes(bundle.getvalue())
    out = command("import_returns", campaign.slug, str(tmp_path / "answers.zip"))
    assert "kent.xlsx (in answers.zip): Kent Police, per_crime," in out and "4 files: 4 imported." in out
    for force_id in ("kent", "essex", "cumbria", "derbyshire"):
        assert by_code_and_age(campaign.requests.get(force__force_id=force_id)) == truth(force_id)


def test_what_matches_no_force_is_kept_to_assign_and_the_command_fails(campaign, tmp_path):
    (tmp_path / "Disclosure 1234.csv").write_text(ODD, encoding="utf-8")
    (tmp_path / "kent.csv").write_text("Offence,Victim age,Count\n19E,34,2\n", encoding="utf-8")
    (tmp_path / "essex.csv").write_text("Offence,Victim age,Count\n19E,9,2\n", encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError, match="2 of 3 files were refused or matched to no force"):
        call_command("import_returns", campaign.slug, str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "Disclosure 1234.csv: no force: no force named in its name or its first rows" in text
    assert "kept to assign in the admin" in text
    assert "kent.csv: Kent Police: refused: row 2, column B ('Victim age'): victim age 34" in text
    assert "essex.csv: Essex Police, count_long, 1 cells, total 2 (imported)" in text
    kept = UnmatchedReturn.objects.get(campaign=campaign)
    assert kept.original_name == "Disclosure 1234.csv" and kept.file.read() == ODD.encode()
    assert not OffenceCount.objects.filter(request__force__force_id="kent").exists()
    assert not ReturnedFile.objects.filter(request__force__force_id="kent").exists()  # as import_return: nothing


def test_dry_run_keeps_nothing_and_no_confirm_leaves_files_in_the_queue(campaign, tmp_path):
    (tmp_path / "kent.xlsx").write_bytes((DATA / "kent.xlsx").read_bytes())
    (tmp_path / "FOI 99.csv").write_text(ODD, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_returns", campaign.slug, str(tmp_path), "--dry-run", stdout=StringIO())
    assert not ReturnedFile.objects.exists() and not UnmatchedReturn.objects.exists()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_returns", campaign.slug, str(tmp_path), "--no-confirm", stdout=out)
    assert "kent.xlsx: Kent Police, per_crime, 70 cells, total 125 (previewed)" in out.getvalue()
    kent = ReturnedFile.objects.get()
    assert kent.status == ReturnStatus.PENDING and kent.source == ReturnSource.COMMAND
    assert not OffenceCount.objects.exists()
    assert [e.returned.pk for e in bulk.campaign_queue(campaign).waiting] == [kent.pk]


def test_import_returns_bad_input(campaign, tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        command("import_returns", campaign.slug, str(tmp_path / "nope"))
    with pytest.raises(CommandError, match="no returns found"):
        command("import_returns", campaign.slug, str(tmp_path))
    with pytest.raises(CommandError, match="no campaign"):
        command("import_returns", "nope", str(DATA / "kent.xlsx"))
    with pytest.raises(CommandError, match="--outcome needs --received-on"):
        command("import_returns", campaign.slug, str(DATA / "kent.xlsx"), "--outcome", "provided")


def test_the_sender_of_a_saved_email_names_the_force(campaign, tmp_path):
    msg = EmailMessage()
    msg["From"] = "Disclosure Unit <foi@gwent.police.uk>"
    msg["Subject"] = "FOI CS-7144-16"
    msg.set_content("Attached.")
    msg.add_attachment((DATA / "gwent.xlsx").read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="Disclosure CS-7144-16.xlsx")
    (tmp_path / "reply.eml").write_bytes(msg.as_bytes())
    out = command("import_returns", campaign.slug, str(tmp_path / "reply.eml"), "--outcome", "provided",
              "--received-on", "2016-03-30")
    assert "Disclosure CS-7144-16.xlsx (in reply.eml): Gwent Police" in out
    gwent = campaign.requests.get(force__force_id="gwent")
    assert by_code_and_age(gwent) == truth("gwent")
    assert gwent.outcome == "provided" and gwent.answered_on == dt.date(2016, 3, 30)


# --- the admin's drop zone and the campaign's queue ------------------------------------------------

def queue_url(campaign):
    return reverse("admin:collection_returnedfile_queue", args=[campaign.pk])


def drop(client, campaign, *files, **extra):
    data = {"files": [SimpleUploadedFile(name, content) for name, content in files], "outcome": "", **extra}
    return client.post(reverse("admin:collection_returnedfile_bulk_upload", args=[campaign.pk]), data)


def test_dropped_files_are_matched_read_and_queued(researcher_client, campaign):
    response = drop(researcher_client, campaign, ("kent.xlsx", (DATA / "kent.xlsx").read_bytes()),
                    ("essex.xlsx", (DATA / "essex.xlsx").read_bytes()), ("FOI 1234.csv", ODD.encode()))
    assert response.status_code == 302 and response["Location"] == queue_url(campaign)
    page = researcher_client.get(queue_url(campaign))
    text = page.content.decode()
    assert "Received 3 files: 2 matched to their force, 1 to assign" in text
    queue = page.context["queue"]
    assert [e.returned.request.force.force_id for e in queue.waiting] == ["essex", "kent"]
    assert all(e.returned.status == ReturnStatus.PENDING for e in queue.waiting)
    assert [u.original_name for u in queue.unmatched] == ["FOI 1234.csv"]
    assert "Confirm all clean (2)" in text and not OffenceCount.objects.exists()


def test_confirm_all_clean_imports_what_was_listed_clean_and_nothing_else(researcher_client, campaign):
    drop(researcher_client, campaign, ("kent.xlsx", (DATA / "kent.xlsx").read_bytes()),
         ("essex.xlsx", (DATA / "essex.xlsx").read_bytes()),
         # 19E (rape of a female child under 13) for a 14-year-old: a warning for a person
         ("surrey.csv", b"Offence,Victim age,Count\n19E,14,1\n19E,9,3\n"))
    queue = researcher_client.get(queue_url(campaign)).context["queue"]
    clean = {e.returned.request.force.force_id: e for e in queue.waiting}
    assert clean["kent"].clean and clean["essex"].clean
    assert not clean["surrey"].clean and "inconsistent" in clean["surrey"].problems[0]
    seen = {"file": [str(e.returned.pk) for e in queue.clean]}
    seen.update({f"fingerprint-{e.returned.pk}": e.returned.summary["fingerprint"] for e in queue.clean})
    seen["file"].append(str(clean["surrey"].returned.pk))  # a forged post cannot confirm what needs a look
    response = researcher_client.post(reverse("admin:collection_returnedfile_confirm_clean", args=[campaign.pk]), seen)
    assert response.status_code == 302
    for force_id in ("kent", "essex"):
        assert by_code_and_age(campaign.requests.get(force__force_id=force_id)) == truth(force_id)
    assert not OffenceCount.objects.filter(request__force__force_id="surrey").exists()
    page = researcher_client.get(queue_url(campaign)).content.decode()
    assert "Confirmed 2 clean files" in page and "Not confirmed: surrey.csv: 1 warning" in page


def test_a_changed_preview_is_not_confirmed_blind(researcher_client, campaign):
    drop(researcher_client, campaign, ("kent.xlsx", (DATA / "kent.xlsx").read_bytes()))
    kent = ReturnedFile.objects.get()
    response = researcher_client.post(reverse("admin:collection_returnedfile_confirm_clean", args=[campaign.pk]),
                                      {"file": [str(kent.pk)], f"fingerprint-{kent.pk}": "0123456789abcdef"})
    assert response.status_code == 302 and not OffenceCount.objects.exists()
    kent.refresh_from_db()
    assert kent.status == ReturnStatus.PENDING


def test_files_already_holding_figures_or_doubled_are_not_clean(researcher_client, campaign):
    command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"))
    drop(researcher_client, campaign, ("kent-corrected.csv", b"Offence,Victim age,Count\n19E,9,3\n"),
         ("essex.xlsx", (DATA / "essex.xlsx").read_bytes()), ("essex-again.csv", b"Offence,Victim age,Count\n19E,9,3\n"))
    problems = {e.returned.original_name: e.problems for e in bulk.campaign_queue(campaign).waiting}
    assert problems["kent-corrected.csv"] == ["replaces the figures already imported for Kent Police"]
    assert "1 other file for Essex Police awaits confirmation: choose one" in problems["essex.xlsx"]


def test_confirm_and_next_goes_on_to_the_next_file(researcher_client, campaign):
    drop(researcher_client, campaign, ("kent.xlsx", (DATA / "kent.xlsx").read_bytes()),
         ("essex.xlsx", (DATA / "essex.xlsx").read_bytes()))
    essex, kent = (ReturnedFile.objects.get(request__force__force_id=f) for f in ("essex", "kent"))
    page = researcher_client.get(reverse("admin:collection_returnedfile_preview", args=[essex.pk]))
    assert b'name="_next"' in page.content
    response = researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[essex.pk]),
                                      {"fingerprint": essex.summary["fingerprint"], "_next": "1"})
    assert response["Location"] == reverse("admin:collection_returnedfile_preview", args=[kent.pk])
    assert by_code_and_age(essex.request) == truth("essex")
    response = researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[kent.pk]),
                                      {"fingerprint": kent.summary["fingerprint"], "_next": "1"})
    # nothing left: back on the campaign's board
    assert response["Location"] == reverse("admin:collection_campaign_workspace", args=[campaign.pk])


def test_a_file_to_assign_becomes_the_forces_return(researcher_client, campaign):
    drop(researcher_client, campaign, ("Disclosure 2016-FOI-3734.xlsx", (DATA / "merseyside.xlsx").read_bytes()))
    kept = UnmatchedReturn.objects.get()
    merseyside = Force.objects.get(force_id="merseyside")
    response = researcher_client.post(reverse("admin:collection_returnedfile_assign", args=[kept.pk]),
                                      {"force": merseyside.pk})
    assert response.status_code == 302
    kept.refresh_from_db()
    returned = kept.assigned_to
    assert returned.request.force == merseyside and returned.sha256 == kept.sha256
    assert returned.status == ReturnStatus.PENDING and returned.summary["cells"] > 0
    assert kept.assigned_by.username == "rita"
    assert bulk.campaign_queue(campaign).unmatched == []
    # once only
    response = researcher_client.post(reverse("admin:collection_returnedfile_assign", args=[kept.pk]),
                                      {"force": Force.objects.get(force_id="kent").pk})
    assert "already given to Merseyside Police" in researcher_client.get(queue_url(campaign)).content.decode()
    assert ReturnedFile.objects.count() == 1


def test_a_zip_bomb_dropped_on_the_campaign_keeps_nothing(researcher_client, campaign):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("kent.csv", b"0" * (30 * 1024 * 1024))
    drop(researcher_client, campaign, ("returns.zip", bomb.getvalue()))
    page = researcher_client.get(queue_url(campaign)).content.decode()
    assert "Returns.zip: no force: refused:" in page and "zip bomb" in page
    assert not ReturnedFile.objects.exists() and not UnmatchedReturn.objects.exists()


def test_an_oversized_file_is_named_and_not_stored(researcher_client, campaign, settings):
    settings.FOI_IMPORT_MAX_FILE_BYTES = 1000
    drop(researcher_client, campaign, ("kent.csv", b"x" * 1001), ("essex.csv", b"Offence,Victim age,Count\n19E,9,2\n"))
    page = researcher_client.get(queue_url(campaign)).content.decode()
    assert "Kent.csv: no force: refused: 1,001 bytes, over the limit of 1,000" in page
    assert list(ReturnedFile.objects.values_list("original_name", flat=True)) == ["essex.csv"]


def test_viewers_see_the_queue_without_a_button_and_cannot_write(researcher_client, campaign, viewer):
    from django.test import Client

    drop(researcher_client, campaign, ("kent.xlsx", (DATA / "kent.xlsx").read_bytes()), ("FOI 1.csv", ODD.encode()))
    viewer_client = Client()  # its own session: the researcher's client stays the researcher's
    viewer_client.force_login(viewer)
    page = viewer_client.get(queue_url(campaign))
    assert page.status_code == 200
    html = page.content.decode()
    assert "kent.xlsx" in html and "FOI 1.csv" in html
    for marker in ('name="files"', "Confirm all clean", 'name="_assign"', "Type the figures", "Say where the table is",
                   'type="submit"'):
        assert marker not in html.split('id="content-main"')[1], marker
    kept, kent = UnmatchedReturn.objects.get(), ReturnedFile.objects.get()
    for url, data in [
        (reverse("admin:collection_returnedfile_bulk_upload", args=[campaign.pk]),
         {"files": [SimpleUploadedFile("essex.csv", b"Offence,Victim age,Count\n19E,9,2\n")]}),
        (reverse("admin:collection_returnedfile_confirm_clean", args=[campaign.pk]), {"file": [str(kent.pk)]}),
        (reverse("admin:collection_returnedfile_assign", args=[kept.pk]), {"force": kent.request.force_id}),
        (reverse("admin:collection_returnedfile_type", args=[kent.request_id]), {"rows": "1", "cols": "1"}),
        (reverse("admin:collection_returnedfile_map", args=[kent.pk]), {"header_row": "1"}),
    ]:
        assert viewer_client.post(url, data).status_code == 403, url
    for url in (reverse("admin:collection_returnedfile_type", args=[kent.request_id]),
                reverse("admin:collection_returnedfile_map", args=[kent.pk])):
        assert viewer_client.get(url).status_code == 403, url
    assert ReturnedFile.objects.count() == 1 and not OffenceCount.objects.exists()
    preview = viewer_client.get(reverse("admin:collection_returnedfile_preview", args=[kent.pk])).content.decode()
    assert "Confirm" not in preview.split('id="content-main"')[1] and "Say where the table is" not in preview


def test_anonymous_users_get_the_login_page(client, campaign):
    for url in (queue_url(campaign), reverse("admin:collection_returnedfile_type", args=[campaign.requests.first().pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# --- typed entry ---------------------------------------------------------------------------------

def grid(headings, rows, **extra):
    """The typed-entry form as the page posts it: rows are (label, sex, [figures])."""
    data = {"rows": str(len(rows)), "cols": str(len(headings)), "orientation": "offences_down",
            "outcome": "provided", "received_on": "2016-04-04", "_preview": "Check and preview", **extra}
    for c, h in enumerate(headings):
        data[f"h-{c}"] = h
    for r, (label, sex, values) in enumerate(rows):
        data[f"l-{r}"], data[f"s-{r}"] = label, sex
        for c, v in enumerate(values):
            data[f"v-{r}-{c}"] = v
    return data


def type_url(request, **query):
    from urllib.parse import urlencode
    url = reverse("admin:collection_returnedfile_type", args=[request.pk])
    return f"{url}?{urlencode(query)}" if query else url


@pytest.fixture
def scan(researcher_client, campaign):
    """A scanned letter: kept, refused (no text), waiting to be typed."""
    norfolk = campaign.requests.get(force__force_id="norfolk")
    researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[norfolk.pk]), {
        "file": SimpleUploadedFile("norfolk-scan.pdf", b"%PDF-1.4\n% a scanned page, no text\n"),
        "outcome": "provided", "received_on": "2016-04-01"})
    return ReturnedFile.objects.get(request=norfolk)


def test_a_refused_scan_links_straight_to_typed_entry(researcher_client, scan):
    page = researcher_client.get(reverse("admin:collection_returnedfile_preview", args=[scan.pk])).content.decode()
    assert type_url(scan.request, **{"from": scan.pk}).replace("&", "&amp;") in page
    form = researcher_client.get(type_url(scan.request, **{"from": scan.pk}))
    assert form.status_code == 200
    html = form.content.decode()
    assert "norfolk-scan.pdf" in html and 'name="from" value="%d"' % scan.pk in html
    # the choices made when the letter came are offered again: no retyped dates
    assert form.context["form"].initial["received_on"] == dt.date(2016, 4, 1)


def test_typed_figures_are_a_return_of_their_own_through_the_same_preview_and_confirm(researcher_client, scan,
                                                                                     researcher):
    data = grid(["9", "13", "14", "Unknown", "Total"],
                [("19E - Rape of a female child under 13", "", ["2", "", "", "", "2"]),
                 ("88A", "", ["1", "<5", "3", "1", "5"]),
                 ("", "", ["", "", "", "", ""])], **{"from": str(scan.pk)})
    response = researcher_client.post(type_url(scan.request), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    typed = ReturnedFile.objects.get(source=ReturnSource.TYPED)
    assert response["Location"] == reverse("admin:collection_returnedfile_preview", args=[typed.pk])
    assert typed.typed_from == scan and typed.uploaded_by == researcher and typed.request == scan.request
    assert typed.status == ReturnStatus.PENDING and typed.original_name.startswith("typed-norfolk-")
    assert typed.outcome == "provided" and typed.received_on == dt.date(2016, 4, 4)
    stored = Path(typed.file.path).read_bytes()
    assert stored.startswith(b"Offence,9,13,14,Unknown,Total\r\n") and len(typed.sha256) == 64
    assert returns.sha256_of(stored) == typed.sha256
    preview = researcher_client.get(response["Location"]).content.decode()
    assert "Typed in by hand by" in preview and "norfolk-scan.pdf" in preview and "Confirm import" in preview
    response = researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[typed.pk]),
                                      {"fingerprint": typed.summary["fingerprint"]}, follow=True)
    # back on the campaign's board, told what came in, not on an admin form
    assert response.redirect_chain == [(reverse("admin:collection_campaign_workspace", args=[scan.request.campaign_id]),
                                        302)]
    assert ("Imported 5 cells typed for Norfolk Constabulary from norfolk-scan.pdf (total 7)."
            in [str(m) for m in response.context["messages"]])
    assert counts(scan.request) == Counter({("19E", 9, "", "", False): 2, ("88A", 9, "", "", False): 1,
                                            ("88A", 13, "", "", True): None, ("88A", 14, "", "", False): 3,
                                            ("88A", None, "", "", False): 1})
    scan.request.refresh_from_db()
    assert scan.request.outcome == "provided" and scan.request.answered_on == dt.date(2016, 4, 4)
    # the scan is no longer waiting in the campaign's queue
    assert bulk.campaign_queue(scan.request.campaign).refused == []


def test_typed_figures_confirmed_with_a_worker_land_on_the_board_too(researcher_client, campaign, monkeypatch):
    """With a queue, a big file's import is followed on its preview; figures typed by hand go back
    to the board at once (the force's row shows them once in), and so does a second confirm."""
    from collection.returns import admin as returns_admin

    request = campaign.requests.get(force__force_id="kent")
    researcher_client.post(type_url(request), grid(["13", "14"], [("88A", "", ["1", "2"])]))
    typed = ReturnedFile.objects.get()
    monkeypatch.setattr(returns_admin, "broker_configured", lambda: True)
    monkeypatch.setattr(returns_admin, "queue_confirm", lambda returned, user: True)  # the worker takes it
    board = reverse("admin:collection_campaign_workspace", args=[campaign.pk])
    confirm = reverse("admin:collection_returnedfile_confirm", args=[typed.pk])
    response = researcher_client.post(confirm, {"fingerprint": typed.summary["fingerprint"]}, follow=True)
    assert response.redirect_chain == [(board, 302)]
    assert "The figures typed for Kent Police are being imported." in [str(m) for m in response.context["messages"]]
    typed.refresh_from_db()
    assert typed.status == ReturnStatus.QUEUED
    again = researcher_client.post(confirm, {"fingerprint": typed.summary["fingerprint"]})
    assert again["Location"] == board


def test_typed_bands_and_sex_and_ages_down(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="cumbria")
    data = grid(["88A"], [("0-6", "male", ["2"]), ("13", "female", ["<5"]), ("Under 13", "female", ["4"])],
                orientation="ages_down")
    response = researcher_client.post(type_url(request), data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    typed = ReturnedFile.objects.get()
    assert typed.typed_from is None and typed.summary["cells"] == 3
    rows = returns.rows_from_json(typed.tidy_rows)
    assert {(r.offence_code, r.victim_age, r.age_band, r.victim_sex, r.count, r.suppressed) for r in rows} == {
        ("88A", None, "0-6", "male", 2, False), ("88A", 13, "", "female", None, True),
        ("88A", None, "0-12", "female", 4, False)}


@pytest.mark.parametrize("headings, rows, words, cell", [
    (["13", "19"], [("88A", "", ["1", "2"])], "19", (1, 1)),  # an adult victim: the importer refuses it
    (["13", "14"], [("88A", "", ["1", "eight-ish"])], "eight-ish", (1, 1)),
    (["13", "Total"], [("88A", "", ["1", "5"])], "total 5", (1, 1)),
    (["13", "14"], [("Teleportation", "", ["1", "2"])], "Teleportation", (1, "label")),
    (["13", "fourteen years"], [("88A", "", ["1", "2"])], "not an age", (0, 1)),
    (["13", ""], [("88A", "", ["1", "2"])], "no heading", (0, 1)),
    (["13"], [("", "", ["1"])], "no offence", (1, "label")),
    (["13"], [("88A", "female", ["1"]), ("71", "", ["2"])], "give the victim's sex", (2, "sex")),
    (["13"], [("88A", "", ["0"])], "every figure typed is zero", (None, None)),
    (["13"], [("88A", "", [""])], "no figures typed", (None, None)),
])
def test_a_typed_table_that_cannot_be_read_points_at_the_cell_and_keeps_nothing(researcher_client, campaign,
                                                                                headings, rows, words, cell):
    request = campaign.requests.get(force__force_id="kent")
    response = researcher_client.post(type_url(request), grid(headings, rows))
    assert response.status_code == 200
    problem = response.context["problem"]
    assert words in str(problem) and (problem.row, problem.column) == cell
    html = response.content.decode()
    assert 'id="grid-error"' in html
    if cell[0] is not None:
        assert html.count('aria-invalid="true"') == 1
    # what was typed is still there to correct
    assert f'value="{rows[0][0]}"' in html or not rows[0][0]
    assert not ReturnedFile.objects.exists() and not OffenceCount.objects.exists()


def test_typed_figures_can_be_corrected_before_confirming(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="kent")
    researcher_client.post(type_url(request), grid(["13", "14"], [("88A", "", ["1", "2"])]))
    typed = ReturnedFile.objects.get()
    page = researcher_client.get(type_url(request, edit=typed.pk))
    table = page.context["table"]
    assert table.headings == ["13", "14"] and table.rows[0].label == "88A" and table.rows[0].values == ["1", "2"]
    researcher_client.post(type_url(request), grid(["13", "14"], [("88A", "", ["1", "3"])]))
    assert ReturnedFile.objects.filter(source=ReturnSource.TYPED).count() == 2  # both kept, each with its SHA-256


def test_adding_rows_and_columns_without_javascript(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="kent")
    data = grid(["13"], [("88A", "", ["1"])])
    del data["_preview"]
    page = researcher_client.post(type_url(request), {**data, "_add_row": "Add a row"})
    assert len(page.context["table"].rows) == 2 and not ReturnedFile.objects.exists()
    page = researcher_client.post(type_url(request), {**data, "_add_column": "Add a column"})
    assert len(page.context["table"].headings) == 2


def test_a_huge_typed_grid_is_refused(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="kent")
    page = researcher_client.post(type_url(request), {**grid(["13"], [("88A", "", ["1"])]), "rows": "100000000"})
    assert "at most 200" in str(page.context["problem"]) and not ReturnedFile.objects.exists()


def test_typed_and_file_given_values_are_escaped_wherever_shown(researcher_client, campaign):
    evil = "<script>alert(1)</script>"
    request = campaign.requests.get(force__force_id="kent")
    page = researcher_client.post(type_url(request), grid([evil], [(evil, "", ["1"])]))
    html = page.content.decode()
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # a file whose name and cells carry markup, shown in the queue, the preview and the mapping grid
    drop(researcher_client, campaign, (f"{evil}.csv", f"Cat,{evil}\n19E,3\n".encode()))
    kept = UnmatchedReturn.objects.get()
    assert evil not in researcher_client.get(queue_url(campaign)).content.decode()
    researcher_client.post(reverse("admin:collection_returnedfile_assign", args=[kept.pk]),
                           {"force": request.force_id})
    returned = ReturnedFile.objects.get()
    for url in (reverse("admin:collection_returnedfile_preview", args=[returned.pk]),
                reverse("admin:collection_returnedfile_map", args=[returned.pk]), queue_url(campaign)):
        assert evil not in researcher_client.get(url).content.decode(), url
    grid_page = researcher_client.get(reverse("admin:collection_returnedfile_map", args=[returned.pk]))
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in grid_page.content.decode()


# --- saying where the table is, from the preview ---------------------------------------------------

def map_url(returned):
    return reverse("admin:collection_returnedfile_map", args=[returned.pk])


def test_when_detection_fails_the_sheet_is_shown_and_clicked(researcher_client, campaign):
    drop(researcher_client, campaign, ("kent.csv", ODD.encode()))
    kent = ReturnedFile.objects.get()
    assert kent.status == ReturnStatus.REFUSED
    preview = researcher_client.get(reverse("admin:collection_returnedfile_preview", args=[kent.pk])).content.decode()
    assert map_url(kent) in preview
    page = researcher_client.get(map_url(kent))
    assert page.context["grid"].rows[0] == ["Cat", "Yrs", "N"]
    assert [letter for letter, _ in page.context["columns"]] == ["A", "B", "C"]
    response = researcher_client.post(map_url(kent), {"sheet": "", "header_row": "1", "role_A": "offence",
                                                      "role_B": "age", "role_C": "count"})
    assert response["Location"] == reverse("admin:collection_returnedfile_preview", args=[kent.pk])
    kent.refresh_from_db()
    assert kent.status == ReturnStatus.PENDING and kent.summary["cells"] == 2 and kent.summary["total"] == 5
    assert kent.mapping == {"header_row": 1, "layout": "count_long", "offence": "A", "age": "B", "count": "C"}
    assert kent.file.read() == ODD.encode()  # the stored file, not a second upload
    # the page opens again on what was chosen
    again = researcher_client.get(map_url(kent))
    assert again.context["form"].initial["role_B"] == "age" and again.context["form"].initial["header_row"] == 1


def test_a_mapping_that_does_not_fit_says_why_and_changes_nothing(researcher_client, campaign):
    drop(researcher_client, campaign, ("kent.csv", ODD.encode()))
    kent = ReturnedFile.objects.get()
    page = researcher_client.post(map_url(kent), {"header_row": "1", "role_A": "offence", "role_B": "offence"})
    assert page.status_code == 200 and "both marked offence" in page.content.decode()
    kent.refresh_from_db()
    assert kent.status == ReturnStatus.REFUSED and kent.mapping is None


def test_use_this_mapping_for_other_files_with_the_same_header(researcher_client, campaign):
    drop(researcher_client, campaign, ("kent.csv", ODD.encode()), ("essex.csv", ODD_TOO.encode()),
         ("surrey.csv", b"Other,Head\n19E,2\n"))
    kent, essex, surrey = (ReturnedFile.objects.get(request__force__force_id=f) for f in ("kent", "essex", "surrey"))
    assert {kent.status, essex.status, surrey.status} == {ReturnStatus.REFUSED}
    researcher_client.post(map_url(kent), {"header_row": "1", "role_A": "offence", "role_B": "age", "role_C": "count",
                                           "same_header": "on", "remember": "on"})
    for f in (kent, essex, surrey):
        f.refresh_from_db()
    assert kent.status == essex.status == ReturnStatus.PENDING and surrey.status == ReturnStatus.REFUSED
    # essex's headings are on row 3 (a note above them): the mapping moved with them
    assert essex.mapping["header_row"] == 3 and essex.summary["total"] == 4 and kent.remember_mapping
    assert not essex.remember_mapping
    page = researcher_client.get(queue_url(campaign)).content.decode()
    assert "Used for 1 other file with the same header: essex.csv." in page


def test_an_unreadable_file_offers_typed_entry_instead(researcher_client, scan):
    page = researcher_client.get(map_url(scan))
    assert page.status_code == 200 and page.context["unreadable"]
    assert type_url(scan.request, **{"from": scan.pk}).replace("&", "&amp;") in page.content.decode()


def test_an_imported_files_mapping_does_not_change(researcher_client, campaign):
    command("import_return", campaign.slug, "kent", str(DATA / "kent.xlsx"))
    kent = ReturnedFile.objects.get()
    response = researcher_client.post(map_url(kent), {"header_row": "1", "role_C": "offence"})
    assert response.status_code == 302
    kent.refresh_from_db()
    assert kent.status == ReturnStatus.IMPORTED and kent.mapping is None


def test_a_cell_too_long_is_pointed_at_and_the_rest_kept(researcher_client, campaign):
    request = campaign.requests.get(force__force_id="kent")
    page = researcher_client.post(type_url(request), grid(["13", "14"], [("88A", "", ["1", "x" * 500])]))
    problem = page.context["problem"]
    assert "500 characters long" in str(problem) and (problem.row, problem.column) == (1, 1)
    assert page.context["table"].rows[0].values[0] == "1" and not ReturnedFile.objects.exists()


# --- the practice letters (PDF, Word, HTML, text) through the same doors -----------------------

DOCUMENTS = TEST_DATA / "documents"
DOC_TRUTH = json.loads((DOCUMENTS / "truth.json").read_text())


def doc_cells(force_id, source="cells") -> Counter:
    out = Counter()
    for code, age, n, sex, suppressed in DOC_TRUTH[source][force_id]:
        out[(code, age if isinstance(age, int) or age is None else None,
             age if isinstance(age, str) else "", sex or "", suppressed)] = n
    return out


def doc_counts(request) -> Counter:
    return Counter({(code, age, band, sex, supp): n for (code, age, band, sex, supp), n in counts(request).items()})


def test_a_folder_of_letters_goes_in_as_one_file_at_a_time_would(campaign, researcher):
    out = StringIO()
    with pytest.raises(CommandError, match="6 of 15 files were refused"):
        call_command("import_returns", campaign.slug, str(DOCUMENTS), stdout=out)
    text = out.getvalue()
    main = [f for f, v in DOC_TRUTH["forces"].items()
            if v["campaign"] == "documents-practice-2015-16" and v["expected"] == "import"]
    for force_id in main:
        request = campaign.requests.get(force__force_id=force_id)
        assert doc_counts(request) == doc_cells(force_id), force_id
    assert "norfolk.pdf: Norfolk Constabulary: refused: the PDF has no text layer" in text
    assert "lincolnshire.pdf: Lincolnshire Police: refused: the PDF is password protected" in text
    # the single-offence answers name no offence: refused here, read by a campaign about 88A
    assert "warwickshire.txt: Warwickshire Police: refused:" in text and "offence codes" in text
    grooming = second_campaign("grooming", researcher, offence_codes=["88A"])
    single = [f for f, v in DOC_TRUTH["forces"].items() if v["campaign"] == "documents-practice-grooming-2015-16"]
    out = command("import_returns", grooming.slug, *[str(next(DOCUMENTS.glob(f"{f}.*"))) for f in single])
    assert f"{len(single)} files: {len(single)} imported." in out
    for force_id in single:
        assert doc_counts(grooming.requests.get(force__force_id=force_id)) == doc_cells(force_id), force_id


def test_the_scanned_letter_typed_in_gives_what_a_person_reads_in_it(researcher_client, campaign):
    norfolk = campaign.requests.get(force__force_id="norfolk")
    researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[norfolk.pk]), {
        "file": SimpleUploadedFile("norfolk.pdf", (DOCUMENTS / "norfolk.pdf").read_bytes()),
        "outcome": "provided", "received_on": "2016-04-26"})
    scan = ReturnedFile.objects.get(request=norfolk)
    assert scan.status == ReturnStatus.REFUSED and "no text" in scan.error
    # The letter's pivot, as a person reads it off the page: offences down, single years across.
    cells = DOC_TRUTH["hand_entry_cells"]["norfolk"]
    ages = sorted({age for _, age, _, _, _ in cells if age is not None}) + ["Unknown"]
    codes = sorted({code for code, *_ in cells})
    table = {(code, age if age is not None else "Unknown"): n for code, age, n, _, _ in cells}
    rows = [(code, "", [str(table.get((code, age), "")) for age in ages]) for code in codes]
    response = researcher_client.post(type_url(norfolk), grid([str(a) for a in ages], rows, **{"from": str(scan.pk)},
                                                              received_on="2016-04-26"))
    assert response.status_code == 302, response.content.decode()[-1500:]
    typed = ReturnedFile.objects.get(source=ReturnSource.TYPED)
    researcher_client.post(reverse("admin:collection_returnedfile_confirm", args=[typed.pk]),
                           {"fingerprint": typed.summary["fingerprint"]})
    assert doc_counts(norfolk) == doc_cells("norfolk", "hand_entry_cells")
    norfolk.refresh_from_db()
    assert norfolk.outcome == "provided" and norfolk.answered_on == dt.date(2016, 4, 26)


def test_every_practice_return_dropped_at_once_is_clean_and_confirmed_to_its_truth(researcher_client, campaign):
    files = [(p.name, p.read_bytes()) for p in sorted(DATA.iterdir()) if p.suffix != ".json"]
    drop(researcher_client, campaign, *files)
    queue = bulk.campaign_queue(campaign)
    assert len(queue.waiting) == len(files) and not queue.unmatched and not queue.refused
    assert [e.returned.original_name for e in queue.waiting if not e.clean] == []
    seen = {"file": [str(e.returned.pk) for e in queue.clean]}
    seen.update({f"fingerprint-{e.returned.pk}": e.returned.summary["fingerprint"] for e in queue.clean})
    researcher_client.post(reverse("admin:collection_returnedfile_confirm_clean", args=[campaign.pk]), seen)
    for force_id, entry in MANIFEST.items():
        if entry.get("file"):
            assert by_code_and_age(campaign.requests.get(force__force_id=force_id)) == truth(force_id), force_id
    assert bulk.campaign_queue(campaign).imported_forces == len(files)


def test_single_offence_letters_are_clean_in_a_campaign_about_that_offence(researcher_client, researcher):
    from tests.conftest import ensure_reference_data
    ensure_reference_data()
    grooming = second_campaign("grooming", researcher, offence_codes=["88A"])
    drop(researcher_client, grooming, *[(p.name, p.read_bytes()) for p in sorted(DOCUMENTS.iterdir())
                                        if p.stem in ("cumbria", "northamptonshire", "warwickshire")])
    queue = bulk.campaign_queue(grooming)
    assert sorted((e.returned.original_name, e.clean) for e in queue.waiting) == [
        ("cumbria.docx", True), ("northamptonshire.pdf", True), ("warwickshire.txt", True)]
