"""The last answer compiles the final figures on a real Celery worker (PostgreSQL + Redis)."""
import time

import pytest

from reports.models import AggregateSnapshot
from tests.reports.practice import FIGURE_KEYS, TRUTH, load_counts, record_outcome, record_outcomes

pytestmark = pytest.mark.services


def test_the_worker_compiles_snapshots_and_emails_when_the_last_force_answers(celery_worker, campaign, researcher):
    load_counts(campaign)
    record_outcomes(campaign, leave_out={"west-yorkshire"}, user=researcher)
    assert not AggregateSnapshot.objects.exists()
    record_outcome(campaign, "west-yorkshire", researcher)  # commits: transactional_db, the hook queues the task
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not AggregateSnapshot.objects.exists():
        time.sleep(0.2)
    snapshot = AggregateSnapshot.objects.get(campaign=campaign)
    assert snapshot.final and snapshot.trigger == "last answer"
    for key in FIGURE_KEYS:
        assert snapshot.figures[key] == TRUTH[key], key
    assert len(snapshot.sources) == 40
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not celery_worker.messages():
        time.sleep(0.2)
    messages = celery_worker.messages()
    assert len(messages) == 1, celery_worker.log()[-3000:]
    assert messages[0]["To"] == researcher.email
    assert "Final national figures compiled" in messages[0]["Subject"]
