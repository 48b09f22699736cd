"""Reading scanned answers with OCR (collection/scans, no Django): the practice scanned letter, and
practice scans made from the text letters at 300, 200 and 150 dpi, turned and worn like a scanner,
a fax and a JPEG; what it says when it cannot read; the limits a hostile file meets."""
from __future__ import annotations

import io
import json
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from collection.importer import load_catalogue_csv
from collection.scans import (
    ScanLimits,
    ScanRefused,
    Tesseract,
    figures,
    prefilled,
    read_scan,
)
from collection.scans.prefill import FilledCell, Prefill
from collection.scans.totals import check_totals

from .practice import (
    DOCUMENTS,
    Accuracy,
    Misread,
    compared,
    practice_scan,
    render,
    require_ocr,
)

TRUTH = json.loads((DOCUMENTS / "truth.json").read_text())
CATALOGUE = load_catalogue_csv(str(Path(__file__).resolve().parents[1] / "data" / "offence_codes.csv"))


@pytest.fixture(autouse=True)
def ocr():
    require_ocr()


@lru_cache(maxsize=32)
def reading(name: str, data: bytes, codes: tuple = ()):
    read = read_scan(data, name, limits=ScanLimits(), engine=Tesseract(), catalogue=CATALOGUE)
    return read, prefilled(read, offence_codes=codes, catalogue=CATALOGUE)


def norfolk():
    return reading("norfolk.pdf", (DOCUMENTS / "norfolk.pdf").read_bytes())


def as_cells(items: list[dict]) -> Counter:
    """Figures as truth.json writes cells: (code, age or 'lo-hi' or None, sex or None, suppressed) -> n."""
    out = Counter()
    for x in items:
        age = x["victim_age"] if x["victim_age"] is not None else (x["age_band"] or None)
        if x["count"] or x["suppressed"]:
            out[(x["offence_code"], age, x["victim_sex"] or None, x["suppressed"])] += x["count"] or 0
    return out


def truth_cells(cells) -> Counter:
    return Counter({(code, age, sex, supp): n or 0 for code, age, n, sex, supp in cells})


# --- the practice scanned letter ---------------------------------------------------------------

def test_the_practice_scanned_letter_is_read_at_least_99_percent_exact_before_correction():
    _, grid = norfolk()
    cells = figures(grid, catalogue=CATALOGUE)
    want = truth_cells(TRUTH["hand_entry_cells"]["norfolk"])
    exact = sum(1 for x in cells if want.get(_key(x), 0) == (x["count"] or 0))
    assert len(cells) == 13 * 17  # 13 offences by 16 single years and Unknown
    assert exact / len(cells) >= 0.99, [x for x in cells if want.get(_key(x), 0) != (x["count"] or 0)]
    assert as_cells(cells) == want  # every figure a person reads in it, and nothing else
    assert grid.orientation == "offences_down" and grid.headings[-1] == "Total" and grid.rows[-1][0] == "Total"
    assert not [p for p in grid.problems if "add up" in p]  # the letter's totals agree with what was read


def _key(x):
    return (x["offence_code"], x["victim_age"] if x["victim_age"] is not None else (x["age_band"] or None),
            x["victim_sex"] or None, x["suppressed"])


def test_every_value_comes_with_its_confidence_its_image_and_where_it_was_read():
    read, grid = norfolk()
    assert read.pages == 1 and read.engine.startswith("tesseract")
    for name, cell in grid.cells.items():
        assert 0 <= cell.confidence <= 1, name
        assert cell.crop.startswith("data:image/png;base64,") and cell.page == 1, name
        assert cell.place.startswith("page 1, table 1, row "), name
    crop = grid.cells["v-0-11"].crop  # 17A at 13: the letter's one figure on that row
    image = Image.open(io.BytesIO(__import__("base64").b64decode(crop.split(",", 1)[1])))
    assert image.mode == "L" and 32 <= image.height <= 64
    assert grid.cells["v-0-11"].text == "1" and grid.cells["v-0-0"].text == "-"


