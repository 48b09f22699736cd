"""Answers that are not spreadsheets: PDF and Word letters, HTML e-mail bodies, text; their refusals
and limits; and real tables that are not offence returns."""
import collections
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from collection.importer import ImportLimits, ImportRefused, import_return

from .builders import DATA, docx_bytes, pdf, ruled_table, text_page

DOCUMENTS = DATA / "documents"
MANIFEST = json.loads((DOCUMENTS / "manifest.json").read_text())
TRUTH = json.loads((DOCUMENTS / "truth.json").read_text())
TO_IMPORT = sorted(f for f, m in MANIFEST.items() if m["expected"] == "import")
TO_REFUSE = sorted(f for f, m in MANIFEST.items() if m["expected"] == "refuse")
ROOT = Path(__file__).resolve().parents[2]


def codes_for(force: str) -> tuple:
    m = MANIFEST[force]
    return (m["offence_code"],) if m["single_offence"] else ()


def cells(result) -> collections.Counter:
    """The result in truth.json's form: [code, age or 'lo-hi' or None, n, sex or None, suppressed]."""
    out = collections.Counter()
    for r in result.rows:
        age = r.victim_age if r.victim_age is not None else (r.age_band or None)
        out[(r.offence_code, age, r.count, r.victim_sex or None, r.suppressed)] += 1
    return out


@pytest.mark.parametrize("force", TO_IMPORT)
def test_document_gives_exactly_its_truth(force, catalogue):
    m = MANIFEST[force]
    result = import_return((DOCUMENTS / m["file"]).read_bytes(), m["file"], catalogue,
                           offence_codes=codes_for(force))
    assert cells(result) == collections.Counter(tuple(c) for c in TRUTH["cells"][force])
    assert result.file_format == m["format"]
    facts = TRUTH["forces"][force]
    assert result.total == facts["total_known"] and result.suppressed_cells == facts["suppressed_cells"]
    assert list(result.total_range) == facts["total_range"]


@pytest.mark.parametrize("campaign", ["documents-practice-2015-16", "documents-practice-grooming-2015-16"])
def test_national_figures_of_the_documents(campaign, catalogue):
    national = TRUTH["campaigns"][campaign]["national"]
    known = suppressed = 0
    for force in TO_IMPORT:
        m = MANIFEST[force]
        if m["campaign"] != campaign:
            continue
        r = import_return((DOCUMENTS / m["file"]).read_bytes(), m["file"], catalogue, offence_codes=codes_for(force))
        known += r.total
        suppressed += r.suppressed_cells
    assert (known, suppressed) == (national["total_known"], national["suppressed_cells"])


@pytest.mark.parametrize("force", TO_REFUSE)
def test_document_refused_with_the_words_its_readme_names(force, catalogue):
    m = MANIFEST[force]
    with pytest.raises(ImportRefused) as exc:
        import_return((DOCUMENTS / m["file"]).read_bytes(), m["file"], catalogue)
    message = str(exc.value).lower()
    assert message.startswith(m["file"])
    for group in m["refusal_must_mention"]:
        assert any(word.lower() in message for word in group), (group, message)


@pytest.mark.parametrize("force", ["cumbria", "northamptonshire", "warwickshire"])
def test_single_offence_answer_without_the_campaigns_code_asks_for_it(force, catalogue):
    m = MANIFEST[force]
    with pytest.raises(ImportRefused) as exc:
        import_return((DOCUMENTS / m["file"]).read_bytes(), m["file"], catalogue)
    assert "no offence column" in exc.value.reason and "offence codes" in exc.value.reason


def test_bands_are_kept_as_bands_whatever_the_force_wrote(catalogue):
    r = import_return((DOCUMENTS / "cheshire.html").read_bytes(), "cheshire.html", catalogue)
    bands = {(x.age_band, x.age_band_min, x.age_band_max) for x in r.rows if x.age_band}
    assert ("0-12", 0, 12) in bands  # "Under 13"
    assert all(x.victim_age is None for x in r.rows if x.age_band)
    r = import_return((DOCUMENTS / "northamptonshire.pdf").read_bytes(), "n.pdf", catalogue, offence_codes=["88A"])
    assert {x.age_band for x in r.rows} == {"0-11", "12-15"}  # "11 and under"
    assert {x.victim_sex for x in r.rows} == {"female", "male", "unknown"}


