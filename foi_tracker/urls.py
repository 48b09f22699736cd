from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.autodiscover()  # each app's admin.py (SimpleAdminConfig in settings.py: not at every start)
admin.site.site_header = "FOI campaign tracker"
admin.site.site_title = "FOI campaign tracker"
admin.site.index_title = "Campaigns, requests and returns"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]
