"""A release of the practice campaign: publish_release writes the data package, the workbook, the
methodology and the charts; a validator nobody here wrote (frictionless) finds 0 errors; the same
snapshot gives the same bytes; changed figures give the next version and the earlier one stays."""
import csv
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import frictionless
import openpyxl
import pytest

from collection.returns.models import OffenceCount
from reports.models import AggregateSnapshot
from reports.releases.models import Release
from reports.releases.services import PublishRelease, build_files, unzipped
from tests.helpers import command
from tests.reports.practice import TRUTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(complete, tmp_path):
    out = command("publish_release", complete.slug, "--output", str(tmp_path))
    release = Release.objects.get(campaign=complete)
    return complete, release, tmp_path / release.name, out


def test_publish_release_writes_every_file_and_its_checksum(released):
    campaign, release, folder, out = released
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert names == sorted(["SHA256SUMS", "datapackage.json", "methodology.html", "methodology.md",
                            f"{campaign.slug}.xlsx", "data/ages.csv", "data/forces.csv", "data/national-dataset.csv",
                            "data/offence-categories.csv"]
                           + [f"charts/{k}.{f}" for k in ("age", "category", "force") for f in ("png", "svg")])
    sums = dict(reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == set(names) - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert (folder.parent / f"{release.name}.zip").read_bytes() == release.archive.read()
    assert hashlib.sha256((folder.parent / f"{release.name}.zip").read_bytes()).hexdigest() == release.sha256
    assert release.version == 1 and f"{campaign.slug} release 1: published" in out
    # The dataset is byte for byte the snapshot's export.
    assert hashlib.sha256((folder / "data/national-dataset.csv").read_bytes()).hexdigest() == \
        release.snapshot.dataset_sha256


def test_frictionless_validates_the_data_package_with_no_error(released):
    _, _, folder, _ = released
    report = frictionless.validate(str(folder / "datapackage.json"))
    errors = [e.message for task in report.tasks for e in task.errors] + [e.message for e in report.errors]
    assert report.valid, errors[:10]
    descriptor = json.loads((folder / "datapackage.json").read_text())
    assert {r["name"] for r in descriptor["resources"]} == {"forces", "offence-categories", "ages", "national-dataset"}
    assert descriptor["sources"][0]["description"] == released[0].question
    assert descriptor["licenses"][0]["name"] == "OGL-UK-3.0"
    forces = next(r for r in descriptor["resources"] if r["name"] == "forces")
    assert forces["schema"]["primaryKey"] == ["force_id"]
    dataset = next(r for r in descriptor["resources"] if r["name"] == "national-dataset")
    assert dataset["schema"]["foreignKeys"][0]["reference"]["resource"] == "forces"
    assert all(f.get("description") for r in descriptor["resources"] for f in r["schema"]["fields"])
    # And its command line, as a reader of the release would run it.
    cli = subprocess.run([str(Path(sys.executable).parent / "frictionless"), "validate", "--json", "datapackage.json"],
                         cwd=folder, capture_output=True, text=True)
    assert cli.returncode == 0, cli.stdout[-2000:] + cli.stderr[-2000:]
    assert json.loads(cli.stdout)["valid"] is True


def test_the_tables_hold_the_snapshots_figures(released):
    campaign, release, folder, _ = released
    resource = frictionless.Package(str(folder / "datapackage.json")).get_resource("forces")
    rows = {r["force_id"]: r for r in resource.read_rows()}
    assert len(rows) == 44
    assert sum(r["offences"] or 0 for r in rows.values()) == TRUTH["total_offences"]
    figures = release.snapshot.figures
    for force_id, n in figures["by_force"].items():
        assert rows[force_id]["offences"] == n
    categories = {c: 0 for c in figures["by_offence_category"]}
    for r in rows.values():
        for c in categories:
            categories[c] += int(r[f"offences_{c}"] or 0)
    assert categories == figures["by_offence_category"]


def test_two_releases_of_one_snapshot_are_byte_identical(released):
    campaign, release, _, _ = released
    first = build_files(campaign, release.snapshot, release.version, None)
    second = build_files(campaign, release.snapshot, release.version, None)
    assert first == second
    assert unzipped(release.archive.read()) == first
    again = PublishRelease(campaign).execute()
    assert again.pk == release.pk and Release.objects.count() == 1


def test_changed_figures_make_the_next_version_and_the_first_stays(released):
    campaign, release, _, _ = released
    count = OffenceCount.objects.filter(campaign=campaign, suppressed=False).order_by("pk").first()
    count.count += 7
    count.save()
    second = PublishRelease(campaign).execute()
    assert second.version == 2 and second.snapshot_id != release.snapshot_id
    assert second.snapshot.figures["total_offences"] == TRUTH["total_offences"] + 7
    assert Release.objects.get(pk=release.pk).archive.read() != second.archive.read()
    assert AggregateSnapshot.objects.filter(campaign=campaign, final=True).count() == 2


def test_the_workbook_has_contents_notes_and_the_tables_as_text(released):
    campaign, _, folder, _ = released
    book = openpyxl.load_workbook(folder / f"{campaign.slug}.xlsx")
    assert book.sheetnames[:2] == ["Contents", "Notes"]
    assert {"Forces", "Categories", "Ages", "Dataset"} <= set(book.sheetnames)
    notes = [r[1] for r in book["Notes"].iter_rows(min_row=2, values_only=True)]
    assert campaign.question in notes
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
    with zipfile.ZipFile(folder / f"{campaign.slug}.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_publishing_an_unfinished_campaign_is_refused_with_nothing_written(campaign, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot be final"):
        command("publish_release", campaign.slug, "--output", str(tmp_path))
    assert not Release.objects.exists() and not list(tmp_path.iterdir())


def test_a_release_with_suppression_validates_and_hides_every_small_count_for_good(complete, tmp_path):
    from tests.reports.test_release_disclosure import determined_by_linear_algebra

    release = PublishRelease(complete, suppress_below=5, output=tmp_path).execute()
    folder = tmp_path / release.name
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, [e.message for task in report.tasks for e in task.errors][:10]
    described = frictionless.Package(str(folder / "datapackage.json")).get_resource("forces")
    rows = [r for r in described.read_rows() if r["offences"] is not None]
    raw = list(csv.DictReader(io.StringIO((folder / "data/forces.csv").read_text())))
    raw = [r for r in raw if r["offences"]]
    columns = [c for c in raw[0] if c.startswith("offences_") and c not in ("offences_min", "offences_max")]
    hidden = {(i, j) for i, r in enumerate(raw) for j, c in enumerate(columns) if r[c] in ("<5", "[c]")}
    assert any(r[c] == "<5" for r in raw for c in columns) and hidden
    assert all(rows[i][columns[j]] is None for i, j in hidden)  # read as missing values, typed integer
    shown = [[0 if (i, j) in hidden else int(r[c]) for j, c in enumerate(columns)] for i, r in enumerate(raw)]
    assert determined_by_linear_algebra(shown, hidden) == set()
    # No small count is published at force level.
    assert not any(0 < int(r[c]) < 5 for r in raw for c in columns if r[c] not in ("<5", "[c]"))


def test_a_released_snapshot_cannot_be_deleted_from_under_its_release(released):
    from django.db.models import RestrictedError

    _, release, _, _ = released
    with pytest.raises(RestrictedError):
        release.snapshot.delete()
    assert AggregateSnapshot.objects.filter(pk=release.snapshot_id).exists()


def test_the_workbook_keeps_text_that_looks_like_a_formula_as_text(tmp_path):
    from reports.releases import package, workbook

    table = package.Table("forces", "Forces", "", [package.Field("force_id", "string", ""),
                                                   package.Field("note", "string", ""),
                                                   package.Field("n", "integer", "")],
                          [("a", "=1+2", 3), ("b", "+44 20", 4), ("c", "-3", 5), ("d", "@SUM(A1)", 6)])
    content = workbook.write({}, [table], [("h2", "Notes"), ("p", "=HYPERLINK(\"http://x\")")], (1980, 1, 1, 0, 0, 0))
    assert content == workbook.write({}, [table], [("h2", "Notes"), ("p", "=HYPERLINK(\"http://x\")")],
                                     (1980, 1, 1, 0, 0, 0))
    path = tmp_path / "b.xlsx"
    path.write_bytes(content)
    book = openpyxl.load_workbook(path)
    cells = [book["Forces"].cell(row=r, column=2) for r in range(2, 6)]
    assert [c.value for c in cells] == ["=1+2", "+44 20", "-3", "@SUM(A1)"]
    assert {c.data_type for c in cells} == {"s"}
    assert book["Notes"].cell(row=2, column=2).data_type == "s"
    assert [c.value for c in book["Forces"]["C"][1:]] == [3, 4, 5, 6]


@pytest.mark.parametrize("args, message", [
    (["--suppress-below", "1"], "the threshold must be 2 or more"),
    (["--output", "{file}"], "not a folder"),
    (["--user", "nobody"], "no user 'nobody'"),
])
def test_bad_input_gets_one_line_and_nothing_published(complete, tmp_path, args, message):
    from django.core.management.base import CommandError

    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(CommandError, match=message):
        command("publish_release", complete.slug, *[a.format(file=a_file) for a in args])
    assert not Release.objects.exists() and not AggregateSnapshot.objects.exists()
