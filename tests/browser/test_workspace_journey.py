"""A 44-force campaign run from its workspace in a real browser, from the guided start to the final
national figures: every page checked by axe-core (WCAG 2.2 AA), a part done with the keyboard alone,
the page loads counted, a screenshot of each page saved.

The practice campaign (tests/data/returns): 40 forces send a spreadsheet, 4 answer without one
(nil return, not held, refused under s.12, no response). The 40 have an FOI address and are
e-mailed; the 4 have none and are recorded as sent by post weeks ago, so they are overdue.
"""
import datetime as dt
import json
import time
from pathlib import Path

import pytest
from django.utils import timezone
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from collection.forces.models import Force
from collection.requests.models import Campaign, working_calendar
from collection.returns.models import OffenceCount
from tests.browser.axe import assert_accessible
from tests.browser.test_journey import click_and_load, set_date, wait_for
from tests.conftest import ensure_reference_data

DATA = Path(__file__).resolve().parents[1] / "data" / "returns"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
TRUTH = json.loads((DATA / "truth.json").read_text())
WITHOUT_FILE = sorted(f for f, m in MANIFEST.items() if not m.get("file"))
WITH_FILE = sorted(f for f, m in MANIFEST.items() if m.get("file"))
#: Page loads of the whole journey must stay under this (the issue's goal without the inbox and bulk upload).
PAGE_LOAD_GOAL = 100

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class Journey:
    """Every navigation goes through here: counted, checked by axe-core, photographed once per page."""

    def __init__(self, browser, live_server, screenshot):
        self.browser, self.base, self.screenshot = browser, live_server.url, screenshot
        self.loads = 0
        self.in_page = 0
        self.pages: list[str] = []
        self.shots = 0

    def _arrived(self, name):
        self.loads += 1
        self.pages.append(name)
        self.browser.execute_script("window.journeyMarker = arguments[0]", self.loads)
        self.check(name)

    def check(self, name):
        """axe-core on the page as it is now, and a screenshot of it."""
        assert_accessible(self.browser, name)
        self.shots += 1
        self.screenshot(f"workspace-{self.shots:02d}-{name}")

    def get(self, path, name):
        self.browser.get(self.base + path)
        wait_for(lambda: self.browser.execute_script("return document.readyState") == "complete")
        self._arrived(name)

    def click(self, element, name):
        click_and_load(self.browser, element)
        self._arrived(name)

    def still_on_the_page(self):
        """An in-page action must not have loaded a page behind our back."""
        assert self.browser.execute_script("return window.journeyMarker") == self.loads


#: force_id -> request id, read once: the test's thread stays off the database while the server
#: writes to it (SQLite's shared in-memory database locks whole tables).
PKS: dict[str, int] = {}


def row(browser, force_id):
    return browser.find_element(By.ID, f"row-{PKS[force_id]}")


def on_row(browser, force_id, act, tries=5):
    """Do ``act(row)`` on the force's row as it is now: the board replaces a row when it changes, and a
    row found just before its replacement is gone ("stale", "does not belong to the document")."""
    for attempt in range(tries):
        try:
            return act(row(browser, force_id))
        except WebDriverException as exc:
            if attempt == tries - 1 or not ("stale" in str(exc) or "does not belong to the document" in str(exc)):
                raise
            time.sleep(0.2)


def row_state(browser, force_id):
    return row(browser, force_id).get_attribute("data-state")


def wait_row(browser, force_id, *states, timeout=60):
    pk = PKS[force_id]

    def settled():  # read in one go: the row may be replaced between two reads
        found = browser.execute_script("var r = document.getElementById(arguments[0]);"
                                       "return r ? [r.getAttribute('data-state'), r.getAttribute('aria-busy')] : null;",
                                       f"row-{pk}")
        return found is not None and found[0] in states and found[1] is None
    try:
        wait_for(settled, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"{force_id} is {row_state(browser, force_id)}, not {' or '.join(states)}; "
                             f"the board says: {status_text(browser)}") from None


def status_text(browser):
    return browser.find_element(By.ID, "board-status").text


