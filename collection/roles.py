"""The two roles: Researchers change everything, Viewers only look."""
from django.contrib.auth.models import Group, Permission

RESEARCHERS = "Researchers"
VIEWERS = "Viewers"
APPS = ("collection", "reports", "django_celery_beat")


def sync_groups() -> None:
    researchers, _ = Group.objects.get_or_create(name=RESEARCHERS)
    viewers, _ = Group.objects.get_or_create(name=VIEWERS)
    app_perms = Permission.objects.filter(content_type__app_label__in=APPS)
    researchers.permissions.add(*app_perms)
    viewers.permissions.add(*app_perms.filter(codename__startswith="view_"))
