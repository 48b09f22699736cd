"""Celery tasks for returned files: thin wrappers that look rows up by id and call services.py.

With a broker the admin queues these and shows a progress bar; embedded, they run inline. A
task never leaves a file "importing" for ever: a refusal is recorded on the file, any other
failure puts it back to "awaiting confirmation" with the reason, and a worker that dies mid-import
rolls its transaction back (the message is delivered again, or the confirm's lease runs out).
"""
import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from ..importer import ColumnMapping, ImportRefused
from ..jobs.services import QUEUE_DOWN, JobKind, queue, run_job  # noqa: F401  QUEUE_DOWN: for the pages
from .models import ReturnedFile, ReturnStatus, ScanReading, ScanReadingStatus
from ..validation import ServiceError
from .scanned import ReadScan, RequestScanReading
from .services import ConfirmReturn, PreviewReturn, ReturnAlreadyImported, set_phase

log = logging.getLogger(__name__)


def queue_preview(returned: ReturnedFile, mapping: ColumnMapping | None = None) -> bool:
    """Have a kept file read (on the worker with a broker, at once embedded): the one door every
    page that receives a file goes through. `mapping`: where a person said the table is.
    False when the broker is down: the sweeper queues it once the broker is back."""
    set_phase(returned, "queued", 0)
    return queue(JobKind.PREVIEW, returned.pk, preview_return.name,
                 {"returned_id": returned.pk, "mapping": mapping.to_dict() if mapping else None}) is not None


def queue_confirm(returned: ReturnedFile, user=None) -> bool:
    """Have a file's previewed cells imported, once its confirm is claimed (ConfirmReturn.claim,
    ConfirmClean): the one door every confirm button goes through. False when the broker is down:
    the confirm stays claimed and the sweeper queues the import once the broker is back."""
    set_phase(returned, "importing", 50)
    return queue(JobKind.CONFIRM, returned.pk, confirm_return.name,
                 {"returned_id": returned.pk, "user_id": getattr(user, "pk", None)}) is not None


def queue_scan_reading(scan: ReturnedFile, user=None) -> ScanReading:
    """Have a scan read with OCR (on the worker with a broker, at once embedded): the one door every
    page that asks for a reading goes through. ServiceError when OCR is unavailable or it is no scan."""
    reading = RequestScanReading(scan, user).execute()
    if reading.status == ScanReadingStatus.QUEUED:
        read_scan.delay(reading.pk)
    return reading


@shared_task(name="collection.read_scan")
def read_scan(reading_id: int) -> str:
    reading = ScanReading.objects.select_related("scan__request__campaign").get(pk=reading_id)
    if reading.status not in (ScanReadingStatus.QUEUED, ScanReadingStatus.READING):
        return reading.status
    try:
        return ReadScan(reading).execute().status
    except Exception as error:  # noqa: BLE001 - a reading that fails says so; typing is still open
        log.exception("reading scan %s failed", reading_id)
        ScanReading.objects.filter(pk=reading_id).update(
            status=ScanReadingStatus.FAILED, error=f"the scan could not be read ({type(error).__name__}): type the "
                                                   "figures instead")
        return ScanReadingStatus.FAILED


@shared_task(name="collection.preview_return")
def preview_return(returned_id: int, mapping: dict | None = None) -> str:
    return run_job(JobKind.PREVIEW, returned_id, preview_return.name, {"returned_id": returned_id, "mapping": mapping},
                   lambda: _preview(returned_id, mapping))


def _preview(returned_id: int, mapping: dict | None) -> str:
    returned = ReturnedFile.objects.select_related("request__force").get(pk=returned_id)
    set_phase(returned, "reading", 10)
    try:
        PreviewReturn(returned, ColumnMapping.from_json(mapping) if mapping else None,
                      report_progress=True).execute()
    except ImportRefused:
        set_phase(returned, "refused", 100)
        return "refused"
    except ReturnAlreadyImported:
        return "imported"
    return "previewed"


@shared_task(name="collection.confirm_return")
def confirm_return(returned_id: int, user_id: int | None = None) -> str:
    return run_job(JobKind.CONFIRM, returned_id, confirm_return.name, {"returned_id": returned_id, "user_id": user_id},
                   lambda: _confirm(returned_id, user_id))


def _confirm(returned_id: int, user_id: int | None) -> str:
    returned = ReturnedFile.objects.select_related("request__force", "request__campaign").get(pk=returned_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    set_phase(returned, "importing", 50)
    try:
        ConfirmReturn(returned, user).execute()
    except ReturnAlreadyImported:
        return "imported"
    except ImportRefused as refusal:
        ReturnedFile.objects.filter(pk=returned_id).update(status=ReturnStatus.REFUSED, error=str(refusal))
        set_phase(returned, "refused", 100)
        return "refused"
    except Exception as error:  # noqa: BLE001 - whatever went wrong, the file can be confirmed again
        log.exception("import of returned file %s failed", returned_id)
        reason = error if isinstance(error, ServiceError) else f"the import failed ({type(error).__name__}: {error})"
        ReturnedFile.objects.filter(pk=returned_id, status__in=(ReturnStatus.QUEUED, ReturnStatus.PENDING)).update(
            status=ReturnStatus.PENDING, error=f"{reason}. Nothing was imported; you can confirm again.")
        set_phase(returned, "previewed", 100)  # the preview still stands: the page offers the confirm again
        return "failed"
    set_phase(returned, "imported", 100)
    return "imported"


@shared_task(name="collection.apply_mapping_to_same_header")
def apply_mapping_to_same_header(returned_id: int, mapping: dict) -> list[str]:
    """Read the campaign's other files with the same row of headings with this mapping."""
    from .remap import SameHeader

    returned = ReturnedFile.objects.select_related("request__force").get(pk=returned_id)
    done = []
    for other, moved in SameHeader(returned, ColumnMapping.from_json(mapping)).execute():
        set_phase(other, "queued", 0)
        preview_return(other.pk, moved.to_dict())  # within this task, not queued again
        done.append(other.original_name)
    return done
