"""The beat schedule in the admin, with its actions restricted to people who may change it.

django_celery_beat's own PeriodicTaskAdmin declares its actions (enable, disable, toggle, run
now) without permissions, so anyone who may *view* periodic tasks (our Viewers) could switch
the daily reminder job off or run it. Here each action needs the change permission.
"""
from django.contrib import admin
from django_celery_beat.admin import PeriodicTaskAdmin as BasePeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

Base = BasePeriodicTaskAdmin


class PeriodicTaskAdmin(BasePeriodicTaskAdmin):
    @admin.action(description="Enable selected tasks", permissions=["change"])
    def enable_tasks(self, request, queryset):
        return Base.enable_tasks(self, request, queryset)

    @admin.action(description="Disable selected tasks", permissions=["change"])
    def disable_tasks(self, request, queryset):
        return Base.disable_tasks(self, request, queryset)

    @admin.action(description="Toggle activity of selected tasks", permissions=["change"])
    def toggle_tasks(self, request, queryset):
        return Base.toggle_tasks(self, request, queryset)

    @admin.action(description="Run selected tasks", permissions=["change"])
    def run_tasks(self, request, queryset):
        return Base.run_tasks(self, request, queryset)


if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)
