"""The research team's workspace: forces, offence codes, campaigns and requests."""
import contextvars

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from . import deadlines
from .models import (Campaign, EventKind, FoiRequest, Force, ForceColumnMapping, NonWorkingDay, OffenceCode,
                     Outcome, RequestEvent, RequestStatus, working_calendar)
from .services import MarkSent, RecordEvent, RecordResponse, SendCampaign, ServiceError, ensure_requests, \
    record_change, recompute_clock


class QuickActionCheckbox:
    """The list's per-row action checkbox, the same markup Django renders, without rendering a
    widget template for each row (a quarter of a 50-row list page's time under load)."""

    def action_checkbox(self, obj):
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                           ACTION_CHECKBOX_NAME, str(obj.pk), label)


class ReadOnlyAdminMixin:
    """For records the services write (timelines, logs): staff read and filter them, nobody edits."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def run_action_form(modeladmin, request, queryset, form_class, title, apply):
    """Show a small form for an admin action; on a valid POST call `apply(form.cleaned_data)`."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        try:
            result = apply(form.cleaned_data)
        except ServiceError as error:
            modeladmin.message_user(request, str(error), messages.ERROR)
            return None
        if result:
            modeladmin.message_user(request, result, messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request), "title": title, "form": form, "queryset": queryset,
        "action": request.POST.get("action"), "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/collection/action_form.html", context)


@admin.register(Force)
class ForceAdmin(admin.ModelAdmin):
    list_display = ("name", "force_id", "ons_code", "region", "foi_email", "territorial", "active")
    list_filter = ("active", "territorial", "country", "region")
    search_fields = ("name", "force_id", "ons_code", "other_names")
    list_editable = ("foi_email",)
    readonly_fields = ("wdtk_link",)

    @admin.display(description="WhatDoTheyKnow")
    def wdtk_link(self, force):
        return format_html('<a href="{}" rel="noopener">{}</a>', force.wdtk_url, force.wdtk_url) if force.wdtk_url else "-"


@admin.register(OffenceCode)
class OffenceCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "description", "category", "victim_min_age", "victim_max_age", "active")
    list_filter = ("category", "active")
    search_fields = ("code", "description")


@admin.register(NonWorkingDay)
class NonWorkingDayAdmin(admin.ModelAdmin):
    list_display = ("date", "description")
    date_hierarchy = "date"


@admin.register(ForceColumnMapping)
class ForceColumnMappingAdmin(admin.ModelAdmin):
    list_display = ("force", "updated_by", "updated_at")
    list_select_related = ("force", "updated_by")  # one query for the page, not one per row
    autocomplete_fields = ("force",)
    readonly_fields = ("updated_by", "updated_at")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class SentOnForm(forms.Form):
    sent_on = forms.DateField(initial=timezone.localdate, help_text="YYYY-MM-DD")
    via = forms.ChoiceField(choices=[("email", "Email"), ("post", "Post"), ("whatdotheyknow", "WhatDoTheyKnow"),
                                     ("recorded", "Other")])


