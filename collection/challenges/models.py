"""The challenge ladder's steps: one row per thing that happened on a request's way from its
answer to the internal review, the ICO, a decision notice and the tribunal."""
from django.conf import settings
from django.db import models
from django.utils import timezone

from .. import deadlines
from ..requests.models import FoiRequest, RequestEvent


class Stage(models.TextChoices):
    INTERNAL_REVIEW = deadlines.STAGE_REVIEW, "Internal review"
    ICO = deadlines.STAGE_ICO, "ICO complaint"
    DECISION_NOTICE = deadlines.STAGE_DECISION, "Decision notice"
    TRIBUNAL = deadlines.STAGE_TRIBUNAL, "Tribunal"


class StepKind(models.TextChoices):
    ASKED = deadlines.STEP_ASKED, "Asked"
    ACKNOWLEDGED = deadlines.STEP_ACKNOWLEDGED, "Acknowledged"
    ANSWERED = deadlines.STEP_ANSWERED, "Answered"
    COMPLAINT_MADE = deadlines.STEP_COMPLAINT, "Complaint made"
    CASE_REFERENCE = deadlines.STEP_CASE_REFERENCE, "Case reference"
    DECISION = deadlines.STEP_DECISION, "Decision"
    APPEAL = deadlines.STEP_APPEAL, "Appeal"


class StepOutcome(models.TextChoices):
    # A review upholds or overturns the force's answer; a decision notice upholds our complaint or not.
    UPHELD = deadlines.UPHELD, "Upheld"
    OVERTURNED = deadlines.OVERTURNED, "Overturned"
    PARTLY = deadlines.PARTLY, "Partly"
    NOT_UPHELD = deadlines.NOT_UPHELD, "Not upheld"


class ChallengeStepQuerySet(models.QuerySet):
    def ladder(self):
        """Steps as the pure clock takes them, oldest first."""
        return [s.as_ladder_step() for s in self.order_by("date", "pk")]


class ChallengeStep(models.Model):
    request = models.ForeignKey(FoiRequest, on_delete=models.CASCADE, related_name="challenge_steps")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    outcome = models.CharField(max_length=20, choices=StepOutcome.choices, blank=True,
                               help_text="A review's answer (upheld, overturned, partly) or a decision notice's.")
    date = models.DateField(help_text="The day it happened (the clocks count from it).")
    ico_reference = models.CharField("ICO reference", max_length=40, blank=True, db_index=True,
                                     help_text="The ICO's case or decision notice reference (IC-12345-A1B2, FS50612345).")
    sections = models.CharField(max_length=200, blank=True, editable=False,
                                help_text="The sections the answer challenged cited (kept: a review that overturns "
                                          "it clears the request's).")
    notes = models.TextField(blank=True)
    letter = models.TextField(blank=True, help_text="The letter sent, for a step we took.")
    event = models.OneToOneField(RequestEvent, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="challenge_step", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ChallengeStepQuerySet.as_manager()

    class Meta:
        ordering = ["request", "date", "pk"]
        indexes = [models.Index(fields=["stage", "outcome"])]

    def __str__(self):
        return f"{self.get_stage_display()}: {self.get_kind_display().lower()} {deadlines.format_day(self.date)}"

    def as_ladder_step(self) -> deadlines.LadderStep:
        return deadlines.LadderStep(self.stage, self.kind, self.date, self.outcome, self.ico_reference)

    @property
    def label(self) -> str:
        """How the board's chip names the step: 'Review answered: overturned'."""
        words = OUTCOME_WORDS.get((self.stage, self.outcome), self.get_outcome_display().lower())
        return (STEP_LABELS.get((self.stage, self.kind)) or str(self)) + (f": {words}" if self.outcome else "")


#: The steps a person records, by the name the command and the forms use.
STEPS = {
    "review_asked": (Stage.INTERNAL_REVIEW, StepKind.ASKED),
    "review_acknowledged": (Stage.INTERNAL_REVIEW, StepKind.ACKNOWLEDGED),
    "review_answered": (Stage.INTERNAL_REVIEW, StepKind.ANSWERED),
    "ico_complaint": (Stage.ICO, StepKind.COMPLAINT_MADE),
    "ico_reference": (Stage.ICO, StepKind.CASE_REFERENCE),
    "decision_notice": (Stage.DECISION_NOTICE, StepKind.DECISION),
    "appeal": (Stage.TRIBUNAL, StepKind.APPEAL),
}
STEP_LABELS = {
    STEPS["review_asked"]: "Review asked",
    STEPS["review_acknowledged"]: "Review acknowledged",
    STEPS["review_answered"]: "Review answered",
    STEPS["ico_complaint"]: "ICO complaint",
    STEPS["ico_reference"]: "ICO reference",
    STEPS["decision_notice"]: "Decision notice",
    STEPS["appeal"]: "Tribunal appeal",
}
#: Which outcomes a step takes (the others take none).
OUTCOMES_OF = {
    "review_answered": (StepOutcome.UPHELD, StepOutcome.OVERTURNED, StepOutcome.PARTLY),
    "decision_notice": (StepOutcome.UPHELD, StepOutcome.PARTLY, StepOutcome.NOT_UPHELD),
}

#: An outcome in words on its stage: a review upholds the force's answer, a decision notice our complaint.
OUTCOME_WORDS = {
    (Stage.INTERNAL_REVIEW, StepOutcome.UPHELD): "refusal upheld",
    (Stage.INTERNAL_REVIEW, StepOutcome.PARTLY): "partly overturned",
    (Stage.DECISION_NOTICE, StepOutcome.UPHELD): "complaint upheld",
    (Stage.DECISION_NOTICE, StepOutcome.PARTLY): "complaint partly upheld",
    (Stage.DECISION_NOTICE, StepOutcome.NOT_UPHELD): "complaint not upheld",
}
