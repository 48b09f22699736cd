"""Run one management command in a process of its own, starting at a given moment (so that two
of them start together: a double click, two cron jobs, two people) or once a file appears (so
that a test can start it at an exact point of another run):

    python tests/run_at.py EPOCH_SECONDS send_campaign cyber-2015-16
    python tests/run_at.py after:/tmp/go send_reminders --today 2016-04-04

Django is set up (the slow part) before the wait, so the command itself starts within
milliseconds of the moment. The exit code is the command's."""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")

import django  # noqa: E402

django.setup()

from django.core.management import execute_from_command_line  # noqa: E402

if __name__ == "__main__":
    when = sys.argv[1]
    if when.startswith("after:"):
        go, deadline = Path(when[len("after:"):]), time.monotonic() + 300
        while not go.exists():
            if time.monotonic() > deadline:
                sys.exit(f"run_at: {go} never appeared")
            time.sleep(0.02)
    else:
        time.sleep(max(0.0, float(when) - time.time()))
    execute_from_command_line(["manage.py", *sys.argv[2:]])
