"""The methodology of a release, written from the campaign's own facts (never typed by hand): pure, no
Django. `blocks(facts)` says what it holds; `markdown(...)` and `html(...)` write the same blocks.

Every number comes from `facts` (`reports.releases.services.release_facts`): the snapshot's figures
and the campaign's requests, chasers and dates, so a figure cannot drift between the methodology,
the tables and the report page.
"""
from __future__ import annotations

import datetime as dt
import html as html_lib
import re

from collection.challenges.tally import CHALLENGES_INTRO, NONE_CHALLENGED

from ..aggregate import CATEGORY_LABELS, OUTCOME_LABELS, figure_text
from . import disclosure


def _day(iso: str | None) -> str:
    if not iso:
        return "an unrecorded day"
    d = dt.date.fromisoformat(iso[:10])
    return f"{d.day} {d:%B %Y}"


def _n(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


ROUTES = {"email": "by e-mail", "post": "by post", "whatdotheyknow": "through WhatDoTheyKnow",
          "recorded": "by a route recorded by hand (not e-mailed from the tracker)"}


def _sending(f: dict) -> list[str]:
    c = f["campaign"]
    routes = c.get("sent_via") or {}
    how = _names([ROUTES.get(via, f"by {via}") + ("" if n == f["forces_asked"] else f" to {_n(n, 'force')}")
                  for via, n in sorted(routes.items())]) or "by a route the tracker did not record"
    when = (f"on {_day(c['first_sent'])}" if c.get("first_sent") == c.get("last_sent")
            else f"between {_day(c.get('first_sent'))} and {_day(c.get('last_sent'))}")
    d = f["deadline"]
    out = [f"The request was sent to {_n(f['forces_asked'], 'police force')} of England and Wales {when}, {how}.",
           "The Freedom of Information Act 2000 (section 10) gives a force 20 working days from receiving a request "
           "to answer it; weekends and the bank holidays of England and Wales are not working days"
           + (". " + (f"The deadline was {_day(d['due_first'])}." if d["due_first"] == d["due_last"] else
                      f"The forces' deadlines fell between {_day(d['due_first'])} and {_day(d['due_last'])}.")
              if d.get("due_first") else ".")]
    stopped = (f"; {d['no_deadline']:,} came while the clock was stopped for clarification, with no due date"
               if d.get("no_deadline") else "")
    out.append(f"{_n(d['answered'], 'force')} answered: {d['on_time']:,} of the {d['answered']:,} answers came by the "
               f"statutory deadline{stopped}. " + (f"{_n(d['no_response'], 'force')} did not respond. " if d["no_response"] else "")
               + (f"{_n(f['chasers']['sent'], 'chaser')} e-mailed to {_n(f['chasers']['forces'], 'force')} whose "
                  "answer was late." if f["chasers"]["sent"] else "No chaser was sent."))
    return out


def _outcomes(f: dict) -> tuple[list[str], list[list[str]]]:
    header = ["Outcome", "Forces", "Forces and sections cited"]
    by_outcome: dict[str, list[str]] = {}
    for t in sorted(f["timeliness"], key=lambda t: t["force_name"]):
        who = t["force_name"] + (f" ({t['sections_cited']})" if t.get("sections_cited") else "")
        by_outcome.setdefault(t.get("outcome") or "outstanding", []).append(who)
    rows = []
    for outcome, n in f["outcomes"].items():
        listed = _names(by_outcome.get(outcome, [])) if outcome not in ("provided",) else ""
        rows.append([OUTCOME_LABELS.get(outcome, outcome), f"{n:,}", listed])
    return header, rows


def _figures(f: dict) -> list[str]:
    out = [f"The total, {f['total_offences']:,} offences, is the sum of every count a force gave that it did not "
           f"suppress, over the {f['period_days']:,} days of the period ({figure_text(f['per_day_average'], 2)} a day on "
           "average).",
           f"Under 10 ({figure_text(f['under_10'])} offences) counts single years 0 to 9 and age bands lying wholly under 10."]
    bands = f["by_age_band"]
    if bands:
        out.append(f"{_n(sum(bands.values()), 'offence')} came in age bands ("
                   + ", ".join(f"{b}: {figure_text(n)}" for b, n in sorted(bands.items()))
                   + "): they are in the total and listed as bands, never spread over single years.")
    else:
        out.append("Every force gave single years of age: no counts came in age bands.")
    unknown = f["by_age"].get("unknown", 0)
    out.append(f"The victim's age is not known for {_n(unknown, 'offence')}: they are in the total, listed as "
               "unknown, and in no age group." if unknown else "Every count has the victim's age.")
    k = f["suppressed_count"]
    if k:
        out.append(f"Forces suppressed {_n(k, 'cell')} as too small to publish. A suppressed cell is neither zero nor "
                   "known: it is left out of the total and of every figure, and taken to lie between 1 and the number "
                   f"its mark states ('<5': 4; a bare mark such as '*': 1 to {f['suppression_threshold'] - 1})."
                   + (f" With them the total lies between {f['total_offences_min']:,} and {f['total_offences_max']:,}."
                      if f.get("total_offences_min") is not None and f.get("total_offences_max") is not None else ""))
    else:
        out.append("No force suppressed any count.")
    return out


def _disclosure(f: dict) -> list[str]:
    out = [disclosure.describe(f["suppress_below"])]
    s = f.get("disclosure")
    if f["suppress_below"] and s:
        out.append(f"In this release {_n(s['primary'], 'count')} of the forces table were suppressed as small and "
                   f"{_n(s['secondary'], 'more count')} to protect them. The national dataset (a row per force, "
                   "offence, age and sex) is left out of a release with suppression: its rows would give the "
                   "suppressed counts away.")
    return out


def _comparison(f: dict) -> list[str]:
    c = f.get("comparison")
    if not c:
        return ["This campaign has no earlier period to compare with."]
    names = f["names"]
    forces = [names.get(x, x) for x in c["like_for_like_forces"]]
    out = [f"The comparison of {c['period']} with {c['base_period']} is like for like: only the "
           f"{_n(len(forces), 'force')} with figures for both periods are compared ({_names(forces)}). They recorded "
           f"{c['total']:,} offences in {c['period']} and {c['base_total']:,} in {c['base_period']}"
           + (f" ({c['change_pct']:+.1f}%)." if c.get("change_pct") is not None else ".")]
    if c["base"] == "restated":
        out.append(f"The {c['base_period']} figures are as the forces restated them in answer to this request"
                   + (f"; as first published they were {c['original_base_total']:,} for the same forces."
                      if c.get("original_base_total") is not None else "."))
    else:
        out.append(f"The {c['base_period']} figures are as first published: this request did not ask for them again.")
    single = c.get("single_period_forces") or {}
    if single:
        out.append(f"{_n(len(single), 'force')} gave figures for one period only and "
                   f"{'is' if len(single) == 1 else 'are'} left out: {_names([names.get(x, x) for x in single])}.")
    return out


CHALLENGE_HEADER = ["Section", "Stage", "Asked", "Upheld", "Overturned", "Partly", "Not upheld", "Waiting"]


def _challenges(f: dict) -> list[tuple]:
    """Which forces' figures came after an internal review or an ICO decision, and the challenges
    by section and stage: the report page's Challenges table (collection.challenges.services
    .challenge_outcomes), so the two cannot differ."""
    c = f.get("challenges") or {}
    if not c.get("rows"):
        return [("p", NONE_CHALLENGED)]
    rows = [[r["section"], r["stage_label"], *(f"{r[k]:,}" for k in ("asked", "upheld", "overturned", "partly",
                                                                        "not_upheld", "waiting"))] for r in c["rows"]]
    return [("p", " ".join(c.get("lines") or [])), ("p", CHALLENGES_INTRO), ("table", CHALLENGE_HEADER, rows)]


def blocks(f: dict) -> list[tuple]:
    """("h1"|"h2"|"p"|"quote", text), ("ul", [items]), ("table", header, rows), ("img", path, alt)."""
    c = f["campaign"]
    out: list[tuple] = [
        ("h1", f"Methodology: {c['title']}"),
        ("p", f"Release {f['version']} of the final figures for {_day(c['period_start'])} to "
              f"{_day(c['period_end'])}, from the snapshot compiled on {_day(f['snapshot']['compiled_at'])} "
              f"(snapshot {f['snapshot']['id']})."),
        ("h2", "The question"),
        ("p", "Every force was sent the same request, word for word:"),
        ("quote", c["question"]),
        ("h2", "Who was asked, when and how"),
        *[("p", p) for p in _sending(f)],
        ("h2", "Outcomes"),
        ("table", *_outcomes(f)),
        ("h2", "Challenges: figures after an internal review or an ICO decision"),
        *_challenges(f),
        ("h2", "How the figures are made"),
        ("ul", _figures(f)),
        ("p", "Offence categories: " + ", ".join(f"{CATEGORY_LABELS.get(k, k)} {n:,}"
                                                 for k, n in sorted(f["by_offence_category"].items())) + "."),
        ("h2", "Disclosure control"),
        *[("p", p) for p in _disclosure(f)],
        ("h2", "Comparison with an earlier period"),
        *[("p", p) for p in _comparison(f)],
        ("h2", "Caveats"),
        ("ul", list(f["caveats"]) or ["None."]),
        ("h2", "Charts"),
    ]
    for chart in f["charts"]:
        out.append(("img", chart["png"], chart["alt"]))
        out.append(("p", f"{chart['title']} (also as {chart['svg']}): {chart['alt']}"))
    return out


#: Characters that would turn typed text into markup (emphasis, code, links, raw HTML, an entity, a
#: table's cell break): each is written with CommonMark's backslash escape, which renders as the
#: character itself, so a title or a question reads word for word and can never become a tag.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
#: What starts a block at the head of a line: a heading, a list item, a quote, a setext underline.
_MD_LINE_START = re.compile(r"^([ \t]*)([#+=>-]|\d{1,9}(?=[.)]))", re.M)


def _md(text: str) -> str:
    """Text as Markdown that renders to exactly that text."""
    return _MD_LINE_START.sub(_escaped_block_start, _MD_INLINE.sub(r"\\\1", text))


def _escaped_block_start(found: re.Match) -> str:
    lead, mark = found.groups()
    return lead + (mark + "\\" if mark[0].isdigit() else "\\" + mark)  # "12\. ", "\# ", "\- "


def _md_cell(text: str) -> str:
    return _md(text.replace("\n", " "))


def markdown(items: list[tuple]) -> str:
    lines: list[str] = []
    for kind, *rest in items:
        if kind == "h1":
            lines += [f"# {_md_cell(rest[0])}", ""]
        elif kind == "h2":
            lines += [f"## {_md_cell(rest[0])}", ""]
        elif kind == "p":
            lines += [_md(rest[0]), ""]
        elif kind == "quote":
            lines += [("> " + _md(line)) if line.strip() else ">" for line in rest[0].splitlines()] + [""]
        elif kind == "ul":
            lines += [f"- {_md_cell(item)}" for item in rest[0]] + [""]
        elif kind == "table":
            header, rows = rest
            lines.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            lines.append("|" + "|".join("---" for _ in header) + "|")
            lines += ["| " + " | ".join(_md_cell(x) for x in row) + " |" for row in rows]
            lines.append("")
        elif kind == "img":
            lines += [f"![{_md_cell(rest[1])}]({rest[0]})", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def html(items: list[tuple]) -> str:
    e = html_lib.escape
    title = next((rest[0] for kind, *rest in items if kind == "h1"), "Methodology")
    parts = ['<!DOCTYPE html>', '<html lang="en">', '<head><meta charset="utf-8">', f"<title>{e(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}"
             "blockquote{border-left:4px solid #79aec8;margin:0;padding:0 1em;white-space:pre-wrap}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
             "img{max-width:100%}</style>", "</head>", "<body>"]
    for kind, *rest in items:
        if kind in ("h1", "h2", "p"):
            parts.append(f"<{kind}>{e(rest[0])}</{kind}>")
        elif kind == "quote":
            parts.append(f"<blockquote>{e(rest[0])}</blockquote>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in rest[0]) + "</ul>")
        elif kind == "table":
            header, rows = rest
            parts.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr></thead><tbody>"
                         + "".join("<tr>" + "".join(f"<td>{e(x)}</td>" for x in row) + "</tr>" for row in rows)
                         + "</tbody></table>")
        elif kind == "img":
            parts.append(f'<p><img src="{e(rest[0])}" alt="{e(rest[1])}"></p>')
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
