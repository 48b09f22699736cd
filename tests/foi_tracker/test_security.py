"""Roles and hardening, through HTTP.

- Anonymous users get the login page for every admin URL, custom views included (found by
  walking the admin's URL patterns, so a new view is covered the day it is added).
- Viewers see but change nothing: every add/change/delete form, every action of every admin,
  every custom view that writes: refused, and no row of ours, no stored file, no email changed.
- Researchers do the work (upload, confirm, actions).
- CSRF is enforced on every form; uploads are capped and kept outside the static root and are
  served only by the permission-checked download view; `check --deploy` is clean with the
  production settings; no secret is committed; exports escape formulas.
"""
import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, resolve, reverse
from django.utils import timezone

from collection.forces.models import Force, OffenceCode
from collection.requests.models import Campaign, FoiRequest, NonWorkingDay, RequestEvent
from collection.returns.models import (ForceColumnMapping, OffenceCount, ReturnedFile, ReturnStatus, ScanReading,
                                       UnmatchedReturn)
from tests.helpers import ROOT

pytestmark = pytest.mark.django_db

BASE_DIR = ROOT
OUR_APPS = ("collection", "reports", "django_celery_beat")
STANDARD_SUFFIXES = ("_changelist", "_add", "_change", "_delete", "_history")

# Custom admin views (get_urls) by what they do. A new custom view fails
# test_every_custom_view_is_classified until it is put in one of these.
WRITING_VIEWS = {"collection_returnedfile_upload", "collection_returnedfile_confirm", "collection_foirequest_record_answer",
                 "collection_returnedfile_try_again",  # queue again a reading or import whose worker died
                 "collection_reminderlog_run_now", "reports_campaign_compile",
                 "collection_force_import", "collection_force_process_import",
                 # entry: many returns at once, files to assign, typed entry, mapping from the preview
                 "collection_returnedfile_bulk_upload", "collection_returnedfile_confirm_clean",
                 "collection_returnedfile_assign", "collection_returnedfile_type", "collection_returnedfile_map",
                 # workspace
                 "collection_campaign_start", "collection_campaign_send", "collection_campaign_workspace_action",
                 "collection_campaign_chase_overdue", "collection_campaign_ask_again",
                 # inbox
                 "collection_mailmessage_upload", "collection_mailmessage_assign", "collection_mailsuggestion_accept",
                 "collection_mailsuggestion_dismiss", "collection_campaign_accept_clean",
                 # scanned answers: read with OCR
                 "collection_returnedfile_read_scan",
                 # the challenge ladder: send a review letter (its GET only drafts), record a step
                 "collection_challengestep_letter", "collection_challengestep_record",
                 # releases: build one (a task on the worker)
                 "reports_release_publish"}
READING_VIEWS = {"collection_returnedfile_preview", "collection_returnedfile_progress",
                 "collection_returnedfile_download", "collection_reminderlog_preview",
                 "reports_campaign_report", "reports_campaign_chart", "reports_campaign_export",
                 "reports_campaign_export_metadata", "reports_campaign_suppressed",
                 "reports_campaign_trace", "reports_campaign_trace_force", "reports_campaign_trace_cell",
                 # entry: a campaign's returns queue, a file to assign as it was sent
                 "collection_returnedfile_queue", "collection_returnedfile_unmatched_download",
                 # workspace
                 "collection_campaign_workspace", "collection_campaign_workspace_row",
                 # inbox
                 "collection_campaign_inbox",
                 # scanned answers: how far a reading has got
                 "collection_returnedfile_reading_progress",
                 # the challenge ladder: one drafted letter per force refused under a section
                 "collection_challengestep_campaign",
                 # the ICO complaint pack of one request: a zip, read from what is kept (GET only)
                 "collection_challengestep_icopack",
                 # a figure traced to its source: a force's counts, a count's cell in its file
                 "reports_campaign_trace", "reports_campaign_trace_force", "reports_campaign_trace_cell",
                 # a release's zip
                 "reports_release_download"}
