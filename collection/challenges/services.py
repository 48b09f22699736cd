"""Recording the ladder's steps and asking what comes next: called alike by the `challenge`
command, the workspace and the admin. Each step is a ChallengeStep and an event on the request's
timeline, written together or not at all."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .. import deadlines
from ..requests.models import EventKind, FoiRequest, working_calendar
from ..requests.services import RecordEvent
from ..validation import ServiceError, check_date, check_length
from .models import OUTCOMES_OF, STEPS, ChallengeStep

#: The timeline event each step leaves (and so the status it moves the request to).
EVENT_OF_STEP = {
    "review_asked": EventKind.REVIEW_ASKED,
    "review_acknowledged": EventKind.REVIEW_ACKNOWLEDGED,
    "review_answered": EventKind.REVIEW_ANSWERED,
    "ico_complaint": EventKind.ICO_COMPLAINT,
    "ico_reference": EventKind.ICO_CASE_REFERENCE,
    "decision_notice": EventKind.DECISION_NOTICE,
    "appeal": EventKind.TRIBUNAL_APPEAL,
}


@dataclass
class RecordChallengeStep:
    """Record one step of the ladder: `step` is a key of STEPS (review_asked, review_answered...)."""

    request: FoiRequest
    step: str
    on: dt.date
    user: object = None
    outcome: str = ""
    reference: str = ""
    notes: str = ""
    letter: str = ""

    def check(self) -> None:
        """Refuse a step that cannot be recorded, naming the field, before anything is written."""
        if self.step not in STEPS:
            raise ServiceError(f"step: {self.step!r} is not one of {', '.join(STEPS)}")
        if self.on is None:
            raise ServiceError("date: the day the step happened is needed")
        check_date(self.on, "date")
        allowed = OUTCOMES_OF.get(self.step, ())
        if allowed and self.outcome not in allowed:
            raise ServiceError(f"outcome: {self.step} needs one of {', '.join(allowed)}"
                               + (f", not {self.outcome!r}" if self.outcome else ""))
        if not allowed and self.outcome:
            raise ServiceError(f"outcome: {self.step} takes no outcome (only "
                               f"{' and '.join(OUTCOMES_OF)} do)")
        check_length(ChallengeStep, "ico_reference", self.reference.strip(), "reference")
        if self.step == "ico_reference" and not self.reference.strip():
            raise ServiceError("reference: the ICO's case reference is needed")
        if self.request.sent_at is None and self.request.received_on is None:
            raise ServiceError(f"{self.request.force.name}: the request was never sent, there is nothing to challenge")
        sent_on = self.request.received_on or self.request.sent_at.date()
        if self.on < sent_on:
            raise ServiceError(f"date: {self.on.isoformat()} is before the request reached the force "
                               f"({sent_on.isoformat()})")

    def execute(self) -> ChallengeStep:
        self.check()
        stage, kind = STEPS[self.step]
        detail = ChallengeStep(stage=stage, kind=kind, outcome=self.outcome).label + (
            f" ({self.reference.strip()})" if self.reference.strip() else "")
        with transaction.atomic():
            event = RecordEvent(self.request, EVENT_OF_STEP[self.step], self.on, self.user,
                                detail=(detail + (f". {self.notes}" if self.notes else ""))[:2000]).execute()
            earlier = self.request.challenge_steps.exclude(sections="").order_by("-date", "-pk").first()
            sections = self.request.sections_cited if self.step == "review_asked" or earlier is None else earlier.sections
            return ChallengeStep.objects.create(
                request=self.request, stage=stage, kind=kind, outcome=self.outcome, date=self.on, sections=sections,
                ico_reference=self.reference.strip(), notes=self.notes, letter=self.letter, event=event,
                created_by=self.user if getattr(self.user, "pk", None) else None)


def next_step_for(request: FoiRequest, today: dt.date, calendar=None,
                  steps: list[deadlines.LadderStep] | None = None) -> deadlines.NextStep | None:
    """The request's next rung: the pure clock fed the request's answer and its recorded steps
    (`steps` when the caller read them for many requests at once)."""
    if steps is None:
        steps = request.challenge_steps.ladder()
    return deadlines.next_step(request.outcome, request.answered_on, steps, today, due_on=request.due_on,
                               calendar=calendar or working_calendar())


def ladders_of(requests) -> dict[int, list[ChallengeStep]]:
    """Every step of these requests, read in one query, by request id, oldest first."""
    found: dict[int, list[ChallengeStep]] = {r.pk: [] for r in requests}
    for step in ChallengeStep.objects.filter(request__in=list(found)).order_by("date", "pk"):
        found[step.request_id].append(step)
    return found


def request_for_ico_reference(reference: str) -> FoiRequest | None:
    """The request whose ladder holds this ICO case reference (the ICO's mail quotes it)."""
    step = (ChallengeStep.objects.filter(ico_reference__iexact=reference.strip()).select_related("request")
            .order_by("-date").first()) if reference.strip() else None
    return step.request if step else None


def letter_facts(request: FoiRequest, today: dt.date, calendar=None):
    """What the review letter says about the request, read from it and its campaign."""
    from ..sending.envelope import signature
    from .letters import LetterFacts

    campaign = request.campaign
    owner = campaign.owner.get_full_name() if campaign.owner else ""
    earlier = tuple(p.label for p in campaign.periods.filter(main=False).order_by("first_day"))
    return LetterFacts(
        force_name=request.force.name, our_reference=request.our_reference, campaign_title=campaign.title,
        question=campaign.question, period_label=campaign.period_label, today=today,
        force_reference=request.force_reference, sent_on=request.sent_at.date() if request.sent_at else None,
        answered_on=request.answered_on, due_on=request.due_on, outcome=request.outcome,
        sections=request.sections_cited, earlier_periods=earlier,
        offence_codes=tuple(campaign.offence_codes.order_by("code").values_list("code", flat=True)),
        signature=signature(owner), calendar=calendar or working_calendar())


def challenge_problem(request: FoiRequest, today: dt.date) -> str | None:
    """Why this request's answer cannot be challenged with a review letter now, or None."""
    if request.sent_at is None:
        return f"{request.force.name}: the request was never sent"
    if request.challenge_steps.filter(stage=deadlines.STAGE_REVIEW, kind=deadlines.STEP_ASKED).exists():
        return f"{request.force.name}: an internal review has already been asked for"
    if request.outcome in deadlines.CHALLENGEABLE_OUTCOMES:
        return None
    if not request.outcome and deadlines.is_late(request.due_on, today):
        return None
    what = request.get_outcome_display().lower() if request.outcome else "not late yet"
    return (f"{request.force.name}: only a refused, partial, not-held or overdue answer is challenged "
            f"(this one is {what})")


@dataclass
class DraftReviewLetter:
    """The internal-review letter for one request, drafted; writes nothing."""

    request: FoiRequest
    today: dt.date

    def execute(self):
        from .letters import review_letter

        if problem := challenge_problem(self.request, self.today):
            raise ServiceError(problem)
        return review_letter(letter_facts(self.request, self.today))


@dataclass
class ReviewEmail:
    """The internal-review letter as the force will get it."""

    request: FoiRequest
    address: str
    subject: str
    text: str

    def headers(self) -> list[tuple[str, str]]:
        from django.conf import settings

        from ..sending.envelope import sender

        return [("From", sender()), ("Reply-To", settings.FOI_MAILBOX_ADDRESS), ("To", self.address),
                ("Subject", self.subject)]


@dataclass
class SendReviewLetter:
    """E-mail a person's (edited) internal-review letter to the force, once, and record the step.

    The same envelope as the request (From, Reply-To the team's mailbox, our reference in the
    subject, threaded under the request), previewed first by `preview()`. The letter goes while
    the request's row is locked and the step is written in the same transaction: a second click or
    a second person finds the review already asked for; a mail server that refuses it leaves
    nothing recorded."""

    request: FoiRequest
    subject: str
    text: str
    user: object = None
    today: dt.date | None = None

    def preview(self) -> ReviewEmail:
        from ..sending.envelope import mailbox_problem
        from ..sending.rules import one_line
        from ..sending.services import address_problem

        today = self.today or timezone.localdate()
        if problem := challenge_problem(self.request, today):
            raise ServiceError(problem)
        if problem := mailbox_problem() or address_problem(self.request.force):
            raise ServiceError(f"not sent: {problem}")
        subject = one_line(self.subject)
        if not subject:
            raise ServiceError("subject: the letter needs a subject")
        if self.request.our_reference not in subject:
            raise ServiceError(f"subject: keep our reference {self.request.our_reference} in it, so that the "
                               "force's answer is matched to the request")
        if not self.text.strip():
            raise ServiceError("letter: the letter is empty")
        return ReviewEmail(self.request, self.request.force.foi_email.strip(), subject[:255], self.text.strip() + "\n")

    def execute(self) -> ChallengeStep:
        from ..sending.envelope import new_message_id, outgoing

        email = self.preview()
        today = self.today or timezone.localdate()
        message_id = new_message_id()
        with transaction.atomic():
            FoiRequest.objects.select_for_update().get(pk=self.request.pk)
            if problem := challenge_problem(self.request, today):  # asked meanwhile, by another click
                raise ServiceError(problem)
            step = RecordChallengeStep(self.request, "review_asked", today, self.user, letter=email.text,
                                       notes=f"E-mailed to {email.address}, Message-ID {message_id}").execute()
            try:
                outgoing(email.subject, email.text, "", [email.address], message_id=message_id, to_force=True,
                         in_reply_to=self.request.sent_message_id).send()
            except Exception as error:  # noqa: BLE001 - any mail server failure: nothing recorded, say why
                raise ServiceError(f"not sent, nothing recorded: {type(error).__name__}: {error}") from None
        return step


def challenge_outcomes(campaign) -> dict:
    """The report's Challenges table, the forces whose figures came after a review overturned (or
    partly overturned) their answer, those whose figures came after an ICO decision notice upheld our
    complaint (wholly or partly), and the sentences saying so: the report page, the release's
    methodology and the exports' notes all read this."""
    from .tally import StepRow, after_challenge_lines, by_section_and_stage

    steps = list(ChallengeStep.objects.filter(request__campaign=campaign).order_by("date", "pk")
                 .values_list("request_id", "sections", "stage", "kind", "outcome"))
    overturned = {request_id for request_id, _, stage, kind, outcome in steps
                  if stage == deadlines.STAGE_REVIEW and kind == deadlines.STEP_ANSWERED
                  and outcome in (deadlines.OVERTURNED, deadlines.PARTLY)}
    decided = {request_id for request_id, _, stage, kind, outcome in steps
               if stage == deadlines.STAGE_DECISION and kind == deadlines.STEP_DECISION
               and outcome in (deadlines.UPHELD, deadlines.PARTLY)}
    with_data = dict(FoiRequest.objects.filter(pk__in=overturned | decided,
                                               outcome__in=["provided", "partial", "nil_return"])
                     .order_by("force__name").values_list("pk", "force__name"))
    joined = [name for pk, name in with_data.items() if pk in overturned]
    after_ico = [name for pk, name in with_data.items() if pk in decided and pk not in overturned]
    rows = by_section_and_stage([StepRow(*s) for s in steps])
    return {"rows": rows, "joined_after_review": joined, "joined_after_ico": after_ico,
            "lines": after_challenge_lines(joined, after_ico) if rows else []}
