"""When the last outstanding request of a campaign gets its outcome, compile the final figures;
when a campaign's counts or answers change, work its figures out again in the background."""
from django.conf import settings
from django.db import transaction

from collection.requests.models import FoiRequest


def campaign_complete(campaign_id) -> bool:
    return FoiRequest.objects.filter(campaign_id=campaign_id).exists() and \
        not FoiRequest.objects.filter(campaign_id=campaign_id).outstanding().exists()


def enqueue_if_complete(campaign_id) -> bool:
    """After the commit: queue the compile task if no request of the campaign lacks an outcome.

    Checked again after the commit, not only inside the transaction: when the last two answers
    are recorded at the same time, each transaction sees the other's request as outstanding;
    the check after the later commit sees both.
    """
    from .tasks import compile_final_aggregate

    if campaign_complete(campaign_id):
        compile_final_aggregate.delay(campaign_id)
        return True
    return False


def on_outcome_recorded(sender, request, **kwargs):
    """collection.signals.outcome_recorded is sent inside RecordResponse's transaction."""
    campaign_id = request.campaign_id
    warm_after_commit(campaign_id)
    # robust: a failing compile (run in-process when embedded) is logged, never undoes or breaks the answer.
    transaction.on_commit(lambda: enqueue_if_complete(campaign_id), robust=True)


def warm_after_commit(campaign_id) -> None:
    """Queue the figures' working out after the commit (`reports.tasks.warm_report_figures`), when
    FOI_WARM_REPORTS is on: the first report view after an import then finds them in the shared
    cache instead of summing them while the researcher waits (from the counts' subtotals on
    PostgreSQL, from every count on SQLite)."""
    if not getattr(settings, "FOI_WARM_REPORTS", False):
        return
    from .tasks import warm_report_figures

    # Collapses a burst of imports: each queued warm-up finds the figures of the latest version
    # already worked out by the first, and does nothing.
    transaction.on_commit(lambda: warm_report_figures.apply_async((campaign_id,), countdown=2), robust=True)


def on_counts_changed(sender, campaign_id, **kwargs):
    """collection.signals.counts_changed is sent inside the transaction that replaced the counts."""
    warm_after_commit(campaign_id)
