"""A web worker made ready to serve: its modules loaded first, then Python's garbage collector
told which objects live as long as the process.

The cyclic garbage collector walks the container objects it tracks: the young ones every few
hundred made (a list page makes thousands: its rows, their dictionaries, the template's contexts),
and now and then every one, Django's, the admin's and the URLconf's among them. Frozen after
start-up (gc.freeze), those are never walked again; and young collections in fewer, larger passes
do the same work. Garbage in cycles waits a little longer to be freed; everything else is freed
as before, the moment its last reference goes.
"""
import gc

YOUNG_COLLECTION_EVERY = 10_000  # objects made (Python's default: 700)


def settle_web_process() -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # the URLconf loads the admin's modules (urls.py): before the freeze
    gc.collect()
    gc.freeze()
    young, *older = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_COLLECTION_EVERY), *older)
