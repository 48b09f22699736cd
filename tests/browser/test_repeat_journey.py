"""Asking again next year, in a real browser (issue 12): the 2015/16 practice campaign is done and
published; a researcher asks its question again for 2016/17 with the earlier year restated, uploads
forces' two-year returns (copies in tests/data/returns-2016-17), reads what each restates on its
preview, confirms, and reads the comparison on the report.

Waits are on conditions, never on time: after every page load elements are found again (an element
found before a reload is stale), and a row is read in one script call (it may be replaced between reads).
"""
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db.models import Sum
from selenium.webdriver.common.by import By

from collection.forces.models import Force
from collection.requests.models import Campaign
from collection.requests.services import CreateCampaign
from reports.comparison import percent_change
from tests.browser.axe import assert_accessible
from tests.browser.test_journey import click_and_load, set_date, wait_for
from tests.browser.test_workspace_journey import PKS, confirm, on_row, upload
from tests.conftest import ensure_reference_data

FIRST_YEAR = json.loads((Path(__file__).resolve().parents[1] / "data" / "returns" / "truth.json").read_text())
SECOND = Path(__file__).resolve().parents[1] / "data" / "returns-2016-17"
MANIFEST = json.loads((SECOND / "manifest.json").read_text())
#: One force per way a return gives its year (a year column, recorded dates, stacked blocks, a sheet per
#: year, a banner over a pivot), and one that answers for 2016/17 only.
BOTH_YEARS = ["avon-and-somerset", "bedfordshire", "cheshire", "city-of-london", "cleveland"]
ONE_YEAR = "kent"

QUESTION = ("How many sexual offences against children recorded between 1 April 2015 and 31 March 2016 "
            "(2015/16) carried the Home Office online (cyber) flag? Please break the figures down by offence "
            "and by the victim's age.")

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def first_year_published(owner):
    """The 2015/16 practice campaign with every force's figures and outcome: its final figures published."""
    from tests.reports.practice import load_counts, record_outcomes

    ensure_reference_data()
    campaign = CreateCampaign(slug="cyber-2015-16", title="Cyber-flagged offences 2015/16", question=QUESTION,
                              period_start=dt.date(2015, 4, 1),
                              period_end=dt.date(2016, 3, 31), owner=owner,
                              sent_on=dt.date(2016, 3, 1)).execute()
    load_counts(campaign)
    record_outcomes(campaign, user=owner)
    return campaign


def load(browser, url):
    browser.get(url)
    wait_for(lambda: browser.execute_script("return document.readyState") == "complete")


def text_of(browser, element_id):
    """An element's text read afresh (never an element kept across a reload)."""
    return browser.execute_script("var e = document.getElementById(arguments[0]); return e ? e.innerText : null;",
                                  element_id)


