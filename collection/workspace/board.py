"""A campaign's board: one row per force, its state, reference, last message and next action.

The facts of every request are gathered in a fixed number of queries (the requests, their
events, their latest files, their counts and the chasers sent), whatever the number of forces or
campaigns; lateness comes from the model's predicate (`FoiRequest.is_overdue`,
`is_very_overdue`, `working_days_overdue`), and the state of each row from the pure
`states.row_state`.

The inbox's part: `mail_facts` (the last message received and a waiting suggestion per request).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.utils import timezone

from .. import deadlines
from ..reminders.models import ReminderLog, ReminderStatus
from ..requests.models import Campaign, EventKind, FoiRequest, RequestEvent, RequestStatus, working_calendar
from ..returns.models import OffenceCount, ReturnedFile, ReturnStatus
from . import states
from ..challenges.chronology import pack_problem
from ..challenges.services import ladders_of, next_step_for
from .sending import address_problem

#: Events that are news on the board's "last message" column (edits and notes are not).
MESSAGE_EVENTS = {
    EventKind.SENT: "Sent", EventKind.ACKNOWLEDGED: "Acknowledged", EventKind.CLARIFICATION_ASKED: "Clarification asked",
    EventKind.CLARIFICATION_GIVEN: "Clarification sent", EventKind.FEES_NOTICE: "Fees notice",
    EventKind.FEES_PAID: "Fees paid", EventKind.EXTENSION_CLAIMED: "Extension claimed",
    EventKind.ANSWERED: "Answered", EventKind.REVIEW_ASKED: "Internal review asked",
    EventKind.REVIEW_ANSWERED: "Internal review answered", EventKind.ICO_COMPLAINT: "ICO complaint",
    EventKind.REVIEW_ACKNOWLEDGED: "Internal review acknowledged", EventKind.ICO_CASE_REFERENCE: "ICO case reference",
    EventKind.DECISION_NOTICE: "ICO decision notice", EventKind.TRIBUNAL_APPEAL: "Tribunal appeal",
    EventKind.FILE_RECEIVED: "File received", EventKind.FIGURES_IMPORTED: "Figures imported",
}


@dataclass(frozen=True)
class LastMessage:
    on: dt.date
    what: str
    detail: str = ""
    at: dt.datetime | None = None

    @property
    def day(self) -> str:
        return deadlines.format_day(self.on)


@dataclass
class Row:
    index: int
    request: FoiRequest
    facts: states.RowFacts
    state: states.RowState
    last_message: LastMessage | None = None
    file: ReturnedFile | None = None
    cells: int = 0
    total: int | None = None
    suggestion: object = None  # the inbox's waiting MailSuggestion that matters most (mail_facts)
    ladder: list = field(default_factory=list)  # the challenge ladder's steps (ChallengeStep), oldest first
    next_step: object = None  # deadlines.NextStep on the ladder, or None
    ico_pack: bool = False  # the review upheld the answer or went unanswered: the complaint pack is due

    @property
    def force(self):
        return self.request.force

    @property
    def anchor(self) -> str:
        return f"row-{self.request.pk}"

    @property
    def summary(self) -> dict:
        return (self.file.summary or {}) if self.file is not None else {}


@dataclass
class StateCount:
    key: str
    label: str
    tone: str
    count: int
    selected: bool = False


@dataclass
class Board:
    campaign: Campaign
    rows: list[Row]
    today: dt.date
    selected: str = ""
    counts: list[StateCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def visible(self) -> list[Row]:
        if not self.selected:
            return self.rows
        if self.selected == "needs_me":
            return [r for r in self.rows if r.state.needs_me]
        return [r for r in self.rows if r.state.key == self.selected]

    @property
    def needing_me(self) -> list[Row]:
        return [r for r in self.rows if r.state.needs_me]

    @property
    def first_needing_me(self) -> Row | None:
        i = states.next_needing_me([r.state for r in self.rows])
        return None if i is None else self.rows[i]

    @property
    def unsent(self) -> list[Row]:
        return [r for r in self.rows if r.state.key == states.NOT_SENT]

    @property
    def overdue(self) -> list[Row]:
        return [r for r in self.rows if r.state.key in (states.OVERDUE, states.VERY_OVERDUE)]

    @property
    def chaseable(self) -> list[Row]:
        """Overdue forces with an address to chase."""
        return [r for r in self.overdue if r.facts.can_email]

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.request.outcome)

    @property
    def percent_answered(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0

    @property
    def cost_refusals(self) -> list[Row]:
        """Forces refused under s.12 with no review asked yet: "challenge every s.12 refusal"."""
        return [r for r in self.rows if r.facts.challengeable and r.request.outcome == "refused"
                and "s.12" in r.request.sections_cited.replace(" ", "").lower()]

    def row(self, request_pk: int) -> Row | None:
        return next((r for r in self.rows if r.request.pk == request_pk), None)


def file_state(returned: ReturnedFile | None) -> str:
    if returned is None:
        return states.FILE_NONE
    if returned.status == ReturnStatus.PENDING:
        summary = returned.summary or {}
        return states.FILE_REVIEW if summary.get("fingerprint") and summary.get("phase") == "previewed" \
            else states.FILE_READING
    return {
        ReturnStatus.QUEUED: states.FILE_READING, ReturnStatus.REFUSED: states.FILE_REFUSED,
        ReturnStatus.IMPORTED: states.FILE_IMPORTED, ReturnStatus.STORED: states.FILE_STORED,
    }.get(returned.status, states.FILE_NONE)


#: How much a message of each kind matters on the board, and a waiting suggestion of each action:
#: an answer beats an acknowledgement whatever their order; within one weight, the newest wins.
#: Auto-replies, delays and mailings never hide what a force said.
MAIL_WEIGHT = {"answer": 4, "partial": 4, "refusal": 4, "not_held": 4, "nil_return": 4, "bounce": 3,
               "extension": 3, "clarification": 3, "unclear": 2, "acknowledgement": 1}
SUGGESTION_WEIGHT = {"outcome": 4, "undelivered": 3, "extension": 3, "clarification": 3, "acknowledged": 1}


def mail_facts(campaign: Campaign) -> tuple[dict[int, LastMessage], dict[int, object]]:
    """The inbox's part of the board: per request, the newest message that matters most, and the
    waiting suggestion that matters most (two queries for the whole board)."""
    from ..mail.models import MailKind, MailMessage, MailSuggestion, SuggestionStatus

    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    best: dict[int, tuple] = {}
    kinds = dict(MailKind.choices)
    for request_id, kind, subject, sent_at, stored_at in (
            MailMessage.objects.filter(request__campaign=campaign)
            .values_list("request_id", "kind", "subject", "sent_at", "stored_at")):
        # The day it was written; on the same day, the order we learnt things in (when it was stored).
        rank = (MAIL_WEIGHT.get(kind, 0), sent_at or stored_at or epoch, stored_at or epoch)
        if request_id not in best or rank > best[request_id][0]:
            best[request_id] = (rank, LastMessage(timezone.localdate(sent_at or stored_at),
                                                  f"E-mail: {kinds.get(kind, kind).lower()}", subject[:200], stored_at))
    waiting: dict[int, object] = {}
    for suggestion in (MailSuggestion.objects.filter(request__campaign=campaign, status=SuggestionStatus.WAITING)
                       .order_by("on", "pk")):
        current = waiting.get(suggestion.request_id)
        if current is None or SUGGESTION_WEIGHT.get(suggestion.action, 0) >= SUGGESTION_WEIGHT.get(current.action, 0):
            waiting[suggestion.request_id] = suggestion
    return {request_id: message for request_id, (_, message) in best.items()}, waiting


def _events(campaign: Campaign):
    """Per request: acknowledged?, the last extension's date, the last event worth showing."""
    acknowledged, extended_to, last = set(), {}, {}
    rows = (RequestEvent.objects.filter(request__campaign=campaign, kind__in=list(MESSAGE_EVENTS))
            .order_by("happened_on", "created_at", "pk")
            .values_list("request_id", "kind", "happened_on", "new_due_on", "detail", "created_at"))
    for request_id, kind, on, new_due_on, detail, created_at in rows:
        if kind == EventKind.ACKNOWLEDGED:
            acknowledged.add(request_id)
        elif kind == EventKind.EXTENSION_CLAIMED and new_due_on:
            extended_to[request_id] = new_due_on
        last[request_id] = LastMessage(on, MESSAGE_EVENTS[kind], detail[:200], created_at)
    return acknowledged, extended_to, last


