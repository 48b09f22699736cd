"""Django's admin finds an app's admin modules here; each room of the app keeps its own beside its
models and services."""
from . import admin_beat, admin_lockouts  # noqa: F401  the scheduler's tasks and django-axes' records
from .forces import admin as forces_admin  # noqa: F401
from .jobs import admin as jobs_admin  # noqa: F401
from .mail import admin as mail_admin  # noqa: F401
from .reminders import admin as reminders_admin  # noqa: F401
from .requests import admin as requests_admin  # noqa: F401
from .returns import admin as returns_admin  # noqa: F401
from .challenges import admin as challenges_admin  # noqa: F401
