"""Getting every answer in, in a real browser: a folder of returns dropped on a campaign, a file
matched by a person, the clean ones confirmed at once, a file mapped by clicking its columns, and a
scanned letter typed in with the keyboard and a paste."""
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from django.db.models import Sum
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from collection.returns.models import OffenceCount, ReturnedFile, ReturnStatus
from collection.requests.services import CreateCampaign
from tests.browser.test_journey import click_and_load, login, wait_for
from tests.conftest import ensure_reference_data

DATA = Path(__file__).resolve().parents[1] / "data" / "returns"
TRUTH = json.loads((DATA / "truth.json").read_text())["cells"]
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def cells(request):
    rows = OffenceCount.objects.filter(request=request).values("offence__code", "victim_age").annotate(n=Sum("count"))
    return Counter({(r["offence__code"], r["victim_age"]): r["n"] for r in rows})


def truth(force_id):
    out = Counter()
    for code, age, n in TRUTH[force_id]:
        out[(code, age)] += n
    return out


def returns_folder(tmp_path) -> Path:
    folder = tmp_path / "answers"
    folder.mkdir()
    for name in ("kent.xlsx", "essex.xlsx", "cumbria.xls"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    # The force named only in its title rows.
    derbyshire = (DATA / "derbyshire.csv").read_bytes()  # Windows-1252, as the force saved it
    (folder / "FOI 2016-0412 response.csv").write_bytes(b"Derbyshire Constabulary: response to FOI 2016/0412\r\n\r\n"
                                                        + derbyshire)
    # No force named anywhere: a person says whose it is.
    (folder / "Disclosure 2016-FOI-3734.xlsx").write_bytes((DATA / "merseyside.xlsx").read_bytes())
    # Headings no rule reads: a person clicks which column is which.
    (folder / "surrey figures.csv").write_text("Cat,Yrs,N\n19E,9,3\n88A,14,2\n", encoding="utf-8")
    # A scanned letter: only a person can read it.
    (folder / "norfolk letter.pdf").write_bytes(b"%PDF-1.4\n% a scanned page: an image, no text\n")
    return folder


def test_every_answer_becomes_data(browser, screenshot, live_server, make_user, tmp_path):
    ensure_reference_data()
    rita = make_user("rita", "Researchers")
    rita.set_password("a-long-test-password")
    rita.save()
    campaign = CreateCampaign(slug="cyber-2015-16", title="Cyber-flagged offences 2015-16",
                              period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31), owner=rita,
                              sent_on=dt.date(2016, 3, 1)).execute()
    request = {f: campaign.requests.get(force__force_id=f) for f in
               ("kent", "essex", "cumbria", "derbyshire", "merseyside", "surrey", "norfolk")}
    login(browser, live_server, "rita", "a-long-test-password")

    # From the campaign to its returns, and a whole folder in one go.
    browser.get(live_server.url + campaign.get_absolute_url())
    click_and_load(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Returns: upload many"))
    folder = returns_folder(tmp_path)
    browser.find_element(By.ID, "id_folder").send_keys(str(folder))
    wait_for(lambda: "7 files ready" in browser.find_element(By.ID, "dropzone-list").text)
    screenshot("entry-01-folder-chosen")
    click_and_load(browser, browser.find_element(By.NAME, "_upload"))
    page = browser.page_source
    assert "Received 7 files: 6 matched to their force, 1 to assign" in page
    waiting = browser.find_element(By.ID, "waiting").text
    for force in ("Kent Police", "Essex Police", "Cumbria Constabulary", "Derbyshire Constabulary"):
        assert force in waiting
    screenshot("entry-02-queue")

    # The file no rule could place: a person says whose it is.
    row = browser.find_element(By.CSS_SELECTOR, "#unmatched tbody tr")
    assert "Disclosure 2016-FOI-3734.xlsx" in row.text
    Select(row.find_element(By.NAME, "force")).select_by_visible_text("Merseyside Police")
    click_and_load(browser, row.find_element(By.NAME, "_assign"))
    assert "is now Merseyside Police's return" in browser.page_source
    assert "Merseyside Police" in browser.find_element(By.ID, "waiting").text

    # Confirm all clean: the five read without a question are imported at once.
    click_and_load(browser, browser.find_element(By.NAME, "_confirm_clean"))
    assert "Confirmed 5 clean files" in browser.page_source
    for force_id in ("kent", "essex", "cumbria", "derbyshire", "merseyside"):
        assert cells(request[force_id]) == truth(force_id), force_id
    screenshot("entry-03-confirmed-clean")

    # The file whose headings no rule reads: click its columns.
    surrey_row = next(tr for tr in browser.find_elements(By.CSS_SELECTOR, "#refused tbody tr")
                      if "surrey figures.csv" in tr.text)
    click_and_load(browser, surrey_row.find_element(By.LINK_TEXT, "Say where the table is"))
    browser.find_element(By.CSS_SELECTOR, "label.foi-rownum").click()  # row 1 holds the headings
    letters = {b.text: b for b in browser.find_elements(By.CSS_SELECTOR, "button.foi-letter")}
    for letter, clicks in (("A", 1), ("B", 3), ("C", 4)):  # offence; offence, description, age; ... count
        for _ in range(clicks):
            letters[letter].click()
    assert [Select(browser.find_element(By.NAME, f"role_{x}")).first_selected_option.get_attribute("value")
            for x in "ABC"] == ["offence", "age", "count"]
    assert browser.find_element(By.CSS_SELECTOR, "th[data-letter=B]").get_attribute("data-role") == "age"
    screenshot("entry-04-mapping")
    click_and_load(browser, browser.find_element(By.NAME, "_map"))
    wait_for(lambda: "Confirm import" in browser.page_source)
    assert browser.find_element(By.ID, "total").text == "5"
    click_and_load(browser, browser.find_element(By.NAME, "_confirm"))
    assert cells(request["surrey"]) == Counter({("19E", 9): 3, ("88A", 14): 2})

    # The scanned letter: typed in, pasted and with the keyboard alone.
    browser.get(live_server.url + f"/admin/collection/returnedfile/campaign/{campaign.pk}/")
    norfolk_row = next(tr for tr in browser.find_elements(By.CSS_SELECTOR, "#refused tbody tr")
                       if "norfolk letter.pdf" in tr.text)  # refused (no text) or kept for entry by hand
    click_and_load(browser, norfolk_row.find_element(By.LINK_TEXT, "Type the figures"))
    assert "norfolk letter.pdf" in browser.find_element(By.ID, "content-main").text
    corner = browser.find_element(By.NAME, "corner")
    browser.execute_script("""
        const data = new DataTransfer();
        data.setData('text/plain', arguments[1]);
        arguments[0].focus();
        arguments[0].dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    """, corner, "Offence\t9\t13\tUnknown\r\n19E\t2\t\t\r\n88A\t1\t<5\t1\r\n")
    assert browser.find_element(By.NAME, "h-2").get_attribute("value") == "Unknown"
    assert browser.find_element(By.NAME, "v-1-1").get_attribute("value") == "<5"
    # the keyboard alone: down from the last pasted row, type the offence, right into its first figure
    cell = browser.find_element(By.NAME, "l-1")
    cell.click()
    cell.send_keys(Keys.END, Keys.ARROW_DOWN)
    active = browser.switch_to.active_element
    assert active.get_attribute("name") == "l-2"
    active.send_keys("71", Keys.ARROW_RIGHT)
    active = browser.switch_to.active_element
    assert active.get_attribute("name") == "v-2-0"
    active.send_keys("3", Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("name") == "v-3-0"  # Enter went down, not off
    screenshot("entry-05-typed")
    click_and_load(browser, browser.find_element(By.NAME, "_preview"))
    wait_for(lambda: "Confirm import" in browser.page_source)
    assert "Typed in by hand by" in browser.find_element(By.ID, "typed-by").text
    screenshot("entry-06-typed-preview")
    click_and_load(browser, browser.find_element(By.NAME, "_confirm"))
    # back on the campaign's board, told what came in: not on an admin form
    assert browser.current_url == live_server.url + campaign.get_absolute_url()
    assert "Imported 5 cells typed for Norfolk Constabulary from norfolk letter.pdf" in browser.page_source
    screenshot("entry-07-typed-on-the-board")
    norfolk = request["norfolk"]
    assert cells(norfolk) == Counter({("19E", 9): 2, ("88A", 9): 1, ("88A", 13): None, ("88A", None): 1,
                                      ("71", 9): 3})
    typed = ReturnedFile.objects.get(request=norfolk, source="typed")
    assert typed.status == ReturnStatus.IMPORTED and typed.typed_from.original_name == "norfolk letter.pdf"
    assert typed.uploaded_by == rita