# --- practice scans made from the text letters -------------------------------------------------

#: Each letter once per resolution, worn a different way each time: four scans a resolution.
PRACTICE = {300: (("kent", "grey"), ("essex", "fax"), ("west-midlands", "jpeg"), ("lancashire", "grey")),
            200: (("kent", "fax"), ("essex", "jpeg"), ("west-midlands", "grey"), ("lancashire", "fax")),
            150: (("kent", "jpeg"), ("essex", "grey"), ("west-midlands", "fax"), ("lancashire", "jpeg"))}


@lru_cache(maxsize=8)
def practice_reading(dpi: int) -> tuple[Accuracy, list[Misread]]:
    """The count cells of four practice scans read at `dpi`: how many exactly, and the misread cells
    neither among the least sure tenth nor pointed at by a total of the letter."""
    total, suspects = Accuracy(), set()
    for letter, wear in PRACTICE[dpi]:
        scan = practice_scan(letter, dpi, wear)
        data, name = (scan.tiff(), f"{letter}.tif") if wear == "fax" else (scan.pdf(), f"{letter}.pdf")
        read, grid = reading(name, data)
        total.add(compared(letter, read.tables, CATALOGUE))
        suspects |= {(letter, c.place) for c in grid.cells.values() if c.suspect}
    tenth = total.lowest_tenth()
    missed = [m for m in total.misread if isinstance(m, Misread) and m.role == "count"
              and m.confidence > tenth and (m.letter, m.place) not in suspects]
    return total, missed


@pytest.mark.parametrize("dpi", [300, 200])
def test_practice_scans_at_300_and_200_dpi_are_read_99_percent_exact_and_every_misreading_is_flagged(dpi):
    total, missed = practice_reading(dpi)
    assert not [m for m in total.misread if not isinstance(m, Misread)]  # every table found, its shape right
    assert total.counts > 700 and total.share >= 0.99, (total.share, total.misread)
    assert missed == []  # each misread figure is among the least sure tenth, or a total points at it


def test_practice_scans_at_150_dpi_are_still_mostly_read():
    total, missed = practice_reading(150)
    print(f"150 dpi: {total.counts_exact} of {total.counts} count cells exact ({total.share:.2%}); "
          f"{len(missed)} misread and not flagged")
    assert total.counts > 700 and total.share >= 0.95


def test_a_table_broken_over_two_pages_of_a_fax_is_one_table():
    scan = practice_scan("essex", 200, "fax")
    read, grid = reading("essex.tif", scan.tiff())
    assert read.pages == 2 and len(read.tables) == 2
    assert len(grid.rows) == 20 + 1  # all twenty offences and the Total row: the repeated headings read once
    assert as_cells(figures(grid, catalogue=CATALOGUE)) == truth_cells(TRUTH["cells"]["essex"])


def test_a_png_and_a_jpeg_sent_as_attachments_are_read():
    scan = practice_scan("kent", 200, "grey")
    want = truth_cells(TRUTH["cells"]["kent"])
    out = io.BytesIO()
    scan.pages[0].save(out, "JPEG", quality=60)  # no resolution given: taken as a page of a letter
    for name, data in (("kent.png", scan.png()), ("kent.jpg", out.getvalue())):
        _, grid = reading(name, data)
        assert as_cells(figures(grid, catalogue=CATALOGUE)) == want, name


def test_a_question_about_one_offence_fills_its_code_in_and_the_sexes_down():
    scan = practice_scan("northamptonshire", 300, "grey")
    _, grid = reading("northamptonshire.pdf", scan.pdf(), ("88A",))
    assert grid.by_sex and [r[0] for r in grid.rows[:3]] == ["88A"] * 3
    assert grid.cells["l-0"].page == 0  # from the question, not from the image: nothing to confirm there
    assert as_cells(figures(grid, offence_codes=("88A",), catalogue=CATALOGUE)) == truth_cells(
        TRUTH["cells"]["northamptonshire"])


