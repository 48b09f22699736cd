"""Every admin page: 200 for a researcher, read-only for a viewer, the login page for anyone else."""

import pytest
from django.contrib import admin
from django.urls import reverse

from collection.requests.models import EventKind, FoiRequest, RequestEvent, RequestStatus

pytestmark = pytest.mark.django_db


def admin_pages(obj_by_model):
    """The changelist, add and change page of every registered model."""
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        yield reverse("admin:%s_%s_changelist" % info), model
        obj = obj_by_model.get(model)
        if obj is not None:
            yield reverse("admin:%s_%s_change" % info, args=[obj.pk]), model


@pytest.fixture
def objects(campaign):
    r = campaign.requests.get(force__force_id="kent")
    return {type(campaign): campaign, FoiRequest: r, type(r.force): r.force,
            RequestEvent: r.events.first()}


def test_researcher_sees_every_page_of_the_research_apps(researcher_client, objects):
    from collection.roles import APPS
    for url, model in admin_pages(objects):
        expected = 200 if model._meta.app_label in APPS else 403  # users and groups are the superuser's
        assert researcher_client.get(url).status_code == expected, url
    assert researcher_client.get(reverse("admin:index")).status_code == 200


def test_superuser_sees_every_page(client, django_user_model, objects):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    for url, _ in admin_pages(objects):
        assert client.get(url).status_code == 200, url


def test_viewer_sees_every_page_but_cannot_change(viewer_client, objects):
    from foi_tracker.admin_site import SETTINGS, group_of

    for url, model in admin_pages(objects):
        if model._meta.app_label not in ("collection", "reports"):
            continue
        response = viewer_client.get(url)
        if group_of(model._meta.app_label, model._meta.model_name) == SETTINGS:
            assert response.status_code == 403, url  # offence codes, non-working days: Viewers never see settings
            continue
        assert response.status_code == 200, url
        assert b'name="_save"' not in response.content, url
    r = objects[FoiRequest]
    url = reverse("admin:collection_foirequest_change", args=[r.pk])
    response = viewer_client.post(url, {"force_reference": "hacked", "status": "closed"})
    assert response.status_code == 403
    r.refresh_from_db()
    assert r.force_reference == ""
    assert viewer_client.get(reverse("admin:collection_campaign_add")).status_code == 403


def test_viewer_cannot_run_actions(viewer_client, campaign):
    url = reverse("admin:collection_foirequest_changelist")
    ids = list(campaign.requests.values_list("pk", flat=True)[:2])
    response = viewer_client.post(url, {"action": "record_answer", "_selected_action": ids, "apply": "1",
                                        "outcome": "provided", "received_on": "2016-03-20"})
    assert not FoiRequest.objects.exclude(outcome="").exists()
    assert response.status_code in (200, 302, 403)


def test_anonymous_users_are_sent_to_the_login_page(client, objects):
    for url, _ in admin_pages(objects):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    assert client.get("/").status_code == 302


def test_record_answer_action_through_the_admin(researcher_client, campaign):
    url = reverse("admin:collection_foirequest_changelist")
    ids = list(campaign.requests.filter(force__force_id__in=["kent", "essex"]).values_list("pk", flat=True))
    form = researcher_client.post(url, {"action": "record_answer", "_selected_action": ids})
    assert form.status_code == 200 and b"Record the answer" in form.content
    done = researcher_client.post(url, {"action": "record_answer", "_selected_action": ids, "apply": "1",
                                        "outcome": "nil_return", "received_on": "2016-03-20", "sections": ""})
    assert done.status_code == 302
    assert set(FoiRequest.objects.filter(outcome="nil_return").values_list("force__force_id", flat=True)) == \
        {"kent", "essex"}


def test_overdue_filter_and_lateness_column(researcher_client, campaign, settings):
    url = reverse("admin:collection_foirequest_changelist")
    response = researcher_client.get(url, {"deadline": "overdue"})
    assert response.status_code == 200
    assert b"working days overdue" in response.content  # sent in 2016: long overdue today
    very = researcher_client.get(url, {"deadline": "very_overdue"})
    assert b"very overdue" in very.content


