#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'foi_tracker.settings')
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    from django.db import InterfaceError, OperationalError

    try:
        execute_from_command_line(sys.argv)
    except (OperationalError, InterfaceError) as error:
        # Django's own commands (migrate, shell...) too: one line, not a traceback, when the
        # database is down or restarting. Ours say the same through FoiCommand.
        print(f"CommandError: the database is unavailable ({' '.join(str(error).split())[:200]})",
              file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
