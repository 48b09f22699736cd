"""Every management command turns bad input into one clear line and a non-zero exit, and
writes nothing: over-long text, dates the app cannot handle, files that are folders, names
that do not exist. Each command of collection/ and reports/ is listed here (a new one fails
test_every_command_is_covered until it is)."""
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, ManagementUtility, call_command

from collection.requests.models import Campaign, FoiRequest
from tests.helpers import TEST_DATA

pytestmark = pytest.mark.django_db

DATA = TEST_DATA / "returns"
SLUG = "cyber-2015-16"  # the practice campaign (conftest.py)
FOLDER = "{folder}"  # replaced by a folder that exists


def long(n, char="a"):
    return char * n


CASES = {
    "build_synthetic_history": [
        (["--today", "9999-12-31"], "--today: 9999-12-31 is outside the dates this app handles"),
        (["--today", "31/12/2016"], "--today: '31/12/2016' is not a date in the form YYYY-MM-DD"),
        (["--owner", "nobody"], "no user 'nobody'"),
        (["--campaigns", "0"], "--campaigns must be 1..999"),
    ],
    "challenge": [
        ([SLUG, "kent", "--draft", "--today", "2016-03-20"], "only a refused, partial, not-held or overdue answer"),
        ([SLUG, "kent", "--record", "review_answered", "--date", "2016-05-04", "--outcome", "nope"],
         "outcome: review_answered needs one of upheld, overturned, partly, not 'nope'"),
        ([SLUG, "kent", "--record", "review_asked", "--date", "2016-05-04", "--outcome", "upheld"],
         "outcome: review_asked takes no outcome"),
        ([SLUG, "kent", "--record", "whatever", "--date", "2016-05-04"], "--record: 'whatever' is not one of"),
        ([SLUG, "kent", "--record", "review_asked"], "--date: the day the step happened is needed"),
        ([SLUG, "kent", "--record", "review_asked", "--date", "9999-12-31"], "--date: 9999-12-31 is outside"),
        ([SLUG, "kent", "--record", "ico_reference", "--date", "2016-05-04", "--reference", long(41)],
         "reference: 41 characters, at most 40 allowed"),
        ([SLUG, "kent", "--record", "ico_reference", "--date", "2016-05-04"], "reference: the ICO's case reference"),
        ([SLUG, "kent", "--record", "review_asked", "--date", "2016-02-01"],
         "date: 2016-02-01 is before the request reached the force (2016-03-01)"),
        ([SLUG, "kent", "--record", "review_asked", "--date", "2016-04-05", "--letter-file", FOLDER], "Is a directory"),
        ([SLUG, "nope", "--draft"], "no force with id 'nope'"),
        ([SLUG, "kent", "--draft", "--record", "review_asked"], "--draft, --record and --ico-pack: choose one"),
    ],
    "campaign_status": [
        ([SLUG, "--today", "9999-12-31"], "--today: 9999-12-31 is outside the dates this app handles"),
        ([SLUG, "--today", "3026-01-05"], "--today: 3026-01-05 is outside"),
        ([long(500)], "no campaign with slug 'aaaa"),
    ],
    "create_campaign": [
        (["new", "--title", long(201), "--period-start", "2016-04-01", "--period-end", "2017-03-31"],
         "title: 201 characters, at most 200 allowed"),
        ([long(61), "--title", "T", "--period-start", "2016-04-01", "--period-end", "2017-03-31"],
         "slug: 61 characters, at most 60 allowed"),
        (["new", "--title", "T", "--period-start", "2016-04-01", "--period-end", "9999-12-31"],
         "--period-end: 9999-12-31 is outside the dates this app handles"),
        (["new", "--title", "T", "--period-start", "2016-04-01", "--period-end", "2017-03-31",
          "--sent-on", "9999-12-31"], "--sent-on: 9999-12-31 is outside"),
        (["new", "--title", "T", "--period-start", "2016-04-01", "--period-end", "2017-03-31",
          "--question-file", FOLDER], "--question-file"),
    ],
    "repeat_campaign": [
        (["nope", "new", "--period-start", "2016-04-01", "--period-end", "2017-03-31"], "no campaign with slug 'nope'"),
        ([SLUG, SLUG, "--period-start", "2016-04-01", "--period-end", "2017-03-31"],
         f"slug: a campaign with slug '{SLUG}' already exists"),
        ([SLUG, "new", "--period-start", "2015-10-01", "--period-end", "2016-09-30"],
         "period start: 2015-10-01 is not after cyber-2015-16's period"),
        ([SLUG, "new", "--period-start", "1 April 2016", "--period-end", "2017-03-31"],
         "--period-start: '1 April 2016' is not a date in the form YYYY-MM-DD"),
        ([SLUG, "new", "--period-start", "2017-04-01", "--period-end", "2017-03-31"],
         "period end: 2017-03-31 is before the period starts"),
        ([SLUG, "new", "--period-start", "2016-04-01", "--period-end", "9999-12-31"],
         "--period-end: 9999-12-31 is outside the dates this app handles"),
        ([SLUG, "new", "--period-start", "2016-04-01", "--period-end", "2017-03-31", "--sent-on", "2017-02-30"],
         "--sent-on: '2017-02-30' is not a date"),
        ([SLUG, "new", "--period-start", "2016-04-01", "--period-end", "2017-03-31", "--owner", "nobody"],
         "no user 'nobody'"),
        ([SLUG, "new", "--period-start", "2016-04-01", "--period-end", "2017-03-31", "--title", long(201)],
         "title: 201 characters, at most 200 allowed"),
        ([SLUG, long(61), "--period-start", "2016-04-01", "--period-end", "2017-03-31"],
         "slug: 61 characters, at most 60 allowed"),
        ([SLUG, "Not A Slug", "--period-start", "2016-04-01", "--period-end", "2017-03-31"],
         "slug 'Not A Slug' may hold only lower-case letters"),
    ],
    "import_return": [
        ([SLUG, "kent", FOLDER], "Is a directory"),
        ([SLUG, "kent", str(DATA / "kent.xlsx"), "--mapping", FOLDER], "Is a directory"),
        ([SLUG, "kent", "/no/such/file.xlsx"], "No such file"),
        ([SLUG, long(300), str(DATA / "kent.xlsx")], "no force with id"),
        (["nope", "kent", str(DATA / "kent.xlsx")], "no campaign with slug 'nope'"),
    ],
    "import_force_addresses": [
        ([FOLDER], "cannot read it as UTF-8 text"),
        (["/no/such/addresses.csv"], "cannot read it"),
    ],
    "apply_suggestions": [
        (["nope"], "no campaign with slug 'nope'"),
        ([SLUG, "--user", "nobody"], "no user 'nobody'"),
    ],
    "ingest_mail": [
        (["/nonexistent/nowhere.eml"], "/nonexistent/nowhere.eml: no such file or folder"),
    ],
    "fetch_mail": [
        (["--once", "--url", "ftp://foi@mail.example.org/INBOX"], "IMAP_URL must start with imaps://"),
        (["--once", "--url", "imap://foi:pw@mail.example.org/INBOX"], "IMAP_URL: imap:// to mail.example.org would"),
        (["--once", "--url", "imap://mail.example.org/INBOX"], "IMAP_URL needs a user and a host"),
    ],
    "send_campaign": [
        (["nope"], "no campaign with slug 'nope'"),
        ([SLUG, "--force", "atlantis"], "--force atlantis: no force with that id"),
        ([SLUG, "--dry-run", "--force", long(300)], "no force with that id"),
    ],
    "import_returns": [
        (["nope", str(DATA / "kent.xlsx")], "no campaign with slug 'nope'"),
        ([SLUG, str(DATA / "kent.xlsx"), "--outcome", "provided", "--received-on", "9999-12-31"],
         "--received-on: 9999-12-31 is outside the dates this app handles"),
        ([SLUG, "/no/such/folder"], "/no/such/folder"),
        ([SLUG, str(DATA / "kent.xlsx"), "--user", "nobody"], "no user 'nobody'"),
    ],
    "load_reference_data": [
        (["--nope"], "unrecognized arguments: --nope"),
    ],
    "record_response": [
        ([SLUG, "kent", "--outcome", "provided", "--received-on", "2016-03-29", "--reference", long(81)],
         "force reference: 81 characters, at most 80 allowed"),
        ([SLUG, "kent", "--outcome", "refused", "--received-on", "2016-03-29", "--sections", long(201, "s")],
         "sections: 201 characters, at most 200 allowed"),
        ([SLUG, "kent", "--outcome", "provided", "--received-on", "9999-12-31"],
         "--received-on: 9999-12-31 is outside the dates this app handles"),
        ([SLUG, "kent", "--outcome", "provided", "--received-on", "2016-03-29", "--file", FOLDER], "Is a directory"),
        ([SLUG, "kent", "--outcome", "provided", "--review", "overturned"],
         "--received-on: the day the review's answer arrived is needed with --review"),
        # The review's step is written first, then the file refused: both or neither.
        ([SLUG, "kent", "--outcome", "provided", "--received-on", "2016-05-04", "--review", "overturned",
          "--file", FOLDER], "Is a directory"),
    ],
    "publish_release": [
        (["nope"], "no campaign with slug 'nope'"),
        ([SLUG, "--suppress-below", "1"], "--suppress-below 1: the threshold must be 2 or more"),
        ([SLUG, "--user", "nobody"], "no user 'nobody'"),
        ([SLUG], "cannot be final"),
    ],
    "cleanup_media": [
        (["--older-than-hours", "-1"], "--older-than-hours: -1.0 is not between 0 and 87600"),
    ],
    "send_reminders": [
        (["--today", "3026-01-05"], "--today: 3026-01-05 is outside the dates this app handles"),
        (["--today", "9999-12-31"], "--today: 9999-12-31 is outside"),
        (["--campaign", "nope"], "no campaign with slug 'nope'"),
    ],
    "compile_aggregate": [
        (["nope"], "no campaign with slug 'nope'"),
        ([SLUG, "--provisional", "--user", "nobody"], "no user 'nobody'"),
        ([SLUG], "cannot be final"),
    ],
    "check_subtotals": [
        (["nope"], "no campaign with slug 'nope'"),
    ],
    "ocr_preview": [
        ([FOLDER], "cannot read it (Is a directory)"),
        (["/no/such/scan.pdf"], "/no/such/scan.pdf: cannot read it (No such file or directory)"),
        ([str(DATA.parent / "documents" / "norfolk.pdf"), "--offences", "88A,99Z"], "--offences: no offence code 99Z"),
    ],
    "export_dataset": [
        ([SLUG, "--output", FOLDER], "is a folder; give a file name"),
        ([SLUG, "--output", "/no/such/folder/national.csv"], "folder '/no/such/folder' does not exist"),
        ([SLUG, "--format", "xlsx", "--output", "-"], "xlsx is binary"),
        (["nope", "--output", "-"], "no campaign with slug 'nope'"),
    ],
}


