"""Sending in the admin: the campaign action that previews the request e-mail and the forces
it goes to (and cannot), then sends on "Send to N forces"; and the bulk import of forces' FOI
addresses on Forces (see resources.py)."""
from celery.result import EagerResult
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from ..mail.services import where_answers_go
from ..validation import ServiceError
from .rules import plural
from .services import PreviewSend
from ..jobs.services import QUEUE_DOWN
from .tasks import queue_send


def send_requests(modeladmin, request, queryset):
    """The campaign action: a preview page first; its button posts back here with "confirm"."""
    campaigns = list(queryset.select_related("owner")[:2])
    if len(campaigns) != 1:
        modeladmin.message_user(request, "Choose one campaign at a time to e-mail its request.", messages.WARNING)
        return None
    campaign = campaigns[0]
    if "confirm" in request.POST:
        return confirm(modeladmin, request, campaign, request.POST.getlist("force"))
    plan = PreviewSend(campaign).execute()
    context = {
        **modeladmin.admin_site.each_context(request), "opts": modeladmin.model._meta,
        "title": f"E-mail the request: {campaign.title}", "campaign": campaign, "plan": plan,
        "goes_to": plural(len(plan.emails), "force"), "cannot": plural(len(plan.cannot), "force"),
        "action": request.POST.get("action"), "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "answers": where_answers_go(),
    }
    return TemplateResponse(request, "admin/collection/campaign/send_preview.html", context)


def confirm(modeladmin, request, campaign, force_ids):
    """Send to the forces the preview listed (those still unsent and sendable: a second click sends nothing)."""
    if not force_ids:
        modeladmin.message_user(request, f"{campaign.slug}: nothing to send.", messages.WARNING)
        return None
    try:
        # Refuse here what the worker would refuse (no mailbox, a force not in the campaign), so the
        # person hears it now rather than never.
        plan = PreviewSend(campaign, force_ids).execute()
        if plan.blocking:
            raise ServiceError(f"{campaign.slug}: nothing sent: {plan.blocking}")
        result = queue_send(campaign.pk, force_ids, request.user.pk)
    except ServiceError as error:  # in-process (no worker): the service's refusal, in one line
        modeladmin.message_user(request, str(error), messages.ERROR)
        return None
    if result is None:
        modeladmin.message_user(request, f"{campaign.slug}: {QUEUE_DOWN} Nothing has been sent yet.",
                                messages.WARNING)
        return None
    if not isinstance(result, EagerResult):
        modeladmin.message_user(request, f"{campaign.slug}: sending to {plural(len(force_ids), 'force')} now. Each "
                                         "request shows Sent once the mail server has accepted it; a failure shows "
                                         "its error on the request and is retried.", messages.SUCCESS)
        return None
    report(modeladmin, request, result.get())
    return None


def report(modeladmin, request, summary: dict) -> None:
    modeladmin.message_user(request, summary["headline"],
                            messages.WARNING if summary["failed"] or summary["cannot"] else messages.SUCCESS)
    for line in summary["failed"]:
        modeladmin.message_user(request, f"Not sent, left unsent and retried: {line}", messages.ERROR)
    for line in summary["cannot"]:
        modeladmin.message_user(request, line, messages.WARNING)


# --- Forces' FOI addresses in bulk --------------------------------------------------------

from django import forms  # noqa: E402
from import_export.admin import ImportMixin  # noqa: E402
from import_export.formats.base_formats import CSV  # noqa: E402
from import_export.forms import ImportForm  # noqa: E402

from .resources import MAX_BYTES, ForceAddressResource, refusals  # noqa: E402


class AddressFileForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"{upload.name} is {upload.size:,} bytes: an address list is at most "
                                        f"{MAX_BYTES:,} (one line per force)")
        return upload


class ForceAddressImportMixin(ImportMixin):
    """Import a CSV of force_id,foi_email on Forces: a preview of every change, then confirm."""

    resource_classes = [ForceAddressResource]
    import_formats = [CSV]
    import_form_class = AddressFileForm

    def has_import_permission(self, request):
        return request.user.has_perm("collection.change_force")  # Viewers look, never import

    def get_import_data_kwargs(self, **kwargs):
        # Nothing written unless every row is good, at the confirm step too.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            for line in refusals(result, "the file"):
                self.message_user(request, line, messages.ERROR)
            self.message_user(request, "Nothing was imported.", messages.ERROR)
            from django.shortcuts import redirect

            return redirect("admin:collection_force_changelist")
        return super().process_result(result, request)
