"""foi_tracker/wsgi.py makes its process ready to serve (foi_tracker/serving.py): the admin's
modules loaded, what start-up made frozen out of the garbage collector's walks, young
collections less often."""
import subprocess
import sys
from tests.helpers import ROOT


SCRIPT = """
import gc
import foi_tracker.wsgi
from django.contrib import admin
from collection.requests.models import FoiRequest
print(gc.get_freeze_count() > 50_000, gc.get_threshold()[0], FoiRequest in admin.site._registry)
"""


def test_the_wsgi_worker_is_settled_before_its_first_request():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "foi_tracker.settings"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "10000", "True"]
