#!/usr/bin/env python
import gc
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foi_tracker.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    # Starting up builds a few hundred thousand objects and frees almost none: garbage collections
    # during it find nothing and cost a tenth of a command's start. Those objects then live as long
    # as the process, so they are frozen out of the collector's later walks (gc.freeze, as web
    # workers do: foi_tracker/serving.py): the full collections during the command and the last one
    # at exit skip them (about 9% of `import_return --help`'s instructions). Garbage made afterwards
    # is collected as usual.
    gc.disable()
    try:
        django.setup()
    except ImproperlyConfigured as error:  # e.g. no SECRET_KEY with DEBUG off: one line, not a traceback
        sys.exit(f"manage.py: {error}")
    finally:
        gc.freeze()
        gc.enable()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