SITE_VIEWS = {"index", "login", "logout", "password_change", "password_change_done", "autocomplete", "jsi18n",
              "view_on_site", "app_list"}


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def world(campaign, researcher):
    """One object of every model our admins show, so that every URL has something to act on."""
    from django_celery_beat.models import (ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask,
                                           SolarSchedule)

    r = campaign.requests.select_related("force").get(force__force_id="kent")
    returned = ReturnedFile(request=r, original_name="kent.csv", sha256="a" * 64, size=12, uploaded_by=researcher,
                            status=ReturnStatus.PENDING)
    returned.file.save("kent.csv", ContentFile(b"Offence,Age\n"), save=False)
    returned.save()
    unmatched = UnmatchedReturn(campaign=campaign, original_name="FOI 1234.csv", sha256="b" * 64, size=10,
                                reason="no force named")
    unmatched.file.save("FOI 1234.csv", ContentFile(b"Cat,Yrs,N\n"), save=False)
    unmatched.save()
    objects = {
        UnmatchedReturn: unmatched,
        Campaign: campaign, FoiRequest: r, Force: r.force, OffenceCode: OffenceCode.objects.first(),
        RequestEvent: r.events.first(), ReturnedFile: returned,
        OffenceCount: OffenceCount.objects.create(campaign=campaign, force_id=r.force_id, request=r,
                                                  returned_file=returned, offence=OffenceCode.objects.first(),
                                                  victim_age=9, count=3, source_place="row 2, column B"),
        NonWorkingDay: NonWorkingDay.objects.create(date=dt.date(2031, 5, 2), description="One-off"),
        ForceColumnMapping: ForceColumnMapping.objects.create(force=r.force, mapping={"count": "D"}),
        ScanReading: ScanReading.objects.create(scan=returned, status="failed", error="not a scan"),
    }
    from collection.challenges.models import ChallengeStep
    objects[ChallengeStep] = ChallengeStep.objects.create(request=r, stage="internal_review", kind="asked",
                                                          date=dt.date(2016, 4, 5), sections="s.12")
    interval = IntervalSchedule.objects.create(every=1, period="days")
    objects[IntervalSchedule] = interval
    objects[CrontabSchedule] = CrontabSchedule.objects.create(minute="0", hour="7")
    objects[SolarSchedule] = SolarSchedule.objects.create(event="sunrise", latitude=51.5, longitude=0.1)
    objects[ClockedSchedule] = ClockedSchedule.objects.create(clocked_time=timezone.now())
    objects[PeriodicTask] = PeriodicTask.objects.get_or_create(
        name="A test task", defaults={"task": "collection.send_reminders", "interval": interval,
                                      "enabled": True})[0]
    for model in apps.get_app_config("collection").get_models():
        if model.__name__ == "ReminderLog":
            objects[model] = model.objects.create(kind="chaser", campaign=campaign, request=r,
                                                  about=dt.date(2016, 3, 30), recipient="foi@kent.example",
                                                  status="failed", error="SMTP down")
    from reports.models import AggregateSnapshot
    from reports.releases.models import Release

    snapshot = AggregateSnapshot.objects.create(campaign=campaign, final=False, figures={"total_offences": 0})
    objects[AggregateSnapshot] = snapshot
    release = Release(campaign=campaign, snapshot=snapshot, version=1, figures_digest="c" * 64, sha256="d" * 64)
    release.archive.save("release.zip", ContentFile(b"PK\x05\x06" + bytes(18)), save=False)
    release.save()
    objects[Release] = release
    return objects


def state():
    """Everything a request could change: every row of our apps, the stored files, the mail sent."""
    rows = {}
    for label in OUR_APPS:
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = sorted(map(repr, model.objects.order_by("pk").values()))
    media = Path(settings.MEDIA_ROOT)
    files = sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return rows, files, len(mail.outbox)


# --- URL discovery ---------------------------------------------------------------------------

def admin_patterns():
    """(name, route, converters) of every pattern of the admin site, custom ones included."""
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name:
                yield p.name, prefix + str(p.pattern), getattr(p.pattern, "converters", {})
    return list(walk(admin.site.get_urls()))


