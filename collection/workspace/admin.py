"""The campaign's pages in the admin: the workspace (the board), its row actions, and the guided
start of a new campaign (the question, period, offence codes, forces and owner; then the e-mail as
each force will get it and "Send to N forces" or "record as sent").

URLs (added to the campaign admin's, all behind admin_site.admin_view):
  campaign/start/                                 start a campaign (step 1 of 2)
  campaign/<id>/send/                             the e-mail and sending (step 2 of 2)
  campaign/<id>/workspace/                        the board (?state=<state>|needs_me)
  campaign/<id>/workspace/row/<request id>/       one row as JSON (the page polls a file being read)
  campaign/<id>/workspace/row/<request id>/act/   POST: a row's action, named by the form's `action` field
  campaign/<id>/workspace/chase-overdue/          POST: chase every overdue force now
  campaign/<id>/ask-again/                        ask the question again for a later period (RepeatCampaign)

Everyone who may view campaigns sees the board; every POST checks the action's own permission
(Viewers get 403). The board is rendered with the admin's templates, so every value is escaped.
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.text import slugify

from .. import deadlines
from ..admin_common import plural
from ..forms import DayField
from ..importer import ImportRefused
from ..mail.services import where_answers_go
from ..forces.models import Force, OffenceCategory, OffenceCode
from ..requests.models import Campaign, FoiRequest, Outcome
from ..requests.services import CreateCampaign
from ..validation import ServiceError
from . import actions, sending, states
from .board import build_board


def options(choices) -> str:
    """<option>s for a select, rendered once for every row of the board."""
    return format_html_join("", '<option value="{}">{}</option>', ((value, label) for value, label in choices))


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


class StartCampaignForm(forms.Form):
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "vLargeTextField", "size": 60}),
                            help_text="As the team will call it, e.g. “Cyber-flagged offences 2015/16”.")
    slug = forms.SlugField(max_length=60, required=False, label="Short name",
                           help_text="Used in our reference (FOI-SHORT-NAME-FORCE) and file names; "
                                     "made from the title when left empty.")
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 10, "cols": 80, "class": "vLargeTextField"}),
                               help_text="The request exactly as every force will get it.")
    period_start = DayField(label="Figures from", help_text="First day the figures cover.")
    period_end = DayField(label="Figures to", help_text="Last day the figures cover.")
    offence_codes = forms.ModelMultipleChoiceField(
        OffenceCode.objects.filter(active=True).order_by("category", "code"), required=False,
        widget=forms.CheckboxSelectMultiple, label="Offence codes asked about",
        help_text="Leave all unticked to accept every code. With exactly one, a table with no offence column "
                  "is read as that code.")
    forces = forms.ModelMultipleChoiceField(Force.objects.order_by("name"), widget=forms.CheckboxSelectMultiple,
                                            label="Forces asked", help_text="Every active force is ticked.")
    owner = forms.ModelChoiceField(get_user_model().objects.none(), required=False,
                                   help_text="Gets the daily digest and the final figures.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        staff = get_user_model().objects.filter(is_active=True, is_staff=True).filter(
            Q(is_superuser=True) | Q(groups__permissions__codename="change_campaign")
            | Q(user_permissions__codename="change_campaign")).distinct().order_by("first_name", "username")
        self.fields["owner"].queryset = staff
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        if not self.is_bound:
            self.initial.setdefault("forces", list(Force.objects.filter(active=True).values_list("pk", flat=True)))
            if user is not None:
                self.initial.setdefault("owner", user.pk)

    def clean_title(self):
        from ..sending.rules import title_problem

        title = self.cleaned_data["title"].strip()
        if problem := title_problem(title):
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return title

    def clean(self):
        data = super().clean()
        if data.get("title") and not data.get("slug"):
            data["slug"] = slugify(data["title"].replace("/", "-"))[:60].strip("-")  # 2015/16 -> 2015-16
        if data.get("slug") and Campaign.objects.filter(slug=data["slug"]).exists():
            self.add_error("slug" if self.data.get("slug") else "title",
                           f"a campaign with the short name “{data['slug']}” already exists: choose another")
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", "the period ends before it starts")
        return data

    def codes_by_category(self):
        """The offence code checkboxes grouped under their category, for the template."""
        labels = dict(OffenceCategory.choices)
        groups: dict[str, list] = {}
        codes = {str(c.pk): c for c in self.fields["offence_codes"].queryset}
        for box in self["offence_codes"]:
            code = codes.get(str(box.data["value"]))
            groups.setdefault(labels.get(code.category, "Other") if code else "Other", []).append(box)
        return list(groups.items())


class SendForm(forms.Form):
    sent_on = DayField(label="Sent on", required=False)
    via = forms.ChoiceField(choices=sending.SENT_VIA, required=False)


def staff_who_may_own():
    return get_user_model().objects.filter(is_active=True, is_staff=True).filter(
        Q(is_superuser=True) | Q(groups__permissions__codename="change_campaign")
        | Q(user_permissions__codename="change_campaign")).distinct().order_by("first_name", "username")


class AskAgainForm(forms.Form):
    """The next campaign of a chain: what changes (the period, its names); the rest is the earlier one's."""

    period_start = DayField(label="Figures from", help_text="First day of the new period.")
    period_end = DayField(label="Figures to", help_text="Last day of the new period.")
    ask_previous = forms.BooleanField(
        required=False, initial=True, label="Ask for the earlier period again",
        help_text="Forces restate the earlier figures as their records hold them now, so the two periods "
                  "compare like for like.")
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "vLargeTextField", "size": 60}),
                            help_text="The earlier title with its dates moved on.")
    slug = forms.SlugField(max_length=60, label="Short name",
                           help_text="Used in our reference (FOI-SHORT-NAME-FORCE) and file names.")
    sent_on = DayField(label="Already sent on", required=False,
                       help_text="Only when it went outside the tracker: every request is recorded as sent that "
                                 "day. Leave empty to see the e-mail and send it next.")
    owner = forms.ModelChoiceField(get_user_model().objects.none(), required=False,
                                   help_text="Gets the daily digest; the earlier campaign's owner when left empty.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_who_may_own()
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.get_username()

    def clean_title(self):
        from ..sending.rules import title_problem

        title = self.cleaned_data["title"].strip()
        if problem := title_problem(title):
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return title

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Campaign.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"a campaign with the short name “{slug}” already exists: choose another")
        return slug

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", "the period ends before it starts")
        return data