def _latest_files(campaign: Campaign) -> dict[int, ReturnedFile]:
    latest: dict[int, ReturnedFile] = {}
    files = (ReturnedFile.objects.filter(request__campaign=campaign).exclude(status=ReturnStatus.SUPERSEDED)
             .only("pk", "request_id", "original_name", "status", "summary", "error", "uploaded_at", "outcome",
                   "received_on").order_by("request_id", "-uploaded_at", "-pk"))
    for f in files:
        latest.setdefault(f.request_id, f)
    return latest


def _counts(campaign: Campaign) -> dict[int, tuple[int, int | None]]:
    return {r["request_id"]: (r["cells"], r["total"]) for r in
            OffenceCount.objects.filter(campaign=campaign).values("request_id")
            .annotate(cells=Count("pk"), total=Sum("count")).order_by()}


def _chasers(campaign: Campaign) -> dict[int, LastMessage]:
    from ..reminders.services import kind_label

    last = {}
    for request_id, kind, sent_at in (ReminderLog.objects.filter(campaign=campaign, request__isnull=False,
                                                                  status=ReminderStatus.SENT)
                                      .order_by("sent_at").values_list("request_id", "kind", "sent_at")):
        if sent_at:
            last[request_id] = LastMessage(timezone.localdate(sent_at), kind_label(kind), "", sent_at)
    return last