def test_ask_again_next_year(browser, screenshot, live_server, make_user):
    rita = make_user("rita", "Researchers", first_name="Rita", last_name="Researcher")
    rita.set_password("a-long-test-password")
    rita.save()
    earlier = first_year_published(rita)
    earlier_pk, forces = earlier.pk, Force.objects.filter(campaigns=earlier).count()

    load(browser, live_server.url + "/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("rita")
    browser.find_element(By.NAME, "password").send_keys("a-long-test-password")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))

    # 1. Ask again, from the earlier campaign's board.
    load(browser, live_server.url + f"/admin/collection/campaign/{earlier_pk}/workspace/")
    click_and_load(browser, browser.find_element(By.ID, "ask-again"))
    assert_accessible(browser, "ask-again")
    screenshot("repeat-01-ask-again")
    assert browser.find_element(By.NAME, "period_start").get_attribute("value") == "2016-04-01"
    assert browser.find_element(By.NAME, "period_end").get_attribute("value") == "2017-03-31"
    assert browser.find_element(By.NAME, "title").get_attribute("value") == "Cyber-flagged offences 2016/17"
    assert browser.find_element(By.NAME, "slug").get_attribute("value") == "cyber-2016-17"
    assert browser.find_element(By.NAME, "ask_previous").is_selected()
    question = text_of(browser, "moved-question")
    assert "between 1 April 2016 and 31 March 2017 (2016/17)" in question
    assert "Please also give the same figures again for 1 April 2015 to 31 March 2016 (2015/16)" in question
    set_date(browser, "sent_on", "2017-04-03")  # it went by post: recorded as sent that day
    click_and_load(browser, browser.find_element(By.NAME, "_ask_again"))

    # 2. The new campaign's board: both periods, the campaign it repeats, every force asked.
    new = Campaign.objects.get(slug="cyber-2016-17")
    assert browser.current_url.endswith(f"/admin/collection/campaign/{new.pk}/workspace/")
    assert new.repeats_id == earlier_pk and new.requests.count() == forces
    assert [p.label for p in new.periods.all()] == ["2015-16", "2016-17"]
    facts = browser.find_element(By.CLASS_NAME, "foi-campaign-facts").text
    assert "Asks about 2015/16 and 2016/17." in facts and "Asks again the question of Cyber-flagged offences 2015/16" in facts
    assert_accessible(browser, "repeat-workspace")
    screenshot("repeat-02-workspace")

    # 3. Two-year returns, each uploaded on its force's row; one preview read on its own page.
    PKS.clear()
    PKS.update(new.requests.values_list("force__force_id", "pk"))
    assert [MANIFEST[f]["year_layout"] for f in BOTH_YEARS] == ["column", "date", "blocks", "sheets", "banner"]
    assert MANIFEST[ONE_YEAR]["years"] == ["2016-17"]
    counter = SimpleNamespace(in_page=0)
    for force_id in BOTH_YEARS + [ONE_YEAR]:
        upload(browser, counter, force_id, SECOND / MANIFEST[force_id]["file"])
    # The row says each period's figures, not one total of both years.
    review = on_row(browser, "avon-and-somerset", lambda r: r.find_element(By.CLASS_NAME, "foi-review").text)
    assert "2015/16: 80 offences; 2016/17: 54" in review
    # The link's address, then a fresh load: the board may replace the row at any moment.
    load(browser, on_row(browser, "avon-and-somerset",
                         lambda r: r.find_element(By.LINK_TEXT, "See the preview").get_attribute("href")))
    wait_for(lambda: text_of(browser, "period-words") is not None)
    assert text_of(browser, "period-words") == "2015/16: 80 offences; 2016/17: 54"
    first_given = sum(c[2] for c in FIRST_YEAR["cells"]["avon-and-somerset"])
    assert first_given == 73
    assert "2015/16 as first given in Cyber-flagged offences 2015/16: 73 → 80 (+7)" in text_of(browser, "restated")
    assert_accessible(browser, "repeat-preview")
    screenshot("repeat-03-preview")
    load(browser, live_server.url + f"/admin/collection/campaign/{new.pk}/workspace/")
    for force_id in BOTH_YEARS + [ONE_YEAR]:
        confirm(browser, counter, force_id)
    held = dict(new.counts.values_list("period__label").annotate(n=Sum("count")))
    base = sum(MANIFEST[f]["offences"]["2015-16"] for f in BOTH_YEARS)
    current = sum(MANIFEST[f]["offences"]["2016-17"] for f in BOTH_YEARS)
    assert held == {"2015-16": base, "2016-17": current + MANIFEST[ONE_YEAR]["offences"]["2016-17"]}

    # 4. The report: the comparison, like for like (the five forces that gave both years), restated against
    # restated, with what the first campaign published for them beside it.
    original = sum(c[2] for f in BOTH_YEARS for c in FIRST_YEAR["cells"][f])
    change = current - base
    kent = Force.objects.get(force_id=ONE_YEAR).name
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "National figures"))
    wait_for(lambda: text_of(browser, "comparison") is not None)
    compared = text_of(browser, "comparison")
    assert "Compared with 2015/16" in compared
    word = "more" if change > 0 else "fewer"
    assert (f"{current:,} offences in 2016/17 from 5 forces, {abs(change):,} ({abs(percent_change(base, current)):.1f}%) "
            f"{word} than the same forces recorded in 2015/16 ({base:,}).") in compared
    assert (f"The 2015/16 figures are as the forces restated them in this request; they differ from the "
            f"{original:,} first published for the same forces.") in compared
    assert f"1 force gave figures for 2016/17 only ({kent}) and is not in the comparison." in compared
    assert "like for like (5 forces)" in compared
    # Every chart drawn, the trend across the two campaigns among them (and no request left running
    # in the server when the test ends).
    browser.execute_script("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
    wait_for(lambda: browser.execute_script(
        "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"), timeout=60)
    assert browser.find_elements(By.CSS_SELECTOR, "img[src*='trend']")
    assert_accessible(browser, "repeat-report")
    screenshot("repeat-04-report")