@admin.register(Campaign)
class CampaignAdmin(QuickActionCheckbox, admin.ModelAdmin):
    list_display = ("title", "period", "sent_on", "progress_bar", "answered", "overdue", "owner", "report_link")
    list_filter = ("sent_on", "owner")
    search_fields = ("title", "slug", "question")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("forces",)
    readonly_fields = ("created_at", "sent_on", "progress_table", "national_figures")
    list_select_related = ("owner",)
    actions = ("send_requests", "mark_sent")
    fieldsets = (
        (None, {"fields": ("title", "slug", "question", ("period_start", "period_end"), "owner")}),
        ("Forces asked", {"fields": ("forces",), "classes": ("collapse",),
                          "description": "All active forces when left empty on a new campaign."}),
        ("Reminders", {"fields": ("chasers_enabled",)}),
        ("Progress", {"fields": ("created_at", "sent_on", "progress_table", "national_figures")}),
    )

    def get_queryset(self, request):
        today = timezone.localdate()
        open_q = Q(requests__status__in=RequestStatus.awaiting_force(), requests__outcome="")
        return super().get_queryset(request).annotate(
            n_requests=Count("requests", distinct=True),
            n_answered=Count("requests", filter=~Q(requests__outcome=""), distinct=True),
            n_overdue=Count("requests", filter=open_q & Q(requests__due_on__lt=today), distinct=True),
        )

    def save_model(self, request, obj, form, change):
        if not change and obj.owner is None:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        campaign = form.instance
        if not campaign.forces.exists():
            campaign.forces.set(Force.objects.filter(active=True))
        added = ensure_requests(campaign)
        if added:
            self.message_user(request, f"{added} requests created, one per force asked.")

    @admin.display(description="Period")
    def period(self, c):
        return format_html('<span class="foi-nowrap">{} to {}</span>', f"{c.period_start:%d %b %Y}",
                           f"{c.period_end:%d %b %Y}")

    @admin.display(description="Answered", ordering="n_answered")
    def answered(self, c):
        return f"{c.n_answered} of {c.n_requests}"

    @admin.display(description="Overdue", ordering="n_overdue")
    def overdue(self, c):
        if not c.n_overdue:
            return "0"
        return format_html('<strong style="color:#ba2121">{}</strong>', c.n_overdue)

    @admin.display(description="National figures")
    def national_figures(self, c):
        # The report page lives in the reports app (reports/admin.py).
        if not c.pk:
            return "-"
        from django.urls import reverse

        return format_html('<a class="button" href="{}">Report, charts and exports</a>',
                           reverse("admin:reports_campaign_report", args=[c.pk]))

    @admin.display(description="National figures")
    def report_link(self, c):
        from django.urls import reverse

        return format_html('<a class="button" href="{}" title="Report, charts and exports">Report</a>',
                           reverse("admin:reports_campaign_report", args=[c.pk]))

    @admin.display(description="Progress")
    def progress_bar(self, c):
        pct = round(100 * c.n_answered / c.n_requests) if c.n_requests else 0
        return format_html('<progress value="{}" max="100" title="{}% answered"></progress> {}%', pct, pct, pct)

    @admin.display(description="Each force")
    def progress_table(self, campaign):
        if not campaign.pk:
            return "-"
        today = timezone.localdate()
        calendar = working_calendar()
        rows = []
        for r in campaign.requests.select_related("force").order_by("force__name"):
            late = r.working_days_overdue(today, calendar)
            rows.append((r.get_absolute_url(), r.force.name, r.get_status_display(),
                         r.get_outcome_display() or "-", r.due_on.strftime("%d %b %Y") if r.due_on else "-",
                         f"{late} working days overdue" if late else "",
                         "overdue" if late else ""))
        body = format_html_join("", '<tr class="{6}"><td><a href="{0}">{1}</a></td><td>{2}</td><td>{3}</td>'
                                    '<td>{4}</td><td>{5}</td></tr>', rows)
        return format_html('<table class="foi-progress"><thead><tr><th>Force</th><th>Status</th><th>Outcome</th>'
                           '<th>Due</th><th>Late</th></tr></thead><tbody>{}</tbody></table>', body)

    @admin.action(description="Email the request to every force with an FOI address", permissions=["change"])
    def send_requests(self, request, queryset):
        for campaign in queryset:
            sent, skipped = SendCampaign(campaign, request.user).execute()
            msg = f"{campaign.slug}: emailed {sent} forces."
            if skipped:
                msg += (f" {len(skipped)} have no valid FOI address and were left as drafts: "
                        + ", ".join(f.name for f in skipped[:10]) + ("..." if len(skipped) > 10 else ""))
            self.message_user(request, msg, messages.WARNING if skipped else messages.SUCCESS)

    @admin.action(description="Record requests as sent on a date (post, WhatDoTheyKnow ...)", permissions=["change"])
    def mark_sent(self, request, queryset):
        def apply(data):
            requests = list(FoiRequest.objects.filter(campaign__in=queryset, sent_at__isnull=True))
            n = MarkSent(requests, data["sent_on"], request.user, via=data["via"]).execute()
            return f"Recorded {n} requests as sent on {data['sent_on']:%d %b %Y}."
        return run_action_form(self, request, queryset, SentOnForm, "Record requests as sent", apply)


_page_calendar: contextvars.ContextVar = contextvars.ContextVar("page_calendar", default=None)


class OverdueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return (("due_soon", "Due within 3 working days"), ("due_today", "Due today"), ("overdue", "Overdue"),
                ("very_overdue", "Very overdue (20+ working days)"), ("review_overdue", "Internal review overdue"))

    def queryset(self, request, queryset):
        today = timezone.localdate()
        calendar = working_calendar()
        if self.value() == "due_soon":
            return queryset.due_between(today, calendar.add_working_days(today, 3))
        if self.value() == "due_today":
            return queryset.due_between(today, today)
        if self.value() == "overdue":
            return queryset.overdue(today)
        if self.value() == "very_overdue":
            return queryset.open().filter(due_on__lt=deadlines.very_overdue_if_due_before(today, calendar=calendar))
        if self.value() == "review_overdue":
            return queryset.filter(status=RequestStatus.INTERNAL_REVIEW, review_due_on__lt=today)
        return queryset


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 1
    fields = ("happened_on", "kind", "new_due_on", "detail", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")
    verbose_name = "event"
    verbose_name_plural = "Timeline (add an event to move the clock: clarification, fees, extension, review ...)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")  # not one query per event

    def has_change_permission(self, request, obj=None):
        return False  # the timeline is a record: events are added, never rewritten

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return obj is not None and request.user.has_perm("collection.change_foirequest")


class RecordAnswerForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    received_on = forms.DateField(initial=timezone.localdate, help_text="YYYY-MM-DD")
    sections = forms.CharField(required=False, help_text='Sections cited on refusal, e.g. "s.12, s.40(2)"')


class AcknowledgedForm(forms.Form):
    acknowledged_on = forms.DateField(initial=timezone.localdate, help_text="YYYY-MM-DD")


