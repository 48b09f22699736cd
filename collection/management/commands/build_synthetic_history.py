"""Build a large synthetic history for load tests and query-count checks.

    manage.py build_synthetic_history [--campaigns 50] [--cells-per-force 60] [--seed 1]
                                      [--replace] [--owner USERNAME] [--today YYYY-MM-DD]

Creates campaigns `synth-001` ... each asking all active forces, sent a month apart going
back from today (the most recent ones still drafts or just sent), with requests at assorted
statuses and outcomes (answered on time or late, refused, overdue, extended, awaiting
clarification), their timeline events and, for answers with data, `--cells-per-force`
OffenceCount rows per force (a few suppressed). Deterministic for a given seed and today.

Bulk ORM throughout (the services send signals and take a row lock per request: far too slow
for 100,000 rows); the due dates still come from the FOI clock in `collection.deadlines`.
Refuses if synthetic campaigns exist, unless `--replace` (which deletes them first).
"""
import datetime as dt
import itertools
import random
import time

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from collection import deadlines
from ...forces.models import Force, OffenceCode
from ...requests.models import Campaign, EventKind, FoiRequest, Outcome, RequestEvent, RequestStatus, working_calendar
from ...returns.models import OffenceCount, ReturnedFile

from ._base import FoiCommand

PREFIX = "synth-"
BATCH = 2000
SEXES = ("", "female", "male")


