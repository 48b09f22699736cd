"""Forces' mail in the admin: every message received (with why it is this kind and why this
request), the Unmatched mail queue, an upload of .eml/.msg files, each campaign's Inbox, one-click
acceptance of suggestions, and the IMAP poller's status. Values from messages are only ever
rendered through the template engine or format_html, so they are escaped."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from ..admin_common import ReadOnlyAdminMixin
from ..admin_common import RelatedListFilter
from ..importer import ImportRefused
from ..requests.models import Campaign, FoiRequest
from .models import (MailAttachment, MailboxPosition, MailMessage, MailSource, MailSuggestion, SuggestionStatus,
                     UnmatchedMail)
from ..validation import ServiceError
from .services import (AcceptSuggestion, ApplySuggestions, AssignMessage, IngestMessage, MailRun,
                       mail_status_line)
from .sources import upload_to_bytes

MAX_UPLOAD_FILES = 200


def can_act(user) -> bool:
    return user.has_perm("collection.change_foirequest")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".eml,.msg,message/rfc822"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f] or \
            super().clean(None, initial)


class UploadMailForm(forms.Form):
    files = MultipleFileField(label="E-mail files", help_text="Saved messages (.eml or Outlook .msg), several at once.")


class AssignForm(forms.Form):
    request = forms.ModelChoiceField(FoiRequest.objects.none(), label="Belongs to")

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        qs = FoiRequest.objects.select_related("campaign", "force").exclude(sent_at__isnull=True)
        self.fields["request"].queryset = qs
        self.fields["request"].label_from_instance = lambda r: f"{r.campaign.slug} / {r.force.name}" + (
            " (suggested)" if r.pk in candidates else "")


class MatchedFilter(admin.SimpleListFilter):
    title = "matched"
    parameter_name = "matched"

    def lookups(self, request, model_admin):
        return [("yes", "Matched to a request"), ("no", "Unmatched")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(request__isnull=False)
        if self.value() == "no":
            return queryset.filter(request__isnull=True)
        return queryset


@admin.register(MailMessage)
class MailMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("sent_at", "kind", "force", "campaign", "subject", "from_address", "matched_by", "duplicates")
    list_filter = ("kind", MatchedFilter, "matched_by", ("request__campaign", RelatedListFilter), "source", "from_force",
                   "shares_message_id")
    search_fields = ("subject", "from_address", "message_id", "force_reference", "request__force__name")
    list_select_related = ("request__force", "request__campaign")
    date_hierarchy = "sent_at"
    list_per_page = 50

    @admin.display(description="Force", ordering="request__force__name")
    def force(self, m):
        return m.request.force.name if m.request else "(unmatched)"

    @admin.display(description="Campaign", ordering="request__campaign__slug")
    def campaign(self, m):
        return m.request.campaign.slug if m.request else "-"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="collection_mailmessage_upload"),
            path("<int:pk>/assign/", view(self.assign_view), name="collection_mailmessage_assign"),
            path("suggestion/<int:pk>/accept/", view(self.accept_view), name="collection_mailsuggestion_accept"),
            path("suggestion/<int:pk>/dismiss/", view(self.dismiss_view), name="collection_mailsuggestion_dismiss"),
            path("inbox/<int:campaign_id>/", view(self.inbox_view), name="collection_campaign_inbox"),
            path("inbox/<int:campaign_id>/accept-clean/", view(self.accept_clean_view),
                 name="collection_campaign_accept_clean"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "mail_status": mail_status_line(), "can_act": can_act(request.user),
                         "unmatched": MailMessage.objects.filter(request__isnull=True).count()}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The message as a person reads it: why this kind, why this request, its files and suggestions."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        message = get_object_or_404(
            MailMessage.objects.select_related("request__force", "request__campaign", "assigned_by").prefetch_related(
                Prefetch("attachments", MailAttachment.objects.select_related("returned_file")),
                Prefetch("suggestions", MailSuggestion.objects.select_related("decided_by"))), pk=object_id)
        candidates = (message.reading or {}).get("candidates") or []
        return TemplateResponse(request, "admin/collection/mailmessage/message.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": message.subject or "(no subject)",
            "message": message, "attachments": list(message.attachments.all()),
            "suggestions": list(message.suggestions.all()), "can_act": can_act(request.user),
            "assign_form": AssignForm(candidates=candidates) if message.request_id is None and can_act(request.user)
            else None, "reading": message.reading or {},
        })

    def _post_only(self, request):
        if not can_act(request.user):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return None

    def _back(self, request, default: str):
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            return redirect(target)
        return redirect(default)

    def assign_view(self, request, pk):
        refused = self._post_only(request)
        if refused:
            return refused
        message = get_object_or_404(MailMessage, pk=pk)
        form = AssignForm(request.POST)
        if form.is_valid():
            try:
                AssignMessage(message, form.cleaned_data["request"], request.user).execute()
                messages.success(request, f"Assigned to {form.cleaned_data['request']}.")
            except ServiceError as error:
                messages.error(request, str(error))
        else:
            messages.error(request, "Choose the request this message belongs to.")
        return self._back(request, reverse("admin:collection_mailmessage_change", args=[pk]))

    def accept_view(self, request, pk):
        refused = self._post_only(request)
        if refused:
            return refused
        suggestion = get_object_or_404(MailSuggestion, pk=pk)
        try:
            done = AcceptSuggestion(suggestion, request.user).execute()
            messages.success(request, "Accepted: " + "; ".join(done))
        except (ServiceError, ImportRefused) as error:
            messages.error(request, str(error))
        return self._back(request, reverse("admin:collection_mailmessage_change", args=[suggestion.message_id]))

    def dismiss_view(self, request, pk):
        refused = self._post_only(request)
        if refused:
            return refused
        suggestion = get_object_or_404(MailSuggestion, pk=pk)
        MailSuggestion.objects.filter(pk=pk, status=SuggestionStatus.WAITING).update(
            status=SuggestionStatus.DISMISSED, decided_by=request.user)
        messages.info(request, "Dismissed: nothing changed on the request.")
        return self._back(request, reverse("admin:collection_mailmessage_change", args=[suggestion.message_id]))

    def upload_view(self, request):
        if not can_act(request.user):
            raise PermissionDenied
        form = UploadMailForm(request.POST or None, request.FILES or None)
        results = []
        if request.method == "POST" and form.is_valid():
            files = form.cleaned_data["files"]
            if len(files) > MAX_UPLOAD_FILES:
                form.add_error("files", f"{len(files)} files: upload at most {MAX_UPLOAD_FILES} at once")
            else:
                run = MailRun(MailSource.UPLOAD, request.user, preload=False)  # the requests indexed once
                for upload in files:
                    if upload.size > max_upload_bytes():
                        messages.error(request, f"{upload.name}: {upload.size:,} bytes is over the "
                                                f"{max_upload_bytes():,}-byte limit for a message; not stored")
                        continue
                    raw = upload_to_bytes(upload.name, upload.read())
                    results.append(IngestMessage(raw, MailSource.UPLOAD, upload.name, request.user, run=run).execute())
        return TemplateResponse(request, "admin/collection/mailmessage/upload.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Upload e-mail files",
            "form": form, "results": results})

    def inbox_view(self, request, campaign_id):
        """Every message of a campaign by force, the unmatched count and the suggestions waiting."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        requests = list(campaign.requests.select_related("force").prefetch_related(
            Prefetch("mail", MailMessage.objects.order_by("sent_at", "pk")),
            Prefetch("mail_suggestions", MailSuggestion.objects.filter(status=SuggestionStatus.WAITING)
                     .select_related("message"))).order_by("force__name"))
        waiting = [s for r in requests for s in r.mail_suggestions.all()]
        return TemplateResponse(request, "admin/collection/mailmessage/inbox.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": f"Inbox: {campaign.title}", "campaign": campaign, "requests": requests,
            "waiting": len(waiting), "clean": sum(1 for s in waiting if s.clean),
            "unmatched": MailMessage.objects.filter(request__isnull=True).count(),
            "messages_total": sum(len(r.mail.all()) for r in requests),
            "can_act": can_act(request.user), "mail_status": mail_status_line()})

    def accept_clean_view(self, request, campaign_id):
        refused = self._post_only(request)
        if refused:
            return refused
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        report = ApplySuggestions(campaign, request.user).execute()
        messages.success(request, f"Accepted {len(report.accepted)} suggestion(s); "
                                  f"{len(report.left)} left for a person.")
        return redirect(reverse("admin:collection_campaign_inbox", args=[campaign.pk]))


def max_upload_bytes() -> int:
    from django.conf import settings

    return settings.FOI_MAIL_MAX_MESSAGE_BYTES


@admin.register(UnmatchedMail)
class UnmatchedMailAdmin(MailMessageAdmin):
    """The queue: messages no rule could place. Open one to assign it with one click."""

    list_display = ("sent_at", "kind", "subject", "from_address", "reason")
    list_filter = ("kind",)

    @admin.display(description="Why unmatched")
    def reason(self, m):
        return m.match_reason

    def get_queryset(self, request):
        return super().get_queryset(request).filter(request__isnull=True)

    def get_urls(self):
        return admin.ModelAdmin.get_urls(self)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect(reverse("admin:collection_mailmessage_change", args=[object_id]))


@admin.register(MailboxPosition)
class MailboxPositionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("mailbox", "last_poll_at", "last_success_at", "last_error", "messages_read", "last_uid",
                    "uidvalidity")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": mail_status_line()}
        return super().changelist_view(request, extra_context)
