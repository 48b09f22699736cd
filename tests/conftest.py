import datetime as dt

import pytest
from django.contrib.auth.models import Group

from collection.roles import RESEARCHERS, VIEWERS
from collection.requests.services import CreateCampaign

# The admin's modules load with the URLconf, as in the web server (SimpleAdminConfig): tests that
# walk the admin's registry see it whole whichever test runs first.
import foi_tracker.urls  # noqa: E402,F401


def ensure_reference_data():
    """Transactional tests (live server, real worker) flush every table, migration data included."""
    from collection.forces import reference
    from collection.forces.models import Force, OffenceCode
    from collection.roles import sync_groups

    if not Force.objects.exists():
        reference.load(Force, OffenceCode)
    sync_groups()


@pytest.fixture
def make_user(django_user_model):
    ensure_reference_data()

    def make(username, group=None, **extra):
        user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw-for-tests-only",
                                                     is_staff=True, **extra)
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user
    return make


@pytest.fixture
def researcher(db, make_user):
    return make_user("rita", RESEARCHERS, first_name="Rita", last_name="Researcher")


@pytest.fixture
def viewer(db, make_user):
    return make_user("victor", VIEWERS)


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def campaign(db, researcher):
    """The practice campaign: cyber-flagged offences 2015/16, sent to all 44 forces on 1 March 2016."""
    ensure_reference_data()
    return CreateCampaign(slug="cyber-2015-16", title="Cyber-flagged sexual offences against children 2015/16",
                          question="How many sexual offences against children ...",
                          period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                          owner=researcher, sent_on=dt.date(2016, 3, 1)).execute()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh folder per test, never into var/media. Test users get a fast
    password hash: the production hasher's 870,000 rounds would cost most of the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def csv_field_limit():
    """The csv module's field limit as the app meets it: frictionless (which the release tests
    import to validate what we publish) raises it for the whole process when it loads."""
    import csv

    yield
    csv.field_size_limit(131_072)


#: The team's FOI mailbox in tests (requests and chasers are not sent without one).
TEST_MAILBOX = "foi@research.example.org"


@pytest.fixture(autouse=True)
def mailbox(settings):
    settings.FOI_MAILBOX_ADDRESS = TEST_MAILBOX
    settings.FOI_SENDER_NAME = "Children's charity FOI research"
    return TEST_MAILBOX


# A real Celery worker for `services` tests (skipped without REDIS_URL and DATABASE_URL).
from tests.celery_worker import celery_worker, celery_worker_factory, services  # noqa: E402,F401


@pytest.fixture(autouse=True)
def tasks_in_process(request):
    """Celery tasks run in-process at .delay() in both CI passes, except in tests that start a
    real worker: those are the ones that prove the broker path."""
    if "celery_worker_factory" in request.fixturenames or "celery_worker" in request.fixturenames:
        yield
        return
    from foi_tracker.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def complete(campaign, researcher):
    """The practice campaign with every force's truth.json counts and outcome recorded."""
    from tests.reports.practice import load_counts, record_outcomes

    load_counts(campaign)
    record_outcomes(campaign, user=researcher)
    return campaign


@pytest.fixture
def superuser_client(django_user_model):
    """A superuser's own client (researcher_client and viewer_client share pytest-django's `client`)."""
    from django.test import Client

    ensure_reference_data()
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw-for-tests-only"))
    return client


@pytest.fixture
def run_reminders(django_capture_on_commit_callbacks):
    """Run the reminder job as beat would; mail goes after the claims commit, so commit them here."""
    from collection.reminders.services import SendReminders

    def run(today, **options):
        with django_capture_on_commit_callbacks(execute=True):
            return SendReminders(today=dt.date.fromisoformat(today) if isinstance(today, str) else today,
                                 **options).execute()
    return run


# A mail server on loopback, and a campaign to every force with an address: the sending and fault
# tests' world.
@pytest.fixture
def smtp():
    from tests.smtp_server import SmtpServer

    with SmtpServer() as server:
        yield server


@pytest.fixture
def all_forces(services, transactional_db, researcher):
    """A draft to each of the 44 forces, every force with an address."""
    from collection.forces.models import Force

    for force in Force.objects.all():
        force.foi_email = f"foi@{force.force_id}.police.example"
        force.save(update_fields=["foi_email"])
    return CreateCampaign(slug="cyber-2016-17", title="Cyber-flagged offences 2016/17", question="How many?",
                          period_start=dt.date(2016, 4, 1), period_end=dt.date(2017, 3, 31),
                          owner=researcher).execute()


# --- which tests the backend can change ------------------------------------------------------

#: Fixtures through which a test reaches a database, the broker, a worker or a live server.
BACKEND_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server",
                    "services", "celery_worker", "celery_worker_factory"}


@pytest.hookimpl(tryfirst=True)  # before -m chooses by marker
def pytest_collection_modifyitems(config, items):
    """Mark `backend_free` each test that reaches no database, broker, worker or live server (pure
    domain rules, layout detection, OCR of a scan, the house's own checks): its answer cannot
    depend on SQLite or PostgreSQL, in-process tasks or Redis. CI's second pass (.ci/run) runs
    the rest against the real services; these have answered in the first. The settings' own
    tests (tests/foi_tracker) read the environment, so they run in both."""
    for item in items:
        reaches = BACKEND_FIXTURES & set(getattr(item, "fixturenames", ()))
        if reaches or item.get_closest_marker("django_db") or item.get_closest_marker("services"):
            continue
        if "tests/foi_tracker/" in item.nodeid:
            continue
        item.add_marker(pytest.mark.backend_free)
