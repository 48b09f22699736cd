"""Holding a claim on an e-mail while the mail server works.

Each e-mail we send is claimed first (a reminder's log row, a request's `send_claimed_at`),
and another run may take a claim over once its lease (`FOI_REMINDER_LEASE_SECONDS`) has run
out: that is how the work of a run that died gets done. A run that is alive but waiting on a
slow mail server must not look dead, or a second run sends the same e-mail again. So while a
send is in progress a `LeaseKeeper` thread renews the claim every quarter lease; it stops the
moment the send returns, and a dead process renews nothing.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Callable

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.FOI_REMINDER_LEASE_SECONDS)


def retry_after_lease_seconds() -> int:
    """When to retry a run that found e-mails claimed by another run: once their lease is over."""
    seconds = settings.FOI_REMINDER_LEASE_SECONDS
    return int(seconds + max(5, seconds // 10))


class LeaseKeeper:
    """`with LeaseKeeper(renew):` calls `renew()` every quarter lease until the block ends.

    `renew` is a conditional UPDATE that returns how many rows it touched: 0 means the claim is
    no longer ours (taken over, or the row is gone) and the keeper stops.
    """

    def __init__(self, renew: Callable[[], int], interval: float | None = None):
        self.renew = renew
        self.interval = interval if interval is not None else settings.FOI_REMINDER_LEASE_SECONDS / 4
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="foi-lease-keeper", daemon=True)
        self.renewals = 0

    def _run(self):
        try:
            while not self.stopped.wait(self.interval):
                try:
                    if not self.renew():
                        logger.warning("a claim was lost while its e-mail was being sent")
                        return
                    self.renewals += 1
                except Exception:  # noqa: BLE001 - a database hiccup must not kill the send it guards
                    logger.exception("could not renew the claim of an e-mail being sent")
        finally:
            connections.close_all()  # this thread's own connections only

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(timeout=max(5.0, self.interval))
        return False


#: Minutes before each retry of a run in which the mail server failed.
RETRY_MINUTES = (5, 15, 60, 180)


def next_attempt_in(*, failed: bool, held_elsewhere: bool, retries: int) -> int | None:
    """Seconds until a task should run again, or None when it has nothing left to do.

    A failed send is retried on the back-off schedule. An e-mail claimed by another run is either
    being sent right now (the retry then finds it sent) or was claimed by a run that died: that
    claim can be taken over only once its lease is over, so the retry comes after the lease, never
    inside it (a retry inside the lease would find the claim held and give up, and a digest, which
    belongs to its day, would never go).
    """
    if not (failed or held_elsewhere):
        return None
    countdown = 60 * RETRY_MINUTES[min(retries, len(RETRY_MINUTES) - 1)] if failed else 0
    if held_elsewhere:
        countdown = max(countdown, retry_after_lease_seconds())
    return countdown
