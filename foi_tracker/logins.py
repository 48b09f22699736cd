"""Who is logging in, for django-axes: the client's address, and a ceiling per address.

A lock is per user name *and* client address (AXES_LOCKOUT_PARAMETERS), so a stranger's wrong
passwords never lock a colleague out from the colleague's own address. Behind a proxy every
request comes from the proxy; its X-Forwarded-For names the client, but anyone can write that
field, so it is believed only when the request comes from a proxy FOI_TRUSTED_PROXIES names, and
then the client is the address the nearest trusted proxy saw (the rightmost untrusted one).

On top, FOI_LOGIN_ADDRESS_LIMIT wrong passwords from one address, whatever the user names, lock
that address for the cool-off: one machine trying many names is stopped too.
"""
from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.attempts import get_cool_off_threshold
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _networks() -> list:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in settings.FOI_TRUSTED_PROXIES
            if value.strip()]


def _trusted(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request) -> str | None:
    """The client's address (AXES_CLIENT_IP_CALLABLE): REMOTE_ADDR, or, when that is a trusted
    proxy, the last address in X-Forwarded-For that is not one of ours."""
    remote = request.META.get("REMOTE_ADDR")
    networks = _networks()
    if not remote or not networks or not _trusted(remote, networks):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _trusted(address, networks):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # a field we cannot read: the proxy's own address, as without one
    return remote


class LoginHandler(AxesDatabaseHandler):
    """Axes' database handler with a site-wide ceiling of failures per client address: past it,
    the address counts as having reached the failure limit whatever the user name."""

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return failures
        from_address = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gt=get_cool_off_threshold(request)).aggregate(
            n=Sum("failures_since_start"))["n"] or 0
        if from_address >= settings.FOI_LOGIN_ADDRESS_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures
