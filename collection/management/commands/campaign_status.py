import json

from django.utils import timezone

from ...challenges.services import ladders_of, next_step_for
from ...requests.models import working_calendar

from ._base import FoiCommand


class Command(FoiCommand):
    help = "Each force's status, outcome, due date and working days overdue in a campaign."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--today", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        today = self.date(o["today"], "--today") or timezone.localdate()
        calendar = working_calendar()
        rows = []
        requests = list(campaign.requests.select_related("force").order_by("force__name"))
        ladders = ladders_of(requests)
        for r in requests:
            found = next_step_for(r, today, calendar, [s.as_ladder_step() for s in ladders[r.pk]])
            rows.append({
                "force_id": r.force.force_id, "force": r.force.name, "status": r.status,
                "outcome": r.outcome or None, "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                "due_on": r.due_on.isoformat() if r.due_on else None,
                "working_days_overdue": r.working_days_overdue(today, calendar),
                "very_overdue": r.is_very_overdue(today, calendar),
                "sections_cited": r.sections_cited or None,
                "next_step": found.action if found else None,
                "next_step_due": found.due_on.isoformat() if found else None,
                "ladder": [{"step": s.label, "date": s.date.isoformat()} for s in ladders[r.pk]],
            })
        if o["json"]:
            self.stdout.write(json.dumps({"campaign": campaign.slug, "today": today.isoformat(), "requests": rows},
                                         indent=2))
            return
        answered = sum(1 for r in rows if r["outcome"])
        overdue = sum(1 for r in rows if r["working_days_overdue"])
        self.stdout.write(f"{campaign.title} ({campaign.slug}): {len(rows)} forces, {answered} answered, "
                          f"{overdue} overdue on {today}")
        width = max((len(r["force"]) for r in rows), default=10)
        for r in rows:
            late = f"{r['working_days_overdue']} working days overdue" if r["working_days_overdue"] else ""
            if r["next_step"]:
                late = (late + "  " if late else "") + f"next: {r['next_step']} by {r['next_step_due']}"
            self.stdout.write(f"  {r['force']:<{width}}  {r['status']:<22} {r['outcome'] or '-':<12} "
                              f"due {r['due_on'] or '-':<10}  {late}")
