"""Challenging a refusal in a real browser: the refused row's Challenge button, the letter naming
the section, previewed and sent; the force's review answer arriving by the inbox with its figures
and overturning the refusal; the figures recompiled; each step a chip with its date on the board.
A screenshot of the campaign's ladder is saved as test-artifacts/challenge-ladder.png."""
import datetime as dt
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By

from collection.challenges.models import ChallengeStep
from collection.challenges.services import RecordChallengeStep
from collection.forces.models import Force
from collection.mail.services import IngestMessage
from collection.requests.models import FoiRequest
from collection.requests.services import RecordResponse
from tests.browser.axe import assert_accessible
from tests.browser.test_journey import click_and_load, login, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SURREY_FILE = Path(__file__).resolve().parents[1] / "data" / "returns" / "surrey.xlsx"


def review_answer(letter) -> bytes:
    """Surrey's answer to the internal review: the figures after all, threaded under our letter."""
    msg = EmailMessage()
    msg["From"] = "Surrey Police Freedom of Information <foi@surrey.police.example>"
    msg["To"] = letter.reply_to[0]
    msg["Subject"] = "RE: " + letter.subject
    msg["Message-ID"] = "<review-answer@surrey.police.example>"
    msg["In-Reply-To"] = msg["References"] = letter.extra_headers["Message-ID"]
    msg["Date"] = timezone.now().strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg.set_content("Dear requester,\n\nWe have completed the internal review you asked for. Please find "
                    "attached the information you requested.\n\nYours sincerely,\nSurrey Police FOI team")
    msg.add_attachment(SURREY_FILE.read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="surrey.xlsx")
    return msg.as_bytes()


def test_refused_challenged_overturned_and_counted(browser, screenshot, live_server, campaign, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.org", "a-long-test-password")
    Force.objects.filter(force_id="surrey").update(foi_email="foi@surrey.police.example")
    surrey = FoiRequest.objects.select_related("force").get(campaign=campaign, force__force_id="surrey")
    RecordResponse(surrey, "refused", timezone.localdate() - dt.timedelta(days=3), sections="s.12",
                   force_reference="SP/FOI/0412").execute()
    RecordResponse(FoiRequest.objects.get(campaign=campaign, force__force_id="kent"), "refused",
                   timezone.localdate() - dt.timedelta(days=3), sections="s.40(2)").execute()
    board = live_server.url + reverse("admin:collection_campaign_workspace", args=[campaign.pk])
    login(browser, live_server, "root", "a-long-test-password")

    browser.get(board)
    row = browser.find_element(By.ID, f"row-{surrey.pk}")
    click_and_load(browser, row.find_element(By.LINK_TEXT, "Challenge"))
    letter = browser.find_element(By.NAME, "letter").get_attribute("value")
    assert "Cost (s.12)" in letter and "s.16" in letter and "SP/FOI/0412" in letter
    assert_accessible(browser, "challenge letter")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "input[name=preview]"))
    assert "Cost (s.12)" in browser.find_element(By.CSS_SELECTOR, "[data-letter-preview]").text
    assert not mail.outbox
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "input[name=send]"))
    assert browser.current_url.split("#")[0] == board and "internal review letter e-mailed" in browser.page_source
    sent = mail.outbox[-1]
    assert sent.to == ["foi@surrey.police.example"] and "Cost (s.12)" in sent.body
    row = browser.find_element(By.ID, f"row-{surrey.pk}")
    today = timezone.localdate()
    assert f"Review asked · {today.day} {today:%b %Y}" in row.text and "Review due" in row.text

    IngestMessage(review_answer(sent)).execute()  # what the inbox fetches from the mailbox
    browser.get(board)
    row = browser.find_element(By.ID, f"row-{surrey.pk}")
    assert row.get_attribute("data-state") == "suggestion"
    row.find_element(By.XPATH, ".//button[starts-with(normalize-space(), 'Accept')]").click()
    wait_for(lambda: browser.find_element(By.ID, f"row-{surrey.pk}").get_attribute("data-state") == "imported",
             timeout=60)
    kent = FoiRequest.objects.get(campaign=campaign, force__force_id="kent")
    for step, days_ago, extra in [("review_asked", 60, {}), ("review_answered", 35, {"outcome": "upheld"}),
                                  ("ico_complaint", 20, {}), ("ico_reference", 15, {"reference": "IC-41234-K9X2"}),
                                  ("decision_notice", 2, {"outcome": "upheld", "reference": "IC-41234-K9X2"})]:
        RecordChallengeStep(kent, step, today - dt.timedelta(days=days_ago), **extra).execute()
    browser.get(board)
    row = browser.find_element(By.ID, f"row-{surrey.pk}")
    assert "Review answered: overturned" in row.text and "figures imported" in row.text
    kent_row = browser.find_element(By.ID, f"row-{kent.pk}")
    assert "Decision notice: complaint upheld" in kent_row.text and "Force to comply by" in kent_row.text
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", kent_row)
    screenshot("challenge-ladder")
    answered = ChallengeStep.objects.get(request=surrey, kind="answered")
    assert answered.outcome == "overturned"

    browser.get(live_server.url + reverse("admin:reports_campaign_report", args=[campaign.pk]))
    page = browser.page_source
    assert "Figures that came after a review: Surrey Police" in page
    challenges = browser.find_element(By.ID, "challenges").text
    assert "s.12 Internal review 1 0 1 0 0 0" in challenges
    surrey_row = browser.find_element(By.XPATH, "//tr[td[1][normalize-space()='Surrey Police']]")
    offences = surrey_row.find_elements(By.TAG_NAME, "td")[2].text
    assert offences not in ("", "-") and int(offences.replace(",", "")) > 0
    # The report's charts load after the page: let them finish before the browser goes.
    wait_for(lambda: browser.execute_script(
        "return Array.prototype.every.call(document.images, function (i) { return i.complete; })"), timeout=30)