def model_for(name):
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model
    return None


def url_for(name, objects):
    """A URL for a named admin pattern, its arguments filled with objects that exist."""
    campaign, returned = objects[Campaign], objects[ReturnedFile]
    values = {"request_pk": objects[FoiRequest].pk, "pk": returned.pk, "campaign_id": campaign.pk,
              "kind": "age", "fmt": "csv" if "export" in name else "png", "unmatched_pk": objects[UnmatchedReturn].pk,
              "reading_pk": objects[ScanReading].pk, "force_id": objects[FoiRequest].force.force_id}
    values["count_id"] = objects[OffenceCount].pk
    values["release_id"] = next(obj.pk for model, obj in objects.items() if model.__name__ == "Release")
    if name == "app_list":
        return reverse("admin:app_list", kwargs={"app_label": "collection"})
    if name == "view_on_site":
        return reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(Campaign).pk, campaign.pk])
    model = model_for(name)
    if name.endswith(("_change", "_delete", "_history")):
        obj = objects.get(model)
        return reverse(f"admin:{name}", args=[obj.pk]) if obj is not None else None
    try:
        return reverse(f"admin:{name}")
    except NoReverseMatch:
        pass
    for pattern_name, route, converters in admin_patterns():
        if pattern_name == name:
            return reverse(f"admin:{name}", kwargs={k: values[k] for k in converters})
    return None


def our_urls(objects, suffixes=None):
    """(name, url) of every admin URL except the users' and groups' (the superuser's)."""
    out = []
    for name, route, _ in admin_patterns():
        if name.startswith("auth_"):
            continue
        if suffixes is not None and not name.endswith(suffixes):
            continue
        url = url_for(name, objects)
        if url:
            out.append((name, url))
    return out


def custom_view_names():
    return {name for name, _, _ in admin_patterns()
            if not name.endswith(STANDARD_SUFFIXES) and name not in SITE_VIEWS and not name.startswith("auth_")}


# --- anonymous -------------------------------------------------------------------------------

def test_every_custom_view_is_classified():
    unknown = custom_view_names() - WRITING_VIEWS - READING_VIEWS
    assert not unknown, f"classify these custom admin views in tests/foi_tracker/test_security.py: {sorted(unknown)}"
    # and the known custom views are really found by walking the patterns
    assert {"collection_returnedfile_upload", "collection_returnedfile_download"} <= custom_view_names()


def test_anonymous_users_get_the_login_page_for_every_admin_url(client, world):
    urls = our_urls(world) + [("catch-all", "/admin/no/such/page/"), ("root", "/")]
    assert len(urls) > 60
    for name, url in urls:
        if name == "login":
            assert client.get(url).status_code == 200
            continue
        for method in (client.get, client.post):
            response = method(url)
            location = response.get("Location", "")
            if name in ("root", "logout"):  # -> /admin/ -> the login page
                assert response.status_code == 302 and location.startswith("/admin/"), url
                continue
            assert response.status_code == 302 and location.startswith("/admin/login/"), (method, url)


def test_anonymous_users_get_no_file_and_no_media_url(client, world):
    returned = world[ReturnedFile]
    assert client.get(reverse("admin:collection_returnedfile_download", args=[returned.pk])).status_code == 302
    assert client.get(settings.MEDIA_URL + returned.file.name).status_code == 404


# --- viewers ---------------------------------------------------------------------------------

def test_viewers_are_refused_every_add_change_and_delete(viewer_client, world):
    before = state()
    checked = 0
    for name, url in our_urls(world, suffixes=("_add", "_change", "_delete")):
        model = model_for(name)
        if model is None or model._meta.app_label not in OUR_APPS:
            continue
        data = {"post": "yes", "_save": "Save", "name": "hacked", "title": "hacked", "slug": "hacked",
                "force_reference": "hacked", "description": "hacked", "mapping": "{}"}
        response = viewer_client.post(url, data)
        assert response.status_code == 403, (url, response.status_code)
        checked += 1
    assert checked >= 30
    assert state() == before


