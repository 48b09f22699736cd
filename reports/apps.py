from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports: national figures and exports"

    def ready(self):
        from django.core import checks

        from collection.signals import counts_changed, outcome_recorded

        from . import receivers, triggers
        from .checks import reports_settings

        outcome_recorded.connect(receivers.on_outcome_recorded, dispatch_uid="reports.compile_on_last_answer")
        counts_changed.connect(receivers.on_counts_changed, dispatch_uid="reports.warm_on_counts_changed")
        # The triggers that log changes to the figures' inputs, (re)made after every migrate.
        post_migrate.connect(triggers.on_post_migrate, sender=self, dispatch_uid="reports.figures_triggers")
        checks.register(reports_settings, "settings")