def commands_of(app_label):
    folder = Path(apps.get_app_config(app_label).path) / "management" / "commands"
    return {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}


def test_every_command_is_covered():
    assert commands_of("collection") | commands_of("reports") == set(CASES)


def state():
    from reports.models import AggregateSnapshot

    from collection.challenges.models import ChallengeStep
    from collection.reminders.models import ReminderLog
    from collection.requests.models import RequestEvent
    from collection.returns.models import OffenceCount, ReturnedFile

    models = (Campaign, FoiRequest, RequestEvent, OffenceCount, ReturnedFile, ReminderLog, AggregateSnapshot,
              ChallengeStep)
    return {m.__name__: sorted(map(repr, m.objects.order_by("pk").values())) for m in models}


@pytest.mark.parametrize("command, args, message", [(c, a, m) for c, cases in CASES.items() for a, m in cases],
                         ids=[f"{c}-{i}" for c, cases in CASES.items() for i in range(len(cases))])
def test_bad_input_is_one_line_and_writes_nothing(campaign, tmp_path, command, args, message):
    args = [str(tmp_path) if a == FOLDER else a for a in args]
    before = state()
    with pytest.raises(CommandError) as refused:
        call_command(command, *args, stdout=StringIO(), stderr=StringIO())
    text = str(refused.value)
    assert message in text
    assert "\n" not in text and "Traceback" not in text
    assert state() == before


