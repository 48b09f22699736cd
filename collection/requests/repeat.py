"""Asking a campaign's question again for a later period: one service for the admin's "Ask again"
and `repeat_campaign`.

    repeat = RepeatCampaign(earlier, "cyber-2016-17", date(2016, 4, 1), date(2017, 3, 31), ask_previous=True)
    repeat.plan()      # the title, the question with its dates moved, and what to check; nothing written
    repeat.execute()   # the new campaign, linked to the earlier one, with one request per force

The new campaign is made as every campaign is (CreateCampaign: the same checks, one draft request
per force, recorded as sent when a date is given) with the earlier one's forces, offence codes,
owner and chasers setting. With `ask_previous` it also asks the forces for the earlier campaign's
period again (a CampaignPeriod, and a sentence in the question unless it names that period).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from .. import deadlines
from ..forces.models import Force
from ..periods import Period
from ..question_dates import MovedText, move_dates, with_earlier_period
from ..validation import ServiceError, check_date
from .models import Campaign, CampaignPeriod
from .services import CreateCampaign


@dataclass(frozen=True)
class RepeatPlan:
    """What the repeat will be, before anything is written."""

    title: str
    question: MovedText
    periods: tuple[Period, ...]  # earliest first; the last is the new campaign's own
    asked_again_sentence: bool = False  # a sentence was added asking for the earlier period

    @property
    def notes(self) -> list[str]:
        notes = list(self.question.notes)
        if self.asked_again_sentence:
            notes.append(f"A sentence was added asking for {self.periods[0].display} again.")
        return notes


def suggested_title(earlier: Campaign, new: Period) -> str:
    """The earlier title with its dates moved ("... 2015/16" -> "... 2016/17"), else the new period added."""
    moved = move_dates(earlier.title, earlier.period, new)
    if moved.moved:
        return moved.text
    return f"{earlier.title} ({new.display})"


def suggested_slug(earlier: Campaign, new: Period) -> str:
    moved = move_dates(earlier.slug, earlier.period, new)
    if moved.moved:
        return moved.text
    return f"{earlier.slug[:60 - len(new.label) - 1]}-{new.label.replace('..', '-')}"[:60]


@dataclass
class RepeatCampaign:
    earlier: Campaign
    slug: str
    period_start: dt.date
    period_end: dt.date
    sent_on: dt.date | None = None
    ask_previous: bool = False
    title: str = ""
    owner: object = None  # the earlier campaign's owner when not given
    user: object = None
    planned: RepeatPlan | None = field(default=None, init=False)

    def plan(self) -> RepeatPlan:
        """Check what was asked for and say what the repeat will be; writes nothing."""
        earlier = self.earlier
        check_date(self.period_start, "period start")
        check_date(self.period_end, "period end")
        if self.period_end < self.period_start:
            raise ServiceError(f"period end: {self.period_end} is before the period starts ({self.period_start})")
        if self.period_start <= earlier.period_end:
            raise ServiceError(
                f"period start: {self.period_start} is not after {earlier.slug}'s period "
                f"({deadlines.format_day(earlier.period_start)} to {deadlines.format_day(earlier.period_end)}): "
                "a repeat asks about a later period")
        if Campaign.objects.filter(slug=self.slug).exists():
            raise ServiceError(f"slug: a campaign with slug {self.slug!r} already exists")
        new = Period(self.period_start, self.period_end)
        asked = tuple(p.period for p in earlier.periods.all())
        question = move_dates(earlier.question, earlier.period, new, asked)
        periods: tuple[Period, ...] = (new,)
        added = False
        if self.ask_previous:
            periods = (earlier.period, new)
            if question.text.strip():
                text, added = with_earlier_period(question.text, earlier.period)
                question = MovedText(text, question.moved, question.kept)
        title = (self.title or "").strip() or suggested_title(earlier, new)
        self.planned = RepeatPlan(title, question, periods, added)
        return self.planned

    def execute(self) -> Campaign:
        plan = self.plan()
        earlier = self.earlier
        forces = list(earlier.forces.all()) or list(
            Force.objects.filter(requests__campaign=earlier).distinct())
        codes = list(earlier.offence_codes.values_list("code", flat=True))
        with transaction.atomic():
            campaign = CreateCampaign(
                slug=self.slug, title=plan.title, question=plan.question.text,
                period_start=self.period_start, period_end=self.period_end, owner=self.owner or earlier.owner,
                forces=forces, sent_on=self.sent_on, user=self.user, offence_codes=codes,
            ).execute()
            campaign.repeats, campaign.chasers_enabled = earlier, earlier.chasers_enabled
            campaign.save(update_fields=["repeats", "chasers_enabled"])
            for period in plan.periods[:-1]:
                CampaignPeriod.objects.create(campaign=campaign, first_day=period.start, last_day=period.end)
        return campaign
