"""A snapshot's stored dataset says the period of each row (the dataset's `period` column). Rows
stored before were all of their campaign's own period: they get its label.

Their dataset_sha256 is left as it was compiled (the csv of the time, without the column); a
csv exported from them now has the column, so its SHA-256 differs from that record."""
from django.db import migrations, models


def label_stored_rows(apps, schema_editor):
    CampaignPeriod = apps.get_model("collection", "CampaignPeriod")
    SnapshotRow = apps.get_model("reports", "SnapshotRow")
    for campaign_id, label in CampaignPeriod.objects.filter(main=True).values_list("campaign_id", "label"):
        SnapshotRow.objects.filter(snapshot__campaign_id=campaign_id, period="").update(period=label)


class Migration(migrations.Migration):

    dependencies = [
        ('collection', '0014_every_count_has_a_period'),
        ('reports', '0002_snapshot_dataset_and_figures_changes'),
    ]

    operations = [
        migrations.AddField(
            model_name='snapshotrow',
            name='period',
            field=models.CharField(blank=True, help_text="The period's label: 2015-16.", max_length=24),
        ),
        migrations.RunPython(label_stored_rows, migrations.RunPython.noop),
    ]
