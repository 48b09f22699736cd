"""Logins behind a proxy: the lock is per user name and client address, the client address comes
from X-Forwarded-For only when the request comes from a trusted proxy, one address has a ceiling
of failures whatever the names, and an unsafe `next` lands on the admin's home."""
import pytest
from django.test import Client
from django.urls import reverse

PROXY = "10.0.0.2"
PASSWORD = "pw-for-" "tests-only"  # the fixtures' users' (tests/conftest.py)


def log_in(username, password, forwarded_for=None, remote=PROXY, next_url="/admin/"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Client().post(reverse("admin:login"), {"username": username, "password": password, "next": next_url},
                         **extra)


@pytest.fixture
def behind_proxy(settings):
    settings.FOI_TRUSTED_PROXIES = ["10.0.0.0/24"]
    return settings


def test_a_strangers_failures_behind_the_proxy_do_not_lock_a_colleague_out(researcher, behind_proxy):
    for i in range(behind_proxy.AXES_FAILURE_LIMIT + 3):
        log_in("rita", f"guess-{i}", "203.0.113.9")
    assert log_in("rita", PASSWORD, "203.0.113.9").status_code == 429  # the stranger's address is locked
    assert log_in("rita", PASSWORD, "198.51.100.7").status_code == 302  # Rita, from her own, is not
    # a chain of proxies: the client is the last address no trusted proxy wrote
    assert log_in("rita", PASSWORD, "198.51.100.7, 10.0.0.5").status_code == 302
    assert log_in("rita", PASSWORD, "1.2.3.4, 203.0.113.9, 10.0.0.5").status_code == 429


def test_forwarded_for_is_ignored_unless_the_request_comes_from_a_trusted_proxy(researcher, behind_proxy):
    from axes.models import AccessAttempt

    for i in range(behind_proxy.AXES_FAILURE_LIMIT):
        log_in("rita", f"guess-{i}", f"198.51.100.{i}", remote="203.0.113.9")  # a client writing its own field
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    assert log_in("rita", PASSWORD, "198.51.100.200", remote="203.0.113.9").status_code == 429
    behind_proxy.FOI_TRUSTED_PROXIES = []  # no proxy configured: the proxy's address is the client's
    log_in("rita", "wrong", "198.51.100.1")
    assert AccessAttempt.objects.filter(ip_address=PROXY).exists()


def test_one_address_trying_many_names_meets_a_ceiling(researcher, viewer, behind_proxy):
    behind_proxy.FOI_LOGIN_ADDRESS_LIMIT = 6
    for name in ("alice", "bob", "carol", "dave", "erin"):
        assert log_in(name, "guess", "203.0.113.9").status_code == 200
    assert log_in("frank", "guess", "203.0.113.9").status_code == 429  # the sixth name meets the ceiling
    assert log_in("victor", PASSWORD, "203.0.113.9").status_code == 429  # the address, whatever the name
    assert log_in("victor", PASSWORD, "198.51.100.7").status_code == 302


@pytest.mark.parametrize("next_url", ["https://evil.example.net/", "//evil.example.net/admin/", "javascript:alert(1)"])
def test_an_unsafe_next_lands_on_the_admin_home(researcher, next_url):
    response = log_in("rita", PASSWORD, remote="127.0.0.1", next_url=next_url)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_a_safe_next_is_followed(researcher):
    response = log_in("rita", PASSWORD, remote="127.0.0.1", next_url="/admin/collection/campaign/")
    assert response.status_code == 302 and response["Location"] == "/admin/collection/campaign/"
