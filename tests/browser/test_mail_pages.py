"""The campaign's inbox (a row per force, most without mail) and a message page whose text scrolls
sideways, at 1366 px: axe-core's WCAG 2.2 AA rules pass (list markup, a scrolling region that takes
keyboard focus), and the message page leads back to its row on the board."""
from email.message import EmailMessage

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By

from collection.mail.services import IngestMessage, IngestPaths
from tests.browser.axe import assert_accessible
from tests.browser.test_journey import click_and_load, login
from tests.mail.practice import make_practice_campaign, message_names, write_mailbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def long_lines() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Kent Police - Freedom of Information <foi@kent.police.uk>"
    msg["To"] = "foi-research@localhost"
    msg["Subject"] = "RE: Freedom of Information request FOI-PRACTICE-2015-16-KENT: figures"
    msg["Message-ID"] = "<long-lines@kent.police.uk>"
    msg.set_content("Our ref: FOI 001156/16\n\n" + "Offence;Age;Count;" * 60 + "\n\nPlease find the table above.")
    return msg.as_bytes()


def test_the_inbox_and_a_message_page_pass_axe_and_lead_back_to_the_board(browser, live_server, django_user_model,
                                                                          tmp_path):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-test-password")
    campaign = make_practice_campaign(user)
    IngestPaths([str(write_mailbox(tmp_path / "mailbox"))]).execute()
    assert len(message_names()) == 93
    message = IngestMessage(long_lines()).execute().message
    browser.set_window_size(1366, 900)
    login(browser, live_server, "root", "a-long-test-password")

    browser.get(live_server.url + reverse("admin:collection_campaign_inbox", args=[campaign.pk]))
    assert browser.find_element(By.LINK_TEXT, "Upload e-mail files")
    assert_accessible(browser, "inbox")

    browser.get(live_server.url + reverse("admin:collection_mailmessage_change", args=[message.pk]))
    text = browser.find_element(By.CSS_SELECTOR, "pre.foi-mail-text")
    assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", text)  # it scrolls
    assert_accessible(browser, "message page")
    click_and_load(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "on the board"))
    assert browser.current_url.endswith(f"/workspace/#row-{message.request_id}")