def _latest(*candidates: LastMessage | None) -> LastMessage | None:
    present = [c for c in candidates if c is not None]
    if not present:
        return None
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return max(present, key=lambda m: (m.on, m.at or epoch))


def facts_for(request: FoiRequest, today: dt.date, calendar, *, acknowledged=False, extended_to=None,
              file: ReturnedFile | None = None, figures=False, suggestion: str = "",
              review_asked: bool = True) -> states.RowFacts:
    """A request's facts in plain values; lateness from the model's one predicate."""
    overdue = request.is_overdue(today)
    left = None
    if request.is_open and request.due_on is not None and not overdue:
        left = calendar.working_days_between(today, request.due_on)
    return states.RowFacts(
        sent=request.sent_at is not None, status=request.status, outcome=request.outcome,
        outcome_label=request.get_outcome_display() if request.outcome else "", is_open=request.is_open,
        overdue=overdue, very_overdue=overdue and request.is_very_overdue(today, calendar),
        working_days_overdue=request.working_days_overdue(today, calendar) if overdue else 0,
        working_days_left=left, due_on=request.due_on,
        extended_to=extended_to or (request.due_on if request.status == RequestStatus.EXTENDED else None),
        acknowledged=acknowledged, bounced=request.status == RequestStatus.UNDELIVERED, file=file_state(file),
        figures=figures, suggestion=suggestion, can_email=address_problem(request.force) is None,
        challengeable=not review_asked and (request.outcome in deadlines.CHALLENGEABLE_OUTCOMES
                                            or (not request.outcome and overdue)))


def build_board(campaign: Campaign, *, today: dt.date | None = None, selected: str = "") -> Board:
    today = today or timezone.localdate()
    calendar = working_calendar()
    requests = list(FoiRequest.objects.filter(campaign=campaign).select_related("force").order_by("force__name"))
    for r in requests:
        r.campaign = campaign  # our reference and links without a query per row
    acknowledged, extended_to, last_event = _events(campaign)
    files = _latest_files(campaign)
    counts = _counts(campaign)
    chasers = _chasers(campaign)
    last_mail, suggestions = mail_facts(campaign)
    ladders = ladders_of(requests)
    rows = []
    for i, r in enumerate(requests):
        cells, total = counts.get(r.pk, (0, None))
        suggestion = suggestions.get(r.pk)
        ladder = ladders[r.pk]
        steps = [s.as_ladder_step() for s in ladder]
        facts = facts_for(r, today, calendar, acknowledged=r.pk in acknowledged, extended_to=extended_to.get(r.pk),
                          file=files.get(r.pk), figures=cells > 0,
                          suggestion=suggestion.summary if suggestion is not None else "",
                          review_asked=any(s.stage == deadlines.STAGE_REVIEW and s.kind == deadlines.STEP_ASKED
                                           for s in ladder))
        rows.append(Row(i, r, facts, states.row_state(facts),
                        _latest(last_event.get(r.pk), chasers.get(r.pk), last_mail.get(r.pk)),
                        files.get(r.pk), cells, total, suggestion, ladder,
                        next_step_for(r, today, calendar, steps)
                        if ladder or r.outcome in deadlines.CHALLENGEABLE_OUTCOMES else None,
                        ico_pack=bool(steps) and pack_problem(steps, today, calendar) is None))
    board = Board(campaign, rows, today, selected if selected in states.STATES or selected == "needs_me" else "")
    tally = states.count_states(r.state for r in rows)
    board.counts = [StateCount(key, label, states.TONES[key], tally[key], key == board.selected)
                    for key, label in states.STATES.items() if tally[key]]
    return board
