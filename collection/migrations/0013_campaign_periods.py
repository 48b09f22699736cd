"""Periods: every campaign gets its main period, and every count it holds belongs to it."""
import django.db.models.deletion
from django.db import migrations, models


def label(start, end):
    if (start.month, start.day) == (4, 1) and (end.year, end.month, end.day) == (start.year + 1, 3, 31):
        return f"{start.year}-{(start.year + 1) % 100:02d}"
    return f"{start.isoformat()}..{end.isoformat()}"


def main_periods(apps, schema_editor):
    Campaign = apps.get_model("collection", "Campaign")
    CampaignPeriod = apps.get_model("collection", "CampaignPeriod")
    OffenceCount = apps.get_model("collection", "OffenceCount")
    for campaign in Campaign.objects.all().iterator():
        period = CampaignPeriod.objects.create(
            campaign=campaign, first_day=campaign.period_start, last_day=campaign.period_end,
            label=label(campaign.period_start, campaign.period_end), main=True)
        OffenceCount.objects.filter(campaign=campaign).update(period=period)


class Migration(migrations.Migration):

    dependencies = [
        ('collection', '0012_unmatched_mail_queue'),
    ]

    operations = [
        migrations.AddField(
            model_name='campaign',
            name='repeats',
            field=models.ForeignKey(blank=True, help_text='The earlier campaign this one asks again (the same question, a later period).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='repeated_by', to='collection.campaign'),
        ),
        migrations.CreateModel(
            name='CampaignPeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('first_day', models.DateField()),
                ('last_day', models.DateField()),
                ('label', models.CharField(editable=False, help_text='2015-16 for a financial year, else 2016-01-01..2016-12-31.', max_length=24)),
                ('main', models.BooleanField(default=False, editable=False, help_text="The campaign's own period (the others are earlier periods asked again).")),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='periods', to='collection.campaign')),
            ],
            options={
                'ordering': ['campaign', 'first_day'],
            },
        ),
        migrations.AddField(
            model_name='offencecount',
            name='period',
            field=models.ForeignKey(help_text='The period the count is for (a later campaign may restate an earlier one).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='counts', to='collection.campaignperiod'),
        ),
        migrations.AddConstraint(
            model_name='campaignperiod',
            constraint=models.CheckConstraint(condition=models.Q(('last_day__gte', models.F('first_day'))), name='period_ends_after_start'),
        ),
        migrations.AddConstraint(
            model_name='campaignperiod',
            constraint=models.UniqueConstraint(fields=('campaign', 'label'), name='one_period_per_label'),
        ),
        migrations.AddConstraint(
            model_name='campaignperiod',
            constraint=models.UniqueConstraint(condition=models.Q(('main', True)), fields=('campaign',), name='one_main_period'),
        ),
        migrations.RunPython(main_periods, migrations.RunPython.noop),
    ]
