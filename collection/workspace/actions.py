"""What a row of the board can do: one handler per action, each calling the services every other
door calls (RecordResponse, RecordEvent, MarkSent, the send_campaign task, ReceiveReturn/PreviewReturn/
ConfirmReturn, ChaseNow). A handler validates its small form, does the one thing, and returns one line saying
what happened; a refusal is a ServiceError (or ImportRefused) with one line saying why, and
nothing written.

`enter` and `fix_file` are links to typed entry and to mapping from the preview; `accept` takes
the inbox's waiting suggestion for the request (collection/mail/services.py AcceptSuggestion).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import deadlines
from ..admin_common import plural
from ..forms import DayField, RecordAnswerForm
from ..requests.models import EventKind, FoiRequest, Outcome
from ..returns.models import ReturnedFile, ReturnSource, ReturnStatus
from ..requests.services import RecordEvent, RecordResponse, record_change
from ..validation import ServiceError
from . import sending, states


def can_change(user) -> bool:
    return user.has_perm("collection.change_foirequest")


def can_challenge(user) -> bool:
    return can_change(user) and user.has_perm("collection.add_challengestep")


def can_import(user) -> bool:
    from ..returns.services import can_import as returns_can_import

    return returns_can_import(user)


# --- forms (validation only: the row's markup is written by hand in workspace_row.html) ---------

class SentForm(forms.Form):
    sent_on = DayField(label="Sent on")
    via = forms.ChoiceField(choices=sending.SENT_VIA)


class UploadForm(forms.Form):
    file = forms.FileField()
    received_on = DayField(label="Answer received on")
    outcome = forms.ChoiceField(required=False, initial=Outcome.PROVIDED, choices=[
        ("", "Leave the outcome as it is"), (Outcome.PROVIDED, Outcome.PROVIDED.label),
        (Outcome.PARTIAL, Outcome.PARTIAL.label)])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.FOI_IMPORT_MAX_FILE_BYTES:
            raise forms.ValidationError(f"{upload.name}: {upload.size:,} bytes is over the limit of "
                                        f"{settings.FOI_IMPORT_MAX_FILE_BYTES:,} bytes")
        return upload


class ConfirmForm(forms.Form):
    returned = forms.IntegerField()
    fingerprint = forms.CharField(max_length=64)


class DayForm(forms.Form):
    on = DayField(label="On")


class AcknowledgeForm(forms.Form):
    on = DayField(label="Acknowledged on")
    force_reference = forms.CharField(required=False, max_length=80, label="Their reference")


# --- the services the workspace adds (everything else is the services every door uses) ----------

@dataclass
class RecordAcknowledgement:
    """The force acknowledged the request, perhaps with its own reference (kept on the request)."""

    request: FoiRequest
    on: dt.date
    user: object = None
    force_reference: str = ""

    def execute(self) -> None:
        reference = self.force_reference.strip()
        with transaction.atomic():
            RecordEvent(self.request, EventKind.ACKNOWLEDGED, self.on, self.user,
                        detail=f"Their reference: {reference}" if reference else "").execute()
            before = self.request.force_reference
            if reference and reference != before:
                FoiRequest.objects.filter(pk=self.request.pk).update(force_reference=reference,
                                                                     updated_at=timezone.now())
                self.request.force_reference = reference
                record_change(self.request, self.user, {"force_reference": [before, reference]}, on=self.on)


# --- one handler per action --------------------------------------------------------------------

def _valid(form: forms.Form) -> dict:
    if not form.is_valid():
        # One line naming the field and what is wrong, as every entry point does.
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields and form.fields[field].label else field
        label = label.replace("_", " ")
        raise ServiceError(f"{label[:1].upper()}{label[1:]}: {errors[0]}" if field != "__all__" else errors[0])
    return form.cleaned_data


def send(http, foi_request: FoiRequest) -> str:
    data = _valid(SentForm(http.POST))
    n = sending.record_sent(foi_request.campaign, http.user, data["sent_on"], data["via"], [foi_request])
    if not n:
        raise ServiceError(f"{foi_request.force.name}: already recorded as sent")
    return f"{foi_request.force.name}: recorded as sent on {deadlines.format_day(data['sent_on'])}."


def email(http, foi_request: FoiRequest) -> str:
    result = sending.send(foi_request.campaign, http.user, [foi_request.force.force_id])
    if result.level != "success":
        raise ServiceError("; ".join(result.lines))
    if result.sent:
        return f"{foi_request.force.name}: e-mailed ({foi_request.force.foi_email})."
    return f"{foi_request.force.name}: {result.lines[0]}"


def answer(http, foi_request: FoiRequest) -> str:
    data = _valid(RecordAnswerForm(http.POST))
    RecordResponse(foi_request, data["outcome"], data["received_on"], http.user, sections=data["sections"]).execute()
    foi_request.refresh_from_db()
    return f"{foi_request.force.name}: {foi_request.get_outcome_display()} recorded."


def upload(http, foi_request: FoiRequest) -> str:
    from ..returns.services import ReceiveReturn
    from ..returns.tasks import QUEUE_DOWN, queue_preview

    data = _valid(UploadForm(http.POST, http.FILES))
    name = data["file"].name
    returned = ReceiveReturn(foi_request, data["file"].read(), name, http.user, ReturnSource.UPLOAD,
                             outcome=data["outcome"], received_on=data["received_on"]).execute().returned
    if returned.status in (ReturnStatus.IMPORTED, ReturnStatus.QUEUED):
        return f"{foi_request.force.name}: {returned.original_name} was already " \
               f"{returned.get_status_display().lower()}; nothing changed."
    if returned.status == ReturnStatus.STORED:
        return f"{foi_request.force.name}: {returned.original_name} is kept on record; type its figures."
    if not queue_preview(returned):
        return f"{foi_request.force.name}: {returned.original_name} is kept. {QUEUE_DOWN}"
    returned.refresh_from_db()
    if returned.status == ReturnStatus.REFUSED:
        # Kept on record all the same: the row now offers to say where the table is, or to type it.
        raise ServiceError(returned.error or f"{returned.original_name}: refused")
    summary = returned.summary or {}
    if summary.get("phase") == "previewed":
        return f"{foi_request.force.name}: {returned.original_name} read, {plural(summary.get('cells', 0), 'cell')}, " \
               f"{total_words(summary)}. Check it and confirm the import."
    return f"{foi_request.force.name}: {returned.original_name} is being read."


def total_words(summary: dict) -> str:
    """A file's total as its cells allow: a suppressed cell is never 0, so it is named beside the sum
    of the figures given ("total 12 and 3 suppressed cells"), never left to read as a total of 0."""
    words = f"total {summary.get('total', 0):,}"
    if summary.get("suppressed_cells"):
        words += f" and {plural(summary['suppressed_cells'], 'suppressed cell')}"
    return words


def confirm(http, foi_request: FoiRequest) -> str:
    from ..returns.services import ConfirmReturn
    from ..returns.tasks import QUEUE_DOWN, queue_confirm

    data = _valid(ConfirmForm(http.POST))
    returned = ReturnedFile.objects.filter(pk=data["returned"], request=foi_request).first()
    if returned is None:
        raise ServiceError(f"{foi_request.force.name}: that file is not one of this request's")
    ConfirmReturn(returned, http.user, expected=data["fingerprint"]).claim()
    if not queue_confirm(returned, http.user):
        return f"{foi_request.force.name}: {returned.original_name} is confirmed. {QUEUE_DOWN}"
    returned.refresh_from_db()
    if returned.status == ReturnStatus.IMPORTED:
        summary = returned.summary or {}
        return f"{foi_request.force.name}: imported {plural(summary.get('cells', 0), 'cell')} from " \
               f"{returned.original_name} ({total_words(summary)})."
    if returned.status == ReturnStatus.QUEUED:
        return f"{foi_request.force.name}: {returned.original_name} is being imported."
    raise ServiceError(returned.error or f"{returned.original_name}: the import was refused")


def chase(http, foi_request: FoiRequest) -> str:
    from ..reminders.services import ChaseNow

    summary = ChaseNow([foi_request], http.user).execute()
    if summary.failed or summary.problems:
        raise ServiceError("; ".join(summary.failed + summary.problems))
    if summary.sent:
        return f"{foi_request.force.name}: chased now."
    if summary.already_sent or summary.in_progress:
        return f"{foi_request.force.name}: already chased today; not sent again."
    if summary.planned:  # claimed; the mail goes once the claim is committed
        return f"{foi_request.force.name}: chaser on its way."
    raise ServiceError(f"{foi_request.force.name}: not chased")


def accept(http, foi_request: FoiRequest) -> str:
    from ..mail.services import AcceptSuggestion
    from ..mail.models import MailSuggestion, SuggestionStatus

    suggestion = MailSuggestion.objects.filter(request=foi_request, status=SuggestionStatus.WAITING,
                                               pk=http.POST.get("suggestion") or None).first()
    if suggestion is None:
        raise ServiceError(f"{foi_request.force.name}: that suggestion is no longer waiting")
    done = AcceptSuggestion(suggestion, http.user).execute()
    return f"{foi_request.force.name}: " + "; ".join(done)


def clarify(http, foi_request: FoiRequest) -> str:
    data = _valid(DayForm(http.POST))
    RecordEvent(foi_request, EventKind.CLARIFICATION_GIVEN, data["on"], http.user).execute()
    foi_request.refresh_from_db()
    due = f" Due {deadlines.format_day(foi_request.due_on)}." if foi_request.due_on else ""
    return f"{foi_request.force.name}: clarification recorded; the clock restarted.{due}"


def acknowledge(http, foi_request: FoiRequest) -> str:
    data = _valid(AcknowledgeForm(http.POST))
    RecordAcknowledgement(foi_request, data["on"], http.user, data["force_reference"]).execute()
    return f"{foi_request.force.name}: acknowledgement recorded."


@dataclass(frozen=True)
class RowAction:
    name: str
    label: str
    allowed: Callable
    run: Callable | None = None
    available: bool = True  # False: waits for another stream's service (see the module's docstring)


ACTIONS: dict[str, RowAction] = {a.name: a for a in [
    RowAction(states.SEND, "Record as sent", can_change, send),
    RowAction("email", "E-mail it", can_change, email),
    RowAction(states.ANSWER, "Record the answer", can_change, answer),
    RowAction(states.UPLOAD, "Upload the force's file", can_import, upload),
    RowAction(states.CONFIRM, "Confirm the import", can_import, confirm),
    RowAction(states.CHASE, "Chase now", can_change, chase),
    RowAction(states.CLARIFY, "Clarification sent", can_change, clarify),
    RowAction(states.ACKNOWLEDGE, "Acknowledged", can_change, acknowledge),
    RowAction(states.FIX_ADDRESS, "Correct the address", can_change),
    RowAction(states.FIX_FILE, "Look at the file", can_import),
    RowAction(states.ENTER, "Type the figures", can_import),  # a link to typed entry (collection/returns/typed.py)
    RowAction(states.ACCEPT, "Accept", can_change, accept),
    RowAction(states.CHALLENGE, "Challenge", can_challenge),  # a link to the letter (collection/challenges/admin.py)
]}


def allowed_actions(user) -> set[str]:
    """The actions this person may take (a Viewer none): the template shows only these."""
    return {name for name, action in ACTIONS.items() if action.available and action.allowed(user)}
