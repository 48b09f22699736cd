import time

from django.conf import settings
from django.core.management.base import CommandError

from collection.mail.services import FetchMail

from ._base import FoiCommand


class Command(FoiCommand):
    help = "Read new mail from the team's mailbox (IMAP_URL); never deletes. Polls every 5 minutes unless --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Read what is new, then stop")
        parser.add_argument("--url", default="", help="An IMAP URL instead of IMAP_URL")
        parser.add_argument("--every", type=int, default=300, help="Seconds between polls (default 300)")

    def handle(self, *args, **o):
        if not (o["url"] or settings.IMAP_URL):
            raise CommandError("IMAP_URL is not set: imaps://user:password@host:993/INBOX")
        while True:
            result = FetchMail(o["url"]).execute()
            self.stdout.write(result.line())
            if o["once"]:
                if result.error:
                    raise CommandError(result.error)
                return
            time.sleep(max(5, o["every"]))
