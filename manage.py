#!/usr/bin/env python
import gc
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    # Starting up builds a few hundred thousand objects and frees almost none: garbage collections
    # during it find nothing and cost a tenth of a command's start. Collect as usual afterwards.
    gc.disable()
    try:
        django.setup()
    except ImproperlyConfigured as error:  # e.g. no SECRET_KEY with DEBUG off: one line, not a traceback
        sys.exit(f"manage.py: {error}")
    finally:
        gc.enable()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
