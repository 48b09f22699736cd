"""Shared plumbing for the management commands: one clear line on bad input, nothing written.

Input is checked where every door (admin, command, task) passes: the services raise a
ServiceError naming the field (dates outside what the app handles, text longer than its
column, ...). Here that, and what slips past them (a value the database refuses, a file that
cannot be read or written), becomes a CommandError: one line on stderr and exit status 1.
"""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DataError, InterfaceError, OperationalError

from ...forces.models import Force
from ...requests.models import Campaign, FoiRequest
from ...validation import ServiceError, parse_date


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def database_down(error: Exception) -> str:
    """A database that cannot be reached (down, restarting, refusing): one line. What was committed
    stays; a rerun takes up where it stopped (every command is safe to run again)."""
    return f"the database is unavailable ({one_line(error)[:200]}); nothing more was written: run it again " \
           "once the database is back"


class FoiCommand(BaseCommand):
    # The settings' own checks only (collection/checks.py, reports/checks.py): a bad setting stops
    # a command before it writes anything. The rest (the admin's, the URLs', the models') is for
    # `manage.py check`, migrate and the web server: checking the URLs loads every admin module and
    # django-import-export's formats, a second of start-up for each import on the command line.
    requires_system_checks = ["settings"]

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except ServiceError as error:
            raise CommandError(one_line(error)) from None
        except ValidationError as error:
            raise CommandError(one_line("; ".join(error.messages))) from None
        except (OperationalError, InterfaceError) as error:
            raise CommandError(database_down(error)) from None
        except DataError as error:
            # The services check lengths and dates first; this is the net under them.
            raise CommandError(f"the database refused a value, nothing was written: {one_line(error)}") from None
        except OSError as error:
            if error.filename is None:
                raise  # not a file someone named: a real failure, keep its traceback
            raise CommandError(f"{error.filename}: {error.strerror or error}") from None

    @staticmethod
    def date(value, name):
        return parse_date(value, name) if value is not None else None

    @staticmethod
    def campaign(slug) -> Campaign:
        try:
            return Campaign.objects.get(slug=slug)
        except Campaign.DoesNotExist:
            raise CommandError(f"no campaign with slug {slug!r}") from None

    @staticmethod
    def request(campaign, force_id) -> FoiRequest:
        if not Force.objects.filter(force_id=force_id).exists():
            raise CommandError(f"no force with id {force_id!r} (see the forces list in the admin)")
        try:
            return FoiRequest.objects.select_related("force", "campaign").get(campaign=campaign,
                                                                               force__force_id=force_id)
        except FoiRequest.DoesNotExist:
            raise CommandError(f"force {force_id!r} was not asked in campaign {campaign.slug!r}") from None

    @staticmethod
    def user(username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}") from None
