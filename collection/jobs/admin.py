"""Jobs in progress: what is queued or running, since when, and "try again" once a lease ran out."""
from django.contrib import admin, messages
from django.utils import timezone

from .models import JobLease
from .services import progress, try_again


@admin.register(JobLease)
class JobLeaseAdmin(admin.ModelAdmin):
    list_display = ("kind", "key", "since", "running_since", "lease_until", "attempts", "state")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in JobLease._meta.fields]
    actions = ["try_again_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="state")
    def state(self, job: JobLease) -> str:
        found = progress(job.kind, job.key)
        return found.words() if found else "done"

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a job is finished by its run, never dropped by hand
        return actions

    # Researchers hold the delete permission, Viewers do not: only they may queue work again.
    @admin.action(description="Try again the selected jobs whose lease ran out", permissions=["delete"])
    def try_again_now(self, request, queryset):
        now = timezone.now()
        lapsed = [job for job in queryset if job.lease_until is None or job.lease_until < now]
        queued = [str(job) for job in lapsed if try_again(job.kind, job.key)]
        if queued:
            self.message_user(request, f"Queued again: {', '.join(queued)}.", messages.SUCCESS)
        if len(queued) < len(queryset):
            self.message_user(request, f"{len(queryset) - len(queued)} not queued: still within their lease "
                                       "(a worker is on them) or the queue is not answering.", messages.WARNING)
