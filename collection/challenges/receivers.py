"""What the ladder hears from the rest of the app (connected in CollectionConfig.ready)."""
from .models import Stage, StepKind, StepOutcome
from .services import RecordChallengeStep


#: What a review's answer did, read from the outcome the force's new answer was recorded with.
REVIEW_OUTCOME_OF_ANSWER = {"provided": StepOutcome.OVERTURNED, "nil_return": StepOutcome.OVERTURNED,
                            "partial": StepOutcome.PARTLY, "refused": StepOutcome.UPHELD,
                            "not_held": StepOutcome.UPHELD}


def answer_ends_review(sender, request, **kwargs):
    """An answer recorded while an internal review is waiting is the review's answer: figures that
    come in by the inbox, an upload or typed entry overturn the refusal on the ladder too."""
    asked = request.challenge_steps.filter(stage=Stage.INTERNAL_REVIEW, kind=StepKind.ASKED).order_by("-date").first()
    if asked is None or request.answered_on is None or request.answered_on < asked.date:
        return
    if request.challenge_steps.filter(stage=Stage.INTERNAL_REVIEW, kind=StepKind.ANSWERED,
                                      date__gte=asked.date).exists():
        return  # recorded as the review's answer already (record_response --review, the admin)
    outcome = REVIEW_OUTCOME_OF_ANSWER.get(request.outcome)
    if outcome is None:
        return
    RecordChallengeStep(request, "review_answered", request.answered_on, outcome=outcome,
                        notes=f"From the answer recorded: {request.get_outcome_display()}").execute()

