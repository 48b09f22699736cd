"""The pure rules behind bulk upload, typed entry and mapping from the preview (no database):
telling a file's force, opening zips and saved e-mails within limits, reading a sheet as a grid,
and the mapping a person clicks."""
import csv
import io
import zipfile
from email.message import EmailMessage

import pytest

from collection.importer import ImportLimits, ImportRefused
from collection.returns.bundles import expand, is_archive
from collection.returns.matching import ForceMatcher, ForceNames, words
from collection.returns.remap import mapping_from_roles
from collection.returns.sheets import cell_text, find_header, header_key, sheet_grid, title_text
from collection.validation import ServiceError
from tests.helpers import TEST_DATA

DATA = TEST_DATA


@pytest.fixture(scope="module")
def matcher():
    forces = [ForceNames(r["force_id"], r["name"]) for r in csv.DictReader((DATA / "forces.csv").open())]
    forces = [f if f.force_id != "metropolitan" else ForceNames(f.force_id, f.name, ("The Met",)) for f in forces]
    forces = [f if f.force_id != "kent" else ForceNames(f.force_id, f.name, (), ("kent.example.org",)) for f in forces]
    return ForceMatcher(forces)


# --- which force ---------------------------------------------------------------------------------

@pytest.mark.parametrize("filename, force_id", [
    ("kent.xlsx", "kent"),
    ("devon-and-cornwall.ods", "devon-and-cornwall"),
    ("Devon & Cornwall Police FOI 123.xlsx", "devon-and-cornwall"),
    ("DevonCornwall_response.csv", "devon-and-cornwall"),
    ("KentPolice_FOI.xlsx", "kent"),
    ("NorthYorkshire.xlsx", "north-yorkshire"),
    ("north_yorkshire_police.csv", "north-yorkshire"),
    ("London, City of - response.xlsx", "city-of-london"),
    ("City of London Police.xlsx", "city-of-london"),
    ("Hampshire and Isle of Wight Constabulary response.xlsx", "hampshire"),
    ("Metropolitan Police Service.xlsx", "metropolitan"),
    ("MPS FOI 2016-1234.xlsx", "metropolitan"),
    ("btp.csv", "btp"),
    ("British Transport Police.xlsx", "btp"),
    ("sussex.xls", "sussex"),  # never Essex
    ("essex.xlsx", "essex"),
    ("south-wales.xlsx", "south-wales"),
    ("Avon & Somerset.xlsx", "avon-and-somerset"),
    ("GMP disclosure.xlsx", "greater-manchester"),
])
def test_the_file_name_names_the_force(matcher, filename, force_id):
    match = matcher.match(filename)
    assert match.force_id == force_id and match.how == "file name", match


@pytest.mark.parametrize("filename", ["FOI CS-4204-16 cyber flagged offences.xlsx", "wales.csv", "london.xlsx",
                                      "yorkshire figures.xlsx", "Disclosure 2016-FOI-3734.xlsx"])
def test_a_name_that_names_no_force_is_not_guessed(matcher, filename):
    match = matcher.match(filename, read_title=lambda: "")
    assert match.force_id is None and "say which force" in match.reason


def test_two_forces_named_is_left_for_a_person(matcher):
    match = matcher.match("Essex and Kent joint response.xlsx")
    assert match.force_id is None and "Essex Police and Kent Police" in match.reason


def test_title_rows_then_sender_when_the_name_says_nothing(matcher):
    assert matcher.match("FOI 1234.xlsx", read_title=lambda: "Response from Kent Police | Offence | Age").force_id == "kent"
    # free text is read strictly: 'met' as a word is not the Met, but 'the Met' (its other name) is
    assert matcher.match("FOI 1234.xlsx", read_title=lambda: "criteria met | Offence").force_id is None
    assert matcher.match("FOI 1234.xlsx", read_title=lambda: "Figures held by the Met").force_id == "metropolitan"
    by_mail = matcher.match("FOI 1234.xlsx", read_title=lambda: "", sender="FOI Unit <foi@devon-cornwall.police.uk>")
    assert by_mail.force_id == "devon-and-cornwall" and by_mail.how == "sender"
    assert matcher.match("x.xlsx", read_title=lambda: "", sender="foi@thamesvalley.pnn.police.uk").force_id == \
        "thames-valley"
    assert matcher.match("x.xlsx", read_title=lambda: "", sender="a@kent.example.org").force_id == "kent"
    # a council is not its county's police force
    assert matcher.match("x.xlsx", read_title=lambda: "", sender="foi@kent.gov.uk").force_id is None


def test_the_title_is_read_only_when_the_name_says_nothing(matcher):
    def boom():
        raise AssertionError("read the file although its name named the force")
    assert matcher.match("kent.xlsx", read_title=boom).force_id == "kent"


def test_words_split_names_as_people_write_them():
    assert words("Devon & Cornwall_Police-FOI.xlsx") == ["devon", "and", "cornwall", "police", "foi", "xlsx"]
    assert words("KentPolice") == ["kent", "police"]


# --- zips and saved e-mails ---------------------------------------------------------------------

