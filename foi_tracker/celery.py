"""The Celery app. With REDIS_URL it talks to a broker; without it tasks run in-process."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")

app = Celery("foi_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each job of the collection app keeps its tasks in its own package (returns, reminders, ...).
app.autodiscover_tasks(["collection.returns", "collection.reminders", "collection.sending", "collection.mail",
                        "collection.jobs", "reports.releases"])
