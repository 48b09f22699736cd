"""Campaigns, requests, their timelines and the working calendar in the admin; a campaign's own page
(its workspace) is workspace/'s."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .. import deadlines
from ..admin_common import (DatePickers, LabelledModelForm, plural, ReadOnlyAdminMixin, RelatedListFilter,
                            RelatedOnlyListFilter, run_action_form, showing_the_list)
from ..forces.models import Force
from ..forms import AcknowledgedForm, CampaignForm, RecordAnswerForm, SentOnForm
from ..validation import ServiceError
from .models import (Campaign, EventKind, FoiRequest, NonWorkingDay, RequestEvent, RequestStatus,
                     working_calendar)
from .querysets import overdue_q
from .services import MarkSent, RecordEvent, RecordResponse, ensure_requests, record_change, recompute_clock


@admin.register(NonWorkingDay)
class NonWorkingDayAdmin(DatePickers, admin.ModelAdmin):
    list_display = ("date", "description")
    date_hierarchy = "date"


class RepeatsFilter(admin.SimpleListFilter):
    title = "repeats a campaign"
    parameter_name = "repeats"

    def lookups(self, request, model_admin):
        return (("yes", "Repeats a campaign"), ("no", "Asked for the first time"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(repeats__isnull=self.value() == "no")
        return queryset


@admin.register(Campaign)
class CampaignAdmin(DatePickers, admin.ModelAdmin):
    form = CampaignForm
    list_display = ("title_link", "period", "sent_on", "progress_bar", "answered", "overdue", "owner", "report_link")
    list_display_links = None  # the title opens the campaign's workspace; "Edit the campaign" is there
    list_filter = ("sent_on", ("owner", RelatedListFilter), RepeatsFilter)
    search_fields = ("title", "slug", "question")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("created_at", "sent_on", "sending_problems", "progress_table", "national_figures",
                       "periods_list", "repeats_link", "repeated_by_list")
    list_select_related = ("owner",)
    show_full_result_count = False
    actions = ("send_requests", "mark_sent")
    fieldsets = (
        (None, {"fields": ("title", "slug", "question", ("period_start", "period_end"), "owner")}),
        ("Forces asked", {"fields": ("forces",), "classes": ("collapse",),
                          "description": "All active forces when left empty on a new campaign."}),
        ("Offences asked about", {"fields": ("offence_codes",),
                                  "description": "Leave empty when the question asks about every offence. "
                                                 "With exactly one code, an answer whose table has no offence "
                                                 "column (ages by sex, a count per age) is read as that code."}),
        ("Reminders", {"fields": ("chasers_enabled",)}),
        ("Periods", {"fields": ("periods_list", "repeats_link", "repeated_by_list"),
                     "description": "A campaign that asks its question again (Ask again) may also ask forces to "
                                    "restate the earlier period; each count belongs to one period."}),
        ("Progress", {"fields": ("created_at", "sent_on", "sending_problems", "progress_table",
                                 "national_figures")}),
    )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Tick boxes, as on the guided start: the admin's two-box selector needs its own script and
        # gives its search icons names screen readers cannot use.
        if db_field.name in ("forces", "offence_codes"):
            kwargs["widget"] = forms.CheckboxSelectMultiple(attrs={"class": "foi-checklist"})
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        today = timezone.localdate()
        campaigns = super().get_queryset(request).annotate(
            n_requests=Count("requests", distinct=True),
            n_answered=Count("requests", filter=~Q(requests__outcome=""), distinct=True),
            n_overdue=Count("requests", filter=overdue_q(today, "requests__"), distinct=True),
        )
        if showing_the_list(self, request):  # the columns' fields, not the question
            campaigns = campaigns.only("title", "period_start", "period_end", "sent_on", "owner__username")
        return campaigns

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
            self.message_user(request, f"{plural(added, 'request')} created, one per force asked.")

    def get_urls(self):
        from ..workspace.admin import campaign_urls

        return campaign_urls(self) + super().get_urls()

    @admin.display(description="Periods asked")
    def periods_list(self, c):
        if not c.pk:
            return "-"
        periods = c.periods.annotate(offences=Sum("counts__count"), forces=Count("counts__force", distinct=True))
        rows = [(p.period.display, deadlines.format_day(p.first_day), deadlines.format_day(p.last_day),
                 "its own period" if p.main else "asked again: forces restate it",
                 f"{p.offences or 0:,} offences from {plural(p.forces, 'force')}" if p.forces else "no figures yet")
                for p in periods]
        body = format_html_join("", "<tr><th scope=\"row\">{}</th><td>{} to {}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html('<table class="foi-progress" id="campaign-periods"><thead><tr><th>Period</th><th>Days</th>'
                           '<th>Why</th><th>Figures held</th></tr></thead><tbody>{}</tbody></table>', body)

    @admin.display(description="Asks again")
    def repeats_link(self, c):
        if c.repeats_id is None:
            return "- (asked for the first time)"
        earlier = c.repeats
        return format_html('<a href="{}" id="repeats-link">{}</a> ({}): <a href="{}">its report</a>',
                           reverse("admin:collection_campaign_change", args=[earlier.pk]), earlier.title,
                           earlier.period.display, reverse("admin:reports_campaign_report", args=[earlier.pk]))

    @admin.display(description="Asked again by")
    def repeated_by_list(self, c):
        later = list(c.repeated_by.order_by("period_start")) if c.pk else []
        if not later:
            return "-"
        return format_html_join(", ", '<a href="{}">{}</a> ({})',
                                ((reverse("admin:collection_campaign_change", args=[x.pk]), x.title,
                                  x.period.display) for x in later))

    @admin.display(description="Campaign", ordering="title")
    def title_link(self, c):
        return format_html('<a href="{}">{}</a>', c.get_absolute_url(), c.title)

    @admin.display(description="Period")
    def period(self, c):
        return format_html('<span class="foi-nowrap">{} to {}</span>', deadlines.format_day(c.period_start),
                           deadlines.format_day(c.period_end))

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

        return format_html('<a class="button" href="{}">Report, charts and exports</a> '
                           '<a class="button" href="{}">Returns: upload many, confirm, assign</a> '
                           '<a class="button" href="{}">Inbox: the forces\' mail</a>',
                           reverse("admin:reports_campaign_report", args=[c.pk]),
                           reverse("admin:collection_returnedfile_queue", args=[c.pk]),
                           reverse("admin:collection_campaign_inbox", args=[c.pk]))

    @admin.display(description="National figures")
    def report_link(self, c):
        return format_html('<a class="button" href="{}" title="Report, charts and exports">Report</a>',
                           reverse("admin:reports_campaign_report", args=[c.pk]))

    @admin.display(description="Progress")
    def progress_bar(self, c):
        pct = round(100 * c.n_answered / c.n_requests) if c.n_requests else 0
        # A bar drawn by CSS: a native <progress> at 0% looks full in some browsers' themes.
        return format_html('<span class="foi-bar" role="img" aria-label="{}% answered"><span class="foi-bar__fill" '
                           'style="width: {}%"></span></span> {}%', pct, pct, pct)

    @admin.display(description="Each force")
    def progress_table(self, campaign):
        if not campaign.pk:
            return "-"
        today = timezone.localdate()
        calendar = working_calendar()
        rows = []
        for r in campaign.requests.select_related("force").order_by("force__name"):
            rows.append((r.get_absolute_url(), r.force.name, r.get_status_display(),
                         r.get_outcome_display() or "-", deadlines.format_day(r.due_on) if r.due_on else "-",
                         lateness_text(r, today, calendar), "overdue" if r.is_overdue(today) else ""))
        body = format_html_join("", '<tr class="{6}"><td><a href="{0}">{1}</a></td><td>{2}</td><td>{3}</td>'
                                    '<td>{4}</td><td>{5}</td></tr>', rows)
        return format_html('<table class="foi-progress"><thead><tr><th>Force</th><th>Status</th><th>Outcome</th>'
                           '<th>Due</th><th>Late</th></tr></thead><tbody>{}</tbody></table>', body)

    @admin.display(description="E-mail problems")
    def sending_problems(self, campaign):
        """Requests whose e-mail failed or bounced, with the mail server's words."""
        if not campaign.pk:
            return "-"
        rows = [(r.get_absolute_url(), r.force.name,
                 "bounced: " + (r.force.foi_email_problem or "the address is failing")
                 if r.status == RequestStatus.UNDELIVERED else "not sent: " + r.send_error)
                for r in campaign.requests.select_related("force").filter(
                    Q(status=RequestStatus.UNDELIVERED) | Q(sent_at__isnull=True) & ~Q(send_error=""))
                .order_by("force__name")]
        if not rows:
            return "None."
        return format_html("<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a>: {}</li>', rows))

    @admin.action(description="E-mail the request to forces (preview first)", permissions=["change"])
    def send_requests(self, request, queryset):
        from ..sending.admin import send_requests

        return send_requests(self, request, queryset)

    @admin.action(description="Record requests as sent on a date (post, WhatDoTheyKnow ...)", permissions=["change"])
    def mark_sent(self, request, queryset):
        def apply(data):
            requests = list(FoiRequest.objects.filter(campaign__in=queryset))  # MarkSent picks the unsent
            n = MarkSent(requests, data["sent_on"], request.user, via=data["via"]).execute()
            return f"Recorded {plural(n, 'request')} as sent on {deadlines.format_day(data['sent_on'])}."
        return run_action_form(self, request, queryset, SentOnForm, "Record requests as sent", apply)


def campaign_link(url: str, title: str) -> str:
    """A campaign's title, shortened, linking its page."""
    short = title if len(title) <= 40 else title[:39].rstrip() + "…"
    return format_html('<a href="{}" title="{}">{}</a>', url, title, short)


def late_markup(very: bool, text: str) -> str:
    """The Late column of a late request."""
    return format_html('<span class="foi-late" title="{}">{}</span>{}',
                       "Very overdue: time to ask for an internal review or complain to the ICO" if very
                       else "Late from the day after the due date", text,
                       mark_safe(' <span class="foi-badge">very overdue</span>') if very else "")


def lateness_text(r: FoiRequest, today, calendar) -> str:
    """The Late column's words: the same predicate as the Overdue filter (FoiRequest.is_overdue)."""
    if not r.is_overdue(today):
        return ""
    late = r.working_days_overdue(today, calendar)
    if not late:
        return f"overdue (due {deadlines.format_day(r.due_on)})"
    return f"{late:,} working day{'s' if late != 1 else ''} overdue"


class OverdueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return (("due_soon", "Due within 3 working days"), ("due_today", "Due today"), ("overdue", "Overdue"),
                ("very_overdue", "Very overdue (20+ working days)"), ("review_overdue", "Internal review overdue"))

    def queryset(self, request, queryset):
        today = timezone.localdate()
        calendar = working_calendar()
        questions = {
            "due_soon": lambda: queryset.due_soon(today, calendar),
            "due_today": lambda: queryset.due_today(today),
            "overdue": lambda: queryset.overdue(today),
            "very_overdue": lambda: queryset.very_overdue(today, calendar),
            "review_overdue": lambda: queryset.review_overdue(today),
        }
        return questions[self.value()]() if self.value() in questions else queryset


class RequestEventInline(DatePickers, admin.TabularInline):
    model = RequestEvent
    form = LabelledModelForm
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


@admin.register(FoiRequest)
class FoiRequestAdmin(DatePickers, admin.ModelAdmin):
    list_display = ("force", "campaign_title", "status", "outcome", "due_on", "lateness", "answered_on",
                    "force_reference")
    list_filter = (OverdueFilter, ("campaign", RelatedListFilter), "status", "outcome",
                   ("force", RelatedOnlyListFilter))
    search_fields = ("force__name", "force__force_id", "force_reference", "campaign__slug", "campaign__title")
    list_select_related = ("force", "campaign")
    list_per_page = 50  # a campaign's 44 forces on one page
    show_full_result_count = False
    autocomplete_fields = ("force",)
    inlines = [RequestEventInline]
    actions = ("mark_sent", "record_acknowledgement", "record_answer", "send_chaser_now")
    # The answer (status, outcome, sections, date) changes only through "Record the answer", so it
    # always leaves its event and, for the last answer, the final figures.
    readonly_fields = ("our_reference", "due_on", "clock_note", "due_date_explained", "review_due_on",
                       "lateness", "updated_at", "returned_files_list", "status", "outcome", "sections_cited",
                       "answered_on", "answer_actions", "sent_at", "sent_via", "sent_message_id", "send_error")
    fieldsets = (
        (None, {"fields": ("campaign", "force", "our_reference", "force_reference")}),
        ("Sending", {"fields": ("sent_at", "sent_via", "received_on", "sent_message_id", "send_error")}),
        ("Deadline", {"fields": ("due_on", "lateness", "clock_note", "due_date_explained", "review_due_on")}),
        ("Answer", {"fields": ("status", "outcome", "sections_cited", "answered_on", "answer_actions")}),
        ("Returned files", {"fields": ("returned_files_list",)}),
        (None, {"fields": ("updated_at",)}),
    )

    def get_queryset(self, request):
        requests = super().get_queryset(request)
        if showing_the_list(self, request):  # the columns' fields, not the letter's e-mail and clock
            requests = requests.only("force__name", "campaign__title", "status", "outcome", "due_on", "answered_on",
                                     "force_reference")
        return requests

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["campaign", "force"]
        return fields

    @admin.display(description="Campaign", ordering="campaign__title")
    def campaign_title(self, r):
        return campaign_link(r.campaign.get_absolute_url(), r.campaign.title)

    @admin.display(description="Late", ordering="due_on")
    def lateness(self, r):
        today = timezone.localdate()
        if not r.is_overdue(today):
            return "on time" if r.is_open and r.due_on else "-"
        calendar = working_calendar()
        return late_markup(r.is_very_overdue(today, calendar), lateness_text(r, today, calendar))

    @admin.display(description="Why this due date")
    def due_date_explained(self, r):
        if not r.pk:
            return "-"
        # The same replay of the timeline that set the due date shown above.
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in r.clock().lines())))

    @admin.display(description="Record")
    def answer_actions(self, r):
        if not r.pk or not getattr(r, "user_can_change", False):
            return "-"
        return format_html('<a class="button" href="{}">Record the answer</a>',
                           reverse("admin:collection_foirequest_record_answer", args=[r.pk]))

    @admin.display(description="Files received")
    def returned_files_list(self, r):
        from django.urls import reverse

        rows = format_html_join(
            "", '<li><a href="{}">{}</a> &middot; {} &middot; {} &middot; SHA-256 {}&hellip; &middot; '
                '<strong>{}</strong> {}</li>',
            ((reverse("admin:collection_returnedfile_preview", args=[f.pk]), f.original_name,
              deadlines.format_day(timezone.localtime(f.uploaded_at).date()) + timezone.localtime(f.uploaded_at).strftime(" %H:%M"), plural(f.size, "byte"), f.sha256[:12], f.get_status_display(),
              f.error[:200]) for f in r.returned_files.all()))
        upload = ""
        if r.pk and getattr(r, "user_can_import", False):
            upload = format_html('<a class="button" href="{}">Upload a return</a> '
                                 '<a class="button" href="{}">Type the figures of a letter</a>',
                                 reverse("admin:collection_returnedfile_upload", args=[r.pk]),
                                 reverse("admin:collection_returnedfile_type", args=[r.pk]))
        return format_html("<ul>{}</ul>{}", rows, upload) if rows else format_html("None yet. {}", upload)

    def get_object(self, request, object_id, from_field=None):
        from ..returns.services import can_import

        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.user_can_import = can_import(request.user)  # per request, not on the shared admin
            obj.user_can_change = self.has_change_permission(request, obj)
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

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:request_pk>/record-answer/", view(self.record_answer_view),
                     name="collection_foirequest_record_answer")] + super().get_urls()

    def record_answer_view(self, request, request_pk):
        foi_request = get_object_or_404(FoiRequest.objects.select_related("force", "campaign"), pk=request_pk)
        if not self.has_change_permission(request, foi_request):
            raise PermissionDenied
        form = RecordAnswerForm(request.POST or None, initial={"outcome": foi_request.outcome or None,
                                                               "sections": foi_request.sections_cited})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                RecordResponse(foi_request, data["outcome"], data["received_on"], request.user,
                               sections=data["sections"]).execute()
            except ServiceError as error:
                form.add_error(None, str(error))
            else:
                foi_request.refresh_from_db()
                self.message_user(request, f"Recorded {foi_request.force.name}: {foi_request.get_outcome_display()}.",
                                  messages.SUCCESS)
                return redirect(foi_request.get_absolute_url())
        context = {**self.admin_site.each_context(request), "title": f"Record the answer: {foi_request.force.name}",
                   "form": form, "foi_request": foi_request, "opts": self.model._meta}
        return TemplateResponse(request, "admin/collection/foirequest/record_answer.html", context)

    @admin.action(description="Record as sent on a date", permissions=["change"])
    def mark_sent(self, request, queryset):
        def apply(data):
            n = MarkSent(list(queryset), data["sent_on"], request.user, via=data["via"]).execute()
            return (f"Recorded {plural(n, 'request')} as sent on {deadlines.format_day(data['sent_on'])} "
                    "(already sent ones left alone).")
        return run_action_form(self, request, queryset, SentOnForm, "Record requests as sent", apply)

    @admin.action(description="Record acknowledgement", permissions=["change"])
    def record_acknowledgement(self, request, queryset):
        def apply(data):
            for r in queryset:
                RecordEvent(r, EventKind.ACKNOWLEDGED, data["acknowledged_on"], request.user).execute()
            return f"Recorded {plural(queryset.count(), 'acknowledgement')}."
        return run_action_form(self, request, queryset, AcknowledgedForm, "Record acknowledgement", apply)

    @admin.action(description="Record the answer (outcome)", permissions=["change"])
    def record_answer(self, request, queryset):
        def apply(data):
            for r in queryset:
                RecordResponse(r, data["outcome"], data["received_on"], request.user,
                               sections=data["sections"]).execute()
            return f"Recorded the answer for {plural(queryset.count(), 'request')}."
        return run_action_form(self, request, queryset, RecordAnswerForm, "Record the answer", apply)

    @admin.action(description="Send a chaser to the force now", permissions=["change"])
    def send_chaser_now(self, request, queryset):
        from ..reminders.admin import chase_now

        return chase_now(self, request, queryset)


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail across all requests: read it, filter it; it is written by the services."""

    list_display = ("happened_on", "request", "kind", "detail", "created_by", "created_at")
    list_filter = ("kind", ("request__campaign", RelatedListFilter))
    search_fields = ("request__force__name", "detail")
    list_select_related = ("request__force", "request__campaign", "created_by")
    show_full_result_count = False
    date_hierarchy = "happened_on"

    def get_queryset(self, request):
        events = super().get_queryset(request)
        if showing_the_list(self, request):  # the columns' fields, not the requests' and users' whole rows
            events = events.only("happened_on", "kind", "detail", "created_at", "request__force__name",
                                 "request__campaign__title", "created_by__username")
        return events
