"""The state of a row on the campaign board: a pure function over plain facts (no database)."""
import ast
import datetime as dt
from pathlib import Path

import pytest

from collection.workspace import states
from collection.workspace.states import RowFacts, count_states, next_needing_me, row_state

SENT = dict(sent=True, status="sent", is_open=True, due_on=dt.date(2016, 4, 1))


def state(**facts):
    return row_state(RowFacts(**facts))


def test_the_module_is_pure_python():
    tree = ast.parse(Path(states.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(name and name.split(".")[0] in ("django", "collection", "reports") for name in imported), imported


@pytest.mark.parametrize("facts, key, chip, needs_me, first_action", [
    (dict(sent=False), "not_sent", "Not sent", True, "send"),
    (dict(sent=True, status="undelivered", bounced=True), "bounced", "Bounced: the address failed", True, "fix_address"),
    (dict(SENT, working_days_left=14), "sent", "Sent · due in 14 working days", False, "upload"),
    (dict(SENT, working_days_left=12, acknowledged=True), "acknowledged", "Acknowledged · due in 12 working days",
     False, "upload"),
    (dict(SENT, status="extended", working_days_left=9, extended_to=dt.date(2016, 4, 29)), "extended",
     "Extended to 29 Apr 2016", False, "upload"),
    (dict(SENT, working_days_left=1), "due_soon", "Due in 1 working day", False, "upload"),
    (dict(SENT, working_days_left=0), "due_soon", "Due today", False, "upload"),
    (dict(SENT, overdue=True, working_days_overdue=4), "overdue", "Overdue 4 working days", True, "chase"),
    (dict(SENT, overdue=True, working_days_overdue=0), "overdue", "Overdue", True, "chase"),
    (dict(SENT, overdue=True, very_overdue=True, working_days_overdue=21), "very_overdue",
     "Very overdue: 21 working days", True, "chase"),
    (dict(sent=True, status="awaiting_clarification", is_open=True), "clarification",
     "Clarification asked: clock stopped", True, "clarify"),
    (dict(SENT, file="review"), "review", "File waiting for review", True, "confirm"),
    (dict(SENT, file="reading"), "reading", "File being read", False, None),
    (dict(SENT, file="refused"), "refused_file", "refused file", True, "fix_file"),
    (dict(sent=True, status="answered", outcome="provided", outcome_label="Data provided", figures=True),
     "imported", "Answered: Data provided · figures imported", False, "upload"),
    (dict(sent=True, status="answered", outcome="provided", outcome_label="Data provided"),
     "needs_figures", "Answered: Data provided · no figures yet", True, "upload"),
    (dict(sent=True, status="answered", outcome="partial", outcome_label="Data provided in part", file="stored"),
     "needs_figures", "Answered: Data provided in part · letter kept: type the figures", True, "enter"),
    (dict(sent=True, status="answered", outcome="nil_return", outcome_label="Nil return"),
     "answered", "Answered: Nil return", False, None),
    (dict(sent=True, status="closed", outcome="no_response", outcome_label="No response"),
     "answered", "Answered: No response", False, None),
    (dict(sent=True, status="answered", outcome="refused", outcome_label="Refused", file="refused"),
     "refused_file", "Answered: Refused · refused file", True, "fix_file"),
    (dict(SENT, figures=True), "imported", "Figures imported · answer not recorded", True, "answer"),
    (dict(SENT, overdue=True, suggestion="Acknowledged, their ref FOI 001234/16"), "suggestion",
     "Mail: Acknowledged, their ref FOI 001234/16", True, "accept"),
])
def test_each_state_its_chip_and_next_action(facts, key, chip, needs_me, first_action):
    s = state(**facts)
    assert (s.key, s.chip, s.needs_me) == (key, chip, needs_me)
    assert (s.actions[0] if s.actions else None) == first_action
    assert s.tone == states.TONES[key] and s.label == states.STATES[key]


def test_lateness_is_taken_from_the_facts_never_worked_out_again():
    # A due date long past, but the predicate said "not overdue" (say the clock was stopped and
    # restarted): the row believes the predicate.
    s = state(sent=True, status="sent", is_open=True, due_on=dt.date(2016, 4, 1), working_days_left=5)
    assert s.key == "sent"
    late = state(sent=True, status="sent", is_open=True, due_on=dt.date(2099, 1, 1), overdue=True,
                 working_days_overdue=2)
    assert late.key == "overdue"


def test_a_force_without_an_address_is_not_offered_a_chaser():
    assert state(**SENT, overdue=True, can_email=False).actions == ("upload", "answer")
    assert state(**SENT, overdue=True, very_overdue=True, can_email=False).actions[0] == "upload"


def test_what_the_force_sent_comes_before_the_clock():
    """A file to review or a message to accept is work for us even on an overdue request."""
    assert state(**SENT, overdue=True, very_overdue=True, file="review").key == "review"
    assert state(**SENT, overdue=True, suggestion="Answer with a file").key == "suggestion"
    assert state(**SENT, overdue=True, file="reading").key == "reading"
    # figures already imported: a newer refused file does not hide them
    assert state(sent=True, outcome="provided", outcome_label="Data provided", figures=True,
                 file="refused").key == "imported"


def test_counts_list_every_state_and_add_up():
    rows = [state(sent=False), state(**SENT, working_days_left=10), state(**SENT, overdue=True),
            state(sent=True, outcome="nil_return", outcome_label="Nil return"), state(sent=False)]
    counts = count_states(rows)
    assert list(counts) == list(states.STATES)
    assert sum(counts.values()) == len(rows)
    assert counts["not_sent"] == 2 and counts["overdue"] == 1 and counts["answered"] == 1 and counts["sent"] == 1


def test_next_force_that_needs_me_wraps_round():
    rows = [state(sent=False), state(**SENT, working_days_left=10), state(**SENT, overdue=True),
            state(sent=True, outcome="nil_return")]
    assert next_needing_me(rows) == 0
    assert next_needing_me(rows, after=0) == 2
    assert next_needing_me(rows, after=2) == 0
    assert next_needing_me([state(**SENT, working_days_left=10)]) is None
    assert next_needing_me([]) is None


def test_every_action_named_by_a_state_has_a_handler_or_waits_for_its_stream():
    from collection.workspace.actions import ACTIONS

    named = {a for key in states.STATES for a in state_actions(key)}
    assert named <= set(ACTIONS), named - set(ACTIONS)


def state_actions(key):
    samples = {
        "not_sent": dict(sent=False), "bounced": dict(sent=True, bounced=True),
        "suggestion": dict(SENT, suggestion="x"), "review": dict(SENT, file="review"),
        "refused_file": dict(SENT, file="refused"), "needs_figures": dict(sent=True, outcome="provided"),
        "clarification": dict(sent=True, status="awaiting_clarification", is_open=True),
        "overdue": dict(SENT, overdue=True), "sent": dict(SENT), "imported": dict(SENT, figures=True),
    }
    return state(**samples[key]).actions if key in samples else ()


def test_a_files_total_names_its_suppressed_cells_and_never_reads_as_0():
    from collection.workspace.actions import total_words

    assert total_words({"total": 0, "suppressed_cells": 3}) == "total 0 and 3 suppressed cells"
    assert total_words({"total": 1200, "suppressed_cells": 1}) == "total 1,200 and 1 suppressed cell"
    assert total_words({"total": 12}) == "total 12"