def zipped(files: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def test_a_zip_gives_its_files_and_a_spreadsheet_is_not_a_zip():
    xlsx = (DATA / "returns" / "kent.xlsx").read_bytes()
    bundle = zipped({"returns/kent.xlsx": xlsx, "returns/essex.csv": b"a,b\n", "__MACOSX/._kent.xlsx": b"x",
                     ".DS_Store": b"x", "returns/": b""})
    assert is_archive(bundle) and not is_archive(xlsx)
    got = list(expand("all.zip", bundle, ImportLimits()))
    assert [(i.name, i.came_in) for i in got] == [("kent.xlsx", "all.zip"), ("essex.csv", "all.zip")]
    assert got[0].data == xlsx
    assert [i.name for i in expand("kent.xlsx", xlsx, ImportLimits())] == ["kent.xlsx"]


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    bomb = zipped({"big.csv": b"0" * (30 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(ImportRefused, match="zip bomb|inflate"):
        list(expand("bomb.zip", bomb, ImportLimits()))


def test_a_member_over_the_file_limit_is_named_not_read():
    limits = ImportLimits(max_file_bytes=1000, max_compression_ratio=10_000)
    got = list(expand("two.zip", zipped({"small.csv": b"a,b\n", "large.csv": b"1," * 2000}), limits))
    assert [(i.name, bool(i.problem)) for i in got] == [("small.csv", False), ("large.csv", True)]
    assert "over the limit" in got[1].problem


def test_too_many_files_in_a_zip_are_refused():
    with pytest.raises(ImportRefused, match="more than the 3 read at once"):
        list(expand("many.zip", zipped({f"{i}.csv": b"a" for i in range(4)}), ImportLimits(), max_files=3))


def test_a_saved_email_gives_its_attachments_with_its_sender():
    msg = EmailMessage()
    msg["From"] = "FOI Team <foi@gwent.police.uk>"
    msg["Subject"] = "FOI 1234 response"
    msg.set_content("Please find attached.")
    msg.add_attachment(b"Offence,Age,Count\n19E,9,1\n", maintype="text", subtype="csv", filename="Disclosure 1234.csv")
    got = list(expand("reply.eml", msg.as_bytes(), ImportLimits()))
    assert [(i.name, i.sender, i.came_in) for i in got] == [
        ("Disclosure 1234.csv", "FOI Team <foi@gwent.police.uk>", "reply.eml")]
    assert got[0].data == b"Offence,Age,Count\n19E,9,1\n"


def test_a_table_pasted_in_an_email_body_is_the_answer():
    msg = EmailMessage()
    msg["From"] = "foi@kent.police.uk"
    msg["Subject"] = "Your request"
    msg.set_content("<p>Figures:</p><table><tr><td>19E</td></tr></table>", subtype="html")
    got = list(expand("body.eml", msg.as_bytes(), ImportLimits()))
    assert [i.name for i in got] == ["Your request.html"] and b"<table>" in got[0].data


# --- a sheet as a grid ---------------------------------------------------------------------------

def test_a_stored_sheet_as_a_grid_with_its_own_letters_and_rows():
    data = (DATA / "returns" / "cheshire.xlsx").read_bytes()
    grid = sheet_grid(data, "cheshire.xlsx", ImportLimits(), max_rows=5)
    assert grid.sheet == "Data" and grid.letters[:3] == ["A", "B", "C"] and grid.more_rows
    assert grid.rows[2][:3] == ["Offence", "5", "7"]
    key = header_key(["Offence", 5.0, "7 ", None, ""])
    assert key == ("offence", "5", "7")
    assert find_header(data, "cheshire.xlsx", ImportLimits(), header_key(grid.rows[2])) == ("Data", 3)
    assert "Sexual offences against children" in title_text(data, "cheshire.xlsx", ImportLimits())
    assert title_text(b"%PDF-1.4 broken", "x.pdf", ImportLimits()) == ""


def test_cells_read_as_the_spreadsheet_shows_them():
    import datetime as dt
    assert [cell_text(v) for v in (13.0, 2.5, None, "  a  b ", dt.date(2016, 3, 31), True)] == \
        ["13", "2.5", "", "a b", "2016-03-31", "TRUE"]


# --- the mapping a person clicks ----------------------------------------------------------------

def test_the_layout_follows_from_the_columns_marked():
    assert mapping_from_roles({"A": "offence", "B": "age", "C": "count"}, 3).layout == "count_long"
    assert mapping_from_roles({"B": "offence", "C": "age"}, 1).layout == "per_crime"
    assert mapping_from_roles({"A": "offence"}, 2, sheet="Data").to_dict() == {
        "sheet": "Data", "header_row": 2, "layout": "pivot_offence_age", "offence": "A"}
    assert mapping_from_roles({"A": "age", "B": "sex"}, 1).layout == "pivot_age_offence"


@pytest.mark.parametrize("columns, header_row, message", [
    ({"A": "offence", "B": "offence"}, 1, "columns A and B are both marked offence"),
    ({"A": "count"}, 1, "mark the column of offences"),
    ({"A": "offence", "B": "count"}, 1, "count column does not go"),
    ({"A": "offence", "B": "age"}, None, "row that holds the headings"),
])
def test_a_mapping_that_cannot_be_read_says_what_to_fix(columns, header_row, message):
    with pytest.raises(ServiceError, match=message):
        mapping_from_roles(columns, header_row)
