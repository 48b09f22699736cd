"""The admin as research staff use it: the index grouped by the work, settings hidden from Viewers,
one date input pattern on every form, breadcrumbs on every custom page, styled error pages,
titles rather than slugs, and plurals."""
import re

import pytest
from django.contrib import admin
from django.contrib.admin import widgets
from django.test import RequestFactory
from django.urls import reverse

from collection.forms import DatePicker, DateTimePicker
from collection.requests.models import FoiRequest
from foi_tracker.admin_site import SETTINGS, group_of
from tests.foi_tracker.test_security import custom_view_names, url_for, world  # noqa: F401 (world: a fixture)

pytestmark = pytest.mark.django_db


def captions(html):
    return re.findall(r'<caption>\s*<a href="[^"]*" class="section">([^<]+)</a>', html)


def test_the_index_is_grouped_as_the_work_is(researcher_client, superuser_client, campaign):
    html = researcher_client.get(reverse("admin:index")).content.decode()
    assert captions(html) == ["Campaigns", "Inbox", "Requests", "Forces", "Reports", "Settings"]
    settings_part = html.split('class="section">Settings</a>')[1]
    assert "Offence codes" in settings_part and "Non working days" in settings_part
    assert "Periodic tasks" in settings_part
    assert "Users" not in html  # a researcher does not manage logins
    assert "Users" in superuser_client.get(reverse("admin:index")).content.decode().split(
        'class="section">Settings</a>')[1]
    # the campaigns at the top, each opening its workspace; "Add" starts the guided flow
    assert f'href="{campaign.get_absolute_url()}">{campaign.title}</a>' in html
    assert html.count(reverse("admin:collection_campaign_start")) >= 2


def test_viewers_never_see_settings(viewer_client):
    html = viewer_client.get(reverse("admin:index")).content.decode()
    assert captions(html) == ["Campaigns", "Inbox", "Requests", "Forces", "Reports"]
    for model, model_admin in admin.site._registry.items():
        if group_of(model._meta.app_label, model._meta.model_name) == SETTINGS:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert viewer_client.get(url).status_code == 403, url


def test_every_admin_form_types_dates_with_the_browsers_picker(rf, django_user_model):
    """One date input pattern: every date (and moment) field of every admin form, ours or a library's."""
    request = rf.get("/")
    request.user = django_user_model.objects.create_superuser("root2", "r@example.org", "pw-for-tests-only")
    checked = 0
    for model, model_admin in admin.site._registry.items():
        forms = [model_admin.get_form(request)]
        forms += [inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)]
        for form in forms:
            for name, field in form.base_fields.items():
                widget = field.widget
                if isinstance(widget, (widgets.AdminDateWidget, widgets.AdminSplitDateTime)):
                    pytest.fail(f"{model.__name__}.{name} uses the admin's text date widget")
                if isinstance(widget, DatePicker) or isinstance(widget, DateTimePicker):
                    checked += 1
    assert checked >= 8


def test_dates_on_the_pages_themselves(superuser_client):
    for name in ("admin:django_celery_beat_periodictask_add", "admin:django_celery_beat_clockedschedule_add",
                 "admin:collection_nonworkingday_add", "admin:collection_campaign_start",
                 "admin:collection_reminderlog_preview"):
        html = superuser_client.get(reverse(name)).content.decode()
        assert 'type="date"' in html or 'type="datetime-local"' in html, name
        assert "vDateField" not in html and "vTimeField" not in html and "YYYY-MM-DD" not in html, name


def test_every_custom_page_has_breadcrumbs(superuser_client, world):  # noqa: F811
    checked = 0
    for name in sorted(custom_view_names()):
        url = url_for(name, world)
        if url is None:
            continue
        response = superuser_client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        assert '<div class="breadcrumbs">' in html and 'href="/admin/">Home</a>' in html, name
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize("status, client_name, path, words", [
    (404, "researcher_client", "/admin/collection/campaign/999999/workspace/", "There is no such page"),
    (404, "researcher_client", "/no/such/page/", "There is no such page"),
    (403, "viewer_client", "/admin/collection/campaign/start/", "You may not do that"),
])
def test_error_pages_are_the_trackers(request, status, client_name, path, words):
    client = request.getfixturevalue(client_name)
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == status
    assert words in html and "FOI campaign tracker" in html and 'class="breadcrumbs"' in html
    assert "foi/admin.css" in html and f"Error {status}" in html


def test_the_server_error_and_csrf_pages_need_no_request():
    from django.views.csrf import csrf_failure
    from django.views.defaults import server_error

    page = server_error(RequestFactory().get("/"))
    assert page.status_code == 500 and "Something went wrong on our side" in page.content.decode()
    refused = csrf_failure(RequestFactory().post("/"), reason="CSRF token missing.")
    assert refused.status_code == 403 and "That form could not be accepted" in refused.content.decode()


def test_titles_not_slugs(researcher_client, campaign):
    r = campaign.requests.select_related("force", "campaign").get(force__force_id="kent")
    assert str(r) == f"Kent Police: {campaign.title}"
    html = researcher_client.get(reverse("admin:collection_foirequest_changelist")).content.decode()
    assert ">cyber-2015-16<" not in html and "Cyber-flagged sexual offences against children" in html


def test_plurals(researcher_client, campaign):
    url = reverse("admin:collection_foirequest_changelist")
    kent = campaign.requests.get(force__force_id="kent")
    page = researcher_client.post(url, {"action": "record_acknowledgement", "_selected_action": [kent.pk]})
    assert "This applies to 1 selected FOI request:" in page.content.decode()
    done = researcher_client.post(url, {"action": "record_acknowledgement", "_selected_action": [kent.pk],
                                        "apply": "1", "acknowledged_on": "2016-03-03"}, follow=True)
    assert "Recorded 1 acknowledgement." in done.content.decode()
    FoiRequest.objects.filter(campaign=campaign).exclude(pk=kent.pk).delete()
    kent.force.foi_email = "foi@kent.police.example"
    kent.force.save()
    board = researcher_client.get(campaign.get_absolute_url()).content.decode()
    assert "1 force asked" in board and "Chase 1 overdue force now" in board


def test_every_page_has_djangos_context_with_the_app_list_only_when_asked(researcher):
    """TrackerAdminSite.each_context gives what Django's gives every admin page (checked against
    Django's own, so an upgrade that adds a key shows here); the app list is worked out only when
    a template uses it, and is then the index's list."""
    from django.contrib.admin import AdminSite

    request = RequestFactory().get("/admin/")
    request.user = researcher
    ours = admin.site.each_context(request)
    assert set(ours) == set(AdminSite().each_context(request))
    assert list(ours["available_apps"]) == admin.site.get_app_list(request)
