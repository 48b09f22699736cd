"""Static files as Django keeps them, each file's URL worked out once per process.

An admin page names about twenty static files (its styles, and the scripts of its media), each
through `static()`, which joins the file's name onto STATIC_URL afresh every time: a fiftieth of
an empty list page's server time. The storage takes STATIC_URL once, when it is made (Django's
own StaticFilesStorage does the same), so a file's URL cannot change while it lives.
"""
from django.contrib.staticfiles.storage import StaticFilesStorage


class RememberedURLsStaticFilesStorage(StaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name):
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url
