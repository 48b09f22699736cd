"""Every list and form of the admin at 1366 px: no horizontal scrolling, and axe-core's WCAG 2.2 AA
rules, with a row of every kind of record and long values in them."""
import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse

from collection.requests.models import EventKind, FoiRequest, RequestEvent
from tests.browser.axe import assert_accessible
from tests.browser.test_journey import login
from tests.foi_tracker.test_security import world  # noqa: F401 (a fixture: one object of every model)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

#: Django's own two-box selector (users' groups and permissions, superusers only) gives its search
#: icon an aria-label on a plain span; not ours to change, and no research page uses the widget.
DJANGO_SELECT_FILTER = ".selector .help-tooltip"


def admin_urls(objects):
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        yield reverse("admin:%s_%s_changelist" % info)
        obj = objects.get(model) or model.objects.order_by("pk").first()
        if obj is not None:
            yield reverse("admin:%s_%s_change" % info, args=[obj.pk])


def test_every_admin_page_fits_1366px_and_passes_axe(browser, live_server, django_user_model, world,  # noqa: F811
                                                     screenshot):
    campaign = FoiRequest.objects.get(pk=world[FoiRequest].pk).campaign
    long = "A very long note about what the force said on the telephone, " * 4
    for r in campaign.requests.all()[:10]:
        RequestEvent.objects.record(r, EventKind.NOTE, dt.date(2016, 3, 4), detail=long)
    FoiRequest.objects.filter(campaign=campaign).update(force_reference="FOI/2016/000123-ABCDEFGH")
    django_user_model.objects.create_superuser("root", "root@example.org", "a-long-test-password")
    browser.set_window_size(1366, 900)
    login(browser, live_server, "root", "a-long-test-password")
    checked = []
    for url in admin_urls(world):
        browser.get(live_server.url + url)
        width, room = browser.execute_script("return [document.documentElement.scrollWidth, "
                                             "document.documentElement.clientWidth]")
        assert width <= room, f"{url} scrolls sideways at 1366 px ({width} > {room})"
        assert_accessible(browser, url, exclude=[DJANGO_SELECT_FILTER] if url.startswith("/admin/auth/") else [])
        checked.append(url)
    screenshot("admin-request-list-1366")
    assert len(checked) >= 25
