"""The daily reminder job in the beat schedule, where staff can see and change it in the admin
(Periodic tasks). 07:30 London time: before the team starts, and outside the 01:00-02:00
hour the clocks change in, when a time can happen twice or not at all."""
from django.db import migrations

TASK_NAME = "Daily reminders and chasers"
TASK = "collection.send_reminders"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="7", day_of_week="mon-fri", day_of_month="*", month_of_year="*",
        timezone="Europe/London")
    PeriodicTask.objects.get_or_create(name=TASK_NAME, defaults={
        "task": TASK, "crontab": schedule, "enabled": True,
        "description": "Emails each campaign's digest to its owner and chases late forces. "
                       "Bank holidays are skipped by the job itself; each email goes once however "
                       "often it runs.",
    })


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("collection", "0004_reminderlog"),
                    ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
