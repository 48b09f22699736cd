from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0008_count_subtotals_by_sex"),
    ]

    operations = [
        migrations.AddField(
            model_name="snapshotrow",
            name="suppressed_label",
            field=models.CharField(blank=True, editable=False, max_length=10,
                                   help_text="A suppressed cell's mark as the force wrote it (<5, *): the snapshot's "
                                             "list of suppressed cells is read from its rows, not kept again in its "
                                             "figures. Not a column of the exports."),
        ),
    ]
