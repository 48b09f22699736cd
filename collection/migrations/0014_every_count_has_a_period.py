"""Every count belongs to a period (set for existing counts by 0013; a migration of its own so that
PostgreSQL alters the table after the rows were updated, not in the same transaction)."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collection', '0013_campaign_periods'),
    ]

    operations = [
        migrations.AlterField(
            model_name='offencecount',
            name='period',
            field=models.ForeignKey(help_text='The period the count is for (a later campaign may restate an earlier one).', on_delete=django.db.models.deletion.PROTECT, related_name='counts', to='collection.campaignperiod'),
        ),
    ]
