import datetime as dt

import pytest
from django.contrib.auth.models import Group

from collection.roles import RESEARCHERS, VIEWERS
from collection.services import CreateCampaign


@pytest.fixture
def make_user(django_user_model):
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
    return CreateCampaign(slug="cyber-2015-16", title="Cyber-flagged sexual offences against children 2015/16",
                          question="How many sexual offences against children ...",
                          period_start=dt.date(2015, 4, 1), period_end=dt.date(2016, 3, 31),
                          owner=researcher, sent_on=dt.date(2016, 3, 1)).execute()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh folder per test, never into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings.MEDIA_ROOT
