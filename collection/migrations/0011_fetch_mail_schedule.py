"""The mail poller in the beat schedule, every 5 minutes, where staff can see and change it
in the admin (Periodic tasks). Without IMAP_URL the task does nothing and says so."""
from django.db import migrations

TASK_NAME = "Fetch forces' mail"
TASK = "collection.fetch_mail"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(name=TASK_NAME, defaults={
        "task": TASK, "interval": every, "enabled": True,
        "description": "Reads new mail from the team's mailbox (IMAP_URL), stores each message once, "
                       "matches it to its request and suggests what it means. Never deletes mail.",
    })


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("collection", "0010_forces_mail"),
                    ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