def test_lancashire_totals_leave_suppressed_cells_out_and_are_kept_as_ranges(catalogue):
    r = import_return((DOCUMENTS / "lancashire.pdf").read_bytes(), "lancashire.pdf", catalogue)
    said = next(w for w in r.warnings if "checked as a range" in w)
    assert said.startswith("11 total(s)") and "page 1, table 1, row 3, column H ('Total'): 0 within 0 to 16" in said


# ---------------------------------------------------------------------------- PDFs built here
def test_pdf_table_broken_over_pages_reads_the_repeated_header_once(catalogue):
    header = ["Offence", "Victim age", "Number of crimes"]
    body = [["Sexual grooming (88A)", f"{a} yrs", a] for a in range(5, 16)]
    pages = [text_page(["Dear Sir", "The figures are below."]), ruled_table([header] + body[:6]),
             ruled_table([header] + body[6:] + [["Sum:", "", sum(range(5, 16))]])]
    r = import_return(pdf(pages), "letter.pdf", catalogue)
    assert r.sheet == "pages 2-3, table 1" and r.layout == "count_long"
    assert {x.victim_age: x.count for x in r.rows} == {a: a for a in range(5, 16)}
    assert "1 total cell(s) checked against their parts and dropped" in r.warnings


def test_pdf_table_continued_without_its_header(catalogue):
    header = ["Offence", "13", "14"]
    pages = [ruled_table([header, ["88A", 1, 2]]), ruled_table([["86", 3, 4], ["Total", 4, 6]])]
    r = import_return(pdf(pages), "letter.pdf", catalogue)
    assert {(x.offence_code, x.victim_age): x.count for x in r.rows} == {
        ("88A", 13): 1, ("88A", 14): 2, ("86", 13): 3, ("86", 14): 4}


def test_landscape_pdf(catalogue):
    page = ruled_table([["HO code"] + [str(a) for a in range(18)] + ["Total"], ["88A"] + [1] * 18 + [18]],
                       widths=[60] + [35] * 19)
    page["size"] = (842, 595)
    page["texts"] = [(x, y - 250, t) for x, y, t in page["texts"]]
    page["lines"] = [(a, b - 250, c, d - 250) for a, b, c, d in page["lines"]]
    r = import_return(pdf([page]), "annex.pdf", catalogue)
    assert r.total == 18 and len(r.rows) == 18


def test_unruled_pdf_leader_lines_under_age_headings(catalogue):
    lines = ["Dear Sir/Madam", "We received your request on 6 April 2016 and reply within 20 working days.",
             "Victims aged 0 to 12", "88A Sexual grooming ........................ 12",
             "21 Sexual activity involving a child under 13 .................. 3", "Total ..................... 15",
             "Victim age not recorded", "86 Obscene publications etc and protected sexual material ....... 1",
             "Total ........ 1", "Total number of crimes: 16"]
    r = import_return(pdf([text_page(lines)]), "letter.pdf", catalogue)
    assert {(x.offence_code, x.age_band or x.victim_age): x.count for x in r.rows} == {
        ("88A", "0-12"): 12, ("21", "0-12"): 3, ("86", None): 1}
    assert "3 total cell(s) checked against their parts and dropped" in r.warnings