class Command(FoiCommand):
    help = "Build synthetic campaigns (synth-NNN) with requests, events and offence counts for load tests."

    def add_arguments(self, parser):
        parser.add_argument("--campaigns", type=int, default=50)
        parser.add_argument("--cells-per-force", type=int, default=60,
                            help="OffenceCount rows per force that answered with data")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--replace", action="store_true", help="delete existing synthetic campaigns first")
        parser.add_argument("--owner", help="username of the campaigns' owner (default: none)")
        parser.add_argument("--today", help="YYYY-MM-DD the history is built relative to (default: today)")

    def handle(self, *args, **opts):
        started = time.monotonic()
        n_campaigns, cells, seed = opts["campaigns"], opts["cells_per_force"], opts["seed"]
        if n_campaigns < 1 or n_campaigns > 999 or cells < 0:
            raise CommandError("--campaigns must be 1..999 and --cells-per-force >= 0")
        today = self.date(opts["today"], "--today") or timezone.localdate()
        owner = self.user(opts["owner"])
        forces = list(Force.objects.filter(active=True).order_by("force_id"))
        codes = list(OffenceCode.objects.filter(active=True).order_by("code"))
        if not forces or not codes:
            raise CommandError("no forces or offence codes: run load_reference_data first")

        existing = Campaign.objects.filter(slug__startswith=PREFIX)
        if existing.exists():
            if not opts["replace"]:
                raise CommandError(f"{existing.count()} synthetic campaigns ({PREFIX}*) exist already; "
                                   "pass --replace to rebuild them")
            self._delete(existing)

        rng = random.Random(seed)
        calendar = working_calendar()
        rule = settings.FOI_WEEKEND_RECEIPT_RULE
        with transaction.atomic():
            stats = self._build(rng, calendar, rule, today, n_campaigns, cells, forces, codes, owner)
        self.stdout.write(f"Built {n_campaigns} campaigns, {stats['requests']} requests, {stats['events']} events, "
                          f"{stats['counts']} offence counts in {time.monotonic() - started:.1f}s.")

    @staticmethod
    def _delete(campaigns):
        ids = list(campaigns.values_list("pk", flat=True))
        with transaction.atomic():
            # Leaf tables first with single DELETEs, so the cascade has little left to collect.
            OffenceCount.objects.filter(campaign_id__in=ids).delete()
            RequestEvent.objects.filter(request__campaign_id__in=ids).delete()
            # Rows only: a file someone uploaded to a synthetic request stays on disk.
            ReturnedFile.objects.filter(request__campaign_id__in=ids).delete()
            Campaign.objects.filter(pk__in=ids).delete()

    def _build(self, rng, calendar, rule, today, n_campaigns, cells, forces, codes, owner):
        now = timezone.now()
        campaigns = []
        for i in range(n_campaigns):
            age = n_campaigns - 1 - i  # the last campaign is the newest
            # Sent a month apart; the newest one still a draft, the next just sent.
            sent_on = None if age == 0 else today - dt.timedelta(days=7 + 30 * (age - 1))
            start = dt.date(2014 + (i % 10), 4, 1)
            campaigns.append(Campaign(
                slug=f"{PREFIX}{i + 1:03d}", title=f"Synthetic campaign {i + 1}: offences {start.year}/{start.year + 1}",
                question="How many sexual offences against children did your force record, by offence and age?",
                period_start=start, period_end=dt.date(start.year + 1, 3, 31), owner=owner,
                created_at=now - dt.timedelta(days=30 * age, minutes=i), sent_on=sent_on,
                chasers_enabled=bool(i % 3)))
        Campaign.objects.bulk_create(campaigns, batch_size=BATCH)
        campaigns = list(Campaign.objects.filter(slug__startswith=PREFIX).order_by("slug"))
        Through = Campaign.forces.through
        Through.objects.bulk_create([Through(campaign_id=c.pk, force_id=f.pk) for c in campaigns for f in forces],
                                    batch_size=BATCH)

        requests, plans = [], []
        for c in campaigns:
            for f in forces:
                request, plan = self._plan(rng, calendar, rule, today, c, f, now)
                requests.append(request)
                plans.append(plan)
        FoiRequest.objects.bulk_create(requests, batch_size=BATCH)
        pks = {(c, f): pk for pk, c, f in FoiRequest.objects.filter(campaign__slug__startswith=PREFIX)
               .values_list("pk", "campaign_id", "force_id")}

        events, n_counts = [], 0
        cell_keys = list(itertools.product(codes, range(18), SEXES))
        batch = []
        for request, plan in zip(requests, plans):
            pk = pks[(request.campaign_id, request.force_id)]
            for kind, on, new_due, detail in plan:
                events.append(RequestEvent.objects.record(
                    pk, kind, on, user=owner, detail=detail, new_due_on=new_due, save=False,
                    at=timezone.make_aware(dt.datetime.combine(on, dt.time(10)))))
            if request.outcome in Outcome.with_data() and cells:
                chosen = rng.sample(cell_keys, min(cells, len(cell_keys)))
                chosen.sort(key=lambda k: (k[0].code, k[1], k[2]))
                for code, age, sex in chosen:
                    suppressed = rng.random() < 0.08
                    batch.append(OffenceCount(
                        campaign_id=request.campaign_id, force_id=request.force_id, request_id=pk, offence=code,
                        victim_age=age, victim_sex=sex, count=None if suppressed else rng.randint(0, 40),
                        suppressed=suppressed, suppressed_label="<5" if suppressed else ""))
                if len(batch) >= BATCH:
                    OffenceCount.objects.bulk_create(batch, batch_size=BATCH)
                    n_counts += len(batch)
                    batch = []
        OffenceCount.objects.bulk_create(batch, batch_size=BATCH)
        n_counts += len(batch)
        RequestEvent.objects.bulk_create(events, batch_size=BATCH)
        return {"requests": len(requests), "events": len(events), "counts": n_counts}

    @staticmethod
    def _plan(rng, calendar, rule, today, campaign, force, now):
        """One request and its events: [(kind, on, new_due_on, detail)]."""
        r = FoiRequest(campaign_id=campaign.pk, force_id=force.pk, status=RequestStatus.DRAFT, updated_at=now)
        events = []
        if campaign.sent_on is None:
            return r, events
        sent = campaign.sent_on
        r.sent_at = timezone.make_aware(dt.datetime.combine(sent, dt.time(9)))
        r.sent_via = "recorded"
        r.received_on = sent
        r.status = RequestStatus.SENT
        r.force_reference = f"FOI-{rng.randint(1000, 99999)}"
        events.append((EventKind.SENT, sent, None, "Sent (recorded by hand)"))
        clock = []
        if rng.random() < 0.5:
            events.append((EventKind.ACKNOWLEDGED, calendar.add_working_days(sent, 2), None, ""))
        roll = rng.random()
        if roll < 0.05:
            on = calendar.add_working_days(sent, 5)
            if on <= today:
                events.append((EventKind.CLARIFICATION_ASKED, on, None, "What counts as a cyber flag?"))
                clock.append(deadlines.ClockEvent(deadlines.CLARIFICATION_ASKED, on))
                r.status = RequestStatus.AWAITING_CLARIFICATION
        elif roll < 0.12:
            on = calendar.add_working_days(sent, 18)
            if on <= today:
                new_due = calendar.add_working_days(sent, 40)
                events.append((EventKind.EXTENSION_CLAIMED, on, new_due, "Public interest test"))
                clock.append(deadlines.ClockEvent(deadlines.EXTENSION_CLAIMED, on, new_due))
                r.status = RequestStatus.EXTENDED
        state = deadlines.request_clock(sent, clock, calendar=calendar, weekend_rule=rule)
        r.due_on, r.review_due_on = state.due_on, state.review_due_on
        r.clock_note = (state.stopped_reason or state.basis)[:200]

        # Most forces answer, within 10 to 45 working days; the rest stay open (overdue once due).
        if r.status != RequestStatus.AWAITING_CLARIFICATION and rng.random() < 0.85:
            answered = calendar.add_working_days(sent, rng.randint(10, 45))
            if answered <= today:
                outcome = rng.choices(
                    [Outcome.PROVIDED, Outcome.PARTIAL, Outcome.NIL_RETURN, Outcome.NOT_HELD, Outcome.REFUSED],
                    weights=[60, 10, 8, 7, 15])[0]
                r.outcome, r.answered_on, r.status = outcome, answered, RequestStatus.ANSWERED
                if outcome == Outcome.REFUSED:
                    r.sections_cited = rng.choice(["s.12", "s.40(2)", "s.12, s.31"])
                events.append((EventKind.ANSWERED, answered, None, f"Answered: {outcome}"))
        return r, events
