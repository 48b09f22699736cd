"""Loaded before Django's settings (pytest.ini: `-p tests.parallel`): under pytest-xdist each worker
process gets Redis databases of its own, so one worker's Celery tasks, queue purges and cached
sessions never reach another's. Worker N uses the database REDIS_URL names plus 2N (its sessions'
cache the next one up, as settings.py puts it)."""
import os
import re

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_url = os.environ.get("REDIS_URL", "")
if _worker.startswith("gw") and _url:
    _found = re.fullmatch(r"(rediss?://[^/]*)(?:/(\d+))?/?", _url)
    if _found is None:
        raise RuntimeError(f"REDIS_URL={_url!r}: expected redis://host:port/N to share it among test workers")
    _database = int(_found.group(2) or 0) + 2 * int(_worker[2:])
    if _database > 15:
        raise RuntimeError(f"test worker {_worker} would need Redis database {_database}: run fewer workers "
                           f"(-n) or name a lower database in REDIS_URL")
    os.environ["REDIS_URL"] = f"{_found.group(1)}/{_database}"
