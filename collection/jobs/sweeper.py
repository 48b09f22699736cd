"""The sweeper: every minute (beat), queue again every job whose run died or that waits for the queue.

Whoever died (a worker killed mid-import, a whole machine, the broker while a person pressed
Confirm), the job's row is still there with a lease that has run out; queuing it again is safe
because every job's work is idempotent (see services.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from .services import DOWN, QUEUED, expired, requeue


@dataclass
class SweepJobs:
    queued: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    def execute(self) -> "SweepJobs":
        for job in expired(timezone.now()).order_by("since"):
            done = requeue(job)
            if done == QUEUED:
                self.queued.append(str(job))
            elif done == DOWN:
                self.waiting.append(str(job))
                break  # the broker is down: the rest wait for the next sweep
        return self

    def line(self) -> str:
        return (f"queued again: {len(self.queued)}" + (f" ({', '.join(self.queued[:10])})" if self.queued else "")
                + (f"; still waiting: {len(self.waiting)}" if self.waiting else ""))
