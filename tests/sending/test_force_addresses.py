"""Forces' FOI addresses in bulk: a CSV of force_id,foi_email imported on Forces (and by
`import_force_addresses`). Only foi_email changes; a corrected address clears the failing mark;
an unknown force id or a bad address refuses the whole file, naming the row; viewers cannot."""
from io import StringIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from collection.forces.models import Force
from tests.helpers import command_output

pytestmark = pytest.mark.django_db

GOOD = b"force_id,foi_email\nkent,freedom@kent.police.example\nessex, foi@essex.police.example \n"


def upload(client, content, name="addresses.csv"):
    return client.post(reverse("admin:collection_force_import"),
                       {"import_file": SimpleUploadedFile(name, content, content_type="text/csv"), "format": "0",
                        "resource": "0"})


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(reverse("admin:collection_force_process_import"),
                       {name: form.initial[name] for name in ("import_file_name", "original_file_name", "format",
                                                              "resource")}, follow=True)


def snapshot():
    return sorted(Force.objects.values_list("force_id", "name", "foi_email", "foi_email_failing", "foi_email_problem",
                                            "active", "ons_code"))


def test_a_csv_of_addresses_is_previewed_then_imported_and_clears_the_failing_mark(researcher_client):
    Force.objects.filter(force_id="kent").update(foi_email="old@kent.police.example", foi_email_failing=True,
                                                 foi_email_problem="550 no such user")
    Force.objects.filter(force_id="surrey").update(foi_email="foi@surrey.police.example", foi_email_failing=True,
                                                   foi_email_problem="mailbox full")
    page = researcher_client.get(reverse("admin:collection_force_import"))
    assert page.status_code == 200 and b"force_id" in page.content and b"foi_email" in page.content
    before = snapshot()
    preview = upload(researcher_client, GOOD)
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    assert b"<del" in preview.content and b"freedom</ins><span>@kent.police.example" in preview.content
    assert snapshot() == before  # a preview writes nothing
    done = confirm(researcher_client, preview)
    assert done.status_code == 200 and b"Import finished" in done.content
    kent, essex, surrey = (Force.objects.get(force_id=f) for f in ("kent", "essex", "surrey"))
    assert (kent.foi_email, kent.foi_email_failing, kent.foi_email_problem) == ("freedom@kent.police.example",
                                                                                 False, "")
    assert essex.foi_email == "foi@essex.police.example" and kent.name == "Kent Police"
    assert surrey.foi_email_failing and surrey.foi_email_problem == "mailbox full"  # not in the file: untouched
    assert Force.objects.exclude(force_id__in=["kent", "essex", "surrey"]).filter(foi_email__gt="").count() == 0


@pytest.mark.parametrize("content, field, message", [
    (b"force_id,foi_email\nkent,foi@kent.police.example\nkentt,foi@x.example\n", "force_id",
     "no force with id &#x27;kentt&#x27;"),
    (b"force_id,foi_email\nkent,foi@kent.police.example\nessex,foi at essex\n", "foi_email",
     "&#x27;foi at essex&#x27; is not an e-mail address"),
    (b"force_id,foi_email\nkent,a@kent.example\nessex,b@essex.example\nkent,c@kent.example\n", "force_id",
     "&#x27;kent&#x27; is listed twice (rows 1 and 3): keep one"),
])
def test_an_unknown_force_or_a_bad_address_refuses_the_file_naming_the_row(researcher_client, content, field,
                                                                           message):
    before = snapshot()
    preview = upload(researcher_client, content)
    assert preview.status_code == 200 and preview.context.get("confirm_form") is None
    assert message in preview.content.decode()
    result = preview.context["result"]
    assert result.has_validation_errors()
    assert [field] == [name for row in result.invalid_rows for name in row.field_specific_errors]
    assert snapshot() == before


def test_other_columns_or_formats_are_refused(researcher_client):
    before = snapshot()
    preview = upload(researcher_client, b"force_id,foi_email,name\nkent,a@kent.example,Hacked\n")
    assert b"the file&#x27;s columns must be exactly force_id,foi_email" in preview.content
    assert preview.context.get("confirm_form") is None
    too_big = upload(researcher_client, b"force_id,foi_email\n" + b"kent,a@kent.example\n" * 20000)
    assert b"an address list is at most" in too_big.content
    assert snapshot() == before