def counts(browser):
    """The counts at the top, by state ("" is All, "needs_me" the forces that need me), read in one go:
    the board replaces them whenever a row changes."""
    pairs = browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#board-counts a[data-state]'), function (a) {"
        "  return [a.getAttribute('data-state'), a.querySelector('.foi-count').textContent]; });")
    return {state: int(text.strip()) for state, text in pairs}


def by_state(browser):
    """The per-state counts only: they add up to the number of forces."""
    return {k: v for k, v in counts(browser).items() if k not in ("", "needs_me")}


def login(journey, username, password):
    journey.get("/admin/login/", "login")
    journey.browser.find_element(By.NAME, "username").send_keys(username)
    journey.browser.find_element(By.NAME, "password").send_keys(password)
    journey.click(journey.browser.find_element(By.CSS_SELECTOR, "input[type=submit]"), "home")


def working_days_ago(n):
    day, calendar = timezone.localdate(), working_calendar()
    while n:
        day -= dt.timedelta(days=1)
        n -= calendar.is_working_day(day)
    return day


def answer_by_keyboard(browser, journey):
    """From the "next force that needs me" link to a recorded nil return, with the keyboard alone."""
    keys = ActionChains(browser)
    active = lambda: browser.switch_to.active_element  # noqa: E731
    link = browser.find_element(By.ID, "next-needing-me")
    browser.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(60):  # Tab through the page to the link, as a keyboard user does
        keys.send_keys(Keys.TAB).perform()
        if active() == link:
            break
    assert active() == link, "the Next force that needs me link is reachable with Tab"
    keys.send_keys(Keys.ENTER).perform()
    first = row(browser, WITHOUT_FILE[0])  # British Transport Police: first in the list, overdue
    assert active() == first and "needs you" in status_text(browser)
    keys.send_keys(Keys.ENTER).perform()  # into the row's actions
    summary = first.find_element(By.XPATH, ".//summary[normalize-space()='Record the answer']")
    for _ in range(15):
        if active() == summary:
            break
        keys.send_keys(Keys.TAB).perform()
    assert active() == summary
    keys.send_keys(Keys.ENTER).perform()  # opens the details
    keys.send_keys(Keys.TAB).perform()
    outcome = first.find_element(By.CSS_SELECTOR, "details select[name=outcome]")
    assert active() == outcome
    keys.send_keys("Nil").perform()  # typing picks the option, as in any select
    assert Select(outcome).first_selected_option.get_attribute("value") == "nil_return"
    for _ in range(10):  # past the date (its day, month and year each take a Tab) and the sections
        keys.send_keys(Keys.TAB).perform()
        if active().get_attribute("type") == "submit":
            break
    assert active().text == "Record"
    keys.send_keys(Keys.ENTER).perform()
    wait_row(browser, WITHOUT_FILE[0], "answered")
    journey.in_page += 1
    assert "Nil return recorded" in status_text(browser)
    assert active().get_attribute("id") == row(browser, WITHOUT_FILE[0]).get_attribute("id")  # focus kept
    keys.send_keys("n").perform()  # the next force that needs me
    assert active().get_attribute("data-needs-me") == "1"
    keys.send_keys(Keys.ARROW_DOWN).perform()
    keys.send_keys(Keys.ARROW_UP).perform()
    assert active().get_attribute("data-needs-me") == "1"


def record_answer(browser, journey, force_id, outcome, sections=""):
    def fill_and_record(r):
        details = r.find_element(By.XPATH, ".//details[summary[normalize-space()='Record the answer']]")
        if not details.get_attribute("open"):
            details.find_element(By.TAG_NAME, "summary").click()
        Select(r.find_element(By.CSS_SELECTOR, "details select[name=outcome]")).select_by_value(outcome)
        if sections:
            field = r.find_element(By.NAME, "sections")
            field.clear()
            field.send_keys(sections)
        r.find_element(By.XPATH, ".//button[normalize-space()='Record']").click()

    on_row(browser, force_id, fill_and_record)
    wait_row(browser, force_id, "answered")
    journey.in_page += 1
    journey.still_on_the_page()


def upload(browser, journey, force_id, path, *states):
    def choose_and_upload(r):
        r.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(path))  # received today, as the row says
        r.find_element(By.XPATH, ".//button[normalize-space()='Upload']").click()

    on_row(browser, force_id, choose_and_upload)
    wait_row(browser, force_id, *(states or ("review",)))
    journey.in_page += 1


