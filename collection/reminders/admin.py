"""The reminder log in the admin: what went to whom, when and why; a preview of a day's
digest; and buttons that run the same reminder job as beat and the command."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ..admin_common import ReadOnlyAdminMixin, RelatedListFilter, showing_the_list
from ..forms import DayField
from ..requests.models import Campaign, working_calendar
from .models import ReminderLog, ReminderStatus
from ..validation import ServiceError, check_date
from .rules import DIGEST
from .services import ChaseNow, SendReminders, kind_label


def report(modeladmin, request, summary) -> None:
    """Tell the person in the admin what a run did, one message per kind of outcome."""
    if summary.sent or not (summary.failed or summary.problems):
        modeladmin.message_user(request, summary.headline(), messages.SUCCESS)
    for line in summary.failed:
        modeladmin.message_user(request, f"Not sent, will be retried: {line}", messages.ERROR)
    for line in summary.already_sent:
        modeladmin.message_user(request, f"Already sent, not sent again: {line}", messages.INFO)
    for problem in summary.problems:
        modeladmin.message_user(request, problem, messages.WARNING)


def chase_now(modeladmin, request, queryset):
    """The "send chaser now" action on requests."""
    report(modeladmin, request, ChaseNow(list(queryset), request.user).execute())


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = ReminderLog.objects.order_by("kind").values_list("kind", flat=True).distinct()
        return [(kind, kind_label(kind)) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class PreviewForm(forms.Form):
    day = DayField(help_text="The next working day unless you choose.")
    campaign = forms.ModelChoiceField(Campaign.objects.all(), required=False, empty_label="Every campaign")

    def clean_day(self):
        try:
            return check_date(self.cleaned_data["day"], "day")
        except ServiceError as error:
            raise forms.ValidationError(str(error)) from None


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: rows are written by the reminder job and are its memory of what it sent."""

    list_display = ("created_at", "kind_name", "status_badge", "recipient", "campaign", "force", "about",
                    "sent_at", "attempts")
    list_filter = (KindFilter, "status", ("campaign", RelatedListFilter))
    search_fields = ("recipient", "subject", "request__force__name", "campaign__slug")
    list_select_related = ("campaign", "request__force")
    show_full_result_count = False
    date_hierarchy = "created_at"
    fields = ("kind_name", "status", "campaign", "request", "about", "recipient", "subject", "reason",
              "attempts", "claimed_at", "sent_at", "message_id", "error", "triggered_by", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        logs = super().get_queryset(request)
        if showing_the_list(self, request):  # the columns' fields, not the e-mails' subjects and reasons
            logs = logs.only("created_at", "kind", "status", "error", "recipient", "campaign__title",
                             "request__force__name", "about", "sent_at", "attempts")
        return logs

    @admin.display(description="Kind", ordering="kind")
    def kind_name(self, log):
        return kind_label(log.kind)

    @admin.display(description="Force", ordering="request__force__name")
    def force(self, log):
        return log.request.force.name if log.request else "-"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, log):
        if log.status == ReminderStatus.SENT:
            return log.get_status_display()
        return format_html('<strong style="color:#ba2121" title="{}">{}</strong>', log.error,
                           log.get_status_display())

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_view), name="collection_reminderlog_preview"),
            path("run-now/", view(self.run_now_view), name="collection_reminderlog_run_now"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_run_reminders": self.can_run(request)}
        return super().changelist_view(request, extra_context)

    @staticmethod
    def can_run(request) -> bool:
        return request.user.has_perm("collection.change_foirequest")

    def preview_view(self, request):
        """The digests and chasers a day's run would send, rendered; nothing sent or logged."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        tomorrow = working_calendar().next_working_day(timezone.localdate())
        form = PreviewForm(request.GET if "day" in request.GET else None, initial={"day": tomorrow})
        summary = None
        if form.is_bound and form.is_valid():
            day, campaign = form.cleaned_data["day"], form.cleaned_data["campaign"]
        elif not form.is_bound:
            day, campaign = tomorrow, None
        else:
            day = campaign = None
        if day is not None:
            summary = SendReminders(today=day, dry_run=True, campaign=campaign).execute()
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Preview a day's reminders",
            "form": form, "summary": summary,
            "digests": [e for e in summary.planned if e.kind == DIGEST] if summary else [],
            "chasers": [e for e in summary.planned if e.kind != DIGEST] if summary else [],
        }
        return TemplateResponse(request, "admin/collection/reminderlog/preview.html", context)

    def run_now_view(self, request):
        """Send today's reminders now: the same job beat runs each morning, so nothing goes twice."""
        if not self.can_run(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        summary = SendReminders(triggered_by=f"admin: {request.user.get_username()}").execute()
        report(self, request, summary)
        return redirect(reverse("admin:collection_reminderlog_changelist"))
