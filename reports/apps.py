from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports: national figures and exports"

    def ready(self):
        from collection.signals import outcome_recorded

        from . import receivers

        outcome_recorded.connect(receivers.on_outcome_recorded, dispatch_uid="reports.compile_on_last_answer")
