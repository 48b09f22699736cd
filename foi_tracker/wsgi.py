import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")
application = get_wsgi_application()

from foi_tracker.serving import settle_web_process  # noqa: E402  (after Django is set up)

settle_web_process()
