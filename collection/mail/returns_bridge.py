"""The returns service as the inbox uses it (collection/returns/services.py): receive a file
(kept with its SHA-256 once per request, on the timeline), preview it (its cells kept on the
file), confirm it (imports exactly the previewed cells, once). The outcome is recorded by the
suggestion's acceptance, with the sections the message cites, so none is chosen at receipt."""
from __future__ import annotations

import datetime as dt

from ..importer import ImportRefused
from ..returns.models import ReturnedFile, ReturnSource, ReturnStatus
from ..returns.services import ConfirmReturn, PreviewReturn, ReceiveReturn, ReturnAlreadyImported


def receive(request, data: bytes, filename: str, user=None, received_on: dt.date | None = None
            ) -> tuple[ReturnedFile, bool]:
    got = ReceiveReturn(request, data, filename, user=user, source=ReturnSource.MAIL,
                        received_on=received_on).execute()
    return got.returned, got.created


def preview(returned: ReturnedFile) -> bool:
    """Read the file; True when its preview is clean (ready to confirm) or it is imported already."""
    if returned.status == ReturnStatus.STORED:
        return False
    try:
        PreviewReturn(returned).execute()
    except ReturnAlreadyImported:
        return True
    except ImportRefused:
        return False
    returned.refresh_from_db()
    return returned.status == ReturnStatus.PENDING


def confirm(returned: ReturnedFile, user=None) -> int:
    """Import the previewed cells; a file imported meanwhile is left as it is (0 cells)."""
    try:
        return ConfirmReturn(returned, user).execute().cells
    except ReturnAlreadyImported:
        return 0
