"""HTML bodies to plain text and tables, with lxml (never a regex over markup)."""
from __future__ import annotations

import csv
import io
import re

from lxml import etree
from lxml import html as lxml_html

BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre",
              "hr", "dt", "dd"}
MAX_HTML_BYTES = 5 * 1024 * 1024
MAX_TABLE_CELLS = 100_000


def _document(html: str):
    if not html or not html.strip():
        return None
    html = html[:MAX_HTML_BYTES]
    try:
        parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        return lxml_html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return None


def html_to_text(html: str) -> str:
    """Readable text: blocks on their own lines, table cells separated by tabs, scripts dropped."""
    doc = _document(html)
    if doc is None:
        return ""
    for bad in doc.xpath("//script|//style|//head"):
        bad.drop_tree()
    out: list[str] = []

    def walk(el):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in BLOCK_TAGS:
            out.append("\n")
        if el.text and tag:
            out.append(el.text)
        for child in el:
            walk(child)
            if isinstance(child.tag, str) and child.tag in ("td", "th"):
                out.append("\t")
            if child.tail:
                out.append(child.tail)
        if tag in BLOCK_TAGS:
            out.append("\n")

    walk(doc)
    text = "".join(out).replace("\xa0", " ")
    lines = [re.sub(r"[ \r\f\v]+", " ", line).strip(" ").rstrip("\t") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _cell_text(cell) -> str:
    return re.sub(r"\s+", " ", cell.text_content().replace("\xa0", " ")).strip()


def html_tables(html: str) -> list[list[list[str]]]:
    """Every table in the body as rows of cell text; colspans repeated so columns line up."""
    doc = _document(html)
    if doc is None:
        return []
    tables = []
    cells = 0
    for table in doc.xpath("//table[not(ancestor::table)]"):
        rows = []
        for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
            row = []
            for cell in tr.xpath("./td|./th"):
                try:
                    span = max(1, min(int(cell.get("colspan", "1")), 50))
                except ValueError:
                    span = 1
                row.extend([_cell_text(cell)] + [""] * (span - 1))
            cells += len(row)
            if cells > MAX_TABLE_CELLS:
                return tables
            if any(row):
                rows.append(row)
        if rows:
            tables.append(rows)
    return tables


def table_to_csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def looks_like_figures(rows: list[list[str]]) -> bool:
    """A table worth reading as a return: a few rows, and numbers in most of the body rows."""
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        return False
    numeric = sum(1 for r in rows[1:] for c in r[1:] if re.fullmatch(r"[\d,]+|\*|<\d+|-|x", c.strip() or "-"))
    total = sum(len(r[1:]) for r in rows[1:])
    return total > 0 and numeric / total >= 0.6
