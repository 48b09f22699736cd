"""A database that is down ends any command with one line and exit status 1, not a traceback."""
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT, TEST_DATA, closed_port

MESSAGE = next((TEST_DATA / "inbox" / "mailbox").glob("*.eml"))


@pytest.mark.parametrize("args", [
    ["ingest_mail", str(MESSAGE)],
    ["campaign_status", "no-such-campaign"],
    ["load_reference_data"],  # a command of plain BaseCommand: manage.py says it
    ["migrate", "--check"],  # and Django's own
])
def test_a_database_outage_ends_a_command_with_one_line(args):
    env = {**os.environ, "DATABASE_URL": f"postgres://foi:pass@127.0.0.1:{closed_port()}/foi", "DEBUG": "0"}
    env.pop("REDIS_URL", None)
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the database is unavailable" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "foi:pass@" not in result.stderr
