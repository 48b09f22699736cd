"""foi_tracker/sessions.py: the session read with one plain query is Django's database session:
an unexpired session logs its user in; an expired, deleted (logged out) or unknown one does not."""
import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangosStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from collection.roles import RESEARCHERS
from foi_tracker.sessions import SessionStore

pytestmark = pytest.mark.django_db

REQUESTS = "/admin/collection/foirequest/"


def test_the_site_uses_it():
    assert settings.SESSION_ENGINE == "foi_tracker.sessions"


def test_reads_what_djangos_store_wrote_and_one_query():
    store = DjangosStore()
    store["answer"] = {"forces": 44, "title": "Cyber-flagged ‘offences’"}
    store.create()
    with CaptureQueriesContext(connection) as queries:
        ours = SessionStore(store.session_key)
        assert ours["answer"] == {"forces": 44, "title": "Cyber-flagged ‘offences’"}
    assert len(queries) == 1
    assert ours.session_key == store.session_key


def test_an_expired_or_unknown_session_is_empty_and_loses_its_key():
    store = DjangosStore()
    store["x"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    for key in (store.session_key, "no-such-session-key-0123456789"):
        ours = SessionStore(key)
        assert ours.load() == {} and ours.session_key is None


def test_logging_out_ends_the_session_for_every_copy_of_its_cookie(client, make_user):
    client.force_login(make_user("rita", RESEARCHERS))
    assert client.get(REQUESTS).status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/admin/logout/")
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie  # the old cookie, kept by someone
    assert client.get(REQUESTS).status_code == 302


def test_a_session_past_its_expiry_logs_nobody_in(client, make_user):
    client.force_login(make_user("rita", RESEARCHERS))
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(minutes=1))
    assert client.get(REQUESTS).status_code == 302


def test_a_changed_password_logs_other_sessions_out(client, make_user):
    rita = make_user("rita", RESEARCHERS)
    client.force_login(rita)
    assert client.get(REQUESTS).status_code == 200
    rita.set_password("another-pw-for-tests")
    rita.save()
    assert client.get(REQUESTS).status_code == 302