@admin.register(FoiRequest)
class FoiRequestAdmin(QuickActionCheckbox, admin.ModelAdmin):
    list_display = ("force", "campaign_slug", "status", "outcome", "due_on", "lateness", "answered_on",
                    "force_reference")
    list_filter = (OverdueFilter, "campaign", "status", "outcome", ("force", admin.RelatedOnlyFieldListFilter))
    search_fields = ("force__name", "force__force_id", "force_reference", "campaign__slug", "campaign__title")
    list_select_related = ("force", "campaign")
    list_per_page = 50  # a campaign's 44 forces on one page; half the rendering of the default 100
    show_full_result_count = False  # one COUNT over every request saved on each page
    autocomplete_fields = ("force",)
    inlines = [RequestEventInline]
    actions = ("mark_sent", "record_acknowledgement", "record_answer", "send_chaser_now")
    readonly_fields = ("our_reference", "due_on", "clock_note", "due_date_explained", "review_due_on",
                       "lateness", "updated_at", "returned_files_list")
    fieldsets = (
        (None, {"fields": ("campaign", "force", "our_reference", "force_reference")}),
        ("Sending", {"fields": ("sent_at", "sent_via", "received_on")}),
        ("Deadline", {"fields": ("due_on", "lateness", "clock_note", "due_date_explained", "review_due_on")}),
        ("Answer", {"fields": ("status", "outcome", "sections_cited", "answered_on")}),
        ("Returned files", {"fields": ("returned_files_list",)}),
        (None, {"fields": ("updated_at",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["campaign", "force"]
        return fields

    @admin.display(description="Campaign", ordering="campaign__slug")
    def campaign_slug(self, r):
        return format_html('<span class="foi-nowrap" title="{}">{}</span>', r.campaign.title, r.campaign.slug)

    @admin.display(description="Late", ordering="due_on")
    def lateness(self, r):
        late = r.working_days_overdue(timezone.localdate(), _page_calendar.get())
        if not late:
            if r.is_open and r.due_on:
                return "on time"
            return "-"
        very = late >= deadlines.VERY_OVERDUE_WORKING_DAYS
        return format_html('<span class="foi-late" title="{}">{} working days overdue</span>{}',
                           "Very overdue: time to ask for an internal review or complain to the ICO" if very
                           else "Late from the day after the due date", f"{late:,}",
                           mark_safe(' <span class="foi-badge">very overdue</span>') if very else "")

    def changelist_view(self, request, extra_context=None):
        # One calendar query for the page, not one per row; a context variable, not an attribute
        # of this admin, which every request thread shares.
        token = _page_calendar.set(working_calendar())
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):  # a redirect after an action has nothing to render
                response.render()
            return response
        finally:
            _page_calendar.reset(token)

    @admin.display(description="Why this due date")
    def due_date_explained(self, r):
        explanation = r.due_date_explanation()
        if explanation is None:
            return "Not sent yet."
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in explanation.lines())))

    @admin.display(description="Files received")
    def returned_files_list(self, r):
        from django.urls import reverse

        rows = format_html_join(
            "", '<li><a href="{}">{}</a> &middot; {} &middot; {} bytes &middot; SHA-256 {}&hellip; &middot; '
                '<strong>{}</strong> {}</li>',
            ((reverse("admin:collection_returnedfile_preview", args=[f.pk]), f.original_name,
              f.uploaded_at.strftime("%d %b %Y %H:%M"), f.size, f.sha256[:12], f.get_status_display(),
              f.error[:200]) for f in r.returned_files.all()))
        upload = ""
        if r.pk and getattr(r, "user_can_import", False):
            upload = format_html('<a class="button" href="{}">Upload a return</a>',
                                 reverse("admin:collection_returnedfile_upload", args=[r.pk]))
        return format_html("<ul>{}</ul>{}", rows, upload) if rows else format_html("None yet. {}", upload)

    def get_object(self, request, object_id, from_field=None):
        from .returns.admin import ReturnedFileAdmin

        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.user_can_import = ReturnedFileAdmin.can_import(request.user)  # per request, not on the shared admin
        return obj

    def save_model(self, request, obj, form, change):
        if change:
            before = FoiRequest.objects.get(pk=obj.pk)
            changes = {name: [str(getattr(before, name)), str(getattr(obj, name))] for name in form.changed_data}
            recompute_clock(obj)
            super().save_model(request, obj, form, change)
            record_change(obj, request.user, changes)
        else:
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not RequestEvent:
            return super().save_formset(request, form, formset, change)
        for event in formset.save(commit=False):
            try:
                RecordEvent(form.instance, event.kind, event.happened_on, request.user, event.detail,
                            event.new_due_on).execute()
            except ServiceError as error:
                self.message_user(request, str(error), messages.ERROR)

    @admin.action(description="Record as sent on a date", permissions=["change"])
    def mark_sent(self, request, queryset):
        def apply(data):
            n = MarkSent(list(queryset), data["sent_on"], request.user, via=data["via"]).execute()
            return f"Recorded {n} requests as sent on {data['sent_on']:%d %b %Y} (already sent ones left alone)."
        return run_action_form(self, request, queryset, SentOnForm, "Record requests as sent", apply)

    @admin.action(description="Record acknowledgement", permissions=["change"])
    def record_acknowledgement(self, request, queryset):
        def apply(data):
            for r in queryset:
                RecordEvent(r, EventKind.ACKNOWLEDGED, data["acknowledged_on"], request.user).execute()
            return f"Recorded {queryset.count()} acknowledgements."
        return run_action_form(self, request, queryset, AcknowledgedForm, "Record acknowledgement", apply)

    @admin.action(description="Record the answer (outcome)", permissions=["change"])
    def record_answer(self, request, queryset):
        def apply(data):
            for r in queryset:
                RecordResponse(r, data["outcome"], data["received_on"], request.user,
                               sections=data["sections"]).execute()
            return f"Recorded the answer for {queryset.count()} requests."
        return run_action_form(self, request, queryset, RecordAnswerForm, "Record the answer", apply)

    @admin.action(description="Send a chaser to the force now", permissions=["change"])
    def send_chaser_now(self, request, queryset):
        from .reminders.admin import chase_now

        return chase_now(self, request, queryset)


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail across all requests: read it, filter it; it is written by the services."""

    list_display = ("happened_on", "request", "kind", "detail", "created_by", "created_at")
    list_filter = ("kind", "request__campaign")
    search_fields = ("request__force__name", "detail")
    list_select_related = ("request__force", "request__campaign", "created_by")
    date_hierarchy = "happened_on"

from .returns import admin as returns_admin  # noqa: E402,F401
from .reminders import admin as reminders_admin  # noqa: E402,F401
from . import admin_beat  # noqa: E402,F401
from . import admin_lockouts  # noqa: E402,F401
