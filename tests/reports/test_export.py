"""The national dataset export: csv, xlsx and json give back the truth.json figures; formulas are
escaped in every format; numbers stay numbers."""
import io
import json
from collections import Counter
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from collection.forces.models import Force, OffenceCode
from collection.returns.models import OffenceCount
from reports.resources import COLUMNS, escape_formula, read_back
from reports.services import ExportDataset
from tests.reports.practice import TRUTH

pytestmark = pytest.mark.django_db




def figures_from_rows(rows):
    """Recompute the national figures from exported rows alone."""
    by_age, by_code, by_category, by_force = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        n = r["count"] or 0
        by_age["unknown" if r["victim_age"] is None else str(r["victim_age"])] += n
        by_code[r["offence_code"]] += n
        by_category[r["offence_category"]] += n
        by_force[r["force_id"]] += n
    return {"total_offences": sum(by_force.values()), "by_age": {**{str(a): 0 for a in range(18)}, **by_age},
            "by_offence_code": dict(by_code), "by_offence_category": dict(by_category), "by_force": dict(by_force)}


def export(tmp_path, campaign, fmt):
    path = tmp_path / f"out.{fmt}"
    out = StringIO()
    call_command("export_dataset", campaign.slug, "--format", fmt, "--output", str(path), stdout=out)
    assert "Wrote 1374 rows (final, 2552 offences)" in out.getvalue()
    return path.read_bytes()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_read_back_gives_the_truth(tmp_path, complete, fmt):
    rows = read_back(export(tmp_path, complete, fmt), fmt)
    assert len(rows) == sum(len(c) for c in TRUTH["cells"].values())
    assert set(COLUMNS) <= set(rows[0])
    got = figures_from_rows(rows)
    for key, value in got.items():
        assert value == TRUTH[key], key
    kent = [r for r in rows if r["force_id"] == "kent"]
    assert {r["force_name"] for r in kent} == {"Kent Police"} and {r["ons_code"] for r in kent} == {"E23000032"}
    assert {r["outcome"] for r in rows} == {"provided"}
    assert all(r["suppressed"] is False for r in rows)
    unknown = [r for r in rows if r["victim_age"] is None]
    assert sum(r["count"] for r in unknown) == TRUTH["by_age"]["unknown"]


def test_json_is_a_list_of_typed_objects(tmp_path, complete):
    rows = json.loads(export(tmp_path, complete, "json"))
    assert isinstance(rows, list) and list(rows[0]) == list(COLUMNS)
    first = rows[0]
    assert isinstance(first["count"], int) and (first["victim_age"] is None or isinstance(first["victim_age"], int))
    assert first["suppressed"] is False


def test_xlsx_has_summary_sheets(tmp_path, complete):
    book = openpyxl.load_workbook(io.BytesIO(export(tmp_path, complete, "xlsx")))
    assert book.sheetnames == ["Dataset", "Headline figures", "By age", "By force", "Metadata"]
    headline = {r[0]: r[1] for r in book["Headline figures"].iter_rows(min_row=2, values_only=True)}
    assert headline["Total offences"] == 2552 and headline["Average per day"] == 6.97
    assert headline["Most common victim age"] == 14 and headline["Status"] == "final"
    ages = {str(r[0]): r[1] for r in book["By age"].iter_rows(min_row=2, values_only=True)}
    assert ages == {k: v for k, v in TRUTH["by_age"].items()}
    forces = {r[0]: r for r in book["By force"].iter_rows(min_row=2, values_only=True)}
    assert len(forces) == 44 and forces["metropolitan"][3] == 344 and forces["suffolk"][2] == "Refused"
    meta = [r for r in book["Metadata"].iter_rows(min_row=2, values_only=True)]
    items = {r[0] for r in meta}
    assert {"Question", "Period", "Compiled at", "Status", "Source", "Suppression rule"} <= items
    assert sum(1 for r in meta if r[0] == "Source") == 40
    assert next(r[1] for r in meta if r[0] == "Period").startswith("01 April 2015 to 31 March 2016")


def test_formulas_are_escaped_in_every_format(tmp_path, campaign):
    force = Force.objects.get(force_id="kent")
    force.name = "=HYPERLINK(\"http://evil.example\",\"click\")"
    force.ons_code = "+E230003"
    force.save()
    offence = OffenceCode.objects.get(code="88A")
    offence.description = "@SUM(1+1)"
    offence.save()
    request = campaign.requests.get(force=force)
    OffenceCount.objects.create(campaign=campaign, force=force, request=request, offence=offence, victim_age=13,
                                age_band="", victim_sex="-F", count=7)
    OffenceCount.objects.create(campaign=campaign, force=force, request=request, offence=offence, victim_age=None,
                                age_band="\t11-15", count=None, suppressed=True, suppressed_label="<5")
    for fmt in ("csv", "json", "xlsx"):
        content = ExportDataset(campaign, fmt).execute().content
        rows = read_back(content, fmt)
        assert rows[0]["force_name"].startswith("'=HYPERLINK"), fmt
        assert rows[0]["ons_code"] == "'+E230003" and rows[0]["offence_description"] == "'@SUM(1+1)", fmt
        assert rows[0]["victim_sex"] == "'-F" and rows[0]["count"] == 7 and rows[0]["victim_age"] == 13, fmt
        assert rows[1]["age_band"] == "'\t11-15" and rows[1]["count"] is None and rows[1]["suppressed"] is True, fmt
    book = openpyxl.load_workbook(io.BytesIO(ExportDataset(campaign, "xlsx").execute().content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    forces = [r for r in book["By force"].iter_rows(min_row=2, values_only=True) if r[0] == "kent"]
    assert forces[0][1].startswith("'=")


def test_escape_formula_rule():
    assert escape_formula("=1+2") == "'=1+2"
    assert [escape_formula(x) for x in ("+1", "-1", "@a", "\tx", "\rx")] == ["'+1", "'-1", "'@a", "'\tx", "'\rx"]
    assert escape_formula("Kent") == "Kent" and escape_formula("") == ""
    assert escape_formula(-5) == -5 and escape_formula(None) is None and escape_formula(True) is True


def test_bad_format_and_folder(tmp_path, campaign):
    with pytest.raises(CommandError):
        call_command("export_dataset", campaign.slug, "--format", "pdf", "--output", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_dataset", campaign.slug, "--format", "csv", "--output", str(tmp_path / "no" / "x.csv"))


def test_provisional_export_is_labelled(tmp_path, campaign):
    out = StringIO()
    call_command("export_dataset", campaign.slug, "--format", "json", "--output", str(tmp_path / "p.json"), stdout=out)
    assert "(provisional, 0 offences)" in out.getvalue()
    assert json.loads((tmp_path / "p.json").read_text()) == []
    result = ExportDataset(campaign, "xlsx").execute()
    assert result.filename == f"{campaign.slug}-national-dataset-provisional.xlsx"
