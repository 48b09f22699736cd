"""The admin site as research staff use it: its index grouped the way the work is done
(Campaigns, Inbox, Requests, Forces, Reports), with the scheduler, offence codes, non-working days,
login lockouts and users under Settings, which only people who may change things see.

Installed in place of django.contrib.admin (INSTALLED_APPS: TrackerAdminConfig), so
`django.contrib.admin.site` is this site and every app registers on it as usual.
"""
from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import SimpleAdminConfig
from django.db.models.base import ModelBase

SETTINGS = "Settings"

#: The index's groups, in order; each lists "app_label.model_name" (or "app_label.*").
GROUPS: list[tuple[str, str, list[str]]] = [
    ("Campaigns", "campaigns", ["collection.campaign"]),
    ("Inbox", "inbox", ["collection.mailmessage", "collection.unmatchedmail", "collection.mailboxposition",
                        "collection.reminderlog"]),
    ("Requests", "requests", ["collection.foirequest", "collection.returnedfile", "collection.requestevent"]),
    ("Forces", "forces", ["collection.force", "collection.forcecolumnmapping"]),
    ("Reports", "reports", ["reports.aggregatesnapshot"]),
    (SETTINGS, "settings", ["collection.offencecode", "collection.nonworkingday", "django_celery_beat.*", "auth.*",
                            "axes.*"]),
]
#: Models of our own apps that no group names go with the requests; anything else is a setting.
OUR_APPS = {"collection", "reports"}


def group_of(app_label: str, model_name: str) -> str:
    for name, _, members in GROUPS:
        if f"{app_label}.{model_name}" in members or f"{app_label}.*" in members:
            return name
    return "Requests" if app_label in OUR_APPS else SETTINGS


def can_see_settings(user) -> bool:
    """Settings are for people who may change the research data: Viewers never see them."""
    return user.is_active and (user.is_superuser or user.has_perm("collection.change_offencecode"))


class SettingsOnly:
    """Mixed into the admin of every model under Settings: hidden from, and refused to, Viewers."""

    def has_module_permission(self, request):
        return can_see_settings(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return can_see_settings(request.user) and super().has_view_permission(request, obj)


def use_date_pickers(model_admin) -> None:
    """Every admin form, ours or a library's, types dates with the browser's picker (one pattern:
    collection/forms.py), unless its admin chose a widget of its own."""
    from django.contrib.admin import widgets
    from django.db import models

    from collection.forms import DATE_FIELD_OVERRIDES, DATETIME_FIELD_OVERRIDES

    overrides = model_admin.formfield_overrides
    if overrides.get(models.DateField, {}).get("widget") in (None, widgets.AdminDateWidget):
        overrides[models.DateField] = dict(DATE_FIELD_OVERRIDES)
    if overrides.get(models.DateTimeField, {}).get("widget") in (None, widgets.AdminSplitDateTime):
        overrides[models.DateTimeField] = dict(DATETIME_FIELD_OVERRIDES)


class TrackerAdminSite(admin.AdminSite):
    site_header = "FOI campaign tracker"
    site_title = "FOI campaign tracker"
    index_title = "Campaigns, requests and returns"
    # The grouped index and the breadcrumbs are the navigation; a sidebar would take a fifth of a
    # 1366 px screen from the lists.
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models:
            cls = admin_class or admin.ModelAdmin
            if group_of(model._meta.app_label, model._meta.model_name) == SETTINGS and \
                    not issubclass(cls, SettingsOnly):
                cls = type(cls)(cls.__name__, (SettingsOnly, cls), {"__module__": cls.__module__})
            super().register(model, cls, **options)
            use_date_pickers(self.get_model_admin(model))

    def get_app_list(self, request, app_label=None):
        """Without app_label (the index): the models grouped as the work is, not by Django app."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        from django.urls import reverse

        models = {}
        for app in super().get_app_list(request):
            for model in app["models"]:
                models[(app["app_label"], model["object_name"].lower())] = model
        campaign = models.get(("collection", "campaign"))
        if campaign and campaign.get("add_url"):
            campaign["add_url"] = reverse("admin:collection_campaign_start")  # a campaign starts with the guided flow
        groups = []
        for name, slug, members in GROUPS:
            chosen = [m for (label, model_name), m in models.items() if group_of(label, model_name) == name]
            order = {member: i for i, member in enumerate(members)}
            chosen.sort(key=lambda m: (order.get(f"{m['model']._meta.app_label}.{m['object_name'].lower()}",
                                                 len(order)), str(m["name"])))
            if chosen:
                groups.append({"name": name, "app_label": slug, "app_url": chosen[0].get("admin_url") or "",
                               "has_module_perms": True, "models": chosen})
        return groups

    def index(self, request, extra_context=None):
        from collection.requests.models import Campaign
        from django.db.models import Count, Q

        campaigns = []
        if request.user.has_perm("collection.view_campaign") or request.user.has_perm("collection.change_campaign"):
            campaigns = list(Campaign.objects.annotate(
                n_requests=Count("requests"), n_answered=Count("requests", filter=~Q(requests__outcome="")))
                .order_by("-created_at")[:8])
        extra = {"campaigns": campaigns, "can_start": request.user.has_perm("collection.add_campaign"),
                 **(extra_context or {})}
        return super().index(request, extra)


class TrackerAdminConfig(SimpleAdminConfig):
    """Without the admin modules' discovery at start (AdminConfig's): urls.py discovers them, so
    commands and workers, which show no admin, start without loading them."""

    default_site = "foi_tracker.admin_site.TrackerAdminSite"
