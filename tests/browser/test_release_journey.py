"""Publishing a release from the report page in a browser (issue 22): a Researcher presses
"Publish a release" on the final practice campaign; the page then lists the zip and every file in
it with its SHA-256, and the zip downloads with those files. A Viewer sees the releases, no button."""
import datetime as dt
import hashlib
import zipfile

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import assert_no_csp_violations
from tests.browser.test_journey import login, wait_for
from tests.reports.practice import load_counts, record_outcomes

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_researcher_publishes_a_release_and_downloads_its_zip(browser, screenshot, live_server, make_user):
    from collection.requests.services import CreateCampaign
    from reports.releases.models import Release
    from tests.conftest import ensure_reference_data

    ensure_reference_data()
    rita = make_user("rita", "Researchers")
    rita.set_password("a-long-test-password")
    rita.save()
    victor = make_user("victor", "Viewers")
    victor.set_password("a-long-test-password")
    victor.save()
    campaign = CreateCampaign(slug="cyber-2015-16", title="Cyber-flagged sexual offences against children 2015/16",
                              question="How many sexual offences against children ...",
                              period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31), owner=rita,
                              sent_on=dt.date(2016, 3, 1)).execute()
    load_counts(campaign)
    record_outcomes(campaign, user=rita)
    report = f"{live_server.url}/admin/reports/aggregatesnapshot/campaign/{campaign.pk}/report/"

    login(browser, live_server, "rita", "a-long-test-password")
    browser.get(report)
    button = browser.find_element(By.CSS_SELECTOR, "form.publish-release input[type=submit]")
    browser.execute_script("arguments[0].scrollIntoView()", button)
    screenshot("release-01-button")
    button.click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "a.release-zip"), timeout=60)
    release = Release.objects.get(campaign=campaign)
    link = browser.find_element(By.CSS_SELECTOR, "a.release-zip")
    assert link.text == "cyber-2015-16-v1.zip"
    rows = browser.find_elements(By.CSS_SELECTOR, "table.release-files tbody tr")
    listed = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[2].text for r in rows}
    assert {"datapackage.json", "methodology.md", "SHA256SUMS", "data/forces.csv", "charts/age.svg"} <= set(listed)
    assert listed == {f["path"]: f["sha256"] for f in release.files}
    browser.execute_script("arguments[0].scrollIntoView()", link)
    screenshot("release-02-listed")
    link.click()
    target = browser.downloads / "cyber-2015-16-v1.zip"
    wait_for(lambda: target.exists() and not list(browser.downloads.glob("*.crdownload")), timeout=20)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == release.sha256
    with zipfile.ZipFile(target) as z:
        for path, digest in listed.items():
            assert hashlib.sha256(z.read(f"cyber-2015-16-v1/{path}")).hexdigest() == digest
    assert_no_csp_violations(browser)

    browser.delete_all_cookies()
    login(browser, live_server, "victor", "a-long-test-password")
    browser.get(report)
    assert browser.find_elements(By.CSS_SELECTOR, "a.release-zip")
    assert not browser.find_elements(By.CSS_SELECTOR, "form.publish-release")