def test_a_one_row_per_offence_and_age_table_is_laid_out_as_the_grid():
    scan = practice_scan("durham", 300, "grey")
    _, grid = reading("durham.pdf", scan.pdf())
    assert grid.orientation == "offences_down" and "13 yrs" in grid.headings
    assert as_cells(figures(grid, catalogue=CATALOGUE)) == truth_cells(TRUTH["cells"]["durham"])


@pytest.mark.parametrize("letter, dpi, wear", [("kent", 300, "grey"), ("lancashire", 200, "grey"),
                                               ("west-midlands", 150, "jpeg")])
def test_a_table_with_no_rules_is_found_from_its_columns_of_figures(letter, dpi, wear):
    scan = practice_scan(letter, dpi, wear, ruled=False)
    read, grid = reading(f"{letter}-unruled.pdf", scan.pdf())
    assert [t.ruled for t in read.tables] == [False]
    assert as_cells(figures(grid, catalogue=CATALOGUE)) == truth_cells(TRUTH["cells"][letter])


# --- honest about what it cannot read ----------------------------------------------------------

def test_a_page_with_no_table_says_so_and_fills_nothing():
    page = render(DOCUMENTS / "cleveland.pdf", 200)[0]  # a letter with dot leaders, no ruled table
    out = io.BytesIO()
    page.save(out, "PNG", dpi=(200, 200))
    read, grid = reading("cleveland.png", out.getvalue())
    assert read.tables == [] and "page 1: no table found (no ruled lines, no columns of figures)" in read.problems
    assert grid.cells == {} and "no table of figures was found: type the figures" in grid.problems


def test_handwritten_figures_are_not_guessed_and_the_table_says_so():
    scan = practice_scan("kent", 300, "grey")
    page = scan.pages[0].copy()
    draw = ImageDraw.Draw(page)
    rng = np.random.default_rng(7)
    for x in range(700, 1800, 87):  # a pen's scrawl over every figure column
        for y in range(1440, 2260, 65):
            points = [(x + float(rng.uniform(5, 45)), y + float(rng.uniform(8, 40))) for _ in range(6)]
            draw.line(points, fill=40, width=3)
    out = io.BytesIO()
    page.save(out, "PDF", resolution=300)
    _, grid = reading("kent-written.pdf", out.getvalue())
    unread = [c for c in grid.cells.values() if c.note == "could not be read" or c.confidence < 0.2]
    assert len(unread) > 50
    assert any("could not be read (handwriting" in p for p in grid.problems)


def test_a_reading_below_the_confidence_floor_is_left_for_typing_saying_why():
    read, _ = norfolk()
    grid = prefilled(read, catalogue=CATALOGUE, floor=0.5)
    left = [c for c in grid.cells.values() if c.read and not c.text]
    assert left and all(c.confidence < 0.5 and "too unsure to fill in" in c.note for c in left)
    assert all(c.text == c.read for c in grid.cells.values() if c.confidence >= 0.5 and not c.note)


def test_a_letters_total_that_fails_points_at_the_cells_that_could_explain_it():
    grid = _grid(["13", "14", "Total"], [("88A", ["1", "4", "5"]), ("71", ["2", "<5", "3"]),
                                         ("Total", ["3", "5", "8"])])
    assert check_totals(grid) == []  # 4 + (1 to 4) can be 5; the totals include the suppressed figure
    grid.cells["v-0-1"].text = "41"  # read as 41
    failing = check_totals(grid)
    assert {c.line for c in failing} == {"row 88A", "column 14"}
    assert all(c.suspects == ["v-0-1"] for c in failing)  # where the failing row crosses the failing column
    assert "its figures add up to 42 but its total reads 5" in failing[0].words()
    assert grid.cells["v-0-1"].suspect and not grid.cells["v-1-0"].suspect


