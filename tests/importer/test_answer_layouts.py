"""Layouts seen in real answers, in spreadsheets as in documents: a code column beside a description
column, single-offence tables, stacked tables per sex, counts in words, counts too big to store."""
import pytest

from collection.importer import ImportRefused, import_return

from .builders import FORMATS, build, docx_bytes, xlsx


def cells(result) -> dict:
    return {(r.offence_code, r.age_band or r.victim_age, r.victim_sex): (r.count if not r.suppressed else r.suppressed_label)
            for r in result.rows}


# ---------------------------------------------------------------------------- code beside description
@pytest.mark.parametrize("headers", [("Offence", "Description"), ("HO Code", "HO Description"),
                                     ("Offence", "Offence Description"), ("Home Office Code", "Home Office Offence"),
                                     ("Description", "Offence")])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_code_column_beside_a_description_column_is_not_ambiguity(headers, fmt, catalogue):
    """Refused on main ("could both be the offence"): the column of bare codes is the offence."""
    codes_first = headers != ("Description", "Offence")
    body = [("88A", "Sexual grooming", 13, 4), ("20B", "Sexual assault on a female child under 13", 9, 2)]
    rows = [list(headers) + ["Victim age", "Count"]] + [
        [c, d, a, n] if codes_first else [d, c, a, n] for c, d, a, n in body]
    r = import_return(*build(fmt, rows), catalogue)
    assert cells(r) == {("88A", 13, ""): 4, ("20B", 9, ""): 2} and r.layout == "count_long"
    assert not [w for w in r.warnings if "different offences" in w]


def test_a_code_column_beside_a_description_column_in_a_pivot(catalogue):
    rows = [["Offence", "Description", 12, 13], ["88A", "Sexual grooming", 1, 2], ["86", "Obscene publications", 3, 4]]
    r = import_return(*build("xlsx", rows), catalogue)
    assert cells(r) == {("88A", 12, ""): 1, ("88A", 13, ""): 2, ("86", 12, ""): 3, ("86", 13, ""): 4}


def test_a_description_that_disagrees_with_its_code_is_warned_about_once_per_pair(catalogue):
    rows = [["Offence", "Description", "Age", "Count"], ["88A", "Exposure and voyeurism", 13, 1],
            ["88A", "Exposure and voyeurism", 14, 1], ["86", "Sexual grooming", 14, 1]]
    r = import_return(*build("csv", rows), catalogue)
    said = [w for w in r.warnings if "different offences" in w]
    assert len(said) == 2 and said[0].startswith("row 2: offence code '88A' (88A) and description")
    assert cells(r) == {("88A", 13, ""): 1, ("88A", 14, ""): 1, ("86", 14, ""): 1}


def test_two_columns_both_of_words_are_still_ambiguous(catalogue):
    rows = [["Offence", "Description", "Age", "Count"], ["Sexual grooming", "Sexual grooming", 13, 1]]
    with pytest.raises(ImportRefused, match="could both be the offence"):
        import_return(*build("csv", rows), catalogue)


# ---------------------------------------------------------------------------- one offence, no offence column
@pytest.mark.parametrize("fmt", FORMATS)
def test_single_offence_sex_down_age_bands_across(fmt, catalogue):
    rows = [["Total Count 47"], [], ["Gender", "11 and under", "12-15", "Unknown Age"], ["Female", "*", 34, None],
            ["Male", "*", 6, None], ["Unknown", None, "*", None], ["Sum:", 0, 40, 0]]
    r = import_return(*build(fmt, rows), catalogue, offence_codes=["88A"])
    assert r.layout == "pivot_sex_age" and r.header_row == 3
    assert cells(r) == {("88A", "0-11", "female"): "*", ("88A", "12-15", "female"): 34,
                        ("88A", "0-11", "male"): "*", ("88A", "12-15", "male"): 6, ("88A", "12-15", "unknown"): "*"}
    assert r.total_range == (43, 52)


