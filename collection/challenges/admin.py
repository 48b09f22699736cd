"""The challenge ladder in the admin: every step recorded (read only: the services write them), the
page that drafts a force's internal-review letter for a person to edit, preview and send, and the
campaign-wide page drafting one letter per force refused under a section ("challenge every s.12
refusal"). Recording a step from the page uses the same service as `manage.py challenge --record`.

URLs (under the step admin's, behind admin_site.admin_view):
  challengestep/request/<request id>/          the letter: draft, edit, preview (POST preview), send (POST send)
  challengestep/request/<request id>/record/   POST: record a step of the ladder
  challengestep/campaign/<campaign id>/        one drafted letter per force refused (?section=s.12)
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from ..admin_common import ReadOnlyAdminMixin, plural
from ..deadlines import format_day
from ..forms import DayField
from ..requests.models import Campaign, FoiRequest, Outcome
from ..validation import ServiceError
from .letters import sections_of
from .models import STEPS, ChallengeStep, StepOutcome
from .pack import IcoPack
from .services import DraftReviewLetter, RecordChallengeStep, SendReviewLetter, challenge_problem, next_step_for


class LetterForm(forms.Form):
    subject = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"size": 90}))
    letter = forms.CharField(widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "foi-letter"}))


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=[(k, k.replace("_", " ").capitalize()) for k in STEPS])
    on = DayField(label="On")
    outcome = forms.ChoiceField(required=False, choices=[("", "(none)")] + StepOutcome.choices)
    reference = forms.CharField(required=False, max_length=40, label="ICO reference")


def _first_error(form: forms.Form) -> str:
    field, errors = next(iter(form.errors.items()))
    return f"{(form.fields[field].label or field) if field in form.fields else field}: {errors[0]}"


@admin.register(ChallengeStep)
class ChallengeStepAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("request", "stage", "kind", "outcome", "date", "ico_reference", "created_by")
    list_filter = ("stage", "kind", "outcome", "request__campaign")
    search_fields = ("ico_reference", "request__force__name", "notes")
    list_select_related = ("request__force", "request__campaign", "created_by")
    date_hierarchy = "date"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("request/<int:request_pk>/", view(self.letter_view), name="collection_challengestep_letter"),
            path("request/<int:request_pk>/record/", view(self.record_view), name="collection_challengestep_record"),
            path("request/<int:request_pk>/ico-pack/", view(self.ico_pack_view),
                 name="collection_challengestep_icopack"),
            path("campaign/<int:campaign_id>/", view(self.campaign_view), name="collection_challengestep_campaign"),
        ] + super().get_urls()

    # --- helpers ------------------------------------------------------------------------------
    def _request(self, http, pk) -> FoiRequest:
        foi_request = get_object_or_404(FoiRequest.objects.select_related("force", "campaign__owner"), pk=pk)
        if not http.user.has_perm("collection.view_foirequest"):
            raise PermissionDenied
        return foi_request

    @staticmethod
    def can_challenge(user) -> bool:
        return user.has_perm("collection.add_challengestep") and user.has_perm("collection.change_foirequest")

    def _context(self, http, **extra) -> dict:
        return {**self.admin_site.each_context(http), "opts": ChallengeStep._meta, **extra}

    @staticmethod
    def workspace_url(foi_request) -> str:
        return reverse("admin:collection_campaign_workspace", args=[foi_request.campaign_id]) + f"#row-{foi_request.pk}"

    # --- one force's letter ---------------------------------------------------------------------
    def letter_view(self, http, request_pk):
        foi_request = self._request(http, request_pk)
        today = timezone.localdate()
        preview = error = None
        if http.method == "POST":
            if not self.can_challenge(http.user):
                raise PermissionDenied
            form = LetterForm(http.POST)
            if not form.is_valid():
                error = _first_error(form)
            else:
                sender = SendReviewLetter(foi_request, form.cleaned_data["subject"], form.cleaned_data["letter"],
                                          http.user, today)
                try:
                    if "send" in http.POST:
                        sender.execute()
                        messages.success(http, f"{foi_request.force.name}: internal review letter e-mailed to "
                                               f"{foi_request.force.foi_email}; the review is due "
                                               f"{format_day(next_step_for(foi_request, today).due_on)}.")
                        return redirect(self.workspace_url(foi_request))
                    preview = sender.preview()
                except ServiceError as refusal:
                    error = str(refusal)
        else:
            form, problem = None, challenge_problem(foi_request, today)
            if problem is None:
                letter = DraftReviewLetter(foi_request, today).execute()
                form = LetterForm(initial={"subject": letter.subject, "letter": letter.body})
            error = problem
        return TemplateResponse(http, "admin/collection/challengestep/letter.html", self._context(
            http, title=f"Challenge {foi_request.force.name}'s answer", foi_request=foi_request, form=form,
            preview=preview, error=error, can_challenge=self.can_challenge(http.user),
            steps=foi_request.challenge_steps.order_by("date", "pk"), next_step=next_step_for(foi_request, today),
            ico_pack_problem=IcoPack(foi_request, today).problem(),
            step_form=StepForm(initial={"on": today}), workspace_url=self.workspace_url(foi_request)))

    def record_view(self, http, request_pk):
        if http.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        foi_request = self._request(http, request_pk)
        if not self.can_challenge(http.user):
            raise PermissionDenied
        form = StepForm(http.POST)
        try:
            if not form.is_valid():
                raise ServiceError(_first_error(form))
            data = form.cleaned_data
            step = RecordChallengeStep(foi_request, data["step"], data["on"], http.user, outcome=data["outcome"],
                                       reference=data["reference"]).execute()
            messages.success(http, f"{foi_request.force.name}: {step.label} recorded.")
        except ServiceError as refusal:
            messages.error(http, str(refusal))
        return redirect(reverse("admin:collection_challengestep_letter", args=[foi_request.pk]))

    def ico_pack_view(self, http, request_pk):
        """The ICO complaint pack as a zip: it reads only, so a Viewer may download it too."""
        if http.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        foi_request = self._request(http, request_pk)
        pack = IcoPack(foi_request, timezone.localdate())
        try:
            data = pack.zip()
        except ServiceError as refusal:
            messages.error(http, str(refusal))
            return redirect(reverse("admin:collection_challengestep_letter", args=[foi_request.pk]))
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{pack.name}.zip"'
        return response

    # --- a campaign: one letter per force refused under a section -----------------------------------
    def campaign_view(self, http, campaign_id):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        if not http.user.has_perm("collection.view_campaign"):
            raise PermissionDenied
        section = (http.GET.get("section") or "s.12").strip()
        today = timezone.localdate()
        drafts, skipped = [], []
        refused = (campaign.requests.filter(outcome=Outcome.REFUSED).select_related("force", "campaign__owner")
                   .order_by("force__name"))
        for foi_request in refused:
            if not any(s == section or s.startswith(section + "(") for s in sections_of(foi_request.sections_cited)):
                continue
            if problem := challenge_problem(foi_request, today):
                skipped.append(problem)
                continue
            letter = DraftReviewLetter(foi_request, today).execute()
            drafts.append((foi_request, letter))
        return TemplateResponse(http, "admin/collection/challengestep/campaign.html", self._context(
            http, title=f"Challenge every {section} refusal: {campaign.title}", campaign=campaign, section=section,
            drafts=drafts, skipped=skipped, headline=f"{plural(len(drafts), 'letter')} drafted",
            can_challenge=self.can_challenge(http.user),
            workspace_url=reverse("admin:collection_campaign_workspace", args=[campaign.pk])))

