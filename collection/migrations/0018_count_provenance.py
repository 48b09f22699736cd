from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("collection", "0017_challenge_ladder"),
    ]

    operations = [
        migrations.AddField(
            model_name="offencecount",
            name="source_place",
            field=models.CharField(blank=True, default="", db_default="",
                                   help_text="Sheet, row and column; PDF page and table; or who typed it from what.",
                                   max_length=200, verbose_name="place in the file"),
        ),
        migrations.AddIndex(
            model_name="offencecount",
            index=models.Index(condition=models.Q(("returned_file__isnull", True)), fields=["campaign", "force"],
                               name="count_entered_by_hand"),
        ),
    ]
