"""The report as one self-contained HTML file (images inline)."""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

from planner.io.report_document import Figure, Paragraph, ReportDocument, Table

VERDICT_CSS = {"pass": "#1e8c3a", "warn": "#b86e00", "fail": "#c62828",
               "unknown": "#666666", "unverified": "#2f6db5", "n/a": "#666666"}

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #111;
       max-width: 190mm; margin: 10mm auto; }
h1 { font-size: 17pt; margin-bottom: 2pt; }
h2 { font-size: 13pt; border-bottom: 1px solid #888; margin-top: 18pt; }
.banner { background: #eef2f7; padding: 4pt 6pt; font-weight: bold; }
.meta, .note { color: #444; font-size: 9pt; }
.alert { color: #b00020; font-weight: bold; }
.disclaimer { border: 1px solid #b00020; padding: 4pt 6pt; font-size: 9pt; }
table { border-collapse: collapse; margin: 6pt 0; font-size: 9pt; }
th, td { border: 1px solid #bbb; padding: 2pt 4pt; text-align: left; vertical-align: top; }
th { background: #e4e8ee; }
caption { text-align: left; font-weight: bold; padding: 2pt 0; }
figure { display: inline-block; margin: 4pt 6pt 4pt 0; vertical-align: top; }
figcaption { font-size: 8.5pt; color: #333; }
@media print { h2.page { page-break-before: always; } }
"""


def _table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    rows = []
    for r in t.rows:
        cells = []
        for i, c in enumerate(r):
            style = ""
            if i == t.verdict_column and c in VERDICT_CSS:
                style = f' style="color:{VERDICT_CSS[c]};font-weight:bold"'
            cells.append(f"<td{style}>{html.escape(c)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(t.caption)}</caption>" if t.caption else ""
    return f"<table>{cap}<tr>{head}</tr>{''.join(rows)}</table>"


def _figure(f: Figure) -> str:
    data = base64.b64encode(f.png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" '
            f'style="width:{f.width_mm:.0f}mm" alt="{html.escape(f.caption)}">'
            f"<figcaption>{html.escape(f.caption)}</figcaption></figure>")


def render_html(doc: ReportDocument) -> str:
    parts = [f"<h1>{html.escape(doc.title)}</h1>",
             f'<div class="banner">{html.escape(doc.banner)}</div>',
             f'<p class="meta">{html.escape(doc.generated)}</p>',
             f'<p class="disclaimer">{html.escape(doc.disclaimer)}</p>']
    for s in doc.sections:
        cls = ' class="page"' if s.new_page else ""
        parts.append(f"<h2{cls}>{html.escape(s.title)}</h2>")
        for b in s.blocks:
            if isinstance(b, list):
                parts.append("<div>" + "".join(_figure(f) for f in b) + "</div>")
            elif isinstance(b, Paragraph):
                parts.append(f'<p class="{b.style}">{html.escape(b.text)}</p>')
            elif isinstance(b, Table):
                parts.append(_table(b))
            else:
                parts.append(_figure(b))
    parts.append(f'<p class="disclaimer">{html.escape(doc.disclaimer)}</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(doc.title)}</title><style>{STYLE}</style></head>"
            "<body>\n" + "\n".join(parts) + "\n</body></html>\n")


def write_html(doc: ReportDocument, path: str | os.PathLike) -> None:
    target = Path(path)
    tmp = target.with_name(f".{target.name}.part")
    tmp.write_text(render_html(doc), encoding="utf-8")
    os.replace(tmp, target)
