"""Periods: labels, financial years, the main period kept in step, counts per period."""
import datetime as dt

import pytest

from collection.periods import Period, financial_year_of, period_of

D = dt.date


def test_a_financial_year_is_labelled_by_its_two_years_and_back():
    fy = Period(D(2015, 4, 1), D(2016, 3, 31))
    assert fy.label == "2015-16" and fy.display == "2015/16" and fy.days == 366
    assert Period.from_label("2015-16") == fy
    assert Period.from_label("1999-00") == Period(D(1999, 4, 1), D(2000, 3, 31))


def test_any_other_period_is_labelled_by_its_days_and_back():
    year = Period(D(2016, 1, 1), D(2016, 12, 31))
    assert year.label == "2016-01-01..2016-12-31"
    assert Period.from_label(year.label) == year


@pytest.mark.parametrize("label", ["2015-17", "2015/16", "2016-12-31..2016-01-01", "2016-02-30..2016-03-01", ""])
def test_a_bad_label_says_what_is_wrong(label):
    with pytest.raises(ValueError, match="period|financial year"):
        Period.from_label(label)


def test_31_march_and_1_april_fall_on_either_side():
    assert financial_year_of(D(2016, 3, 31)).label == "2015-16"
    assert financial_year_of(D(2016, 4, 1)).label == "2016-17"
    periods = [Period.from_label("2015-16"), Period.from_label("2016-17")]
    assert period_of(D(2017, 3, 31), periods).label == "2016-17"
    assert period_of(D(2017, 4, 1), periods) is None


def test_shifted_a_year_on():
    assert Period.from_label("2015-16").shifted(1).label == "2016-17"
    assert Period(D(2016, 2, 29), D(2016, 2, 29)).shifted(1) == Period(D(2017, 2, 28), D(2017, 2, 28))


@pytest.mark.django_db
def test_every_campaign_has_its_main_period_moved_with_it():
    from collection.requests.models import Campaign

    campaign = Campaign.objects.create(slug="c", title="C", question="Q", period_start=D(2015, 4, 1),
                                       period_end=D(2016, 3, 31))
    assert [(p.label, p.main) for p in campaign.periods.all()] == [("2015-16", True)]
    campaign.period_start, campaign.period_end = D(2016, 4, 1), D(2017, 3, 31)
    campaign.save()
    assert [(p.label, p.main) for p in campaign.periods.all()] == [("2016-17", True)]


@pytest.mark.django_db
def test_a_file_for_one_period_leaves_the_other_period_alone(tmp_path):
    from collection.importer import TidyRow
    from collection.forces.models import Force, OffenceCode
    from collection.requests.models import Campaign, CampaignPeriod, FoiRequest
    from collection.returns.services import load_counts

    campaign = Campaign.objects.create(slug="c2", title="C", question="Q", period_start=D(2016, 4, 1),
                                       period_end=D(2017, 3, 31))
    CampaignPeriod.objects.create(campaign=campaign, first_day=D(2015, 4, 1), last_day=D(2016, 3, 31))
    force = Force.objects.first()
    code = OffenceCode.objects.first()
    request = FoiRequest.objects.create(campaign=campaign, force=force)

    def row(n, period):
        return TidyRow(code.code, 9, None, None, "", "", n, False, "", period)

    load_counts(request, None, [row(5, "2015-16"), row(7, "2016-17")])
    load_counts(request, None, [row(11, "2016-17")])
    got = dict(request.counts.values_list("period__label", "count"))
    assert got == {"2015-16": 5, "2016-17": 11}
    unlabelled = load_counts(request, None, [row(3, "")])  # no period named: the campaign's own
    assert unlabelled == 1 and dict(request.counts.values_list("period__label", "count")) == {"2015-16": 5,
                                                                                             "2016-17": 3}
