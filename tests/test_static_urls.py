"""foi_tracker/storage.py: a static file's URL, remembered, is the one Django's storage gives."""
from django.contrib.staticfiles.storage import StaticFilesStorage, staticfiles_storage
from django.templatetags.static import static

from foi_tracker.storage import RememberedURLsStaticFilesStorage

NAMES = ("admin/css/base.css", "admin/js/vendor/jquery/jquery.min.js", "foi/admin.css", "foi/a file?.js", "x/ü.css")


def test_the_site_uses_it():
    assert isinstance(staticfiles_storage, RememberedURLsStaticFilesStorage)


def test_the_same_urls_as_djangos_storage_asked_twice():
    ours, djangos = RememberedURLsStaticFilesStorage(), StaticFilesStorage()
    for _ in range(2):
        assert [ours.url(name) for name in NAMES] == [djangos.url(name) for name in NAMES]
    assert static("admin/css/base.css") == StaticFilesStorage().url("admin/css/base.css")


def test_a_changed_static_url_is_followed(settings):
    first = static("admin/css/base.css")
    settings.STATIC_URL = "/assets/"  # Django makes its storage anew when the setting changes
    assert static("admin/css/base.css") == "/assets/admin/css/base.css" != first
