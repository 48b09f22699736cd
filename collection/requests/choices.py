"""The states a request, an answer and a timeline event can be in: their own module so that the
request's queryset and the models can both use them."""
from django.db import models


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    AWAITING_CLARIFICATION = "awaiting_clarification", "Awaiting clarification"
    EXTENDED = "extended", "Extended"
    UNDELIVERED = "undelivered", "Undelivered (bounced)"
    ANSWERED = "answered", "Answered"
    INTERNAL_REVIEW = "internal_review", "Internal review"
    ICO_COMPLAINT = "ico_complaint", "ICO complaint"
    CLOSED = "closed", "Closed"

    @classmethod
    def awaiting_force(cls):
        return [cls.SENT, cls.AWAITING_CLARIFICATION, cls.EXTENDED]


class Outcome(models.TextChoices):
    PROVIDED = "provided", "Data provided"
    PARTIAL = "partial", "Data provided in part"
    NIL_RETURN = "nil_return", "Nil return"
    NOT_HELD = "not_held", "Information not held"
    REFUSED = "refused", "Refused"
    NO_RESPONSE = "no_response", "No response"

    @classmethod
    def with_data(cls):
        return [cls.PROVIDED, cls.PARTIAL]



class EventKind(models.TextChoices):
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLARIFICATION_ASKED = "clarification_asked", "Clarification asked"
    CLARIFICATION_GIVEN = "clarification_given", "Clarification given"
    FEES_NOTICE = "fees_notice", "Fees notice"
    FEES_PAID = "fees_paid", "Fees paid"
    EXTENSION_CLAIMED = "extension_claimed", "Extension claimed"
    ANSWERED = "answered", "Answered"
    REVIEW_ASKED = "review_asked", "Internal review asked"
    REVIEW_ANSWERED = "review_answered", "Internal review answered"
    ICO_COMPLAINT = "ico_complaint", "ICO complaint"
    # The rest of the challenge ladder (collection/challenges/): each step is also on the timeline.
    REVIEW_ACKNOWLEDGED = "review_acknowledged", "Internal review acknowledged"
    ICO_CASE_REFERENCE = "ico_case_reference", "ICO case reference"
    DECISION_NOTICE = "decision_notice", "ICO decision notice"
    TRIBUNAL_APPEAL = "tribunal_appeal", "Tribunal appeal"
    FILE_RECEIVED = "file_received", "File received"
    FIGURES_IMPORTED = "figures_imported", "Figures imported"
    EDITED = "edited", "Edited"
    NOTE = "note", "Note"
