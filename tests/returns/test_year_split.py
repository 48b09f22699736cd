"""A second campaign asks about 2016/17 and again about 2015/16: every practice return lands in the
database split by period, through the same command the team uses; a return that cannot say which
year its figures are for writes nothing."""
import datetime as dt
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from collection.requests.models import CampaignPeriod
from collection.returns.models import OffenceCount, ReturnedFile
from collection.requests.services import CreateCampaign
from tests.conftest import ensure_reference_data
from tests.helpers import TEST_DATA

DATA = TEST_DATA / "returns-2016-17"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
PROVIDED = sorted(f for f, m in MANIFEST.items() if m.get("file"))

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(db, researcher):
    ensure_reference_data()
    campaign = CreateCampaign(slug="cyber-2016-17", title="Cyber-flagged sexual offences against children 2016/17",
                              question="How many ... in 2016/17, and again in 2015/16?",
                              period_start=dt.date(2016, 4, 1), period_end=dt.date(2017, 3, 31),
                              owner=researcher, sent_on=dt.date(2017, 4, 3)).execute()
    CampaignPeriod.objects.create(campaign=campaign, first_day=dt.date(2015, 4, 1), last_day=dt.date(2016, 3, 31))
    return campaign


def counts_by_period(request) -> dict:
    got = Counter()
    for label, n in OffenceCount.objects.filter(request=request).values_list("period__label", "count"):
        got[label] += n or 0
    return dict(got)


@pytest.mark.parametrize("force_id", PROVIDED)
def test_every_second_year_return_lands_split_by_period(second, force_id):
    entry = MANIFEST[force_id]
    out = StringIO()
    call_command("import_return", second.slug, force_id, str(DATA / entry["file"]), stdout=out)
    request = second.requests.get(force__force_id=force_id)
    assert counts_by_period(request) == entry["offences"]


def test_a_return_without_years_writes_nothing(second, tmp_path):
    path = tmp_path / "no-years.csv"
    path.write_text("Offence,Age,Count\n88A,13,2\n")
    with pytest.raises(CommandError, match="does not say which period"):
        call_command("import_return", second.slug, "kent", str(path), stdout=StringIO())
    assert not OffenceCount.objects.exists() and not ReturnedFile.objects.exists()
