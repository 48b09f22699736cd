"""The admin pages that run our JavaScript still work under the Content-Security-Policy, and a
campaign, force and reference holding `<script>` run nothing: the reminder preview (its digest
in a sandboxed frame), a returned file's progress bar (static/foi/progress.js) and the periodic
task form (static/foi/periodic_task.js). The browser fixture fails the test on any CSP
violation in the console; the last test shows that it would."""
import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from collection.forces.models import Force
from collection.requests.models import FoiRequest
from collection.returns.models import ReturnedFile, ReturnStatus
from collection.requests.services import CreateCampaign
from tests.browser.conftest import assert_no_csp_violations, csp_violations
from tests.browser.test_journey import login, wait_for
from tests.conftest import ensure_reference_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = '<script>alert("x")</script> "quoted" {{ campaign.slug }}'


@pytest.fixture
def root(make_user):
    ensure_reference_data()
    user = make_user("root", is_superuser=True)
    user.set_password("a-long-test-password")
    user.save()
    return user


@pytest.fixture
def hostile_campaign(root):
    forces = list(Force.objects.filter(force_id__in=["kent", "essex"]))
    for force in forces:
        force.name = f"{force.name} {HOSTILE}"
        force.foi_email = f"foi@{force.force_id}.police.example"
        force.save()
    campaign = CreateCampaign(slug="hostile", title=f"Cyber {HOSTILE}", question="How many?",
                              period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31), owner=root,
                              forces=forces, sent_on=dt.date(2016, 3, 1)).execute()
    FoiRequest.objects.filter(campaign=campaign).update(force_reference=HOSTILE[:80])
    return campaign


def no_alert(browser):
    from selenium.common.exceptions import NoAlertPresentException

    try:
        text = browser.switch_to.alert.text
    except NoAlertPresentException:
        return
    pytest.fail(f"a script typed into a title ran: alert({text!r})")


def test_pages_with_typed_script_run_none_and_break_nothing(browser, screenshot, live_server, root,
                                                            hostile_campaign):
    login(browser, live_server, "root", "a-long-test-password")
    kent = FoiRequest.objects.get(campaign=hostile_campaign, force__force_id="kent")
    for path in ("/admin/", "/admin/collection/campaign/", f"/admin/collection/campaign/{hostile_campaign.pk}/change/",
                 f"/admin/collection/foirequest/?campaign__id__exact={hostile_campaign.pk}",
                 f"/admin/collection/foirequest/{kent.pk}/change/", "/admin/collection/force/",
                 f"/admin/reports/aggregatesnapshot/campaign/{hostile_campaign.pk}/report/"):
        browser.get(live_server.url + path)
        no_alert(browser)
        assert "Log in" not in browser.title, path
        assert_no_csp_violations(browser)

    # The reminder preview: the digest is really in its frame (it was a blank box), as text.
    browser.get(live_server.url + "/admin/collection/reminderlog/preview/?day=2016-04-04")
    no_alert(browser)
    assert "Cyber <script>" in browser.find_element(By.TAG_NAME, "h3").text
    frame = browser.find_element(By.TAG_NAME, "iframe")
    browser.switch_to.frame(frame)
    digest = browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    assert "reminders for Monday 4 April 2016" in digest
    assert f"Cyber {HOSTILE}" in digest and "Kent Police" in digest
    screenshot("csp-01-reminder-preview")
    assert_no_csp_violations(browser)


def test_a_returned_files_progress_bar_moves(browser, live_server, root, hostile_campaign):
    login(browser, live_server, "root", "a-long-test-password")
    kent = FoiRequest.objects.get(campaign=hostile_campaign, force__force_id="kent")
    returned = ReturnedFile.objects.create(request=kent, file="returns/x/kent.xlsx", original_name="kent.xlsx",
                                           sha256="a" * 64, size=10, status=ReturnStatus.PENDING,
                                           summary={"phase": "reading", "percent": 10})
    browser.get(live_server.url + f"/admin/collection/returnedfile/{returned.pk}/preview/")
    bar = browser.find_element(By.ID, "progress-bar")
    assert bar.get_attribute("value") == "10"
    ReturnedFile.objects.filter(pk=returned.pk).update(summary={"phase": "checking", "percent": 60})
    wait_for(lambda: browser.find_element(By.ID, "progress-bar").get_attribute("value") == "60")
    assert browser.find_element(By.ID, "progress-label").text == "Checking..."
    ReturnedFile.objects.filter(pk=returned.pk).update(status=ReturnStatus.REFUSED, error="kent.xlsx: no table")
    wait_for(lambda: "Refused: kent.xlsx: no table" in browser.page_source)  # the script reloaded the page
    assert_no_csp_violations(browser)


def test_the_periodic_task_form_explains_its_schedule(browser, live_server, root):
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab = CrontabSchedule.objects.create(minute="30", hour="7", day_of_week="1-5", timezone="Europe/London")
    task, _ = PeriodicTask.objects.update_or_create(  # made by a migration, unless a flush took it
        name="Daily reminders and chasers", defaults={"task": "collection.send_reminders", "crontab": crontab,
                                                      "interval": None})
    login(browser, live_server, "root", "a-long-test-password")
    browser.get(live_server.url + f"/admin/django_celery_beat/periodictask/{task.pk}/change/")
    wait_for(lambda: "Translation: At 07:30" in browser.find_element(By.CSS_SELECTOR, ".field-crontab .help").text)
    Select(browser.find_element(By.ID, "id_crontab")).select_by_value("")
    wait_for(lambda: "Translation" not in browser.find_element(By.CSS_SELECTOR, ".field-crontab .help").text)
    assert_no_csp_violations(browser)


def test_an_inline_script_is_blocked_and_caught(browser, live_server, root):
    login(browser, live_server, "root", "a-long-test-password")
    # As if a template had slipped: an inline script put into the page. The policy blocks it...
    browser.execute_script("var s = document.createElement('script'); s.textContent = 'window.ran = true;';"
                           "document.body.appendChild(s);")
    assert browser.execute_script("return window.ran === true") is False
    # ...and says so in the console, which is what fails every browser test.
    found = []
    wait_for(lambda: found.extend(csp_violations(browser)) or found)
    assert "script-src" in found[0]
