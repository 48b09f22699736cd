from collection.management.commands._base import FoiCommand

from reports.releases.services import PublishRelease


class Command(FoiCommand):
    help = ("Publish a final campaign's figures as a release: data/*.csv, datapackage.json, SLUG.xlsx, "
            "methodology.md and .html, charts/*.png and *.svg, SHA256SUMS, as one zip (kept, every version). "
            "The same figures give the same release again, byte for byte; changed figures the next version.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--output", help="also write the release's folder and its zip into this folder")
        parser.add_argument("--suppress-below", type=int, default=None, metavar="N",
                            help="show force-level counts from 1 to N-1 as <N, with secondary suppression "
                                 "(default: counts as they are)")
        parser.add_argument("--user", help="username recorded as publishing it")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        command = PublishRelease(campaign, suppress_below=o["suppress_below"], user=self.user(o["user"]),
                                 output=o["output"])
        release = command.execute()
        state = "published" if command.created else "unchanged since, the same release"
        self.stdout.write(f"{release}: {state}; snapshot {release.snapshot_id}, zip SHA-256 {release.sha256}")
        for f in release.files:
            self.stdout.write(f"  {f['sha256']}  {f['path']}")
        if o["output"]:
            self.stdout.write(f"written to {o['output']}/{release.name}/ and {o['output']}/{release.name}.zip")
