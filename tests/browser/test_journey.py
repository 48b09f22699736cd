"""A researcher's day in a real browser: from a new campaign to the national dataset."""
import time
from pathlib import Path

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from collection.requests.models import Campaign, FoiRequest
from collection.returns.models import OffenceCount, ReturnedFile
from tests.conftest import ensure_reference_data

DATA = Path(__file__).resolve().parents[1] / "data" / "returns"
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def login(browser, live_server, username, password):
    browser.get(live_server.url + "/admin/")
    assert "Log in" in browser.title
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))
    assert "Site administration" in browser.title or "Campaigns" in browser.page_source


def click_and_load(browser, element, timeout=30):
    """Click something that loads a new page and wait until it has (a click returns before that)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page is marked, and the new one is the page without the mark. (Selenium's staleness_of asks
    # the old <html> element, and Chromium sometimes answers "Node with given id does not belong to
    # the document" instead of "stale" while the new page loads.)
    mark = browser.execute_script("window.foiPageMark = Math.random().toString(36).slice(2); return window.foiPageMark")

    def loaded(b):
        try:
            return b.execute_script("return document.readyState === 'complete' && window.foiPageMark !== arguments[0]",
                                    mark)
        except WebDriverException:  # between the two documents
            return False

    element.click()
    WebDriverWait(browser, timeout).until(loaded)


def set_date(browser, name, iso):
    """A date picker (input type=date) takes its value as YYYY-MM-DD whatever the browser shows."""
    field = browser.find_element(By.NAME, name)
    assert field.get_attribute("type") == "date", name
    browser.execute_script("arguments[0].value = arguments[1]", field, iso)


def logout(browser, live_server):
    browser.get(live_server.url + "/admin/")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#logout-form button"))


def run_action(browser, action, select_all=True):
    if select_all:
        browser.find_element(By.ID, "action-toggle").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    click_and_load(browser, browser.find_element(By.NAME, "index"))


def wait_for(predicate, timeout=15):
    """Poll until the predicate holds. A page that is being replaced (a form posted, a row
    re-rendered) can drop the element the predicate reads between finding and reading it; that
    is "not yet", so the predicate is asked again."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except (StaleElementReferenceException, NoSuchElementException):
            pass
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_a_researchers_day(browser, screenshot, live_server, make_user):
    ensure_reference_data()
    rita = make_user("rita", "Researchers")
    rita.set_password("a-long-test-password")
    rita.save()
    login(browser, live_server, "rita", "a-long-test-password")
    screenshot("01-home")

    # Create a campaign for all forces.
    browser.get(live_server.url + "/admin/collection/campaign/add/")
    browser.find_element(By.NAME, "title").send_keys("Cyber-flagged offences 2015-16")
    slug = browser.find_element(By.NAME, "slug")
    slug.clear()
    slug.send_keys("cyber-2015-16")
    browser.find_element(By.NAME, "question").send_keys("How many sexual offences against children ...")
    set_date(browser, "period_start", "2015-04-01")
    set_date(browser, "period_end", "2016-03-31")
    click_and_load(browser, browser.find_element(By.NAME, "_save"))
    assert "44 requests created" in browser.page_source
    campaign = Campaign.objects.get(slug="cyber-2015-16")

    # Mark it sent on 1 March 2016 (by post).
    run_action(browser, "mark_sent")
    set_date(browser, "sent_on", "2016-03-01")
    Select(browser.find_element(By.NAME, "via")).select_by_value("post")
    screenshot("02-mark-sent")
    click_and_load(browser, browser.find_element(By.NAME, "apply"))
    assert "Recorded 44 requests as sent on 1 Mar 2016" in browser.page_source
    screenshot("03-campaigns")

    # Open an overdue request and see why it is overdue.
    browser.get(live_server.url + "/admin/collection/foirequest/?deadline=overdue")
    assert "working days overdue" in browser.page_source
    screenshot("04-overdue-requests")
    kent = FoiRequest.objects.get(campaign=campaign, force__force_id="kent")
    browser.get(live_server.url + kent.get_absolute_url())
    page = browser.page_source
    assert "Fri 1 Apr 2016" in page and "Saint Patrick" in page and "very overdue" in page
    screenshot("05-overdue-request")

    # Upload a force's spreadsheet, check the preview, confirm.
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "Upload a return"))
    browser.find_element(By.NAME, "file").send_keys(str(DATA / "kent.xlsx"))
    set_date(browser, "received_on", "2016-03-30")
    click_and_load(browser, browser.find_element(By.NAME, "_upload"))
    wait_for(lambda: "Confirm import" in browser.page_source)
    preview_url = browser.current_url
    assert browser.find_element(By.ID, "total").text == str(sum(c[2] for c in _truth("kent")))
    screenshot("06-preview")

    # A colleague confirms it from their own login: the outcome and date chosen at upload go with it.
    logout(browser, live_server)
    colin = make_user("colin", "Researchers")
    colin.set_password("another-long-test-password")
    colin.save()
    login(browser, live_server, "colin", "another-long-test-password")
    browser.get(preview_url)
    choices = browser.find_element(By.ID, "upload-choices").text
    assert "Data provided" in choices and "30 Mar 2016" in choices
    click_and_load(browser, browser.find_element(By.NAME, "_confirm"))
    assert "Imported" in browser.page_source
    assert OffenceCount.objects.filter(request=kent).exists()
    kent.refresh_from_db()
    assert kent.outcome == "provided" and str(kent.answered_on) == "2016-03-30"
    assert ReturnedFile.objects.get(request=kent).confirmed_by == colin

    # Upload a bad file and read the error.
    essex = FoiRequest.objects.get(campaign=campaign, force__force_id="essex")
    bad = Path(browser.downloads) / "essex-figures.csv"
    bad.write_text("Offence,Victim age,Count\n19E,34,2\n", encoding="utf-8")
    browser.get(live_server.url + essex.get_absolute_url())
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "Upload a return"))
    browser.find_element(By.NAME, "file").send_keys(str(bad))
    click_and_load(browser, browser.find_element(By.NAME, "_upload"))
    wait_for(lambda: "Refused" in browser.page_source)
    error = browser.find_element(By.ID, "import-error").text
    assert "essex-figures.csv" in error and "34" in error
    screenshot("07-refused-upload")
    assert not OffenceCount.objects.filter(request=essex).exists()
    assert ReturnedFile.objects.get(request=essex).status == "refused"

    # Record the remaining answers and watch the campaign complete.
    browser.get(live_server.url + f"/admin/collection/foirequest/?campaign__id__exact={campaign.pk}&outcome__exact=")
    run_action(browser, "record_answer")
    Select(browser.find_element(By.NAME, "outcome")).select_by_value("nil_return")
    set_date(browser, "received_on", "2016-04-05")
    click_and_load(browser, browser.find_element(By.NAME, "apply"))
    assert "Recorded the answer for 43 requests" in browser.page_source
    assert not FoiRequest.objects.filter(campaign=campaign, outcome="").exists()
    browser.get(live_server.url + "/admin/collection/campaign/")
    assert "44 of 44" in browser.page_source
    screenshot("08-campaign-complete")
    report_and_export(browser, screenshot, live_server, campaign)