def test_unruled_pdf_pivot_read_by_the_alignment_of_its_columns(catalogue):
    """No rules, no dot leaders: a row of figures across is a table's row, never one figure."""
    rows = [["Offence", "12", "13", "14", "Total"], ["88A Sexual grooming", "1", "2", "-", "3"],
            ["86 Obscene publications", "4", "", "1", "5"], ["Total", "5", "2", "1", "8"]]
    page = ruled_table(rows)
    page["lines"] = []
    page["texts"].append((50, 820, "Dear Sir, the figures for 2015/16 are below, as at 6 April 2016."))
    r = import_return(pdf([page]), "unruled.pdf", catalogue)
    assert r.sheet == "page 1, aligned table 1" and r.layout == "pivot_offence_age"
    assert {(x.offence_code, x.victim_age): x.count for x in r.rows} == {
        ("88A", 12): 1, ("88A", 13): 2, ("86", 12): 4, ("86", 14): 1}


def test_unruled_pdf_wrong_section_total_names_the_line(catalogue):
    lines = ["Victims aged 13 to 15", "88A Sexual grooming ........ 12", "86 Obscene publications etc and "
             "protected sexual material ...... 2", "Total ........ 15"]
    with pytest.raises(ImportRefused) as exc:
        import_return(pdf([text_page(lines)]), "letter.pdf", catalogue)
    assert exc.value.row == 4 and exc.value.row_noun == "line" and "total 15" in exc.value.reason
    assert str(exc.value).startswith("letter.pdf, text of page 1, line 4: total 15 does not equal")


def test_pdf_with_no_table_is_refused_for_entry_by_hand(catalogue):
    data = pdf([text_page(["Dear Sir", "We do not hold this information: the online flag is not used.",
                           "Yours faithfully"])])
    with pytest.raises(ImportRefused) as exc:
        import_return(data, "not-held.pdf", catalogue)
    assert "no table of figures found in the PDF" in exc.value.reason and "by hand" in exc.value.reason


def test_pdf_of_blank_pages_is_refused(catalogue):
    with pytest.raises(ImportRefused) as exc:
        import_return(pdf([{}, {}]), "blank.pdf", catalogue)
    assert "no text at all" in exc.value.reason


def test_pdf_of_500_pages_is_refused_before_its_pages_are_read(catalogue):
    data = pdf([{}] * 500)
    ticks = []

    def clock():
        ticks.append(1)
        return 0.0

    with pytest.raises(ImportRefused) as exc:
        import_return(data, "huge.pdf", catalogue, clock=clock)
    assert "500 pages, more than the 200 limit" in exc.value.reason
    assert len(ticks) == 1  # refused from the page tree: no page was opened


def test_pdf_page_limit_is_a_setting(catalogue):
    data = pdf([text_page(["88A Sexual grooming ..... 1"])] * 3)
    with pytest.raises(ImportRefused, match="3 pages, more than the 2 limit"):
        import_return(data, "three.pdf", catalogue, limits=ImportLimits(max_pdf_pages=2))


# ---------------------------------------------------------------------------- Word
def test_docx_merged_header_across_and_down(catalogue):
    data = docx_bytes(["Dear Sir", [["Offence", ("Victim age (years)", 3), "Total"],
                                    [None, "13", "14", "Unknown", None],
                                    ["88A Sexual grooming", "eight", "nil", "-", "8"],
                                    ["86", "", "2", "1", "3"],
                                    ["Total", "8", "2", "1", "11"]]])
    r = import_return(data, "letter.docx", catalogue)
    assert r.layout == "pivot_offence_age" and r.header_row == 2 and r.sheet == "table 1"
    assert {(x.offence_code, x.victim_age): x.count for x in r.rows} == {("88A", 13): 8, ("86", 14): 2, ("86", None): 1}


def test_docx_stacked_tables_one_per_sex_with_their_own_bands(catalogue):
    data = docx_bytes(["Girls", [["Age", "Number"], ["0-12", "3"], ["13", "4"]],
                       "Boys", [["Age", "Number"], ["0-15", "<5"]]])
    r = import_return(data, "letter.docx", catalogue, offence_codes=("88A",))
    assert {(x.age_band or x.victim_age, x.victim_sex, x.count, x.suppressed_label) for x in r.rows} == {
        ("0-12", "female", 3, ""), (13, "female", 4, ""), ("0-15", "male", None, "<5")}


