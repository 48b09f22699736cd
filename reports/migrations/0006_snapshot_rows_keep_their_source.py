from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0005_snapshot_rows_keep_their_json"),
    ]

    operations = [
        migrations.AddField(
            model_name="snapshotrow",
            name="source",
            field=models.CharField(blank=True, help_text="Where the figure was read: the file's SHA-256 and the sheet, row and column.",
                                   max_length=300),
        ),
    ]
