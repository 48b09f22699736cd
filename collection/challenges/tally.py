"""How the challenges went, counted by the section the force cited and by stage: pure, over plain
rows (the report's "Challenges" table: how many s.12 refusals were overturned at review)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .. import deadlines
from .letters import sections_of

NONE_CITED = "no section cited"
STAGE_LABELS = {deadlines.STAGE_REVIEW: "Internal review", deadlines.STAGE_ICO: "ICO decision notice"}
COLUMNS = ("asked", deadlines.UPHELD, deadlines.OVERTURNED, deadlines.PARTLY, deadlines.NOT_UPHELD, "waiting")


@dataclass(frozen=True)
class StepRow:
    request_id: int
    sections: str  # as the challenged answer cited them
    stage: str
    kind: str
    outcome: str = ""


def _request_result(steps: list[StepRow], asked_kinds: tuple[tuple[str, str], ...],
                    answer: tuple[str, str]) -> str | None:
    """'waiting', the outcome of the stage's latest answer, or None if the stage was never reached."""
    if not any((s.stage, s.kind) in asked_kinds for s in steps):
        return None
    answers = [s for s in steps if (s.stage, s.kind) == answer]
    return answers[-1].outcome if answers else "waiting"


def by_section_and_stage(rows: list[StepRow]) -> list[dict]:
    """One row per (section, stage) reached: how many were asked and how each came out."""
    per_request: dict[int, list[StepRow]] = defaultdict(list)
    for row in rows:
        per_request[row.request_id].append(row)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    stages = (
        (deadlines.STAGE_REVIEW, ((deadlines.STAGE_REVIEW, deadlines.STEP_ASKED),
                                  (deadlines.STAGE_REVIEW, deadlines.STEP_ANSWERED)),
         (deadlines.STAGE_REVIEW, deadlines.STEP_ANSWERED)),
        (deadlines.STAGE_ICO, ((deadlines.STAGE_ICO, deadlines.STEP_COMPLAINT),
                               (deadlines.STAGE_DECISION, deadlines.STEP_DECISION)),
         (deadlines.STAGE_DECISION, deadlines.STEP_DECISION)),
    )
    for steps in per_request.values():
        cited = next((sections_of(s.sections) for s in steps if s.sections), []) or [NONE_CITED]
        for stage, asked_kinds, answer in stages:
            result = _request_result(steps, asked_kinds, answer)
            if result is None:
                continue
            for section in cited:
                row = counts.setdefault((section, stage), dict.fromkeys(COLUMNS, 0))
                row["asked"] += 1
                row[result if result in row else "waiting"] += 1
    order = list(STAGE_LABELS)
    return [{"section": section, "stage": stage, "stage_label": STAGE_LABELS[stage], **row}
            for (section, stage), row in sorted(counts.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1])))]


CHALLENGES_INTRO = ("Answers challenged, by the section the force cited and by stage (one force citing two "
                    "sections counts under each).")
NONE_CHALLENGED = "No force's answer was challenged by an internal review or a complaint to the ICO."


def after_challenge_lines(joined_after_review: list[str], joined_after_ico: list[str]) -> list[str]:
    """Which forces' figures came after a challenge, in the words the report page, the release's
    methodology and the exports' notes all use."""
    lines = []
    if joined_after_review:
        lines.append(f"Figures that came after a review: {', '.join(joined_after_review)}.")
    if joined_after_ico:
        lines.append(f"Figures that came after an ICO decision notice: {', '.join(joined_after_ico)}.")
    return lines or ["No force's figures came after an internal review or an ICO decision notice."]
