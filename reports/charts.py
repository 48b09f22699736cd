"""Charts of the national figures for a press release, as PNG or SVG (matplotlib, Agg, imported lazily).

Figures are built with matplotlib's object API (no pyplot global state), so rendering is safe
in a threaded web server.
"""
from __future__ import annotations

import io

from .aggregate import CATEGORY_LABELS, Aggregate

CHARTS = {"age": "Offences by victim age", "force": "Offences by force", "category": "Offences by category"}
TREND = "trend"
TREND_TITLE = "Offences by period, every campaign of the chain"
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
COLOUR = "#417690"  # the admin's header blue
ACCENT = "#79aec8"


def _figure(width, height):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _style(ax):
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)


def _subtitle(agg: Aggregate) -> str:
    status = "" if agg.final else " (provisional)"
    return f"{agg.title}{status}\n{agg.forces_with_data} of {agg.forces_asked} forces provided figures"


def render(kind: str, agg: Aggregate, fmt: str, names: dict[str, str] | None = None) -> bytes:
    if kind not in CHARTS:
        raise ValueError(f"chart {kind!r} is not one of {', '.join(CHARTS)}")
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    import matplotlib

    # Titles and force names are typed by people: "$...$" in one must be shown as written, not
    # read as TeX (which fails on most such text, and every chart with it). Tick labels are
    # made while drawing, so the whole figure, saving included, is built under these settings.
    with matplotlib.rc_context(PLAIN_TEXT):
        return _render(kind, agg, fmt, names or {})


PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False, "svg.fonttype": "path"}


def render_formats(kind: str, agg: Aggregate, fmts: tuple[str, ...], names: dict[str, str] | None = None
                   ) -> dict[str, bytes]:
    """One chart in several formats, drawn and laid out once (a release wants PNG and SVG of each)."""
    if kind not in CHARTS or not set(fmts) <= set(FORMATS):
        raise ValueError(f"chart {kind!r} in {fmts!r}: charts are {', '.join(CHARTS)}; formats {', '.join(FORMATS)}")
    import matplotlib

    with matplotlib.rc_context(PLAIN_TEXT):
        fig = _draw(kind, agg, names or {})
        out = {}
        for fmt in fmts:
            out[fmt] = _save(fig, fmt)
            fig.set_layout_engine("none")  # laid out by the first save: the others keep its positions
        return out


def _save(fig, fmt: str) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else {})
    return out.getvalue()


def _render(kind: str, agg: Aggregate, fmt: str, names: dict[str, str]) -> bytes:
    return _save(_draw(kind, agg, names), fmt)


def _draw(kind: str, agg: Aggregate, names: dict[str, str]):
    if kind == "age":
        labels = [str(a) for a in range(18)] + ["Unknown"]
        values = [agg.by_age[str(a)] for a in range(18)] + [agg.by_age["unknown"]]
        fig, ax = _figure(9, 4.8)
        bars = ax.bar(labels, values, color=[COLOUR] * 18 + [ACCENT])
        ax.bar_label(bars, fontsize=8, padding=2)
        ax.set_xlabel("Victim age (years)")
        ax.set_ylabel("Offences")
    elif kind == "category":
        items = sorted(agg.by_offence_category.items(), key=lambda kv: kv[1])
        fig, ax = _figure(9, 0.5 * max(len(items), 3) + 1.6)
        bars = ax.barh([CATEGORY_LABELS.get(k, k) for k, _ in items], [n for _, n in items], color=COLOUR)
        ax.bar_label(bars, fontsize=8, padding=2)
        ax.set_xlabel("Offences")
    else:
        items = sorted(agg.by_force.items(), key=lambda kv: (kv[1], kv[0]))
        fig, ax = _figure(9, 0.24 * max(len(items), 4) + 1.6)
        bars = ax.barh([names.get(f, f) for f, _ in items], [n for _, n in items], color=COLOUR)
        ax.bar_label(bars, fontsize=7, padding=2)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel("Offences")
    _style(ax)
    ax.set_title(f"{CHARTS[kind]}: {agg.total_offences:,} offences, "
                 f"{agg.period_start} to {agg.period_end}", fontsize=11, loc="left")
    fig.suptitle(_subtitle(agg), fontsize=8, x=0.01, ha="left", color="#666")
    return fig


def render_trend(points: list[dict], title: str, fmt: str) -> bytes:
    """The trend across a chain of campaigns: per period, the total as first published and as
    restated by a later request (`reports.figures.trend`)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    import matplotlib

    with matplotlib.rc_context(PLAIN_TEXT):
        return _render_trend(points, title, fmt)


def _display(label: str) -> str:
    from collection.periods import Period

    try:
        return Period.from_label(label).display
    except ValueError:
        return label


def _render_trend(points: list[dict], title: str, fmt: str) -> bytes:
    fig, ax = _figure(9, 4.8)
    xs = list(range(len(points)))
    width = 0.38
    published = [p["published"] or 0 for p in points]
    restated = [p["restated"] or 0 for p in points]
    bars = ax.bar([x - width / 2 for x in xs], published, width, color=COLOUR, label="As first published")
    ax.bar_label(bars, labels=[f"{p['published']:,}{' (live)' if p.get('published_is_live') else ''}"
                               if p["published"] is not None else "" for p in points], fontsize=8, padding=2)
    bars = ax.bar([x + width / 2 for x in xs], restated, width, color=ACCENT, label="As restated by a later request")
    ax.bar_label(bars, labels=[f"{p['restated']:,}" if p["restated"] is not None else "" for p in points],
                 fontsize=8, padding=2)
    ax.set_xticks(xs, [_display(p["period"]) for p in points])
    ax.set_ylabel("Offences (all forces with data)")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    _style(ax)
    ax.set_title(TREND_TITLE, fontsize=11, loc="left")
    fig.suptitle(title, fontsize=8, x=0.01, ha="left", color="#666")
    out = io.BytesIO()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else {})
    return out.getvalue()
