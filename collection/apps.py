from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_groups(sender, **kwargs):
    # Models added after the roles migration get their permissions granted here.
    from .roles import sync_groups

    sync_groups()


class CollectionConfig(AppConfig):
    name = "collection"
    verbose_name = "Collection: forces, campaigns, requests and returns"

    def ready(self):
        from django.core import checks

        from .checks import foi_settings

        post_migrate.connect(_sync_groups, dispatch_uid="collection.sync_groups")
        from .challenges.receivers import answer_ends_review
        from .signals import outcome_recorded

        outcome_recorded.connect(answer_ends_review, dispatch_uid="challenges.answer_ends_review")
        checks.register(foi_settings, "settings")
