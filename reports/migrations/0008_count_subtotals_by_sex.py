"""The counts' subtotals gain the victim's sex (a `sex` breakdown per force and period), so the
report's totals by sex are summed from them like every other breakdown.

On PostgreSQL the trigger is made again and the subtotals of the counts already there summed
again in this migration's transaction, the counts locked against writes meanwhile (as 0004
did). SQLite keeps none."""
from django.db import migrations, models


def keep_subtotals(apps, schema_editor):
    from reports import subtotals

    connection = schema_editor.connection
    if not subtotals.kept(connection):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {subtotals.COUNTS} IN SHARE MODE")
        for sql in subtotals.statements():
            cursor.execute(sql)
        subtotals.rebuild(cursor)


def drop_subtotals(apps, schema_editor):
    # Going back: the trigger names the column about to go; the earlier state's migrate makes it again.
    from reports import subtotals

    if subtotals.kept(schema_editor.connection):
        with schema_editor.connection.cursor() as cursor:
            for sql in subtotals.drop_statements():
                cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0007_releases'),
    ]

    operations = [
        migrations.AddField(
            model_name='countsubtotal',
            name='victim_sex',
            field=models.CharField(blank=True, default='', max_length=10),
        ),
        migrations.RunPython(keep_subtotals, drop_subtotals),
    ]
