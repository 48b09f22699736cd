from django.core.management.base import CommandError

from collection.sending.services import PreviewSend, SendCampaign

from ._base import FoiCommand


class Command(FoiCommand):
    help = ("E-mail a campaign's request to every force (or those named) that has a working FOI address and "
            "has not been sent it yet; each request goes once, however often this runs. --dry-run prints the "
            "e-mail as each force will get it and who it cannot go to, and sends nothing.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--dry-run", action="store_true", help="print the preview; send and record nothing")
        parser.add_argument("--force", dest="forces", action="append", metavar="FORCE_ID", default=[],
                            help="only this force (repeat for several), e.g. --force kent --force essex")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        if o["dry_run"]:
            plan = PreviewSend(campaign, o["forces"] or None).execute()
            self.stdout.write("Dry run: nothing is sent or recorded.")
            for line in plan.lines():
                self.stdout.write(line)
            return
        summary = SendCampaign(campaign, force_ids=o["forces"] or None).execute()
        for line in summary.lines():
            self.stdout.write(line)
        if summary.failed:
            raise CommandError(f"{len(summary.failed)} of the requests could not be sent: they stay unsent with "
                               f"the mail server's error on each; run this again to retry them")