def test_viewers_are_offered_no_action_and_cannot_post_one(viewer_client, world):
    from foi_tracker.admin_site import SETTINGS, group_of

    before = state()
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page = viewer_client.get(changelist)
        # Settings (the scheduler, offence codes, non-working days) are never shown to Viewers.
        settings_page = group_of(model._meta.app_label, model._meta.model_name) == SETTINGS
        assert page.status_code == (403 if settings_page else 200), changelist
        assert b'name="action"' not in page.content, f"{changelist} offers actions to a viewer"
        ids = [str(pk) for pk in model.objects.values_list("pk", flat=True)[:3]] or ["1"]
        for action in list(model_admin.actions or []) + ["delete_selected"]:
            name = action if isinstance(action, str) else action.__name__
            response = viewer_client.post(changelist, {
                "action": name, ACTION_CHECKBOX_NAME: ids, "index": "0", "apply": "1", "post": "yes",
                "outcome": "refused", "received_on": "2016-03-20", "sections": "s.12", "sent_on": "2016-03-20",
                "via": "post", "acknowledged_on": "2016-03-20"})
            # An action a viewer may not run is not there: the changelist is shown again (200), or
            # Django says "no action selected" (302), or refuses outright (403). Nothing runs.
            assert response.status_code in (200, 302, 403), (changelist, name)
            checked += 1
    assert checked >= 10
    assert state() == before


def test_viewers_cannot_edit_in_the_list(viewer_client, world):
    force = world[Force]
    before = state()
    response = viewer_client.post(reverse("admin:collection_force_changelist"), {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(force.pk), "form-0-foi_email": "attacker@example.org", "_save": "Save"})
    assert response.status_code == 403
    assert state() == before


def test_viewers_are_refused_every_custom_view_that_writes(viewer_client, world):
    before = state()
    names = custom_view_names()
    for name in WRITING_VIEWS & names:
        url = url_for(name, world)
        data = {"file": SimpleUploadedFile("kent.csv", b"Offence,Victim age,Count\n19E,9,3\n"),
                "outcome": "provided", "received_on": "2016-03-24", "kind": "provisional"}
        response = viewer_client.post(url, data)
        assert response.status_code == 403, (url, response.status_code)
    # and the views that only read change nothing whatever is posted to them
    for name in READING_VIEWS & names:
        response = viewer_client.post(url_for(name, world), {"outcome": "provided"})
        assert response.status_code in (200, 403, 404, 405), name
    assert state() == before


def test_viewers_may_read_every_custom_view(viewer_client, world):
    for name in READING_VIEWS & custom_view_names():
        response = viewer_client.get(url_for(name, world))
        assert response.status_code == 200, (name, response.status_code)


# --- researchers ------------------------------------------------------------------------------

def test_researchers_may_run_the_writing_views(researcher_client, world):
    r = world[FoiRequest]
    response = researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[r.pk]), {
        "file": SimpleUploadedFile("kent.pdf", b"%PDF-1.4 letter"), "outcome": "", "received_on": "2016-03-24"})
    assert response.status_code == 302
    assert ReturnedFile.objects.filter(request=r, original_name="kent.pdf").exists()
    changelist = reverse("admin:collection_foirequest_changelist")
    response = researcher_client.post(changelist, {"action": "record_answer", ACTION_CHECKBOX_NAME: [r.pk],
                                                   "apply": "1", "outcome": "not_held", "received_on": "2016-03-20"})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.outcome == "not_held"
    page = researcher_client.get(changelist)
    assert b'name="action"' in page.content


# --- CSRF ------------------------------------------------------------------------------------