def test_docx_zip_bomb_is_refused_before_inflating(catalogue):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b" " * (300 * 1024 * 1024) + b"</w:document>")
    assert len(buf.getvalue()) < 1024 * 1024
    with pytest.raises(ImportRefused) as exc:
        import_return(buf.getvalue(), "bomb.docx", catalogue)
    assert "zip bomb" in exc.value.reason or "inflate" in exc.value.reason


def test_docx_body_over_the_limit_is_refused(catalogue):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("word/document.xml", b"<w:document>" + b"x" * (2 * 1024 * 1024) + b"</w:document>")
    with pytest.raises(ImportRefused) as exc:
        import_return(buf.getvalue(), "big.docx", catalogue, limits=ImportLimits(max_docx_xml_bytes=1024 * 1024))
    assert "Word document's text would inflate to 2.0 MB, more than the 1.0 MB limit" in exc.value.reason


def test_damaged_docx_is_refused_as_a_word_document(catalogue):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    with pytest.raises(ImportRefused) as exc:
        import_return(buf.getvalue(), "letter.docx", catalogue)
    assert "Word document is damaged" in exc.value.reason


# ---------------------------------------------------------------------------- HTML and text
HTML = """<html><body><p>Dear Requester,</p>
<table><tr><td><table border=1>
<tr><th rowspan=2>Offence</th><th colspan=2>Age of victim</th><th rowspan=2>Total</th></tr>
<tr><th>Under 13</th><th>13 to 15</th></tr>
<tr><td>Sexual grooming (88A)</td><td>&lt;5</td><td>6</td><td>8</td></tr>
<tr><td>Total</td><td>&lt;5</td><td>6</td><td>8</td></tr>
</table></td></tr></table><script>alert(1)</script></body></html>"""


def test_html_body_table_with_spans_inside_a_layout_table(catalogue):
    r = import_return(HTML.encode(), "body.html", catalogue)
    assert r.file_format == "html" and r.header_row == 2
    assert {(x.age_band, x.count, x.suppressed_label) for x in r.rows} == {("0-12", None, "<5"), ("13-15", 6, "")}
    assert any("8 within 6 to 10" in w for w in r.warnings)


def test_html_named_htm_or_unnamed_is_read_as_html(catalogue):
    for name in ("body.htm", "message-body"):
        assert import_return(HTML.encode(), name, catalogue).total == 6


def test_html_body_over_the_limit_is_refused_before_parsing(catalogue):
    body = b"<html><body><table>" + b"<tr><td>88A</td><td>1</td></tr>" * 350_000 + b"</table></body></html>"
    assert len(body) > 10 * 1024 * 1024
    with pytest.raises(ImportRefused) as exc:
        import_return(body, "body.html", catalogue)
    assert "HTML body is 10.3 MB, more than the 5.0 MB limit" in exc.value.reason


def test_html_text_answer_without_a_table(catalogue):
    body = "<p>Female victims</p><p>Aged 13 - eight<br>Aged 14 - nil</p><p>Total: 8</p>"
    r = import_return(body.encode(), "body.html", catalogue, offence_codes=["88A"])
    assert [(x.victim_age, x.victim_sex, x.count) for x in r.rows] == [(13, "female", 8)]


TEXT = """Thank you for your request about sexual grooming (88A).

Female victims
  Aged 0-11 - nine
  Aged 13 - twenty-one
  Age not recorded - 2

Male victims
  Aged 12 - one

Total: 33
"""


def test_text_answer_by_sex_with_counts_in_words(catalogue):
    r = import_return(TEXT.encode(), "answer.txt", catalogue, offence_codes=("88A",))
    assert {(x.age_band or x.victim_age, x.victim_sex, x.count) for x in r.rows} == {
        ("0-11", "female", 9), (13, "female", 21), (None, "female", 2), (12, "male", 1)}
    assert r.sheet == "text" and r.file_format == "txt"


