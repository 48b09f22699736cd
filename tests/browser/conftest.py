"""Headless Chromium (Debian's chromium and chromium-driver) driven by Selenium against the
live server. In CI (.ci/run installs them) a missing browser fails; on a laptop without it the
browser tests are skipped with that reason.

Every browser test also fails if the browser reported a Content-Security-Policy violation in
its console (a script or handler the policy blocked: something on the page no longer works).
Call `assert_no_csp_violations(browser)` after a page to fail there; the fixture checks again
at the end of the test."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).resolve().parents[2] / "test-artifacts"))


@pytest.fixture
def browser(tmp_path):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are not installed; .ci/run should have installed them")
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1400,1000", f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    driver.downloads = downloads
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.console = []  # every console entry read so far
    yield driver
    try:
        assert_no_csp_violations(driver)
    finally:
        driver.quit()


def csp_violations(driver) -> list[str]:
    """Console messages since the last call that say the Content-Security-Policy blocked something."""
    entries = driver.get_log("browser")
    driver.console.extend(entries)
    return [e["message"] for e in entries if "Content Security Policy" in e["message"]]


def assert_no_csp_violations(driver):
    found = csp_violations(driver)
    assert not found, "the Content-Security-Policy blocked something on the page:\n" + "\n".join(found)


@pytest.fixture
def screenshot(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(name):
        path = ARTIFACTS / f"{name}.png"
        browser.save_screenshot(str(path))
        return path
    return save