@pytest.mark.parametrize("argv, message", [
    (["export_dataset", SLUG, "--output", FOLDER], "is a folder"),
    (["create_campaign", "new", "--title", long(201), "--period-start", "2016-04-01", "--period-end", "2017-03-31"],
     "title: 201 characters"),
    (["send_reminders", "--today", "9999-12-31"], "--today: 9999-12-31 is outside"),
])
def test_from_the_shell_one_line_on_stderr_and_exit_status_1(campaign, tmp_path, capsys, argv, message):
    argv = [str(tmp_path) if a == FOLDER else a for a in argv]
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", *argv, "--skip-checks"]).execute()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_the_commands_still_do_their_work_with_good_input(campaign, tmp_path):
    out = StringIO()
    call_command("load_reference_data", stdout=out)
    assert "(0 added)" in out.getvalue()
    call_command("campaign_status", SLUG, "--today", "2016-04-05", stdout=out)
    call_command("record_response", SLUG, "kent", "--outcome", "refused", "--received-on", "2016-03-29",
                 "--sections", "s.12", "--reference", long(80, "R"), stdout=out)
    assert FoiRequest.objects.get(campaign=campaign, force__force_id="kent").force_reference == long(80, "R")
    call_command("export_dataset", SLUG, "--output", str(tmp_path / "national.csv"), stdout=out)
    assert (tmp_path / "national.csv").stat().st_size > 0
    call_command("create_campaign", long(60), "--title", long(200), "--period-start", "2016-04-01",
                 "--period-end", "2017-03-31", stdout=out)
    assert Campaign.objects.filter(slug=long(60)).exists()
