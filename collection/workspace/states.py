"""The state of one force's request on a campaign's board, as a pure function over plain facts.

No Django here: the board (`board.py`) gathers the facts of each request once (lateness from the
one predicate, `FoiRequest.is_overdue`/`is_very_overdue`, never worked out again here) and this
module says what the row is, the words on its chip, whether it needs a person, and which actions
the row offers, in the order a person would take them.

Every request is in exactly one state, so the counts at the top of the board add up to the
number of forces asked.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# The states, in the order the board counts them (most in need of a person first).
NOT_SENT = "not_sent"
BOUNCED = "bounced"
SUGGESTION = "suggestion"
REVIEW = "review"
READING = "reading"
REFUSED_FILE = "refused_file"
NEEDS_FIGURES = "needs_figures"
CLARIFICATION = "clarification"
VERY_OVERDUE = "very_overdue"
OVERDUE = "overdue"
DUE_SOON = "due_soon"
EXTENDED = "extended"
ACKNOWLEDGED = "acknowledged"
SENT = "sent"
IMPORTED = "imported"
ANSWERED = "answered"

STATES: dict[str, str] = {
    NOT_SENT: "Not sent",
    BOUNCED: "Bounced",
    SUGGESTION: "Mail to accept",
    REVIEW: "Waiting for review",
    READING: "Being read",
    REFUSED_FILE: "Refused file",
    NEEDS_FIGURES: "Figures to enter",
    CLARIFICATION: "Clarification asked",
    VERY_OVERDUE: "Very overdue",
    OVERDUE: "Overdue",
    DUE_SOON: "Due soon",
    EXTENDED: "Extended",
    ACKNOWLEDGED: "Acknowledged",
    SENT: "Sent",
    IMPORTED: "Figures imported",
    ANSWERED: "Answered",
}

#: Chip colours (CSS classes foi-chip--<tone>): what a glance at the board should tell apart.
TONES = {
    NOT_SENT: "todo", BOUNCED: "bad", SUGGESTION: "todo", REVIEW: "todo", READING: "wait",
    REFUSED_FILE: "bad", NEEDS_FIGURES: "todo", CLARIFICATION: "todo", VERY_OVERDUE: "bad", OVERDUE: "late",
    DUE_SOON: "soon", EXTENDED: "wait", ACKNOWLEDGED: "wait", SENT: "wait", IMPORTED: "done", ANSWERED: "done",
}

#: How many working days ahead a due date counts as "due soon" (the digest's horizon too).
DUE_SOON_WORKING_DAYS = 3

# File states, as the board reads the request's latest returned file.
FILE_NONE = ""
FILE_READING = "reading"      # stored, being read or imported
FILE_REVIEW = "review"        # read: its preview waits for a person to confirm
FILE_REFUSED = "refused"      # the importer refused it
FILE_IMPORTED = "imported"    # its counts are the request's
FILE_STORED = "stored"        # a letter or PDF kept for entry by hand

# Actions a row can offer (the board has one handler and one template block for each).
SEND = "send"                  # e-mail the request (or record it as sent)
FIX_ADDRESS = "fix_address"    # the address bounced: correct it, then send again
ACCEPT = "accept"              # accept what the force's mail says (the inbox's suggestion)
CONFIRM = "confirm"            # confirm the import the preview shows
FIX_FILE = "fix_file"          # say where the table is, or enter the figures by hand
ENTER = "enter"                # type the figures
UPLOAD = "upload"              # upload (or drop) the force's file
ANSWER = "answer"              # record the answer (outcome)
CHASE = "chase"                # chase the force now
CLARIFY = "clarify"            # record that we answered the force's question
ACKNOWLEDGE = "acknowledge"    # record the force's acknowledgement and reference
CHALLENGE = "challenge"        # draft the internal-review letter (collection/challenges/)

WITH_DATA = ("provided", "partial")


@dataclass(frozen=True)
class RowFacts:
    """What is known about one request, in plain values."""

    sent: bool
    status: str = "draft"
    outcome: str = ""
    outcome_label: str = ""
    is_open: bool = False                     # FoiRequest.is_open
    overdue: bool = False                     # FoiRequest.is_overdue(today)
    very_overdue: bool = False                # FoiRequest.is_very_overdue(today)
    working_days_overdue: int = 0             # FoiRequest.working_days_overdue(today)
    working_days_left: int | None = None      # working days from today to the due date (0: due today)
    due_on: dt.date | None = None
    extended_to: dt.date | None = None        # the date the force gave with its last extension
    acknowledged: bool = False
    bounced: bool = False                     # status undelivered
    file: str = FILE_NONE
    figures: bool = False                     # the request holds counts
    suggestion: str = ""                      # a waiting suggestion from the force's mail, in words
    can_email: bool = True                    # the force has an address to e-mail
    challengeable: bool = False               # refused, partial, not held or overdue, no review asked yet


@dataclass(frozen=True)
class RowState:
    key: str
    chip: str
    tone: str
    needs_me: bool
    actions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return STATES[self.key]


def format_day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def working_days(n: int) -> str:
    return f"{n} working day{'' if n == 1 else 's'}"


def due_words(facts: RowFacts) -> str:
    if facts.working_days_left is None:
        return ""
    if facts.working_days_left <= 0:
        return "due today"
    return f"due in {working_days(facts.working_days_left)}"


def _answered(facts: RowFacts) -> RowState:
    head = f"Answered: {facts.outcome_label or facts.outcome}"
    challenge = (CHALLENGE,) if facts.challengeable else ()
    if facts.outcome not in WITH_DATA:
        return RowState(ANSWERED, head, TONES[ANSWERED], False, challenge)
    if facts.figures:
        return RowState(IMPORTED, f"{head} · figures imported", TONES[IMPORTED], False, (UPLOAD,) + challenge)
    if facts.file == FILE_STORED:
        return RowState(NEEDS_FIGURES, f"{head} · letter kept: type the figures", TONES[NEEDS_FIGURES], True,
                        (ENTER, UPLOAD))
    return RowState(NEEDS_FIGURES, f"{head} · no figures yet", TONES[NEEDS_FIGURES], True, (UPLOAD, ENTER))


def row_state(facts: RowFacts) -> RowState:
    """The one state of a request on the board, its chip, whether it needs a person, and its actions."""
    if not facts.sent:
        return RowState(NOT_SENT, "Not sent", TONES[NOT_SENT], True, (SEND,))
    if facts.bounced and not facts.outcome:
        # The force may still answer (another address, by post): its answer can be recorded.
        return RowState(BOUNCED, "Bounced: the address failed", TONES[BOUNCED], True, (FIX_ADDRESS, SEND, UPLOAD, ANSWER))
    chase = (CHASE,) if facts.can_email else ()  # a force without an address cannot be chased by e-mail
    if facts.suggestion:
        actions = (ACCEPT,) + (chase if facts.overdue else ()) + (UPLOAD, ANSWER)
        return RowState(SUGGESTION, f"Mail: {facts.suggestion}", TONES[SUGGESTION], True, actions)
    if facts.file == FILE_REVIEW:
        return RowState(REVIEW, "File waiting for review", TONES[REVIEW], True, (CONFIRM, FIX_FILE))
    if facts.file == FILE_READING:
        return RowState(READING, "File being read", TONES[READING], False, ())
    if facts.file == FILE_REFUSED and not facts.figures:
        answered = f"Answered: {facts.outcome_label} · " if facts.outcome else ""
        return RowState(REFUSED_FILE, f"{answered}refused file", TONES[REFUSED_FILE], True, (FIX_FILE, ENTER, UPLOAD))
    if facts.outcome:
        return _answered(facts)
    if facts.figures:
        # Figures imported with the outcome left as it was: the answer is still to be recorded.
        return RowState(IMPORTED, "Figures imported · answer not recorded", TONES[IMPORTED], True, (ANSWER,))
    if facts.file == FILE_STORED:
        return RowState(NEEDS_FIGURES, "Letter kept: type the figures", TONES[NEEDS_FIGURES], True, (ENTER, ANSWER))
    if facts.status == "awaiting_clarification":
        return RowState(CLARIFICATION, "Clarification asked: clock stopped", TONES[CLARIFICATION], True,
                        (CLARIFY, UPLOAD, ANSWER))
    if not facts.is_open:
        # Closed, in review or with the ICO without an outcome: nothing the board can move on.
        return RowState(SENT, facts.status.replace("_", " ").capitalize(), TONES[SENT], False, (ANSWER,))
    challenge = (CHALLENGE,) if facts.challengeable else ()
    if facts.very_overdue:
        return RowState(VERY_OVERDUE, f"Very overdue: {working_days(facts.working_days_overdue)}",
                        TONES[VERY_OVERDUE], True, chase + (UPLOAD, ANSWER) + challenge)
    if facts.overdue:
        late = f"Overdue {working_days(facts.working_days_overdue)}" if facts.working_days_overdue else "Overdue"
        return RowState(OVERDUE, late, TONES[OVERDUE], True, chase + (UPLOAD, ANSWER) + challenge)
    due = due_words(facts)
    if facts.working_days_left is not None and facts.working_days_left <= DUE_SOON_WORKING_DAYS:
        return RowState(DUE_SOON, due.capitalize(), TONES[DUE_SOON], False, (UPLOAD, ANSWER))
    if facts.extended_to is not None and facts.status == "extended":
        return RowState(EXTENDED, f"Extended to {format_day(facts.extended_to)}", TONES[EXTENDED], False,
                        (UPLOAD, ANSWER))
    tail = f" · {due}" if due else ""
    if facts.acknowledged:
        return RowState(ACKNOWLEDGED, f"Acknowledged{tail}", TONES[ACKNOWLEDGED], False, (UPLOAD, ANSWER))
    return RowState(SENT, f"Sent{tail}", TONES[SENT], False, (UPLOAD, ANSWER, ACKNOWLEDGE))


def count_states(states) -> dict[str, int]:
    """How many rows are in each state, every state listed (zeros too), in the board's order."""
    counts = dict.fromkeys(STATES, 0)
    for state in states:
        counts[state.key] += 1
    return counts


def next_needing_me(states: list[RowState], after: int = -1) -> int | None:
    """The index of the next row that needs a person after `after`, wrapping round; None if none."""
    n = len(states)
    for step in range(1, n + 1):
        i = (after + step) % n
        if states[i].needs_me:
            return i
    return None
