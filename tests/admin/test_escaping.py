"""What a colleague typed is shown as typed, never run: a campaign title, a force name and a
force reference holding `<script>`, quotes, `{{ }}` and `$...$` on every admin page, in the
reminder preview (page, HTML part in its frame, plain-text parts), in the e-mails and charts.
"""
import datetime as dt
import html
import re

import pytest
from django.core import mail
from django.urls import reverse

from collection.forces.models import Force, OffenceCode
from collection.requests.models import Campaign, FoiRequest
from collection.returns.models import OffenceCount
from collection.reminders.services import SendReminders
from tests.foi_tracker.test_security import our_urls, world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
HOSTILE = f'{SCRIPT} "quoted" {{{{ campaign.slug }}}} $\\frac{{1}}$'
ESCAPED_SCRIPT = html.escape(SCRIPT)  # &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;
# Raw, the script would run; raw quotes would end an attribute (title="...") and let the rest in.
RAW = re.compile(r'<script>alert|"quoted" {{', re.I)
REMINDER_DAY = dt.date(2016, 4, 4)  # the practice campaign is due 1 April 2016: chasers and a digest


@pytest.fixture
def hostile(world):
    """The practice campaign, with hostile text in its title, three forces' names and references."""
    campaign = world[Campaign]
    Campaign.objects.filter(pk=campaign.pk).update(title=f"Cyber {HOSTILE}")
    forces = Force.objects.filter(force_id__in=["kent", "essex", "surrey"])
    for force in forces:
        force.name = f"{force.name} {HOSTILE}"
        force.foi_email = f"foi@{force.force_id}.police.example"
        force.save()
    FoiRequest.objects.filter(campaign=campaign, force__in=forces).update(force_reference=HOSTILE[:80])
    code = OffenceCode.objects.get(code="19E")
    for force in forces:
        request = FoiRequest.objects.get(campaign=campaign, force=force)
        OffenceCount.objects.create(campaign=campaign, force=force, request=request, offence=code, victim_age=9,
                                    count=3)
    campaign.refresh_from_db()
    assert len(HOSTILE) <= 80 and HOSTILE in campaign.title
    return campaign


def assert_shown_not_run(content: str, where: str, pattern=RAW):
    found = pattern.search(content)
    assert not found, f"{where} shows a typed value unescaped: {found.group(0)!r}"


def body(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def test_every_admin_page_escapes_typed_values(superuser_client, hostile, world):
    # A run for the day first, so the reminder log has rows (their subjects hold the title).
    SendReminders(today=REMINDER_DAY).execute()
    pages = our_urls(world) + [
        ("preview", reverse("admin:collection_reminderlog_preview") + "?day=2016-04-04"),
        ("report", reverse("admin:reports_campaign_report", args=[hostile.pk])),
        ("requests of the campaign", reverse("admin:collection_foirequest_changelist")
         + f"?campaign__id__exact={hostile.pk}"),
    ] + [(f"chart {kind} {fmt}", reverse("admin:reports_campaign_chart", args=[hostile.pk, kind, fmt]))
         for kind in ("age", "force", "category") for fmt in ("svg", "png")]
    shown = set()
    for name, url in pages:
        if name in ("logout", "autocomplete"):  # a POST, and a JSON search that needs its parameters
            continue
        response = superuser_client.get(url)
        # 403: a read-only admin's add page; 405: a view that only takes a POST
        assert response.status_code in (200, 302, 403, 405), (name, url, response.status_code)
        kind = response.get("Content-Type", "")
        if response.status_code != 200 or not kind.startswith(("text/html", "image/svg")):
            continue  # files and exports hold the text as typed, for a spreadsheet or a download
        content = body(response)
        if kind.startswith("image/svg"):
            # Text is drawn as paths; the words are kept in XML comments, where quotes are harmless.
            assert_shown_not_run(content, f"{name} ({url})", re.compile("<script"))
            continue
        assert_shown_not_run(content, f"{name} ({url})")
        if ESCAPED_SCRIPT in content:
            shown.add(name)
    # The test means something only if the pages do show the values.
    assert {"collection_campaign_change", "collection_campaign_changelist", "collection_campaign_delete",
            "collection_foirequest_change", "collection_force_changelist", "preview", "report",
            "requests of the campaign", "collection_reminderlog_changelist", "reports_campaign_report"} <= shown, shown


def test_reminder_preview_shows_the_digest_and_chasers_escaped(viewer_client, hostile):
    page = viewer_client.get(reverse("admin:collection_reminderlog_preview"),
                             {"day": "2016-04-04", "campaign": hostile.pk})
    assert page.status_code == 200
    content = page.content.decode()
    assert_shown_not_run(content, "the preview page")
    # The plain-text parts, shown in <pre>, as typed: escaped once, the {{ }} not evaluated.
    texts = [html.unescape(t) for t in re.findall(r"<pre>(.*?)</pre>", content, re.S)]
    assert len(texts) == 4  # the digest and three chasers
    assert all(HOSTILE in t for t in texts)
    # The HTML part in the frame is the real digest (it was a blank box), its values escaped.
    frames = re.findall(r'srcdoc="([^"]*)"', content)
    assert len(frames) == 1
    digest = html.unescape(frames[0])
    assert "reminders for Monday 4 April 2016" in digest and "Very overdue" not in digest
    assert digest.count("Overdue (") == 1 and "Kent Police" in digest
    assert_shown_not_run(digest, "the digest in the preview frame")
    assert ESCAPED_SCRIPT in digest and "{{ campaign.slug }}" in digest


def test_emails_escape_their_html_part_and_keep_the_text_as_typed(hostile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        SendReminders(today=REMINDER_DAY, campaign=hostile).execute()
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        assert "\n" not in message.subject
        assert HOSTILE in message.body  # text/plain: as typed
        (part, kind), = message.alternatives
        assert kind == "text/html"
        assert_shown_not_run(part, f"the HTML part of {message.subject!r}")
        assert ESCAPED_SCRIPT in part and "{{ campaign.slug }}" in part
    digest = next(m for m in mail.outbox if m.subject.startswith("FOI digest"))
    assert digest.to == ["rita@example.org"]


def test_a_preview_for_a_far_day_is_refused_naming_the_field(viewer_client, hostile):
    for day in ("3026-01-05", "9999-12-31", "1999-12-31", "2099-01-05"):
        page = viewer_client.get(reverse("admin:collection_reminderlog_preview"), {"day": day})
        assert page.status_code == 200
        errors = page.context["form"].errors
        assert list(errors) == ["day"] and errors["day"][0] in page.content.decode()  # shown by the field
        assert page.context["summary"] is None


def test_charts_draw_dollar_signs_as_text(researcher_client, hostile):
    from reports import charts

    for kind in charts.CHARTS:
        for fmt in charts.FORMATS:
            response = researcher_client.get(reverse("admin:reports_campaign_chart", args=[hostile.pk, kind, fmt]))
            assert response.status_code == 200, (kind, fmt)
    svg = researcher_client.get(reverse("admin:reports_campaign_chart", args=[hostile.pk, "force", "svg"]))
    assert svg.content.decode().count("Kent Police &lt;script&gt;") == 1  # the name, in a comment, as typed
