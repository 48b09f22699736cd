from ...requests.repeat import RepeatCampaign

from ._base import FoiCommand


class Command(FoiCommand):
    help = ("Ask a campaign's question again for a later period: a new campaign with the question's dates moved on, "
            "the same forces, offence codes and owner, linked to the one it repeats.")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The campaign to ask again")
        parser.add_argument("new_slug", help="The new campaign's short name")
        parser.add_argument("--period-start", required=True, help="YYYY-MM-DD: first day of the new period")
        parser.add_argument("--period-end", required=True, help="YYYY-MM-DD: last day of the new period")
        parser.add_argument("--sent-on", help="YYYY-MM-DD: record every request as sent and received that day")
        parser.add_argument("--ask-previous", action="store_true",
                            help="Ask the forces for the earlier campaign's period again (to compare like for like)")
        parser.add_argument("--title", default="", help="The new title (default: the earlier one, its dates moved on)")
        parser.add_argument("--owner", help="Username of the new owner (default: the earlier campaign's)")

    def handle(self, *args, **o):
        earlier = self.campaign(o["slug"])
        repeat = RepeatCampaign(
            earlier, o["new_slug"], period_start=self.date(o["period_start"], "--period-start"),
            period_end=self.date(o["period_end"], "--period-end"), sent_on=self.date(o["sent_on"], "--sent-on"),
            ask_previous=o["ask_previous"], title=o["title"], owner=self.user(o["owner"]))
        campaign = repeat.execute()
        n = campaign.requests.count()
        state = f"sent on {campaign.sent_on}" if campaign.sent_on else "drafts, not sent yet"
        periods = ", ".join(p.display for p in repeat.planned.periods)
        self.stdout.write(f"Created campaign {campaign.slug}, repeating {earlier.slug}: {n} requests ({state}). "
                          f"Asks about {periods}.")
        moved = repeat.planned.question.moved
        if moved:
            self.stdout.write("Dates moved in the question: "
                              + "; ".join(f"{was} -> {now}" for was, now in dict.fromkeys(moved)) + ".")
        for note in repeat.planned.notes:
            self.stdout.write(note)
