"""Sessions are Django's: the `cached_db` engine over a Redis cache when REDIS_URL is set (never in
the broker's database), the `db` engine otherwise; logging out, expiry and a changed password end
a session."""
import datetime as dt
import os
import subprocess
import sys
from importlib import import_module

import pytest
from django.conf import settings
from django.core.cache import caches
from django.contrib.sessions.models import Session
from django.utils import timezone

from collection.roles import RESEARCHERS
from tests.helpers import ROOT

pytestmark = pytest.mark.django_db

BASE_DIR = ROOT
REQUESTS = "/admin/collection/foirequest/"


def settings_with(**variables):
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(repr([s.SESSION_ENGINE, s.CACHES['default']]))")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(variables, DJANGO_SETTINGS_MODULE="foi_tracker.settings")
    out = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout)  # noqa: S307 - plain values printed by repr() just above


def test_with_redis_sessions_are_cached_in_a_redis_database_of_their_own():
    engine, cache = settings_with(REDIS_URL="redis://redis-host:6379/0")
    assert engine == "django.contrib.sessions.backends.cached_db"
    assert cache == {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://redis-host:6379/1"}
    assert settings_with(REDIS_URL="redis://:pw@redis-host:6380/7")[1]["LOCATION"] == "redis://:pw@redis-host:6380/8"
    assert settings_with(REDIS_URL="redis://redis-host")[1]["LOCATION"] == "redis://redis-host/1"


def test_without_redis_sessions_are_in_the_database():
    engine, cache = settings_with()
    assert engine == "django.contrib.sessions.backends.db"
    assert cache["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


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
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    if hasattr(store, "cache_key"):  # cached_db: its cache entry lives as long as the session, gone with it
        caches[settings.SESSION_CACHE_ALIAS].delete(store.cache_key)
    assert client.get(REQUESTS).status_code == 302


def test_a_changed_password_logs_other_sessions_out(client, make_user):
    rita = make_user("rita", RESEARCHERS)
    client.force_login(rita)
    assert client.get(REQUESTS).status_code == 200
    rita.set_password("another-pw-for-tests")
    rita.save()
    assert client.get(REQUESTS).status_code == 302