def test_text_answer_wrong_total_names_the_line(catalogue):
    with pytest.raises(ImportRefused) as exc:
        import_return(TEXT.replace("Total: 33", "Total: 34").encode(), "answer.txt", catalogue, offence_codes=("88A",))
    assert str(exc.value).startswith("answer.txt, text, line 11: total 34 does not equal")


def test_text_answer_adult_age_is_refused_on_its_line(catalogue):
    with pytest.raises(ImportRefused) as exc:
        import_return(b"Female victims\nAged 19 - two\n", "answer.txt", catalogue, offence_codes=("88A",))
    assert exc.value.row == 2 and "not a child's age" in exc.value.reason


def test_tab_separated_table_pasted_into_a_text_answer(catalogue):
    body = "Please see below.\n\nOffence\t13\t14\n88A\t1\t2\n86\t-\t3\n\nRegards\n"
    r = import_return(body.encode(), "body.txt", catalogue)
    assert r.total == 6 and r.layout == "pivot_offence_age"


def test_a_text_answer_with_a_field_past_the_csv_modules_limit_is_read_as_lines(catalogue):
    """Not offered as a csv table (it used to crash the read with the csv module's error): the
    letter's lines are read as any letter's."""
    from collection.importer.documents import read_text

    text = "Dear requester,\na,b\n" + "c," + "x" * 200_000 + "\nFemale victims\nAged 13 - two\n"
    doc = read_text(text, "answer.txt", ImportLimits())
    assert doc.tables == [] and doc.lines[-1] == "Aged 13 - two"
    r = import_return(text.encode(), "answer.txt", catalogue, offence_codes=("88A",))
    assert [(x.victim_age, x.victim_sex, x.count) for x in r.rows] == [(13, "female", 2)]


def test_text_over_the_limit_is_refused(catalogue):
    with pytest.raises(ImportRefused, match="more than the 0.0 MB limit"):
        import_return(b"Aged 13 - 2\n" * 10, "a.txt", catalogue, limits=ImportLimits(max_text_bytes=10))


# ---------------------------------------------------------------------------- real tables, not returns
REAL = DATA / "real-world"
REAL_FILES = sorted(str(p.relative_to(REAL)) for p in REAL.rglob("*") if p.suffix in (".csv", ".ods", ".xlsx"))

_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from collection.importer import ImportLimits, ImportRefused, import_return, load_catalogue_csv
cat = load_catalogue_csv(sys.argv[2])
out = {}
for name in sys.argv[4:]:
    data = (Path(sys.argv[3]) / name).read_bytes()
    try:
        import_return(data, Path(name).name, cat, limits=ImportLimits(max_seconds=60))
        out[name] = "IMPORTED"
    except ImportRefused as exc:
        out[name] = str(exc)
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def test_real_tables_that_are_not_returns_are_refused_clearly_within_bounds():
    """Each in the same child process, limited to 1.5 GB of address space: a located refusal, never an
    import or a crash; the importer's own time limit (60 s) bounds the time."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))

    proc = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), str(DATA / "offence_codes.csv"), str(REAL)]
                          + REAL_FILES, capture_output=True, text=True, preexec_fn=limit, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(REAL_FILES) == 9
    for name in REAL_FILES:
        message = out[name]
        assert message.startswith((Path(name).name + ":", Path(name).name + ",")), message
        assert "longer than" not in message and "IMPORTED" not in message
    assert out["rss_mb"] < 1024


def test_an_email_body_may_be_handed_over_as_text(catalogue):
    assert import_return(HTML, "body.html", catalogue).total == 6
    assert import_return(TEXT, "body.txt", catalogue, offence_codes=["88A"]).total == 33


def test_a_csv_saved_as_txt(catalogue):
    r = import_return(b"Offence,Victim age,Count\n88A,13,2\n86,14,1\n", "1696-16-FOI - Data.txt", catalogue)
    assert r.layout == "count_long" and r.total == 3 and r.file_format == "txt"
