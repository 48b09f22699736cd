"""Reading the comparison on the report page in a browser (issue 12): the practice chain (the
first year published, its repeat asking 2016/17 and 2015/16 again, every answer in), the report
of the repeat: "Compared with 2015/16", the press-release sentence, the per-force table, the
forces with one period, and the trend chart across the chain (an SVG image that loads under the
page's Content-Security-Policy); a title with a script in it runs nothing."""
import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import assert_no_csp_violations
from tests.browser.test_journey import login, wait_for
from tests.browser.test_pages_under_csp import HOSTILE, no_alert
from tests.reports.practice_chain import chain

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_researcher_reads_the_comparison_and_the_trend(browser, screenshot, live_server, make_user):
    from tests.conftest import ensure_reference_data

    ensure_reference_data()
    rita = make_user("rita", "Researchers")
    rita.set_password("a-long-test-password")
    rita.save()
    _, second = chain(rita)
    second.title = f"Cyber 2016/17 {HOSTILE}"
    second.save()
    login(browser, live_server, "rita", "a-long-test-password")
    browser.get(f"{live_server.url}/admin/reports/aggregatesnapshot/campaign/{second.pk}/report/")
    no_alert(browser)
    section = browser.find_element(By.ID, "comparison")
    browser.execute_script("arguments[0].scrollIntoView()", section)
    screenshot("comparison-01-compared-with")
    assert section.find_element(By.TAG_NAME, "h2").text == "Compared with 2015/16"
    sentences = [li.text for li in section.find_elements(By.CSS_SELECTOR, "ul.headlines li")]
    assert sentences[0] == ("3,134 offences in 2016/17 from 37 forces, 459 (17.2%) more than the same forces "
                            "recorded in 2015/16 (2,675).")
    rows = section.find_elements(By.CSS_SELECTOR, "table.compared tbody tr")
    assert len(rows) == 37 + 1  # a row per like-for-like force, then the national line
    cells = [td.text for td in rows[0].find_elements(By.TAG_NAME, "td")]
    assert cells == ["Avon and Somerset Constabulary", "80", "54", "-26", "-32.5%", "73"]
    assert [th.text for th in rows[-1].find_elements(By.TAG_NAME, "th")] == [
        "Like for like, 37 forces", "2,675", "3,134", "+459", "+17.2%", "2,278"]
    single = [li.text for li in section.find_elements(By.CSS_SELECTOR, "ul.single-period li")]
    assert single[0] == "Kent Police: 2016/17 only (187; 125 in 2015/16 as first published)" and len(single) == 3
    trend = browser.find_element(By.CSS_SELECTOR, "img[src$='/chart/trend.svg']")
    browser.execute_script("arguments[0].scrollIntoView()", trend)
    wait_for(lambda: browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", trend))
    assert "Cyber 2016/17 <script>" in browser.find_element(By.CSS_SELECTOR, ".breadcrumbs").text
    screenshot("comparison-02-trend")
    assert_no_csp_violations(browser)
