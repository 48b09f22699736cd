"""Claim, renew, release and expire the lease of a queued job (models.JobLease).

`queue()` is how a page or a command asks for a job: it records the job, then hands it to the
broker with a short timeout and no publish retry, so a person pressing a button while the queue is
down hears so at once (None) and the job waits in the database for the sweeper. `run_job()` wraps a
task's work: it takes the lease (or finds a live run holding it and does nothing), renews it while
the work runs (sending.claims.LeaseKeeper), and removes the row when the work returns or raises.
The work itself is idempotent (a confirmed file imports once, a request is e-mailed once), so a job
queued twice (the sweeper and a redelivered message) is done once and found done the second time.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from ..sending.claims import LeaseKeeper
from .models import JobKind, JobLease

logger = logging.getLogger(__name__)

#: What run_job returns when a live run of the same job holds its lease.
HELD_ELSEWHERE = "held by another run"
#: What a page says when the broker did not answer: the job waits in the database for the sweeper.
QUEUE_DOWN = "The queue is not answering just now: this will run by itself as soon as it is back."
#: What requeue() did.
QUEUED, DOWN, TAKEN = "queued", "queue down", "taken by another run"


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.FOI_JOB_LEASE_SECONDS)


def eager() -> bool:
    from foi_tracker.celery import app

    return bool(app.conf.task_always_eager)


def publish(task: str, kwargs: dict):
    """Hand a task to the broker once (no retry: a down broker fails in the connect timeout)."""
    from foi_tracker.celery import app

    if task not in app.tasks:
        app.loader.import_default_modules()  # every room's tasks module, as a worker loads them
    if app.conf.task_always_eager:
        return app.tasks[task].apply_async(kwargs=kwargs)
    # No result kept: the job's progress is on its rows, and not subscribing for a result spares a
    # second connection (to the result store) that would fail more slowly than the broker's.
    return app.tasks[task].apply_async(kwargs=kwargs, retry=False, ignore_result=True)


#: After the broker failed to answer, this process does not try it again for this long (one page
#: queuing a hundred files waits for one connect timeout, not a hundred).
DOWN_MEMORY_SECONDS = 10
_broker_down: dict[str, float] = {}


def queue(kind: str, key, task: str, kwargs: dict):
    """Record the job and queue it: the task's AsyncResult (its result at once, embedded), or None
    when the broker did not answer; the sweeper then queues it once the broker is back."""
    key, now = str(key), timezone.now()
    JobLease.objects.update_or_create(kind=kind, key=key, defaults={
        "task": task, "kwargs": kwargs, "since": now, "running_since": None, "token": "",
        "lease_until": now + lease(), "note": ""})
    if eager():  # in-process: the work runs now and its errors are the caller's
        return publish(task, kwargs)
    try:
        if _broker_down.get("until", 0) > time.monotonic():
            raise ConnectionError("the queue did not answer a moment ago")  # many files at once: wait once
        return publish(task, kwargs)
    except Exception as error:  # noqa: BLE001 - any broker failure: the job waits in the database
        _broker_down["until"] = time.monotonic() + DOWN_MEMORY_SECONDS
        logger.warning("the queue did not answer; %s %s waits for the sweeper: %s", kind, key, error)
        JobLease.objects.filter(kind=kind, key=key, token="").update(
            lease_until=None, note=f"waiting for the queue since {timezone.localtime(now):%H:%M:%S}")
        return None


def begin(kind: str, key, task: str, kwargs: dict, exclusive: bool = True) -> str | None:
    """Take the job's lease for this run: its token, or None when a live run holds it (unless the job
    is not `exclusive`: its work claims each e-mail itself, and a second run finds them claimed)."""
    key, now, token = str(key), timezone.now(), uuid.uuid4().hex
    JobLease.objects.get_or_create(kind=kind, key=key, defaults={"task": task, "kwargs": kwargs, "since": now})
    free = Q(running_since__isnull=True) | Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    if not exclusive:
        free = Q()
    taken = JobLease.objects.filter(free, kind=kind, key=key).update(
        running_since=now, token=token, lease_until=now + lease(), attempts=F("attempts") + 1, task=task,
        kwargs=kwargs, note="")
    return token if taken else None


def renew(kind: str, key, token: str) -> int:
    return JobLease.objects.filter(kind=kind, key=str(key), token=token).update(lease_until=timezone.now() + lease())


def release(kind: str, key, token: str) -> None:
    """The run is over (done, refused or failed with its reason kept on its row): the job is no longer in progress."""
    JobLease.objects.filter(kind=kind, key=str(key), token=token).delete()


def run_job(kind: str, key, task: str, kwargs: dict, work: Callable[[], object], exclusive: bool = True):
    """Do a task's work under the job's lease; HELD_ELSEWHERE when a live run already does it."""
    token = begin(kind, key, task, kwargs, exclusive)
    if token is None:
        logger.info("%s %s is being done by another run: this delivery does nothing", kind, key)
        return HELD_ELSEWHERE
    try:
        if eager():  # in the web process: nothing to resume if it dies, and no second thread on the database
            return work()
        with LeaseKeeper(lambda: renew(kind, key, token), interval=settings.FOI_JOB_LEASE_SECONDS / 4):
            return work()
    finally:
        release(kind, key, token)


def expired(now: dt.datetime | None = None):
    """Jobs whose run died (its lease ran out) or that wait for the queue."""
    now = now or timezone.now()
    return JobLease.objects.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))


def requeue(job: JobLease) -> str:
    """Queue a job again whose lease ran out (or that waits for the queue): QUEUED; DOWN when the broker
    did not answer (it stays waiting); TAKEN when another sweep or run took it meanwhile."""
    now = timezone.now()
    mine = JobLease.objects.filter(pk=job.pk, token=job.token, lease_until=job.lease_until)
    if not mine.update(lease_until=now + lease(), running_since=None, token="",
                       note=f"queued again at {timezone.localtime(now):%H:%M:%S}"):
        return TAKEN
    try:
        publish(job.task, job.kwargs)
    except Exception as error:  # noqa: BLE001 - the broker is down: the next sweep tries again
        JobLease.objects.filter(pk=job.pk, token="").update(
            lease_until=None, note=f"waiting for the queue (last tried {timezone.localtime(now):%H:%M:%S}): "
                                   f"{type(error).__name__}"[:500])
        return DOWN
    return QUEUED


@dataclass
class Progress:
    """A job in progress, in words for the page that shows it."""

    job: JobLease
    now: dt.datetime

    @property
    def expired(self) -> bool:
        return self.job.lease_until is None or self.job.lease_until < self.now

    @property
    def waiting_for_queue(self) -> bool:
        return self.job.lease_until is None

    def words(self) -> str:
        job, at = self.job, (lambda moment: f"{timezone.localtime(moment):%d %b %H:%M:%S}")
        if self.waiting_for_queue:
            return f"waiting for the queue since {at(job.since)}: it runs by itself when the queue is back"
        if job.running_since is None:
            text = f"queued since {at(job.since)}"
        else:
            text = f"running since {at(job.running_since)} (asked for at {at(job.since)})"
        if self.expired:
            text += f"; no worker has reported since {at(job.lease_until)}: it is queued again within a minute, " \
                    "or try again now"
        return text


def progress(kind: str, key) -> Progress | None:
    job = JobLease.objects.filter(kind=kind, key=str(key)).first()
    return Progress(job, timezone.now()) if job else None


def try_again(kind: str, key) -> bool:
    """A person's "try again" on a job whose lease ran out: queue it now rather than at the next sweep."""
    job = expired().filter(kind=kind, key=str(key)).first()
    return job is not None and requeue(job) == QUEUED


__all__ = ["JobKind", "HELD_ELSEWHERE", "QUEUED", "DOWN", "TAKEN", "QUEUE_DOWN", "queue", "run_job", "expired", "requeue", "progress", "try_again"]
