from axes.apps import AppConfig as AxesConfig


class LoginLockoutsConfig(AxesConfig):
    """django-axes (login throttling) under a name staff recognise in the admin; its pages are
    for superusers only (collection/admin_lockouts.py)."""

    verbose_name = "Settings: login lockouts"