def test_posts_without_a_csrf_token_are_refused(researcher, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher)
    before = state()
    r = world[FoiRequest]
    posts = [
        (reverse("admin:collection_campaign_add"), {"title": "x", "slug": "x", "question": "q",
                                                   "period_start": "01/04/2017", "period_end": "31/03/2018"}),
        (reverse("admin:collection_foirequest_change", args=[r.pk]), {"force_reference": "x"}),
        (reverse("admin:collection_foirequest_changelist"), {"action": "record_answer", ACTION_CHECKBOX_NAME: [r.pk],
                                                            "apply": "1", "outcome": "refused",
                                                            "received_on": "2016-03-20", "sections": "s.12"}),
        (reverse("admin:collection_returnedfile_upload", args=[r.pk]),
         {"file": SimpleUploadedFile("k.pdf", b"%PDF-1.4"), "received_on": "2016-03-24"}),
        (reverse("admin:collection_returnedfile_confirm", args=[world[ReturnedFile].pk]), {}),
        (reverse("admin:collection_campaign_delete", args=[world[Campaign].pk]), {"post": "yes"}),
        (reverse("admin:logout"), {}),
    ]
    for name in WRITING_VIEWS & custom_view_names():
        posts.append((url_for(name, world), {}))
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert state() == before
    # the login form too
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post(reverse("admin:login"), {"username": "rita", "password": "x"}).status_code == 403


# --- files -----------------------------------------------------------------------------------

def test_media_is_outside_static_and_not_served_by_any_url(researcher_client, world):
    media, static = Path(settings.MEDIA_ROOT).resolve(), Path(settings.STATIC_ROOT).resolve()
    assert media != static and static not in media.parents and media not in static.parents
    for folder in settings.STATICFILES_DIRS:
        folder = Path(folder).resolve()
        assert folder not in media.parents and media != folder and media not in folder.parents
    # the defaults in settings.py, not only this test's tmp folder
    assert Path(BASE_DIR / "var" / "media") != Path(BASE_DIR / "var" / "static")
    returned = world[ReturnedFile]
    assert Path(returned.file.path).resolve().is_relative_to(media)
    for url in (settings.MEDIA_URL + returned.file.name, "/" + returned.file.name,
                settings.STATIC_URL + returned.file.name, "/static/" + returned.file.name):
        with pytest.raises(Resolver404):
            resolve(url if url.startswith("/") else "/" + url)
        assert researcher_client.get(url).status_code == 404, url


def test_uploads_over_the_cap_are_refused_and_not_stored(researcher_client, world, settings):
    settings.FOI_IMPORT_MAX_FILE_BYTES = 1000
    r = world[FoiRequest]
    before = ReturnedFile.objects.count()
    response = researcher_client.post(reverse("admin:collection_returnedfile_upload", args=[r.pk]), {
        "file": SimpleUploadedFile("big.csv", b"x" * 1001), "outcome": "", "received_on": "2016-03-24"})
    assert response.status_code == 200 and b"over the limit" in response.content
    assert ReturnedFile.objects.count() == before
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024


