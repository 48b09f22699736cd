"""Releases in the admin: the list of every version, the report page's Publish button (Researchers:
reports.add_release) and each zip's download (whoever may see the report).

URLs (behind admin_site.admin_view):
  admin/reports/release/campaign/<id>/publish/   POST: publish a release (a Celery task; in-process when embedded)
  admin/reports/release/<id>/download/           the release's zip
"""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html

from collection.requests.models import Campaign
from collection.validation import ServiceError

from .models import Release


def can_publish(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm("reports.add_release")


def can_download(user) -> bool:
    return user.is_active and user.is_staff and (user.has_perm("reports.view_release")
                                                 or user.has_perm("collection.view_campaign"))


def report_context(user, campaign: Campaign) -> dict:
    """What the campaign's report page shows of its releases."""
    return {"releases": list(campaign.releases.select_related("created_by").order_by("-version")[:10]),
            "can_publish": can_publish(user)}


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("campaign", "version", "snapshot", "suppress_below", "created_at", "created_by", "download")
    list_filter = ("campaign",)
    list_select_related = ("campaign", "snapshot", "created_by")
    fields = ("campaign", "version", "snapshot", "suppress_below", "created_at", "created_by", "sha256", "download",
              "files")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # made by publishing, never typed in

    def has_change_permission(self, request, obj=None):
        return False  # a release is what was published: never rewritten

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="Zip")
    def download(self, release):
        return format_html('<a href="{}">{}.zip</a>', reverse("admin:reports_release_download", args=[release.pk]),
                           release.name)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("campaign/<int:campaign_id>/publish/", view(self.publish_view), name="reports_release_publish"),
                path("<int:release_id>/download/", view(self.download_view), name="reports_release_download"),
                ] + super().get_urls()

    def publish_view(self, request, campaign_id):
        from . import tasks

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_publish(request.user):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        raw = (request.POST.get("suppress_below") or "").strip()
        try:
            threshold = int(raw) if raw else None
            if threshold is not None and threshold < 2:
                raise ValueError
        except ValueError:
            self.message_user(request, f"Suppress below: {raw!r} is not a whole number of 2 or more.", messages.ERROR)
            return redirect("admin:reports_campaign_report", campaign_id=campaign.pk)
        if campaign.requests.filter(outcome="").exists():
            self.message_user(request, "A release needs final figures: some forces have no outcome yet.",
                              messages.ERROR)
            return redirect("admin:reports_campaign_report", campaign_id=campaign.pk)
        try:
            result = tasks.publish_release.delay(campaign.pk, request.user.pk, threshold)
        except ServiceError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            done = result.ready() and result.successful()
            self.message_user(request, "The release is ready below." if done else
                              "The release is being built: reload this page in a minute.", messages.SUCCESS)
        return redirect(reverse("admin:reports_campaign_report", args=[campaign.pk]) + "#releases")

    def download_view(self, request, release_id):
        if not can_download(request.user):
            raise PermissionDenied
        release = get_object_or_404(Release.objects.select_related("campaign"), pk=release_id)
        return FileResponse(release.archive.open("rb"), as_attachment=True, filename=f"{release.name}.zip",
                            content_type="application/zip")
