"""Comparing a period with an earlier one, like for like: the arithmetic, as pure functions.

Nothing here touches Django: `reports/services.py` hands over offences per force (force id ->
total) for each side and gets a plain dict back, which goes into the figures as `comparison`.

The rules (DOMAIN.md, "The same question next year"):

- like for like: only the forces with data (a count, even of 0) for BOTH periods are compared;
  a force that gave one period only is listed apart (`single_period_forces`), never silently
  dropped or added to one side;
- the base is restated where possible: when the campaign asked the earlier period again, its
  base is what the forces restated in THIS campaign (`base: "restated"`); the earlier
  campaign's figures as first published are shown beside (`original_base_total`, per force
  `original_base`), over the same like-for-like forces (a force may have had no data then);
- a campaign that repeats another but did not ask the earlier period again has nothing
  restated: its base is the earlier campaign's published figures (`base: "original"`);
- the percentage change is rounded half up to one decimal place; None when the base is 0.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping

RESTATED = "restated"
ORIGINAL = "original"


def percent_change(base: int, current: int) -> float | None:
    """(current - base) / base as a percentage, rounded half up to 1 place: 2675 -> 3134 is 17.2."""
    if not base:
        return None
    value = Decimal(current - base) * 100 / Decimal(base)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def compare(*, base_period: str, period: str, current: Mapping[str, int], restated: Mapping[str, int] | None,
            original: Mapping[str, int] | None, original_source: dict | None = None) -> dict:
    """The comparison of `period` (offences per force, `current`) with `base_period`.

    `restated`: the base period's offences per force as given in this campaign (None when the
    campaign did not ask for it); `original`: as first published by the earlier campaign (None
    when there is none). The base is the restated figures when there are any, else the original.
    """
    if restated is None and original is None:
        raise ValueError("a comparison needs a base: restated or original figures")
    base_kind = RESTATED if restated is not None else ORIGINAL
    base = dict(restated if restated is not None else original)
    current = dict(current)
    forces = sorted(set(base) & set(current))
    base_total = sum(base[f] for f in forces)
    total = sum(current[f] for f in forces)
    per_force = {}
    for f in forces:
        entry = {"base": base[f], "current": current[f], "change": current[f] - base[f],
                 "change_pct": percent_change(base[f], current[f])}
        if original is not None and f in original:
            entry["original_base"] = original[f]
        per_force[f] = entry
    single = {}
    for f in sorted(set(base) ^ set(current)):
        entry = {"base": base.get(f), "current": current.get(f)}
        if original is not None and f in original:
            entry["original_base"] = original[f]
        single[f] = entry
    with_original = [f for f in forces if original is not None and f in original]
    return {
        "base_period": base_period,
        "period": period,
        "base": base_kind,
        "like_for_like_forces": forces,
        "base_total": base_total,
        "total": total,
        "change": total - base_total,
        "change_pct": percent_change(base_total, total),
        # What the earlier campaign published for the same forces (those of them it had data from).
        "original_base_total": sum(original[f] for f in with_original) if original is not None else None,
        "original_base_forces": len(with_original) if original is not None else None,
        "original_source": original_source,
        "per_force": per_force,
        "single_period_forces": single,
    }


def direction(change: int) -> str:
    """"more", "fewer" or "unchanged"."""
    return "more" if change > 0 else "fewer" if change < 0 else "unchanged"


def trend_points(campaigns: list[dict]) -> list[dict]:
    """The points of a trend across a chain of campaigns (oldest first).

    Each campaign is {"slug", "period" (its main period's label), "published" (its main period's
    total as published, or None), "restated" ({label: total} of earlier periods it asked again)}.
    One point per period: the total first published, and the latest restatement of it (from the
    latest campaign in the chain that asked for it again), if any.
    """
    points: dict[str, dict] = {}
    for c in campaigns:
        points.setdefault(c["period"], {"period": c["period"], "published": None, "restated": None,
                                        "restated_by": None})
        points[c["period"]]["published"] = c.get("published")
        points[c["period"]]["campaign"] = c["slug"]
    for c in campaigns:  # oldest first: a later restatement replaces an earlier one
        for label, total in (c.get("restated") or {}).items():
            point = points.setdefault(label, {"period": label, "published": None, "restated": None,
                                              "restated_by": None, "campaign": None})
            point["restated"], point["restated_by"] = total, c["slug"]
    return sorted(points.values(), key=lambda p: _period_key(p["period"]))


def _period_key(label: str) -> str:
    # Both label forms start with the first year ("2015-16", "2016-01-01..2016-12-31"); a
    # financial year starts in April.
    return label if ".." in label else f"{label[:4]}-04-01"
