from pathlib import Path

from django.core.management.base import CommandError

from collection.services import CreateCampaign

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
        ).execute()
        n = campaign.requests.count()
        state = f"sent on {campaign.sent_on}" if campaign.sent_on else "drafts, not sent yet"
        self.stdout.write(f"Created campaign {campaign.slug}: {n} requests ({state}).")
