"""Two real processes at once on the PostgreSQL test database, never two threads sharing one
connection: that is how doubled counts and double sends hide. Each process sets Django up (the
slow part), then waits for the same moment on the wall clock, so they start together."""
import os
import subprocess
import sys
import time
from collections import Counter

from django.db.models import Sum

from tests.celery_worker import BASE_DIR, worker_database_url


#: Before each script: Django set up, then the wait for the common start; ``action`` is the first
#: argument, the rest are ``sys.argv[3:]``.
PRELUDE = """
import sys, time, django
django.setup()
from django.core.management import call_command
start, action = float(sys.argv[1]), sys.argv[2]
time.sleep(max(0.0, start - time.time()))
"""


def together(settings, script: str, *argument_lists, timeout=120, rounds_apart=6.0) -> list[str]:
    """Run ``script`` (Python, after PRELUDE) once per argument list, each in a process of its own;
    their outputs, once all have exited cleanly."""
    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "foi_tracker.settings",
           "DATABASE_URL": worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"]),
           "MEDIA_ROOT": str(settings.MEDIA_ROOT), "PYTHONUNBUFFERED": "1"}
    start = time.time() + rounds_apart  # time for every interpreter and Django to start
    processes = [subprocess.Popen([sys.executable, "-c", PRELUDE + script, str(start), *args], cwd=BASE_DIR, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for args in argument_lists]
    results = [p.communicate(timeout=timeout) for p in processes]
    for p, (out, err) in zip(processes, results):
        assert p.returncode == 0, err[-3000:]
    assert time.time() > start, "the processes did not wait for their common start"
    return [out for out, _ in results]


def counts_of(request) -> Counter:
    """A request's counts by (offence code, victim age)."""
    from collection.returns.models import OffenceCount

    rows = OffenceCount.objects.filter(request=request).values("offence__code", "victim_age").annotate(n=Sum("count"))
    return Counter({(r["offence__code"], r["victim_age"]): r["n"] for r in rows})


def truth_cells(truth: dict, force_id: str) -> Counter:
    """A practice return's expected counts by (offence code, victim age), from its truth.json."""
    cells = Counter()
    for code, age, n in truth["cells"][force_id]:
        cells[(code, age)] += n
    return cells
