"""The ICO complaint pack's words: when a request is ready for a complaint, the chronology
(every dated step and the clocks' dates) and the grounds; `archives.py` zips them with their
checksums. Pure: plain values in, text and bytes out. The clock dates are the clock functions' own
(collection/deadlines.py), so the pack says what the board says."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .. import deadlines
from ..deadlines import format_day

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MARKUP = re.compile(r"([\\<>&])")


@dataclass(frozen=True)
class Entry:
    """One dated line of the chronology: what happened, and the file in the pack that shows it."""

    on: dt.date
    what: str
    file: str = ""


@dataclass(frozen=True)
class ClockDate:
    label: str
    on: dt.date
    why: str = ""


@dataclass(frozen=True)
class PackFacts:
    force_name: str
    our_reference: str
    campaign_title: str
    today: dt.date
    force_reference: str = ""
    received_on: dt.date | None = None  # day 0 of the FOI clock
    due_on: dt.date | None = None
    answered_on: dt.date | None = None
    outcome: str = ""
    outcome_label: str = ""
    sections: str = ""
    steps: tuple[deadlines.LadderStep, ...] = ()
    entries: tuple[Entry, ...] = ()
    calendar: deadlines.WorkingCalendar = field(default=deadlines.DEFAULT_CALENDAR, compare=False)


def _latest(steps, stage: str, kind: str) -> deadlines.LadderStep | None:
    found = [s for s in steps if s.stage == stage and s.kind == kind]
    return max(found, key=lambda s: s.on) if found else None


def pack_problem(steps, today: dt.date, calendar: deadlines.WorkingCalendar = deadlines.DEFAULT_CALENDAR) -> str | None:
    """Why a complaint pack is not due yet, or None: it is once the review upheld the answer (wholly
    or in part), once the review went unanswered past its due date, or once the ICO is involved."""
    steps = list(steps)
    if any(s.stage in (deadlines.STAGE_ICO, deadlines.STAGE_DECISION, deadlines.STAGE_TRIBUNAL) for s in steps):
        return None
    answer = _latest(steps, deadlines.STAGE_REVIEW, deadlines.STEP_ANSWERED)
    if answer is not None:
        if answer.outcome in (deadlines.UPHELD, deadlines.PARTLY):
            return None
        return "the internal review overturned the answer: there is nothing to complain about"
    asked = _latest(steps, deadlines.STAGE_REVIEW, deadlines.STEP_ASKED)
    if asked is None:
        return "no internal review has been asked for: the ICO expects one first"
    due = deadlines.review_due(asked.on, calendar=calendar)
    if deadlines.is_late(due, today):
        return None
    return f"the internal review is not due until {format_day(due)}"


def clock_dates(facts: PackFacts) -> list[ClockDate]:
    """Every date a clock gives this request, from the functions the board calls."""
    cal, steps, out = facts.calendar, list(facts.steps), []
    if facts.due_on:
        out.append(ClockDate("Answer due (20 working days)", facts.due_on))
    if facts.outcome in deadlines.CHALLENGEABLE_OUTCOMES and facts.answered_on:
        out.append(ClockDate("Internal review to be asked for by (40 working days after the answer)",
                             deadlines.review_ask_by(facts.answered_on, calendar=cal)))
    asked = _latest(steps, deadlines.STAGE_REVIEW, deadlines.STEP_ASKED)
    answer = _latest(steps, deadlines.STAGE_REVIEW, deadlines.STEP_ANSWERED)
    if asked is not None:
        out.append(ClockDate("Internal review due (20 working days)", deadlines.review_due(asked.on, calendar=cal)))
        out.append(ClockDate("Internal review at most, in exceptional cases (40 working days)",
                             deadlines.review_very_overdue_after(asked.on, calendar=cal)))
        if answer is None:
            out.append(ClockDate("The ICO takes a complaint without the review from",
                                 deadlines.ico_complaint_open_from(asked.on, calendar=cal)))
    if answer is not None and answer.outcome != deadlines.OVERTURNED:
        out.append(ClockDate("Complaint to the ICO by (six weeks after the review's outcome)",
                             deadlines.ico_complaint_by(answer.on)))
    decision = _latest(steps, deadlines.STAGE_DECISION, deadlines.STEP_DECISION)
    if decision is not None:
        if decision.outcome in (deadlines.UPHELD, deadlines.PARTLY):
            out.append(ClockDate("The force to comply by (35 days after the decision notice)",
                                 deadlines.comply_by(decision.on)))
        out.append(ClockDate("Appeal to the First-tier Tribunal by", deadlines.appeal_by(decision.on, calendar=cal)))
    found = next_step_of(facts)
    if found is not None:
        late = " (late)" if found.late else ""
        out.append(ClockDate(f"Next step: {found.action}{late}", found.due_on, str(found)))
    return out


def next_step_of(facts: PackFacts) -> deadlines.NextStep | None:
    return deadlines.next_step(facts.outcome, facts.answered_on, facts.steps, facts.today, due_on=facts.due_on,
                               calendar=facts.calendar)


def one_line(text: str) -> str:
    """A typed value as Markdown text on one line: a newline in it would start a line of its own,
    and `<`, `>` and `&` are escaped so that a viewer rendering the file shows them, never runs them
    as HTML (CommonMark's backslash escapes)."""
    return MARKUP.sub(r"\\\1", " ".join((text or "").split()))


def chronology_markdown(facts: PackFacts) -> str:
    """chronology.md: the request, every dated step oldest first, the clocks and the next step."""
    lines = [f"# Chronology: {one_line(facts.force_name)}, {one_line(facts.our_reference)}", "",
             f"- Request: {one_line(facts.campaign_title)}",
             f"- Our reference: {one_line(facts.our_reference)}",
             f"- The force's reference: {one_line(facts.force_reference) or 'none given'}",
             f"- The answer: {one_line(facts.outcome_label) or 'none'}"
             + (f", citing {one_line(facts.sections)}" if facts.sections else ""),
             f"- Drawn up on {format_day(facts.today)}", "", "## What happened", "",
             "| Date | What | In this pack |", "|---|---|---|"]
    for entry in sorted(facts.entries, key=lambda e: (e.on, e.what, e.file)):
        lines.append(f"| {entry.on.isoformat()} | {_cell(entry.what)} | {_cell(entry.file) or '–'} |")
    lines += ["", "## The clocks", "", "Working days skip weekends and bank holidays in any UK nation.", "",
              "| Date | What |", "|---|---|"]
    for clock in sorted(clock_dates(facts), key=lambda c: c.on):
        lines.append(f"| {clock.on.isoformat()} | {_cell(clock.label)} |")
    found = next_step_of(facts)
    lines += ["", "## Next step", "", one_line(str(found)) if found else "Nothing on a clock.", ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return one_line(text).replace("|", "\\|")


def grounds_markdown(facts: PackFacts, grounds: list[tuple[str, str]]) -> str:
    """grounds.md: the complaint's grounds, each the paragraph the review letter argued (letters.py)."""
    asked = _latest(facts.steps, deadlines.STAGE_REVIEW, deadlines.STEP_ASKED)
    answer = _latest(facts.steps, deadlines.STAGE_REVIEW, deadlines.STEP_ANSWERED)
    story = [f"We made a request under the Freedom of Information Act 2000 to {one_line(facts.force_name)} "
             f"(our reference {one_line(facts.our_reference)}"
             + (f", theirs {one_line(facts.force_reference)}" if facts.force_reference else "") + ")."]
    if facts.answered_on and facts.outcome_label:
        story.append(f"On {format_day(facts.answered_on)} the force answered: {one_line(facts.outcome_label).lower()}"
                     + (f", citing {one_line(facts.sections)}." if facts.sections else "."))
    elif facts.due_on:
        story.append(f"The answer was due on {format_day(facts.due_on)} and did not come.")
    if asked is not None:
        story.append(f"We asked for an internal review on {format_day(asked.on)}.")
        if answer is not None:
            words = {deadlines.UPHELD: "upheld the force's answer",
                     deadlines.PARTLY: "overturned the force's answer only in part"}.get(answer.outcome, "answered")
            story.append(f"The review {words} on {format_day(answer.on)}.")
        else:
            due = deadlines.review_due(asked.on, calendar=facts.calendar)
            story.append(f"The review was due by {format_day(due)} (20 working days) and no answer has come "
                         f"by {format_day(facts.today)}.")
    lines = ["# Complaint to the Information Commissioner (s.50)", "", " ".join(story), "", "## Grounds", ""]
    if asked is not None and answer is None:
        lines += ["### The internal review went unanswered", "",
                  "The force did not answer our request for an internal review within the time the "
                  "Commissioner expects (20 working days, 40 at most in exceptional cases).", ""]
    for name, paragraph in grounds:
        lines += [f"### {one_line(name)}", "", one_line(paragraph), ""]
    lines += ["## What we ask", "",
              "That the Commissioner decide whether the force dealt with the request in accordance with "
              "Part I of the Act and, if it did not, order it to disclose the information.", "",
              "The chronology, every message and every file are in this pack (chronology.md); "
              "SHA256SUMS lists each file's checksum.", ""]
    return "\n".join(lines)


def safe_name(name: str) -> str:
    """A file name that is one path segment, whatever the force called it."""
    cleaned = SAFE_NAME.sub("_", name or "").strip("._")
    return cleaned[:120] or "file"
