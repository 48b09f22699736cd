"""A scanned answer in a real browser: the letter uploaded and refused (no text), read with OCR from
its preview, the grid filled from the image and confirmed cell by cell with the keyboard (a wrong
reading typed over first), then the same preview and confirm as any return. Times the confirming."""
import datetime as dt
import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from collection.importer.labels import CountProblem, parse_count
from collection.requests.services import CreateCampaign
from collection.returns.models import (
    OffenceCount,
    ReturnedFile,
    ReturnStatus,
    ScanReading,
)
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journey import click_and_load, login, wait_for
from tests.conftest import ensure_reference_data
from tests.scans.practice import require_ocr

DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"
CELLS = json.loads((DOCUMENTS / "truth.json").read_text())["hand_entry_cells"]["norfolk"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expected() -> dict[str, object]:
    """What a person reads in each cell of the letter's table, by the grid's field names."""
    ages = list(range(2, 18)) + [None]
    codes = sorted({c[0] for c in CELLS}, key=lambda c: (int("".join(ch for ch in c if ch.isdigit())), c))
    n = {(code, age): count for code, age, count, _, _ in CELLS}
    out: dict[str, object] = {f"h-{i}": str(a) for i, a in enumerate(ages[:-1])}
    out.update({f"h-{len(ages) - 1}": "Unknown", f"h-{len(ages)}": "Total", f"l-{len(codes)}": "Total"})
    for r, code in enumerate(codes):
        out[f"l-{r}"] = code
        for c, age in enumerate(ages):
            out[f"v-{r}-{c}"] = n.get((code, age), 0)
        out[f"v-{r}-{len(ages)}"] = sum(n.get((code, a), 0) for a in ages)
    for c, age in enumerate(ages):
        out[f"v-{len(codes)}-{c}"] = sum(n.get((code, age), 0) for code in codes)
    out[f"v-{len(codes)}-{len(ages)}"] = sum(n.values())
    return out


def right(value: str, want: object) -> bool:
    if isinstance(want, int):
        try:
            return parse_count(value) == (want, "")
        except CountProblem:
            return False
    return value.strip().lower() == str(want).lower()


def test_a_scanned_answer_is_read_confirmed_with_the_keyboard_and_becomes_figures(browser, screenshot, live_server,
                                                                                  make_user):
    require_ocr()
    ensure_reference_data()
    rita = make_user("rita", "Researchers")
    rita.set_password("a-long-test-password")
    rita.save()
    campaign = CreateCampaign(slug="cyber-2015-16", title="Cyber-flagged offences 2015-16",
                              period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31), owner=rita,
                              sent_on=dt.date(2016, 3, 1)).execute()
    norfolk = campaign.requests.get(force__force_id="norfolk")
    login(browser, live_server, "rita", "a-long-test-password")

    # The scanned letter is uploaded: kept, and refused for having no text.
    browser.get(live_server.url + f"/admin/collection/returnedfile/upload/{norfolk.pk}/")
    browser.find_element(By.NAME, "file").send_keys(str(DOCUMENTS / "norfolk.pdf"))
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#content-main input[type=submit]"))
    wait_for(lambda: "Refused" in browser.page_source)
    assert "no text layer" in browser.find_element(By.ID, "import-error").text

    # Read with OCR: the grid comes back filled from the image, the least sure cell focused.
    click_and_load(browser, browser.find_element(By.ID, "read-scan"), timeout=120)
    wait_for(lambda: browser.find_elements(By.ID, "confirm-progress"), timeout=60)
    # OCR read the practice letter right; make one reading wrong (17A at 13: a 1 read as a 4, unsure), as OCR can.
    reading = ScanReading.objects.get(scan__request=norfolk)
    prefill = reading.prefill
    prefill["cells"]["v-0-11"].update(text="4", read="4", confidence=0.2)
    prefill["rows"][0][2][11] = "4"
    ScanReading.objects.filter(pk=reading.pk).update(prefill=prefill)
    browser.refresh()
    wait_for(lambda: browser.find_elements(By.ID, "confirm-progress"))
    cells = browser.find_elements(By.CSS_SELECTOR, "#typed-grid input[data-ocr-order]")
    assert len(cells) == 284 and len(browser.find_elements(By.CSS_SELECTOR, "img.foi-crop")) == 284
    assert browser.switch_to.active_element.get_attribute("data-ocr-order") == "1"
    assert browser.find_element(By.ID, "confirm-progress").text.startswith("0 of 284 cells read from the scan confirmed")
    screenshot("scan-01-filled-from-the-image")

    # Confirm every cell with the keyboard, least sure first; a wrong reading is typed over, then confirmed.
    want, seen, corrected = expected(), [], 0
    started = time.perf_counter()
    for _ in range(400):
        active = browser.switch_to.active_element
        name = active.get_attribute("name")
        if name == "_preview":
            break
        assert name in want and name not in seen, name  # each cell once, then on to the next not confirmed
        seen.append(name)
        if not right(active.get_attribute("value"), want[name]):
            active.send_keys(Keys.CONTROL, "a")
            active.send_keys(str(want[name]))
            corrected += 1
        active.send_keys(Keys.ENTER)
    seconds = time.perf_counter() - started
    assert corrected == 1 and len(seen) == 284 and browser.find_element(By.ID, "confirm-progress").text.startswith(
        "284 of 284 cells read from the scan confirmed")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#typed-grid .foi-confirmed")) == 284
    screenshot("scan-02-every-cell-confirmed")
    _record_timing(seconds, len(seen), corrected)

    # The same preview and confirm as any return; the figures say where they came from.
    click_and_load(browser, browser.switch_to.active_element)
    wait_for(lambda: "Confirm import" in browser.page_source)
    provenance = browser.find_element(By.ID, "typed-by").text
    assert "Read from the image of norfolk.pdf by OCR" in provenance and "confirmed by rita" in provenance
    assert "1 corrected" in provenance
    click_and_load(browser, browser.find_element(By.NAME, "_confirm"))
    got = Counter()
    for c in OffenceCount.objects.filter(request=norfolk).select_related("offence"):
        got[(c.offence.code, c.victim_age)] += c.count
    assert got == Counter({(code, age): n for code, age, n, _, _ in CELLS})
    typed = ReturnedFile.objects.get(request=norfolk, source="typed")
    assert typed.status == ReturnStatus.IMPORTED and typed.read_from_scan.scan.original_name == "norfolk.pdf"


def _record_timing(seconds: float, cells: int, corrected: int) -> None:
    """The keyboard confirm measured here (the browser's own keystrokes), and what it suggests for a
    person: a glance at each cell's image and a key (about 0.6 s), twice that and typing for a cell
    to correct (keystroke-level estimates, Card, Moran and Newell)."""
    person = cells * 0.6 + corrected * (1.35 + 0.28 * 3)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "scan-confirm-timing.json").write_text(json.dumps(
        {"cells": cells, "corrected": corrected, "browser_seconds": round(seconds, 2),
         "person_seconds_estimate": round(person), "pid": os.getpid()}, indent=1))
    print(f"\nkeyboard confirm of {cells} cells ({corrected} corrected): {seconds:.1f} s in the browser; "
          f"about {person:.0f} s for a person")
