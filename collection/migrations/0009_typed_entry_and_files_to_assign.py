# Typed entry (a return typed from a letter keeps the letter it came from) and files to assign (bulk uploads whose force could not be told).

import collection.returns.models
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collection', '0008_request_send_claim'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='returnedfile',
            name='typed_from',
            field=models.ForeignKey(blank=True, help_text='For figures typed in by hand: the letter or scan they were typed from.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='typed_copies', to='collection.returnedfile'),
        ),
        migrations.CreateModel(
            name='UnmatchedReturn',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(max_length=300, upload_to=collection.returns.models.unmatched_file_path)),
                ('original_name', models.CharField(max_length=255)),
                ('sha256', models.CharField(db_index=True, max_length=64, verbose_name='SHA-256')),
                ('size', models.PositiveBigIntegerField()),
                ('sender', models.CharField(blank=True, help_text='Who sent it, when it came in an e-mail.', max_length=254)),
                ('came_in', models.CharField(blank=True, help_text='The zip or e-mail it came out of, if any.', max_length=255)),
                ('reason', models.CharField(help_text='Why no force could be told.', max_length=500)),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('outcome', models.CharField(blank=True, choices=[('provided', 'Data provided'), ('partial', 'Data provided in part'), ('nil_return', 'Nil return'), ('not_held', 'Information not held'), ('refused', 'Refused'), ('no_response', 'No response')], help_text='The outcome to record when its import is confirmed.', max_length=20)),
                ('received_on', models.DateField(blank=True, help_text='When the answer arrived.', null=True)),
                ('assigned_at', models.DateTimeField(blank=True, null=True)),
                ('assigned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('assigned_to', models.ForeignKey(blank=True, help_text="The force's return it became once assigned.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='collection.returnedfile')),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='unmatched_returns', to='collection.campaign')),
                ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'file to assign to a force',
                'verbose_name_plural': 'files to assign to a force',
                'ordering': ['uploaded_at', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('campaign', 'sha256'), name='one_unmatched_copy_per_campaign')],
            },
        ),
    ]
