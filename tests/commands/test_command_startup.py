"""What a management command pays before it reads a byte (issue 14): `manage.py import_return`
runs Django's setup and the command's imports, and no module that only the admin, the reports'
charts, the exports or another kind of file needs. Checked by name, not by the clock: each of these
modules costs tens of milliseconds to import, and one module-level import in the wrong place
brings it back for every command."""
import json
import os
import subprocess
import sys
from tests.helpers import ROOT

BASE_DIR = ROOT

#: Loaded where they are used (the admin, the charts, the exports, the readers of other files),
#: never by a command importing a return.
NOT_AT_START = (
    "matplotlib",  # the report's charts
    "openpyxl", "tablib", "odf", "xlsxwriter",  # import-export's formats; the xlsx export
    "import_export.admin", "import_export.resources", "reports.resources",
    "collection.admin", "reports.admin", "collection.returns.admin",  # the admin: urls.py loads it
    "pdfplumber", "pdfminer", "docx", "lxml",  # the PDF, Word and HTML readers
    "python_calamine",  # the xlsx reader: a csv needs none
    "holidays",  # bank holidays: the calendar's refresh
    "numpy", "PIL",
)

# Runs manage.py itself as `manage.py import_return <campaign> <force> <file>` on a database with
# no tables: the command stops at its first query (no campaign), after the setup and its imports.
SCRIPT = """
import json, runpy, sys
path, heavy = sys.argv[1], sys.argv[2:]
sys.argv = ["manage.py", "import_return", "no-such-campaign", "kent", path]
try:
    runpy.run_path("manage.py", run_name="__main__")
except BaseException:
    pass
print(json.dumps({"loaded": sorted(m for m in heavy if m in sys.modules),
                  "command": "collection.management.commands.import_return" in sys.modules}))
"""


def run_command(tmp_path) -> dict:
    csv = tmp_path / "kent.csv"
    csv.write_text("Offence,Age,Count\n88A,12,3\n", encoding="utf-8")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "foi_tracker.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(csv), *NOT_AT_START], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_a_return_on_the_command_line_loads_no_heavy_module(tmp_path):
    out = run_command(tmp_path)
    assert out["command"], "the command did not run: the check proves nothing"
    assert out["loaded"] == [], f"loaded at a command's start: {out['loaded']}"