def test_editing_a_request_in_the_admin_leaves_a_trace(researcher_client, researcher, campaign):
    r = campaign.requests.get(force__force_id="kent")
    url = reverse("admin:collection_foirequest_change", args=[r.pk])
    page = researcher_client.get(url)
    assert b"Saint Patrick" in page.content  # the explanation of the due date
    data = {
        "force_reference": "KENT/FOI/123", "sent_at_0": "01/03/2016", "sent_at_1": "09:00:00",
        "sent_via": "recorded", "received_on": "01/03/2016", "status": "sent", "outcome": "",
        "sections_cited": "", "answered_on": "",
        "events-TOTAL_FORMS": "1", "events-INITIAL_FORMS": "0", "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
        "events-0-happened_on": "08/03/2016", "events-0-kind": "clarification_asked", "events-0-new_due_on": "",
        "events-0-detail": "They asked what 'cyber flag' covers", "events-0-request": r.pk,
        "_save": "Save",
    }
    response = researcher_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    r.refresh_from_db()
    assert r.force_reference == "KENT/FOI/123"
    edited = r.events.get(kind=EventKind.EDITED)
    assert edited.created_by == researcher and "force_reference" in edited.changes
    assert r.status == RequestStatus.AWAITING_CLARIFICATION and r.due_on is None


def test_campaign_page_shows_progress_per_force(researcher_client, campaign):
    response = researcher_client.get(reverse("admin:collection_campaign_change", args=[campaign.pk]))
    assert b"Avon and Somerset" in response.content and b"working days overdue" in response.content
    listing = researcher_client.get(reverse("admin:collection_campaign_changelist"))
    assert b"0 of 44" in listing.content


def test_new_campaign_in_the_admin_asks_all_active_forces(researcher_client, researcher):
    from collection.requests.models import Campaign
    response = researcher_client.post(reverse("admin:collection_campaign_add"), {
        "title": "Cyber 2017", "slug": "cyber-2017", "question": "How many ...",
        "period_start": "01/04/2017", "period_end": "31/03/2018", "chasers_enabled": "on", "_save": "Save",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    c = Campaign.objects.get(slug="cyber-2017")
    assert c.requests.count() == 44 and c.owner == researcher


# --- permissions are read afresh for each page (Django's ModelBackend) ---------------------------

REQUESTS = "/admin/collection/foirequest/"


def test_a_permission_taken_away_counts_from_the_next_page(client, make_user):
    from django.contrib.auth.models import Group

    from collection.roles import RESEARCHERS, VIEWERS

    rita = make_user("rita", RESEARCHERS)
    client.force_login(rita)
    assert client.get(REQUESTS).status_code == 200
    assert "record_answer" in client.get(REQUESTS).content.decode()  # a researcher's action
    rita.groups.set([Group.objects.get(name=VIEWERS)])
    page = client.get(REQUESTS)
    assert page.status_code == 200 and "record_answer" not in page.content.decode()
    rita.groups.clear()
    assert client.get(REQUESTS).status_code == 403


def test_a_permission_given_counts_from_the_next_page(client, make_user):
    from django.contrib.auth.models import Group, Permission

    olly = make_user("olly")
    client.force_login(olly)
    assert client.get(REQUESTS).status_code == 403
    olly.user_permissions.add(Permission.objects.get(codename="view_foirequest"))
    assert client.get(REQUESTS).status_code == 200
    group = Group.objects.create(name="Chasers")
    olly.groups.add(group)
    assert "send_chaser_now" not in client.get(REQUESTS).content.decode()
    group.permissions.add(Permission.objects.get(codename="change_foirequest"))
    assert "send_chaser_now" in client.get(REQUESTS).content.decode()


def test_a_user_made_inactive_or_superuser_counts_from_the_next_page(client, make_user):
    from collection.roles import RESEARCHERS

    rita = make_user("rita", RESEARCHERS)
    client.force_login(rita)
    assert client.get("/admin/auth/user/").status_code == 403  # users are not a researcher's
    type(rita).objects.filter(pk=rita.pk).update(is_superuser=True)
    assert client.get("/admin/auth/user/").status_code == 200
    type(rita).objects.filter(pk=rita.pk).update(is_superuser=False, is_active=False)
    assert client.get(REQUESTS).status_code == 302  # to the login page