def report_and_export(browser, screenshot, live_server, campaign):
    """The report with its charts, compiled by itself on the last answer, and the xlsx export read back."""
    from reports.models import AggregateSnapshot
    from reports.resources import read_back

    kent_total = sum(c[2] for c in _truth("kent"))
    wait_for(lambda: AggregateSnapshot.objects.filter(campaign=campaign, final=True).exists())
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "Report"))
    page = browser.page_source
    assert "Final: every one of the 44 forces asked has an outcome" in page
    assert f"({kent_total})" in browser.find_element(By.CSS_SELECTOR, "ul.headlines").text
    browser.execute_script("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
    wait_for(lambda: browser.execute_script(
        "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "figure img")) >= 3
    screenshot("09-report")
    browser.find_element(By.LINK_TEXT, "XLSX").click()  # a download: the page stays
    wait_for(lambda: [p for p in Path(browser.downloads).glob("*.xlsx")])
    xlsx = next(Path(browser.downloads).glob("*.xlsx"))
    wait_for(lambda: xlsx.stat().st_size > 0 and not list(Path(browser.downloads).glob("*.crdownload")))
    rows = read_back(xlsx.read_bytes(), "xlsx")
    assert {r["force_id"] for r in rows} == {"kent"}
    assert sum(r["count"] or 0 for r in rows) == kent_total


def _truth(force_id):
    import json
    return json.loads((DATA / "truth.json").read_text())["cells"][force_id]
