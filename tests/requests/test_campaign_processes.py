"""Two processes asking a campaign again under one new slug at the same moment (two clicks, two
researchers): one campaign, and the other is told the slug is taken. Needs DATABASE_URL
(PostgreSQL) and REDIS_URL: the second pass of .ci/run."""
import datetime as dt

import pytest

from collection.requests.models import Campaign
from tests.processes import together

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = """
from collection.requests.repeat import RepeatCampaign
from collection.requests.models import Campaign
from collection.validation import ServiceError
import datetime as dt
try:
    RepeatCampaign(Campaign.objects.get(slug=action), sys.argv[3], dt.date(2016, 4, 1), dt.date(2017, 3, 31),
                   ask_previous=True).execute()
    print("created")
except ServiceError as error:
    print("refused:", error)
"""


def test_two_repeats_under_one_slug_at_once_make_one_campaign(services, campaign, settings):
    outputs = sorted(o.strip() for o in together(settings, SCRIPT, [campaign.slug, "cyber-2016-17"],
                                                [campaign.slug, "cyber-2016-17"]))
    assert outputs == ["created", "refused: a campaign with slug 'cyber-2016-17' already exists"]
    repeat = Campaign.objects.get(slug="cyber-2016-17")
    assert repeat.repeats == campaign and repeat.requests.count() == campaign.requests.count() == 44
    assert [p.label for p in repeat.periods.all()] == ["2015-16", "2016-17"]
    assert dt.date(2017, 3, 31) == repeat.period_end