@pytest.mark.parametrize("fmt", FORMATS)
def test_single_offence_ages_down_sexes_across(fmt, catalogue):
    rows = [["Age of victim", "Female", "Male", "Total"], ["Under 13", 3, 2, 5], ["13-15", "<5", 4, 6],
            ["Total", 6, 6, 11]]
    r = import_return(*build(fmt, rows), catalogue, offence_codes=("88A",))
    assert r.layout == "pivot_age_sex"
    assert cells(r) == {("88A", "0-12", "female"): 3, ("88A", "0-12", "male"): 2, ("88A", "13-15", "female"): "<5",
                        ("88A", "13-15", "male"): 4}


def test_single_offence_age_and_count(catalogue):
    rows = [["Victim age", "Number of offences"], [12, 3], [13, "eight"], ["Not known", "nil"], ["Total", 11]]
    r = import_return(*build("xlsx", rows), catalogue, offence_codes=("88A",))
    assert r.layout == "count_long" and cells(r) == {("88A", 12, ""): 3, ("88A", 13, ""): 8}
    assert any("no offence column: every count is offence 88A" in w for w in r.warnings)


def test_a_table_with_an_offence_column_is_read_as_ever_when_one_offence_is_asked(catalogue):
    rows = [["Offence", "Age", "Count"], ["88A", 13, 1], ["86", 14, 2]]
    r = import_return(*build("csv", rows), catalogue, offence_codes=("88A",))
    assert cells(r) == {("88A", 13, ""): 1, ("86", 14, ""): 2}
    assert any("offence(s) 86, which the campaign does not ask about" in w for w in r.warnings)


def test_several_offences_asked_a_table_without_offence_column_is_refused(catalogue):
    rows = [["Age", "Count"], [13, 2]]
    with pytest.raises(ImportRefused, match="no offence column"):
        import_return(*build("csv", rows), catalogue, offence_codes=("88A", "71"))


def test_an_offence_code_not_in_the_list_is_refused(catalogue):
    with pytest.raises(ImportRefused, match="offence code '99Z', which is not in the offence list"):
        import_return(*build("csv", [["Age", "Count"], [13, 2]]), catalogue, offence_codes=("99Z",))


def test_stacked_tables_one_per_sex_on_one_sheet_with_different_bands(catalogue):
    rows = [["Female victims"], ["Age", "Number"], ["0-6", 2], ["7-12", 5], [13, 4], [],
            ["Male victims"], ["Age", "Number"], ["0-12", 3], ["13-15", "<5"]]
    r = import_return(xlsx(rows), "stacked.xlsx", catalogue, offence_codes=("88A",))
    assert cells(r) == {("88A", "0-6", "female"): 2, ("88A", "7-12", "female"): 5, ("88A", 13, "female"): 4,
                        ("88A", "0-12", "male"): 3, ("88A", "13-15", "male"): "<5"}
    assert r.sheet == "Data" and r.header_row == 2


def test_stacked_pivots_per_sex_with_totals(catalogue):
    rows = [["Girls"], ["Offence", "0-12", "13-15"], ["88A", 2, 3], ["Total", 2, 3], ["Boys"], ["Offence", "0-15"],
            ["88A", 4]]
    r = import_return(*build("csv", rows), catalogue)
    assert cells(r) == {("88A", "0-12", "female"): 2, ("88A", "13-15", "female"): 3, ("88A", "0-15", "male"): 4}


def test_stacked_tables_that_are_not_a_sex_split_are_refused_naming_the_second(catalogue):
    rows = [["Offence", 13, 14], ["88A", 1, 2], ["Table 2"], ["Offence", 13, 14], ["86", 5, 5]]
    with pytest.raises(ImportRefused) as exc:
        import_return(*build("csv", rows), catalogue)
    assert exc.value.row == 4 and "more rows follow the notes at row 3" in exc.value.reason


