"""Stored files that no row names: what a run killed between writing a file and committing its row
leaves behind. `cleanup_media` (command, and beat daily) removes those older than a day (a file
younger than that may belong to a run still in progress) and lists each one it removed."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models


def named_files() -> set[str]:
    """Every file name a row of any model keeps in a FileField."""
    names: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.get_fields():
            if isinstance(model_field, models.FileField) and model_field.concrete:
                names.update(n for n in model._default_manager.exclude(**{model_field.name: ""})
                             .values_list(model_field.name, flat=True).iterator() if n)
    return names


@dataclass
class CleanupMedia:
    older_than: dt.timedelta = dt.timedelta(days=1)
    dry_run: bool = False
    removed: list[str] = field(default_factory=list)

    def execute(self) -> "CleanupMedia":
        root = Path(settings.MEDIA_ROOT)
        if not root.is_dir():
            return self
        cutoff = time.time() - self.older_than.total_seconds()
        candidates = [p for p in root.rglob("*") if p.is_file() and p.stat().st_mtime < cutoff]
        if not candidates:
            return self
        named = named_files()  # read after the listing: a row committed meanwhile still counts
        for path in sorted(candidates):
            name = path.relative_to(root).as_posix()
            if name in named:
                continue
            if not self.dry_run:
                path.unlink(missing_ok=True)
            self.removed.append(name)
        return self

    def line(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return f"{verb} {len(self.removed)} file{'' if len(self.removed) == 1 else 's'} no row names"