def campaign_urls(model_admin) -> list:
    """The workspace's URLs, added to the campaign admin's get_urls."""
    views = WorkspaceViews(model_admin)
    view = model_admin.admin_site.admin_view
    return [
        path("start/", view(views.start), name="collection_campaign_start"),
        path("<int:campaign_id>/send/", view(views.send), name="collection_campaign_send"),
        path("<int:campaign_id>/workspace/", view(views.workspace), name="collection_campaign_workspace"),
        path("<int:campaign_id>/workspace/row/<int:request_pk>/", view(views.row),
             name="collection_campaign_workspace_row"),
        path("<int:campaign_id>/workspace/row/<int:request_pk>/act/", view(views.row_action),
             name="collection_campaign_workspace_action"),
        path("<int:campaign_id>/workspace/chase-overdue/", view(views.chase_overdue),
             name="collection_campaign_chase_overdue"),
        path("<int:campaign_id>/ask-again/", view(views.ask_again), name="collection_campaign_ask_again"),
    ]


class WorkspaceViews:
    def __init__(self, model_admin):
        self.model_admin = model_admin
        self.site = model_admin.admin_site

    # --- helpers ----------------------------------------------------------------------------
    def _campaign(self, request, pk) -> Campaign:
        campaign = get_object_or_404(Campaign.objects.select_related("owner", "repeats"), pk=pk)
        if not self.model_admin.has_view_permission(request, campaign):
            raise PermissionDenied
        return campaign

    def _context(self, request, **extra) -> dict:
        return {**self.site.each_context(request), "opts": Campaign._meta, **extra}

    def _board_context(self, request, board) -> dict:
        from ..sending.envelope import mailbox_problem

        allowed = actions.allowed_actions(request.user)
        visible = {id(row) for row in board.visible}
        for row in board.rows:
            row.offered = [name for name in row.state.actions if name in allowed]
            row.hidden = id(row) not in visible  # every row is on the page; the filter hides the others
        workspace = reverse("admin:collection_campaign_workspace", args=[board.campaign.pk])
        return {"board": board, "campaign": board.campaign, "today": board.today.isoformat(),
                "can_change": actions.can_change(request.user), "can_import": actions.can_import(request.user),
                # Built once for the 44 rows (a row's URLs are these plus its request's id).
                "row_base": f"{workspace}row/", "request_base": reverse("admin:collection_foirequest_changelist"),
                "sent_via_options": options(sending.SENT_VIA),
                "answer_options": options(Outcome.choices),
                "upload_options": options([(Outcome.PROVIDED, Outcome.PROVIDED.label), (Outcome.PARTIAL, "Data in part"),
                                           ("", "Outcome as it is")]),
                "state_param": board.selected, "allowed": allowed, "mailbox_problem": mailbox_problem()}

    # --- the board ----------------------------------------------------------------------------
    def workspace(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id)
        board = build_board(campaign, selected=request.GET.get("state", ""))
        context = self._context(request, title=campaign.title, **self._board_context(request, board),
                                period=f"{deadlines.format_day(campaign.period_start)} to "
                                       f"{deadlines.format_day(campaign.period_end)}",
                                sent_on=deadlines.format_day(campaign.sent_on) if campaign.sent_on else "",
                                forces_word=plural(board.total, "force"),
                                report_url=reverse("admin:reports_campaign_report", args=[campaign.pk]),
                                edit_url=reverse("admin:collection_campaign_change", args=[campaign.pk]),
                                periods=[p.period.display for p in campaign.periods.all()],
                                can_ask_again=self.model_admin.has_add_permission(request)
                                and self.model_admin.has_change_permission(request, campaign))
        return TemplateResponse(request, "admin/collection/campaign/workspace.html", context)

    def _row_payload(self, request, campaign, request_pk, *, message="", level="success") -> dict:
        board = build_board(campaign, selected=request.GET.get("state", "") or request.POST.get("state", ""))
        row = board.row(request_pk)
        if row is None:
            raise Http404("No such request on this campaign")
        context = self._board_context(request, board)
        return {
            "row": render_to_string("admin/collection/campaign/workspace_row.html", {**context, "row": row}, request),
            "counts": render_to_string("admin/collection/campaign/workspace_counts.html", context, request),
            "state": row.state.key, "needs_me": row.state.needs_me, "message": message, "level": level,
        }

    def row(self, request, campaign_id, request_pk):
        campaign = self._campaign(request, campaign_id)
        return JsonResponse(self._row_payload(request, campaign, request_pk))

    def row_action(self, request, campaign_id, request_pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        campaign = self._campaign(request, campaign_id)
        if not actions.can_change(request.user):
            raise PermissionDenied  # every action writes: a Viewer is refused whatever is asked
        handler = actions.ACTIONS.get(request.POST.get("action", ""))
        if handler is None or handler.run is None or not handler.available:
            raise Http404("No such action")
        if not handler.allowed(request.user):
            raise PermissionDenied
        foi_request = get_object_or_404(FoiRequest.objects.select_related("force"), pk=request_pk, campaign=campaign)
        foi_request.campaign = campaign
        try:
            message, level = handler.run(request, foi_request), "success"
        except (ServiceError, ImportRefused) as error:
            message, level = str(error), "error"
        if wants_json(request):
            payload = self._row_payload(request, campaign, request_pk, message=message, level=level)
            return JsonResponse(payload, status=200 if level == "success" else 400)
        getattr(messages, level)(request, message)
        return redirect(self._back(campaign, request.POST.get("state", ""), request_pk))

    @staticmethod
    def _back(campaign, state: str, request_pk: int | None = None) -> str:
        url = reverse("admin:collection_campaign_workspace", args=[campaign.pk])
        if state in states.STATES or state == "needs_me":
            url += f"?state={state}"
        return url + (f"#row-{request_pk}" if request_pk else "")

    def chase_overdue(self, request, campaign_id):
        from ..reminders.admin import report
        from ..reminders.services import ChaseNow

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        campaign = self._campaign(request, campaign_id)
        if not actions.can_change(request.user):
            raise PermissionDenied
        overdue = [row.request for row in build_board(campaign).chaseable]
        if not overdue:
            messages.info(request, "No force is overdue: nobody to chase.")
        else:
            report(self.model_admin, request, ChaseNow(overdue, request.user).execute())
        return redirect(self._back(campaign, request.POST.get("state", "")))

    # --- asking again ---------------------------------------------------------------------------
    def ask_again(self, request, campaign_id):
        from ..requests.repeat import RepeatCampaign, suggested_slug, suggested_title

        earlier = self._campaign(request, campaign_id)
        if not (self.model_admin.has_add_permission(request)
                and self.model_admin.has_change_permission(request, earlier)):
            raise PermissionDenied
        next_period = earlier.period.shifted(1)
        form = AskAgainForm(request.POST or None, initial={
            "period_start": next_period.start, "period_end": next_period.end, "owner": earlier.owner_id,
            "title": suggested_title(earlier, next_period), "slug": suggested_slug(earlier, next_period)})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            repeat = RepeatCampaign(earlier, data["slug"], data["period_start"], data["period_end"],
                                    sent_on=data["sent_on"], ask_previous=data["ask_previous"], title=data["title"],
                                    owner=data["owner"], user=request.user)
            try:
                campaign = repeat.execute()
            except ServiceError as error:
                form.add_error(None, str(error))
            else:
                periods = " and ".join(p.display for p in repeat.planned.periods)
                messages.success(request, f"{campaign.title}: {plural(campaign.requests.count(), 'request')} asking "
                                          f"about {periods}, one per force asked by {earlier.title}.")
                for note in repeat.planned.notes:
                    messages.warning(request, note)
                if campaign.sent_on:
                    return redirect("admin:collection_campaign_workspace", campaign.pk)
                return redirect("admin:collection_campaign_send", campaign.pk)
        # The question as it will read: for the period suggested, or the one typed once the form was sent.
        data = getattr(form, "cleaned_data", {}) if form.is_bound else {
            "period_start": next_period.start, "period_end": next_period.end, "ask_previous": True}
        plan, problem = None, ""
        if data.get("period_start") and data.get("period_end"):
            try:
                plan = RepeatCampaign(earlier, "", data["period_start"], data["period_end"],
                                      ask_previous=bool(data.get("ask_previous"))).plan()
            except ServiceError as error:
                problem = "" if form.non_field_errors() else str(error)
        return TemplateResponse(request, "admin/collection/campaign/ask_again.html", self._context(
            request, title=f"Ask again: {earlier.title}", campaign=earlier, form=form, plan=plan, problem=problem,
            forces_word=plural(earlier.forces.count() or earlier.requests.count(), "force"),
            codes=list(earlier.offence_codes.order_by("code").values_list("code", flat=True)),
            earlier_period=f"{deadlines.format_day(earlier.period_start)} to {deadlines.format_day(earlier.period_end)}"))

    # --- starting a campaign --------------------------------------------------------------------
    def start(self, request):
        if not self.model_admin.has_add_permission(request):
            raise PermissionDenied
        form = StartCampaignForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                campaign = StartCampaign(data, request.user).execute()
            except ServiceError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"{campaign.title}: {plural(campaign.requests.count(), 'request')} "
                                          "ready, one per force asked. Check the e-mail, then send it.")
                return redirect("admin:collection_campaign_send", campaign.pk)
        return TemplateResponse(request, "admin/collection/campaign/start.html", self._context(
            request, title="Start a campaign", subtitle="Step 1 of 2: the question", form=form,
            code_groups=form.codes_by_category()))

    def send(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id)
        can_send = actions.can_change(request.user)
        form = SendForm(request.POST or None, initial={"sent_on": timezone.localdate(), "via": "post"})
        if request.method == "POST":
            if not can_send:
                raise PermissionDenied
            if "send" in request.POST:
                try:
                    result = sending.send(campaign, request.user, request.POST.getlist("force"))
                except ServiceError as error:
                    messages.error(request, str(error))
                    return redirect("admin:collection_campaign_send", campaign.pk)
                for i, line in enumerate(result.lines):
                    getattr(messages, result.level if i == 0 else "warning")(request, line)
                return redirect("admin:collection_campaign_workspace", campaign.pk)
            if "record" in request.POST and form.is_valid():
                data = form.cleaned_data
                if not data.get("sent_on") or not data.get("via"):
                    form.add_error("sent_on" if not data.get("sent_on") else "via", "Say when and how it was sent.")
                else:
                    n = sending.record_sent(campaign, request.user, data["sent_on"], data["via"])
                    messages.success(request, f"Recorded {plural(n, 'request')} as sent on "
                                              f"{deadlines.format_day(data['sent_on'])}.")
                    return redirect("admin:collection_campaign_workspace", campaign.pk)
        plan = sending.plan(campaign)
        unsent = len(plan.emails) + len(plan.cannot)
        return TemplateResponse(request, "admin/collection/campaign/send.html", self._context(
            request, title=f"Send: {campaign.title}", subtitle="Step 2 of 2: the e-mail", campaign=campaign,
            plan=plan, sample=plan.emails[0] if plan.emails else self._sample(campaign), form=form, can_send=can_send, unsent=unsent,
            emails_word=plural(len(plan.emails), "force"), cannot_word=plural(len(plan.cannot), "force"),
            unsent_word=plural(unsent, "request"), answers=where_answers_go()))


    @staticmethod
    def _sample(campaign):
        """The e-mail as the first unsent force would get it, when none can be e-mailed yet."""
        from ..sending.services import render_request

        first = (FoiRequest.objects.filter(campaign=campaign, sent_at__isnull=True)
                 .select_related("force", "campaign__owner").order_by("force__name").first())
        return render_request(first) if first is not None else None


class StartCampaign:
    """A new campaign from the guided start: the campaign and one draft request per force asked
    (CreateCampaign, the service the command uses), with the offence codes asked about."""

    def __init__(self, data: dict, user):
        self.data, self.user = data, user

    def execute(self) -> Campaign:
        from django.db import transaction

        data = self.data
        with transaction.atomic():
            campaign = CreateCampaign(slug=data["slug"], title=data["title"].strip(), question=data["question"],
                                      period_start=data["period_start"], period_end=data["period_end"],
                                      owner=data.get("owner") or self.user, forces=list(data["forces"]),
                                      user=self.user).execute()
            if data.get("offence_codes"):
                campaign.offence_codes.set(data["offence_codes"])
        return campaign
