"""Run one management command in a process of its own, starting at a given moment, so that two
of them start together (a double click, two cron jobs, two people):

    python tests/run_at.py EPOCH_SECONDS send_campaign cyber-2015-16

Django is set up (the slow part) before the wait, so the commands themselves start within
milliseconds of each other. The exit code is the command's."""
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
    start = float(sys.argv[1])
    time.sleep(max(0.0, start - time.time()))
    execute_from_command_line(["manage.py", *sys.argv[2:]])