def test_a_total_that_leaves_suppressed_parts_out_agrees_within_their_range():
    grid = _grid(["13", "14", "Total"], [("88A", ["*", "6", "6"]), ("71", ["*", "*", "8"])])
    assert check_totals(grid) == []  # 6 is 6 with the suppressed part left out; 8 is two parts of 4
    grid = _grid(["13", "14", "Total"], [("71", ["*", "*", "9"])])
    assert [c.line for c in check_totals(grid)] == ["row 71"]  # two parts of at most 4 cannot make 9


def _grid(headings, rows) -> Prefill:
    grid = Prefill(headings=headings, rows=[(label, "", values) for label, values in rows])
    for c, h in enumerate(headings):
        grid.cells[f"h-{c}"] = FilledCell(h, h, 0.9, page=1)
    for r, (label, values) in enumerate(rows):
        grid.cells[f"l-{r}"] = FilledCell(label, label, 0.9, page=1)
        for c, v in enumerate(values):
            grid.cells[f"v-{r}-{c}"] = FilledCell(v, v, 0.9, page=1)
    return grid


# --- limits: a hostile file is refused, saying which limit ----------------------------------------

def _pdf_of(pages: int, size=(40, 56)) -> bytes:
    out = io.BytesIO()
    blank = Image.new("L", size, 255)
    blank.save(out, "PDF", resolution=5, save_all=True, append_images=[blank] * (pages - 1))
    return out.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width by height pixels and holds none: it must be refused unread."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_a_500_page_scan_is_refused_with_a_reason_before_any_page_is_drawn():
    with pytest.raises(ScanRefused, match="the PDF has 500 pages, more than the 50 a scan may have"):
        read_scan(_pdf_of(500), "bulk.pdf", limits=ScanLimits(), engine=Tesseract())


def test_a_fax_of_too_many_pages_a_page_too_large_or_too_big_a_file_is_refused():
    out = io.BytesIO()
    frame = Image.new("1", (20, 20), 1)
    frame.save(out, "TIFF", save_all=True, append_images=[frame] * 60)
    with pytest.raises(ScanRefused, match="fax.tif: the image has 61 pages, more than the 50"):
        read_scan(out.getvalue(), "fax.tif", limits=ScanLimits(), engine=Tesseract())
    with pytest.raises(ScanRefused, match="large.png, page 1: the page is 8,000 by 8,000 pixels, over the limit"):
        read_scan(_png_header(8000, 8000), "large.png", limits=ScanLimits(), engine=Tesseract())
    with pytest.raises(ScanRefused, match="huge.png: the image is over 178,956,970 pixels, over the limit of 40,000,000"):
        read_scan(_png_header(30000, 30000), "huge.png", limits=ScanLimits(), engine=Tesseract())
    with pytest.raises(ScanRefused, match="poster.pdf, page 1: the page is 100.0 by 100.0 inches"):
        read_scan(_pdf_of(1, size=(500, 500)), "poster.pdf", limits=ScanLimits(), engine=Tesseract())
    with pytest.raises(ScanRefused, match="the file is 2,000 bytes, over the limit of 1,000"):
        read_scan(b"%PDF-" + b"x" * 1995, "big.pdf", limits=ScanLimits(max_bytes=1000), engine=Tesseract())


def test_a_damaged_protected_or_unknown_file_is_refused_saying_so():
    for name, words in (("lincolnshire.pdf", "password protected"), ("humberside.pdf", "damaged")):
        with pytest.raises(ScanRefused, match=words):
            read_scan((DOCUMENTS / name).read_bytes(), name, limits=ScanLimits(), engine=Tesseract())
    with pytest.raises(ScanRefused, match="notes.txt: it is not a PDF or an image"):
        read_scan(b"just some words", "notes.txt", limits=ScanLimits(), engine=Tesseract())


def test_a_scan_that_takes_too_long_is_stopped():
    with pytest.raises(ScanRefused, match="took longer than the time allowed"):
        read_scan((DOCUMENTS / "norfolk.pdf").read_bytes(), "norfolk.pdf", limits=ScanLimits(max_seconds=0.01),
                  engine=Tesseract())
