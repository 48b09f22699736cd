"""Signals other apps listen to (the reports app compiles the aggregate on the last answer)."""
from django.dispatch import Signal

#: Sent inside the transaction that records a request's outcome; receivers that start work
#: elsewhere must defer it with transaction.on_commit.
outcome_recorded = Signal()

#: Sent inside the transaction that replaced a request's counts (``campaign_id``); the reports
#: app works out the campaign's figures again after the commit, so that the next page view finds them.
counts_changed = Signal()
