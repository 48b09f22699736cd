"""A web worker made ready to serve: its modules loaded first, then Python's garbage collector
told which objects live as long as the process.

The cyclic garbage collector walks the container objects it tracks: the young ones after every
700 made (a list page makes several thousand: its rows, their dictionaries, the template's
contexts), and now and then every one, the ~150,000 of Django, the admin and the URLconf among
them (tens of milliseconds each time). Frozen after start-up (gc.freeze), those are never walked
again; and a young collection every 10,000 objects rather than 700 does the same work in fewer,
larger passes. Measured on the admin's list pages: about 1 to 2 ms of CPU a view less
(bench/bench_lists.py). Garbage in cycles waits a little longer to be freed; everything else is
freed as before, the moment its last reference goes.
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