def test_download_is_an_attachment_and_pages_are_not_framed(viewer_client, world):
    response = viewer_client.get(reverse("admin:collection_returnedfile_download", args=[world[ReturnedFile].pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    page = viewer_client.get(reverse("admin:index"))
    assert page["X-Frame-Options"] == "DENY"


# --- exports ---------------------------------------------------------------------------------

def test_exports_escape_formulas(viewer_client, world):
    campaign, r = world[Campaign], world[FoiRequest]
    Force.objects.filter(pk=r.force_id).update(name='=HYPERLINK("http://evil.example","x")', ons_code="+1+1")
    code = OffenceCode.objects.create(code="@X1", description="-2+3 cmd|' /C calc'!A0", category="other")
    OffenceCount.objects.create(campaign=campaign, force_id=r.force_id, request=r, offence=code, victim_age=9,
                                count=3, victim_sex="=1+1")
    response = viewer_client.get(reverse("admin:reports_campaign_export", args=[campaign.pk, "csv"]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any("HYPERLINK" in c for c in cells)
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not dangerous, dangerous


# --- deployment ------------------------------------------------------------------------------

# The production recipe (docs/operations.md) sets exactly these (and the database, Redis and mail URLs).
PRODUCTION_RECIPE = {"DEBUG": "0", "SECRET_KEY": "test-" + "k3y" * 20, "ALLOWED_HOSTS": "foi.example.org"}
OUR_VARIABLES = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_", "CSRF_", "DJANGO_SETTINGS_MODULE", "AXES_")


def clean_env(**variables):
    """The environment of a fresh shell: none of the variables the tests set (pytest.ini) or ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_VARIABLES)}
    env.update(variables)
    return env


def manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=120)


def settings_in(env, *names):
    code = ("import django; django.setup(); from django.conf import settings as s; "
            f"print(repr([getattr(s, n, None) for n in {list(names)!r}]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env={**env, "DJANGO_SETTINGS_MODULE":
                                                                          "foi_tracker.settings"},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout)  # noqa: S307 - a list of plain values printed by repr() just above


def test_the_production_recipe_passes_check_deploy():
    recipe = (BASE_DIR / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "export SECRET_KEY=... ALLOWED_HOSTS=foi.example.org DEBUG=0" in recipe
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=clean_env(**PRODUCTION_RECIPE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert settings_in(clean_env(**PRODUCTION_RECIPE), "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                       "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS") == [False, True, True, True, 31536000]


def test_https_settings_can_each_be_turned_off_for_a_plain_http_intranet():
    names = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
             "SECURE_PROXY_SSL_HEADER")
    intranet = clean_env(**PRODUCTION_RECIPE, SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0", SECURE_HSTS_SECONDS="0")
    assert settings_in(intranet, *names) == [False, False, False, 0, None]
    proxied = clean_env(**PRODUCTION_RECIPE, SECURE_PROXY_SSL="1")
    assert settings_in(proxied, *names) == [True, True, True, 31536000, ("HTTP_X_FORWARDED_PROTO", "https")]
    # check --deploy says what was turned off
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=intranet)
    assert result.returncode != 0 and "security.W008" in result.stderr + result.stdout


@pytest.mark.parametrize("command", [["manage.py", "check"], ["manage.py", "runserver", "--noreload", "127.0.0.1:9"],
                                     ["-c", "import foi_tracker.wsgi"]])
def test_without_a_secret_key_it_refuses_to_start_unless_debug(command):
    result = subprocess.run([sys.executable, *command], cwd=BASE_DIR, env=clean_env(DEBUG="0"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_without_a_secret_key_debug_runs_on_the_embedded_key():
    # make run: DEBUG on, no key. It starts, and check --deploy flags the embedded key.
    deploy = manage("check", "--deploy", env=clean_env(DEBUG="1"))
    assert "security.W009" in deploy.stdout + deploy.stderr and "SECRET_KEY is not set" not in deploy.stderr


# --- Content-Security-Policy -----------------------------------------------------------------

INLINE_SCRIPT = re.compile(r'<script(?![^>]*\ssrc=)(?![^>]*type="application/json")[^>]*>', re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def directives(policy: str) -> dict[str, list[str]]:
    parts = [p.split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_every_page_has_a_policy_that_runs_no_inline_script_and_has_none(client, make_user, world):
    login_page = client.get(reverse("admin:login"))
    client.force_login(make_user("root", is_superuser=True))
    pages = [("login", login_page)] + [(name, client.get(url)) for name, url in our_urls(world)
                                       if name not in ("logout", "login")]
    assert len(pages) > 60
    for name, response in pages:
        policy = directives(response.get("Content-Security-Policy", ""))
        assert policy.get("script-src") == ["'self'"], (name, policy)
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"], name
        assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"], name
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            content = response.content.decode()
            assert not INLINE_SCRIPT.search(content), (name, INLINE_SCRIPT.search(content).group(0))
            assert not HANDLER_ATTRIBUTE.search(content), (name, HANDLER_ATTRIBUTE.search(content).group(0))


def test_our_templates_hold_no_inline_script():
    for path in (BASE_DIR / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(text), path
        assert not HANDLER_ATTRIBUTE.search(text), path
        assert "javascript:" not in text.lower(), path


# --- login throttling (django-axes) -------------------------------------------------------------

def log_in(client, username, password, address):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address)


def test_repeated_wrong_passwords_lock_out_that_user_from_that_address(researcher, viewer, settings):
    limit = settings.AXES_FAILURE_LIMIT
    assert 3 <= limit <= 10
    attacker = Client()
    answers = [log_in(attacker, "rita", f"guess-{i}", "203.0.113.5") for i in range(50)]
    assert [a.status_code for a in answers[:limit - 1]] == [200] * (limit - 1)  # the form again
    assert b"Please enter the correct username and password" in answers[0].content
    assert {a.status_code for a in answers[limit - 1:]} == {429}
    assert b"Too many wrong passwords for rita" in answers[-1].content
    # The right password is refused too, from that address, while the lock lasts.
    assert log_in(Client(), "rita", "pw-for-tests-only", "203.0.113.5").status_code == 429
    # Rita from another address, and a colleague from the same one, still log in.
    assert log_in(Client(), "rita", "pw-for-tests-only", "198.51.100.7").status_code == 302
    assert log_in(Client(), "victor", "pw-for-tests-only", "203.0.113.5").status_code == 302
    # Once the cool-off has passed, so may she.
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1))
    assert log_in(Client(), "rita", "pw-for-tests-only", "203.0.113.5").status_code == 302


def test_login_records_are_for_superusers_only(client, make_user, researcher, viewer):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    log_in(Client(), "rita", "wrong", "203.0.113.5")
    assert AccessAttempt.objects.filter(username="rita").exists()
    urls = [reverse(f"admin:axes_{m._meta.model_name}_changelist") for m in (AccessAttempt, AccessLog,
                                                                            AccessFailureLog)]
    attempt = reverse("admin:axes_accessattempt_change", args=[AccessAttempt.objects.get().pk])
    for user in (researcher, viewer):
        client.force_login(user)
        assert urls[0].encode() not in client.get(reverse("admin:index")).content
        for url in urls + [attempt]:
            assert client.get(url).status_code == 403, url
        assert client.post(reverse("admin:axes_accessattempt_delete", args=[AccessAttempt.objects.get().pk]),
                           {"post": "yes"}).status_code == 403
    client.force_login(make_user("root", is_superuser=True))
    assert urls[0].encode() in client.get(reverse("admin:index")).content  # under Settings
    for url in urls + [attempt]:
        assert client.get(url).status_code == 200, url
    client.post(reverse("admin:axes_accessattempt_delete", args=[AccessAttempt.objects.get().pk]), {"post": "yes"})
    assert not AccessAttempt.objects.exists()  # unlocked


# --- secrets ---------------------------------------------------------------------------------

SECRET_PATTERNS = [
    re.compile(r"""SECRET_KEY\s*=\s*['"](?!django-insecure-embedded-key-set-SECRET_KEY-in-production)[^'"$]{8,}['"]"""),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"(?i)(password|passwd|api[_-]?key|token)\s*[:=]\s*['\"][^'\"\s]{12,}['\"]"),
    re.compile(r"[a-z+]+://[^/\s:@'\"]+:(?!pass@|password@|\$)[^@\s'\"/]{6,}@(?!db-host|smtp-host|redis-host)"),
]


def repository_files():
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=BASE_DIR,
                             capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        # The project is set up from a clone (README); without git this check cannot see what is committed.
        pytest.fail(f"cannot list the repository's files with git: {error}")
    return [BASE_DIR / line for line in out.splitlines() if line]


def test_no_secret_is_committed():
    found = []
    for path in repository_files():
        if not path.is_file() or path.suffix in (".xlsx", ".xls", ".ods", ".png", ".pdf", ".sqlite3"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for pattern in SECRET_PATTERNS:
            for match in pattern.finditer(text):
                if path.name == "test_security.py":
                    continue  # the patterns themselves
                found.append(f"{path.relative_to(BASE_DIR)}: {match.group(0)[:60]}")
    assert not found, "\n".join(found)
    # the embedded default key is only a fallback, and check --deploy flags it (test above)
    ignored = subprocess.run(["git", "check-ignore", "db.sqlite3", "var/media/x", ".venv/x", "bench/.cache/x"],
                             cwd=BASE_DIR, capture_output=True, text=True).stdout.split()
    assert len(ignored) == 4
