"""Forces and offence codes in the admin: the reference data the team keeps (addresses in bulk
through sending/'s import)."""
from django.contrib import admin
from django.utils.html import format_html

from ..admin_common import LabelledModelForm
from ..sending.admin import ForceAddressImportMixin
from .models import Force, OffenceCode


@admin.register(Force)
class ForceAdmin(ForceAddressImportMixin, admin.ModelAdmin):
    list_display = ("name", "force_id", "ons_code", "region", "foi_email", "foi_email_failing", "territorial",
                    "active")
    list_filter = ("active", "foi_email_failing", "territorial", "country", "region")
    search_fields = ("name", "force_id", "ons_code", "other_names")
    list_editable = ("foi_email",)
    readonly_fields = ("wdtk_link", "foi_email_failing", "foi_email_problem")

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", LabelledModelForm)  # each address box named with its force
        return super().get_changelist_form(request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change and "foi_email" in form.changed_data:
            obj.foi_email_failing, obj.foi_email_problem = False, ""  # a corrected address gets a fresh chance
        super().save_model(request, obj, form, change)

    @admin.display(description="WhatDoTheyKnow")
    def wdtk_link(self, force):
        return format_html('<a href="{}" rel="noopener">{}</a>', force.wdtk_url, force.wdtk_url) if force.wdtk_url else "-"


@admin.register(OffenceCode)
class OffenceCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "description", "category", "victim_min_age", "victim_max_age", "active")
    list_filter = ("category", "active")
    search_fields = ("code", "description")