def test_a_wrong_total_in_the_second_stacked_table_names_its_row(catalogue):
    rows = [["Female victims"], ["Age", "Number"], [13, 4], [], ["Male victims"], ["Age", "Number"], [13, 3],
            ["Total", 4]]
    with pytest.raises(ImportRefused) as exc:
        import_return(*build("csv", rows), catalogue, offence_codes=("88A",))
    assert exc.value.row == 8 and "total 4 does not equal" in exc.value.reason


def test_one_table_under_a_title_naming_one_sex_keeps_the_sex(catalogue):
    data = docx_bytes(["Female victims", [["Age", "Number"], ["13", "4"]]])
    r = import_return(data, "letter.docx", catalogue, offence_codes=("88A",))
    assert cells(r) == {("88A", 13, "female"): 4}


# ---------------------------------------------------------------------------- counts
@pytest.mark.parametrize("fmt", FORMATS)
def test_counts_in_words_and_every_way_of_writing_zero(fmt, catalogue):
    rows = [["Offence", 11, 12, 13, 14, 15, 16, "Total"], ["88A", "eight", "nil", "-", 0, None, "Twenty-one", 29]]
    r = import_return(*build(fmt, rows), catalogue)
    assert cells(r) == {("88A", 11, ""): 8, ("88A", 16, ""): 21}


def test_a_word_that_is_not_a_number_is_refused(catalogue):
    with pytest.raises(ImportRefused, match="count 'several' is not a number"):
        import_return(*build("csv", [["Offence", 13], ["88A", "several"]]), catalogue)


BIG = 3_000_000_000


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("layout, rows, where", [
    ("count_long", [["Offence", "Age", "Count"], ["88A", 13, BIG]], (2, "C ('Count')")),
    ("pivot_offence_age", [["Offence", 13, 14], ["88A", 1, BIG]], (2, "C ('14')")),
    ("pivot_age_offence", [["Age", "88A", "86"], [13, BIG, 1]], (2, "B ('88A')")),
    ("pivot_offence_age total", [["Offence", 13, "Total"], ["88A", 1, BIG]], (2, "C ('Total')")),
])
def test_a_count_that_cannot_be_stored_is_refused_naming_the_cell(fmt, layout, rows, where, catalogue):
    with pytest.raises(ImportRefused) as exc:
        import_return(*build(fmt, rows), catalogue)
    assert (exc.value.row, exc.value.column) == where
    assert "count 3,000,000,000 is larger than can be stored (2,147,483,647 at most)" in exc.value.reason


@pytest.mark.parametrize("rows, where", [
    ([["Gender", "0-12"], ["Female", BIG]], (2, "B ('0-12')")),
    ([["Age", "Female"], [13, BIG]], (2, "B ('Female')")),
    ([["Age", "Count"], [13, BIG]], (2, "B ('Count')")),
])
def test_a_count_that_cannot_be_stored_in_single_offence_layouts(rows, where, catalogue):
    with pytest.raises(ImportRefused) as exc:
        import_return(*build("csv", rows), catalogue, offence_codes=("88A",))
    assert (exc.value.row, exc.value.column) == where and "larger than can be stored" in exc.value.reason


def test_a_count_that_cannot_be_stored_in_a_text_answer(catalogue):
    with pytest.raises(ImportRefused) as exc:
        import_return(b"Girls\nAged 13 - 3000000000\n", "a.txt", catalogue, offence_codes=("88A",))
    assert exc.value.row == 2 and "larger than can be stored" in exc.value.reason


def test_rows_adding_up_beyond_what_can_be_stored_are_refused(catalogue):
    rows = [["Offence", "Age", "Count"], ["88A", 13, 2_000_000_000], ["88A", 13, 2_000_000_000]]
    with pytest.raises(ImportRefused, match="offence 88A, age 13: the rows add up to 4,000,000,000"):
        import_return(*build("csv", rows), catalogue)


def test_the_largest_storable_count_is_kept(catalogue):
    r = import_return(*build("csv", [["Offence", "Age", "Count"], ["88A", 13, 2_147_483_647]]), catalogue)
    assert r.total == 2_147_483_647