def test_nothing_is_written_if_the_file_turns_bad_between_preview_and_confirm(researcher_client, settings):
    preview = upload(researcher_client, GOOD)
    # the stored copy of the upload is what the confirm reads: make it bad, as a changed file would be
    form = preview.context["confirm_form"]
    from import_export.tmp_storages import TempFolderStorage

    storage = TempFolderStorage(name=form.initial["import_file_name"], encoding="utf-8-sig", read_mode="r")
    storage.save("force_id,foi_email\nkent,new@kent.police.example\nnobody,x@y.example\n")
    before = snapshot()
    done = confirm(researcher_client, preview)
    assert b"Nothing was imported" in done.content and b"no force with id" in done.content
    assert snapshot() == before


def test_viewers_cannot_import(viewer_client):
    assert viewer_client.get(reverse("admin:collection_force_import")).status_code == 403
    before = snapshot()
    assert upload(viewer_client, GOOD).status_code == 403
    assert viewer_client.post(reverse("admin:collection_force_process_import"), {
        "import_file_name": "x", "original_file_name": "x.csv", "format": "0", "resource": "0"}).status_code == 403
    assert snapshot() == before
    page = viewer_client.get(reverse("admin:collection_force_changelist"))
    assert reverse("admin:collection_force_import").encode() not in page.content


def test_anonymous_users_get_the_login_page(client):
    response = client.get(reverse("admin:collection_force_import"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_correcting_an_address_by_hand_clears_the_failing_mark(researcher_client):
    kent = Force.objects.get(force_id="kent")
    Force.objects.filter(pk=kent.pk).update(foi_email="old@kent.police.example", foi_email_failing=True,
                                            foi_email_problem="550 no such user")
    kent.refresh_from_db()
    data = {f: getattr(kent, f) for f in ("force_id", "name", "ons_code", "country", "region", "wdtk_slug",
                                          "other_names")}
    response = researcher_client.post(reverse("admin:collection_force_change", args=[kent.pk]),
                                      {**data, "foi_email": "freedom@kent.police.example", "territorial": "on",
                                       "active": "on"})
    assert response.status_code == 302
    kent.refresh_from_db()
    assert (kent.foi_email, kent.foi_email_failing, kent.foi_email_problem) == ("freedom@kent.police.example",
                                                                                 False, "")


# --- The command ------------------------------------------------------------------------------

def import_force_addresses(*args) -> tuple[str, str]:
    return command_output("import_force_addresses", *args)


def test_command_imports_the_same_file_and_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "addresses.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD)  # with a BOM, as spreadsheet programs save it
    before = snapshot()
    out, _ = import_force_addresses(str(path), "--dry-run")
    assert "addresses.csv: would change 2 of 2 forces' FOI addresses (dry run: nothing written)." in out
    assert snapshot() == before
    out, _ = import_force_addresses(str(path))
    assert "addresses.csv: changed 2 of 2 forces' FOI addresses." in out
    assert Force.objects.get(force_id="kent").foi_email == "freedom@kent.police.example"
    out, _ = import_force_addresses(str(path))
    assert "changed 0 of 2" in out


def test_command_refuses_a_bad_file_naming_each_row_and_writes_nothing(tmp_path):
    path = tmp_path / "addresses.csv"
    path.write_bytes(b"force_id,foi_email\nkent,freedom@kent.police.example\nkentt,a@b.example\nessex,nope\n")
    before = snapshot()
    err = StringIO()
    with pytest.raises(CommandError, match="addresses.csv: 2 problems; nothing was imported"):
        call_command("import_force_addresses", str(path), stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert "addresses.csv, row 2 (kentt): force_id: no force with id 'kentt' (see the force ids on Forces)" in lines
    assert "addresses.csv, row 3 (essex): foi_email: 'nope' is not an e-mail address" in lines
    assert snapshot() == before and mail.outbox == []
    with pytest.raises(CommandError, match="cannot read it"):
        import_force_addresses(str(tmp_path / "missing.csv"))
