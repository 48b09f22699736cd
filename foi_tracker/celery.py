"""The Celery app. With REDIS_URL it talks to a broker; without it tasks run in-process."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")

app = Celery("foi_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="import_tasks")  # returned files: preview and confirm
