"""Signals other apps listen to (the reports app compiles the aggregate on the last answer)."""
from django.dispatch import Signal

#: Sent inside the transaction that records a request's outcome; receivers that start work
#: elsewhere must defer it with transaction.on_commit.
outcome_recorded = Signal()
