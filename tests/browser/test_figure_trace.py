"""A banded campaign's report in the browser, and one figure traced to its cell (issue 20): the
report says the ranges the cells hold, and from the national total a person reaches a force's
figures and the cell of the returned file a figure was read from in three clicks."""
import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import assert_no_csp_violations
from tests.browser.test_journey import login
from tests.helpers import TEST_DATA, command

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def banded_campaign(owner):
    from collection.forces.models import OffenceCode
    from collection.returns.models import OffenceCount
    from tests.conftest import ensure_reference_data
    from tests.reports.test_banded_figures import CELLS

    ensure_reference_data()
    import datetime as dt

    from collection.requests.services import CreateCampaign

    campaign = CreateCampaign(slug="banded-2015-16", title="Grooming by age band 2015/16", question="How many ...",
                              period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31), owner=owner,
                              sent_on=dt.date(2016, 3, 1)).execute()
    requests = {r.force.force_id: r for r in campaign.requests.select_related("force")}
    offence = OffenceCode.objects.get(code="88A")
    OffenceCount.objects.bulk_create(
        OffenceCount(campaign=campaign, force=requests[f].force, request=requests[f], offence=offence,
                     age_band=band, age_band_min=low, age_band_max=high, count=count, suppressed=count is None,
                     suppressed_label=label) for f, band, low, high, count, label in CELLS)
    command("import_return", campaign.slug, "cumbria", str(TEST_DATA / "returns" / "cumbria.xls"))
    return campaign


def test_a_banded_report_and_a_figure_traced_to_its_cell(browser, screenshot, live_server, make_user):
    rita = make_user("rita", "Researchers")
    rita.set_password("a-long-test-password")
    rita.save()
    campaign = banded_campaign(rita)
    login(browser, live_server, "rita", "a-long-test-password")
    browser.get(f"{live_server.url}/admin/reports/aggregatesnapshot/campaign/{campaign.pk}/report/")
    findings = " ".join(li.text for li in browser.find_elements(By.CSS_SELECTOR, "ul.headlines li"))
    assert "offences were against children under 10" in findings and "between " in findings
    assert "or younger" in findings and "cannot be told from the age bands" in findings
    under_10 = browser.find_element(By.CSS_SELECTOR, "[data-figure='under_10'] .n").text
    assert " to " in under_10
    screenshot("banded-report")
    assert_no_csp_violations(browser)

    browser.find_element(By.ID, "trace-total").click()  # 1: the total, force by force
    browser.find_element(By.LINK_TEXT, "Cumbria Constabulary").click()  # 2: the force's figures
    place = browser.find_element(By.CSS_SELECTOR, "#trace-counts tbody tr td:last-child a")
    stored = browser.find_element(By.CSS_SELECTOR, "#trace-counts tbody tr td:nth-child(4)").text
    assert place.text.startswith("sheet ")
    place.click()  # 3: the cell in its file
    cell = browser.find_element(By.ID, "the-cell")
    assert cell.text == stored
    assert "the-cell" in cell.get_attribute("class")
    assert cell.find_element(By.XPATH, "..").get_attribute("class") == "row-of-cell"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    screenshot("figure-trace")
    assert_no_csp_violations(browser)
