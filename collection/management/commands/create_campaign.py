from pathlib import Path

from django.core.management.base import CommandError

from ...requests.services import CreateCampaign

from ._base import FoiCommand


class Command(FoiCommand):
    help = "Create a campaign with one request per active force."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--title", required=True)
        parser.add_argument("--period-start", required=True, help="YYYY-MM-DD")
        parser.add_argument("--period-end", required=True, help="YYYY-MM-DD")
        parser.add_argument("--sent-on", help="YYYY-MM-DD: record every request as sent and received that day")
        parser.add_argument("--question-file", help="A text file holding the request's wording")
        parser.add_argument("--owner", help="Username of the staff member who gets the digest")
        parser.add_argument("--offences", default="",
                            help="The offence codes the question asks about, e.g. 88A or 88A,71 (default: all). "
                                 "With one code, a table with no offence column is read as that code")

    def handle(self, *args, **o):
        question = ""
        if o["question_file"]:
            path = Path(o["question_file"])
            try:
                question = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"--question-file {path}: cannot read it ({error})") from None
        campaign = CreateCampaign(
            slug=o["slug"], title=o["title"], question=question,
            period_start=self.date(o["period_start"], "--period-start"),
            period_end=self.date(o["period_end"], "--period-end"),
            sent_on=self.date(o["sent_on"], "--sent-on"), owner=self.user(o["owner"]),
            offence_codes=self.offences(o["offences"]),
        ).execute()
        n = campaign.requests.count()
        state = f"sent on {campaign.sent_on}" if campaign.sent_on else "drafts, not sent yet"
        codes = [c.code for c in campaign.offence_codes.order_by("code")]
        asks = f" Asks about offence{'s' if len(codes) > 1 else ''} {', '.join(codes)}." if codes else ""
        self.stdout.write(f"Created campaign {campaign.slug}: {n} requests ({state}).{asks}")

    @staticmethod
    def offences(value: str) -> list[str]:
        from ...requests.services import offence_codes_named
        from ...validation import ServiceError

        try:
            return [c.code for c in offence_codes_named(value.split(","))]
        except ServiceError as error:
            raise CommandError(f"--offences: {error}") from None
