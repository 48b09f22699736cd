"""The files an ingestion run writes (a message's raw bytes, its attachments, a table from its
body) are written inside the run's transaction, beside their rows; if that transaction rolls
back, they are removed, so no stored file is left without its row. A file is forgotten here once
its transaction commits (on_commit); a process killed outright leaves its files to
`cleanup_media`, which removes files no row names."""
from __future__ import annotations

from django.db import transaction


class WrittenFiles:
    def __init__(self):
        self.pending: dict[str, object] = {}  # name in storage -> the storage, until committed

    def add(self, field_file) -> None:
        name, storage = field_file.name, field_file.storage
        if not name or name in self.pending:
            return
        self.pending[name] = storage
        transaction.on_commit(lambda: self.pending.pop(name, None))

    def mark(self) -> set[str]:
        return set(self.pending)

    def remove(self, keep: set[str] = frozenset()) -> list[str]:
        """Delete every file not committed (but those in `keep`, written before a savepoint that
        still stands): called when the transaction that would have named them rolled back."""
        removed = []
        for name in [n for n in self.pending if n not in keep]:
            self.pending.pop(name).delete(name)
            removed.append(name)
        return removed

    def drop(self, names) -> None:
        """Delete these files now, while the transaction goes on: a message held for its batch's
        insert that is stored again alone writes its files again, and its first copies would
        otherwise stay in storage with no row naming them."""
        for name in list(names):
            storage = self.pending.pop(name, None)
            if storage is not None:
                storage.delete(name)
