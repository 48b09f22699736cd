from collections import defaultdict

from collection.mail.services import ApplySuggestions

from ._base import FoiCommand


class Command(FoiCommand):
    help = ("Accept every clean suggestion the forces' mail made for a campaign (acknowledgements, "
            "clarifications, extensions, outcomes and their files); list what is left for a person.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--dry-run", action="store_true", help="Say what would be accepted; change nothing")
        parser.add_argument("--user", help="Record the changes as made by this user")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        report = ApplySuggestions(campaign, self.user(o.get("user")), dry_run=o["dry_run"]).execute()
        by_force = defaultdict(list)
        for s, done in report.accepted:
            by_force[s.request.force.force_id].extend(("would accept: " if o["dry_run"] else "") + d for d in done)
        for s, why in report.left:
            by_force[s.request.force.force_id].append(f"left for a person: {s.summary} ({why})")
        for force_id in sorted(by_force):
            request = campaign.requests.select_related("force").get(force__force_id=force_id)
            outcome = request.get_outcome_display() if request.outcome else request.get_status_display()
            self.stdout.write(f"{force_id}: {outcome}")
            for line in by_force[force_id]:
                self.stdout.write(f"  {line}")
        self.stdout.write(f"{len(report.accepted)} suggestion(s) {'to accept' if o['dry_run'] else 'accepted'}, "
                          f"{len(report.left)} left for a person.")
