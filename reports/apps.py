from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports: national figures and exports"

    def ready(self):
        from django.core import checks

        from collection.signals import outcome_recorded

        from . import receivers
        from .checks import reports_settings

        outcome_recorded.connect(receivers.on_outcome_recorded, dispatch_uid="reports.compile_on_last_answer")
        checks.register(reports_settings, "settings")
