"""System checks for the FOI_* and REPORTS_* settings: type, range and allowed values."""
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core import checks

from collection.checks import FOI_SETTINGS
from reports.checks import REPORTS_SETTINGS
from tests.helpers import ROOT

BASE_DIR = ROOT


def problems():
    return [(m.id, m.msg) for m in checks.run_checks() if m.id.startswith(("collection.", "reports."))]


def test_the_defaults_pass():
    assert problems() == []


def test_every_foi_and_reports_setting_has_a_check():
    names = {n for n in dir(django_settings) if n.startswith(("FOI_", "REPORTS_"))}
    assert names == {s.name for s in FOI_SETTINGS + REPORTS_SETTINGS}


@pytest.mark.parametrize("name, value, code", [
    ("FOI_REMINDER_LEASE_SECONDS", -1, "collection.E003"),
    ("FOI_IMPORT_MAX_PDF_PAGES", 0, "collection.E003"),
    ("FOI_IMPORT_MAX_TEXT_BYTES", "5M", "collection.E002"),
    ("FOI_REMINDER_LEASE_SECONDS", 0, "collection.E003"),
    ("FOI_REMINDER_LEASE_SECONDS", "600", "collection.E002"),
    ("FOI_REMINDER_LEASE_SECONDS", True, "collection.E002"),
    ("FOI_WEEKEND_RECEIPT_RULE", "sunday", "collection.E004"),
    ("FOI_WARM_REPORTS", "yes", "collection.E004"),
    ("FOI_WEEKEND_RECEIPT_RULE", None, "collection.E004"),
    ("FOI_IMPORT_MAX_FILE_BYTES", 0, "collection.E003"),
    ("FOI_IMPORT_MAX_FILE_BYTES", 2.5, "collection.E002"),
    ("FOI_IMPORT_MAX_UNCOMPRESSED_BYTES", -5, "collection.E003"),
    ("FOI_IMPORT_MAX_COMPRESSION_RATIO", 0.5, "collection.E003"),
    ("FOI_IMPORT_MAX_COMPRESSION_RATIO", "100", "collection.E002"),
    ("FOI_IMPORT_MAX_ROWS", 0, "collection.E003"),
    ("FOI_IMPORT_MAX_ROWS", 10**9, "collection.E003"),
    ("FOI_IMPORT_MAX_SECONDS", 0, "collection.E003"),
    ("FOI_IMPORT_MAX_SECONDS", None, "collection.E002"),
    ("FOI_MAILBOX_ADDRESS", "foi at example.org", "collection.E005"),
    ("FOI_MAILBOX_ADDRESS", None, "collection.E002"),
    ("FOI_SENDER_NAME", "FOI team\nBcc: everyone@example.org", "collection.E005"),
    ("FOI_SENDER_NAME", "x" * 101, "collection.E003"),
    ("FOI_SIGNATURE", 42, "collection.E002"),
    ("REPORTS_SUPPRESSION_THRESHOLD", 1, "reports.E003"),
    ("REPORTS_SUPPRESSION_THRESHOLD", "5", "reports.E002"),
])
def test_a_bad_value_is_an_error_naming_the_setting(settings, name, value, code):
    setattr(settings, name, value)
    found = problems()
    assert [c for c, _ in found] == [code]
    assert found[0][1].startswith(f"{name} is ")


@pytest.mark.parametrize("name, value", [("FOI_IMPORT_MAX_SECONDS", 300), ("FOI_IMPORT_MAX_COMPRESSION_RATIO", 50),
                                         ("FOI_MAILBOX_ADDRESS", "foi@charity.example"), ("FOI_MAILBOX_ADDRESS", ""),
                                         ("FOI_SIGNATURE", "Rita\nResearch team"),
                                         ("FOI_WEEKEND_RECEIPT_RULE", "next_working_day"),
                                         ("REPORTS_SUPPRESSION_THRESHOLD", 10)])
def test_good_values_pass(settings, name, value):
    setattr(settings, name, value)
    assert problems() == []


def test_a_missing_setting_is_an_error(settings):
    del settings.FOI_IMPORT_MAX_ROWS
    assert problems() == [("collection.E001", "FOI_IMPORT_MAX_ROWS is not set")]


def test_a_command_will_not_run_with_a_bad_setting():
    env = {**os.environ, "FOI_WEEKEND_RECEIPT_RULE": "sunday", "DJANGO_SETTINGS_MODULE": "foi_tracker.settings"}
    result = subprocess.run([sys.executable, "manage.py", "campaign_status", "any"], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "collection.E004" in result.stderr and "FOI_WEEKEND_RECEIPT_RULE is 'sunday'" in result.stderr


def test_system_checks_pass_with_every_admin_loaded():
    """Commands start without the admin modules (SimpleAdminConfig); the checks of every ModelAdmin
    run here, with them loaded as the web server loads them."""
    from django.contrib import admin
    from django.core.management import call_command

    from collection.requests.models import Campaign

    assert admin.site.is_registered(Campaign)
    call_command("check", "--fail-level", "WARNING")  # raises SystemCheckError on any problem


def test_a_command_starts_without_the_admin(tmp_path):
    """The project's commands run the settings' checks, not the admin's: no admin module (nor
    import-export's formats) is loaded to import a return on the command line."""
    script = ("import sys\n"
              "from django.core.management import execute_from_command_line\n"
              "try:\n"
              "    execute_from_command_line(['manage.py', 'campaign_status', 'no-such-campaign'])\n"
              "except BaseException:\n"
              "    pass\n"
              "print(sorted(m for m in ('collection.admin', 'import_export.admin')\n"
              "             if m in sys.modules))\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "foi_tracker.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr
