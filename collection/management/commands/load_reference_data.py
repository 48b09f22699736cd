from django.core.management.base import BaseCommand

from ...forces import reference
from ...forces.models import Force, OffenceCode


class Command(BaseCommand):
    help = "Add any missing forces and offence codes from the shipped reference data."

    def add_arguments(self, parser):
        parser.add_argument("--refresh", action="store_true",
                            help="Also overwrite names and descriptions with the shipped ones")

    def handle(self, *args, **o):
        forces, codes = reference.load(Force, OffenceCode, refresh=o["refresh"])
        self.stdout.write(f"Forces: {Force.objects.count()} ({forces} added). "
                          f"Offence codes: {OffenceCode.objects.count()} ({codes} added).")