def confirm(browser, journey, force_id):
    on_row(browser, force_id, lambda r: r.find_element(By.XPATH, ".//button[normalize-space()='Confirm import']").click())
    wait_row(browser, force_id, "imported")
    journey.in_page += 1


def drop(browser, force_id, path):
    """Drop a file on the row, as from the desktop: a File in a DataTransfer, then the drop event."""
    import base64

    browser.execute_script("""
        var row = arguments[0], name = arguments[1], bytes = atob(arguments[2]);
        var data = new Uint8Array(bytes.length);
        for (var i = 0; i < bytes.length; i++) { data[i] = bytes.charCodeAt(i); }
        var transfer = new DataTransfer();
        transfer.items.add(new File([data], name));
        row.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: transfer}));
        row.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: transfer}));
    """, row(browser, force_id), path.name, base64.b64encode(path.read_bytes()).decode())


def test_a_44_force_campaign_from_the_workspace(browser, screenshot, live_server, make_user, tmp_path, settings):
    ensure_reference_data()
    Force.objects.filter(force_id__in=WITH_FILE).update(foi_email="foi@force.police.example")
    rita = make_user("rita", "Researchers", first_name="Rita", last_name="Researcher")
    rita.set_password("a-long-test-password")
    rita.save()
    browser.set_window_size(1366, 900)
    journey = Journey(browser, live_server, screenshot)
    login(journey, "rita", "a-long-test-password")

    # 1. Start the campaign: the question, the period, the forces (all by default), the owner.
    journey.click(browser.find_element(By.LINK_TEXT, "Start a campaign"), "start")
    browser.find_element(By.NAME, "title").send_keys("Cyber-flagged offences 2015/16")
    browser.find_element(By.NAME, "slug").send_keys("cyber-2015-16")
    browser.find_element(By.NAME, "question").send_keys("How many sexual offences against children recorded "
                                                        "between 1 April 2015 and 31 March 2016 ...")
    set_date(browser, "period_start", "2015-04-01")
    set_date(browser, "period_end", "2016-03-31")
    assert len(browser.find_elements(By.CSS_SELECTOR, "input[name=forces]:checked")) == 44
    journey.click(browser.find_element(By.NAME, "_next"), "send")

    # 2. The e-mail as each force will get it, then "Send to 40 forces".
    assert "The e-mail as Avon and Somerset Constabulary will get it" in browser.page_source
    assert "FOI-CYBER-2015-16-AVON-AND-SOMERSET" in browser.find_element(By.ID, "sample-email").text
    send = browser.find_element(By.NAME, "send")
    assert send.get_attribute("value") == "Send to 40 forces"
    journey.click(send, "workspace-sent")
    assert "E-mailed the request to 40 forces." in browser.page_source
    from django.core import mail

    assert len(mail.outbox) == 40 and {m.to[0] for m in mail.outbox} == {"foi@force.police.example"}
    assert by_state(browser)["not_sent"] == 4 and sum(by_state(browser).values()) == 44 == counts(browser)[""]

    # 3. The 4 without an address went by post weeks ago: recorded as sent on that day.
    journey.click(browser.find_element(By.LINK_TEXT, "Send to 4 forces"), "send-rest")
    posted = working_days_ago(30)
    set_date(browser, "sent_on", posted.isoformat())
    Select(browser.find_element(By.NAME, "via")).select_by_value("post")
    journey.click(browser.find_element(By.NAME, "record"), "workspace")
    assert f"Recorded 4 requests as sent on {posted.day} {posted:%b %Y}." in browser.page_source
    state = by_state(browser)
    assert state["overdue"] == 4 and state["sent"] == 40 and sum(state.values()) == 44
    assert counts(browser)["needs_me"] == 4
    campaign = Campaign.objects.get(slug="cyber-2015-16")
    assert campaign.requests.filter(sent_via="email").count() == 40
    PKS.clear()
    PKS.update(campaign.requests.values_list("force__force_id", "pk"))
    assert row(browser, "kent").find_element(By.CLASS_NAME, "foi-chip").text.startswith("Sent · due in ")

    # 4. The keyboard alone: the next force that needs me, its answer, the next.
    answer_by_keyboard(browser, journey)
    journey.check("workspace-keyboard")

    # 5. The other answers without a file.
    record_answer(browser, journey, "dorset", "not_held")
    record_answer(browser, journey, "suffolk", "refused", sections="s.12")
    record_answer(browser, journey, "north-wales", "no_response")
    journey.still_on_the_page()

    # 6. A file that is refused says why on its row; the right file then goes through.
    bad = tmp_path / "essex-figures.csv"
    bad.write_text("Offence,Victim age,Count\n19E,34,2\n", encoding="utf-8")
    upload(browser, journey, "essex", bad, "refused_file")
    assert "essex-figures.csv" in status_text(browser) and "34" in status_text(browser)
    journey.check("workspace-refused-file")
    upload(browser, journey, "essex", DATA / MANIFEST["essex"]["file"])
    journey.check("workspace-review")

    # 7. One file dropped on its row, and its preview looked at on its own page.
    drop(browser, "kent", DATA / MANIFEST["kent"]["file"])
    wait_row(browser, "kent", "review")
    journey.in_page += 1
    journey.still_on_the_page()
    journey.click(row(browser, "kent").find_element(By.LINK_TEXT, "See the preview"), "preview")
    kent_total = sum(c[2] for c in TRUTH["cells"]["kent"])
    assert browser.find_element(By.ID, "total").text == str(kent_total)
    journey.get(campaign.get_absolute_url(), "workspace-back")

    # 8. Every other spreadsheet: upload on its row, check the total, confirm.
    for force_id in ["essex", "kent"]:
        confirm(browser, journey, force_id)
    for force_id in WITH_FILE:
        if force_id in ("essex", "kent"):
            continue
        upload(browser, journey, force_id, DATA / MANIFEST[force_id]["file"])
        expected = sum(c[2] for c in TRUTH["cells"][force_id])
        assert f"total {expected}" in on_row(browser, force_id, lambda r: r.text).replace(",", "")
        confirm(browser, journey, force_id)
    journey.still_on_the_page()
    assert counts(browser) == {"": 44, "needs_me": 0, "imported": 40, "answered": 4}
    assert "44 of 44 answered" in browser.page_source
    journey.check("workspace-complete")

    # 9. The final figures, compiled when the last answer came in.
    from reports.models import AggregateSnapshot

    wait_for(lambda: AggregateSnapshot.objects.filter(campaign=campaign, final=True).exists())
    assert sum(OffenceCount.objects.filter(campaign=campaign).values_list("count", flat=True)) == \
        TRUTH["total_offences"]
    journey.click(browser.find_element(By.LINK_TEXT, "National figures"), "report")
    assert "Final: every one of the 44 forces asked has an outcome" in browser.page_source
    assert "2,552" in browser.find_element(By.CSS_SELECTOR, ".tiles").text

    # 10. A request's own page, from the board.
    journey.get(campaign.get_absolute_url(), "workspace-final")
    journey.click(row(browser, "suffolk").find_element(By.CSS_SELECTOR, "th a"), "request")
    assert "Refused" in browser.page_source

    # 11. A viewer sees the board and nothing to change; what is not theirs is refused politely.
    journey.click(browser.find_element(By.CSS_SELECTOR, "#logout-form button"), "logged-out")
    victor = make_user("victor", "Viewers")
    victor.set_password("a-long-viewer-password")
    victor.save()
    login(journey, "victor", "a-long-viewer-password")
    journey.get(campaign.get_absolute_url(), "workspace-viewer")
    assert not browser.find_elements(By.CSS_SELECTOR, "#board form")
    journey.get("/admin/collection/campaign/start/", "forbidden")
    assert "You may not do that" in browser.page_source
    journey.get("/admin/collection/campaign/999999/workspace/", "not-found")
    assert "There is no such page" in browser.page_source

    summary = {"page_loads": journey.loads, "in_page_actions": journey.in_page, "pages": journey.pages,
               "forces": 44, "goal": PAGE_LOAD_GOAL}
    from tests.browser.conftest import ARTIFACTS

    (ARTIFACTS / "workspace-journey.json").write_text(json.dumps(summary, indent=2))
    print(f"\nworkspace journey: {journey.loads} page loads, {journey.in_page} in-page actions")
    assert journey.loads < PAGE_LOAD_GOAL
