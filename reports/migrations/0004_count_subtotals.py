"""Subtotals of the counts per force and period, kept by a trigger (`reports/subtotals.py`).

On PostgreSQL the trigger is made and the subtotals of the counts already there are summed in
this migration's transaction, with the counts locked against writes meanwhile: no count written
by a process still running the code before can fall between the two. SQLite keeps none."""
import django.db.models.deletion
from django.db import migrations, models


def keep_subtotals(apps, schema_editor):
    from reports import subtotals

    connection = schema_editor.connection
    if not subtotals.kept(connection):
        return
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, subtotals.TABLE)}
    if not set(subtotals.KEY) <= columns:
        return  # the SQL as it stands names a column a later migration adds: that one makes them (0008)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {subtotals.COUNTS} IN SHARE MODE")
        for sql in subtotals.statements():
            cursor.execute(sql)
        subtotals.rebuild(cursor)


def drop_subtotals(apps, schema_editor):
    from reports import subtotals

    if subtotals.kept(schema_editor.connection):
        with schema_editor.connection.cursor() as cursor:
            for sql in subtotals.drop_statements():
                cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('collection', '0014_every_count_has_a_period'),
        ('reports', '0003_snapshot_rows_have_a_period'),
    ]

    operations = [
        migrations.CreateModel(
            name='CountSubtotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('breakdown', models.CharField(max_length=10)),
                ('victim_age', models.SmallIntegerField(null=True)),
                ('age_band', models.CharField(blank=True, max_length=20)),
                ('age_band_min', models.SmallIntegerField(null=True)),
                ('age_band_max', models.SmallIntegerField(null=True)),
                ('suppressed_label', models.CharField(blank=True, max_length=10)),
                ('total', models.BigIntegerField(help_text='The sum of the counts (a suppressed cell adds nothing).')),
                ('cells', models.BigIntegerField(help_text='How many counts.')),
                ('suppressed_cells', models.BigIntegerField(help_text='How many of them suppressed.')),
                ('campaign', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='collection.campaign')),
                ('force', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='collection.force')),
                ('offence', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='collection.offencecode')),
                ('period', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='collection.campaignperiod')),
            ],
            options={
                'indexes': [models.Index(fields=['campaign', 'force'], name='count_subtotal_by_force')],
            },
        ),
        migrations.RunPython(keep_subtotals, drop_subtotals),
    ]
