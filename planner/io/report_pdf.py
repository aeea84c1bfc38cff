"""The report as a PDF (reportlab), A4, with the banner and the not-a-medical-device
statement on every page."""

from __future__ import annotations

import io
import os
from pathlib import Path

from planner.io.report_document import Figure, Paragraph, ReportDocument, Table

VERDICT_RGB = {"pass": (0.12, 0.55, 0.23), "warn": (0.72, 0.43, 0.0),
               "fail": (0.78, 0.16, 0.16), "unknown": (0.4, 0.4, 0.4),
               "unverified": (0.18, 0.43, 0.71), "n/a": (0.4, 0.4, 0.4)}


def write_pdf(doc: ReportDocument, path: str | os.PathLike) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (Image, KeepTogether, PageBreak, SimpleDocTemplate,
                                    Spacer)
    from reportlab.platypus import Paragraph as P
    from reportlab.platypus import Table as T
    from reportlab.platypus import TableStyle
    from xml.sax.saxutils import escape

    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=9.5, leading=12)
    note = ParagraphStyle("note", parent=body, fontSize=8.5, textColor=colors.HexColor("#444444"))
    alert = ParagraphStyle("alert", parent=body, textColor=colors.HexColor("#b00020"),
                           fontName="Helvetica-Bold")
    cell = ParagraphStyle("cell", parent=body, fontSize=7.8, leading=9.5)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    para_style = {"body": body, "note": note, "alert": alert}
    width = A4[0] - 30 * mm

    def table(t: Table):
        data = [[P(escape(c), head) for c in t.columns]]
        for r in t.rows:
            data.append([P(escape(c), cell) for c in r])
        col = None
        if t.widths:
            total = float(sum(t.widths))
            col = [width * w / total for w in t.widths]
        tab = T(data, repeatRows=1, hAlign="LEFT", colWidths=col)
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e8ee")),
                 ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
        if t.verdict_column is not None:
            for n, r in enumerate(t.rows, start=1):
                rgb = VERDICT_RGB.get(r[t.verdict_column])
                if rgb:
                    style.append(("BACKGROUND", (t.verdict_column, n), (t.verdict_column, n),
                                  colors.Color(*rgb, alpha=0.25)))
        tab.setStyle(TableStyle(style))
        out = [tab]
        if t.caption:
            out.insert(0, P(f"<b>{escape(t.caption)}</b>", body))
        return KeepTogether(out) if len(t.rows) < 25 else out

    def figure(f: Figure, w_mm: float):
        img = Image(io.BytesIO(f.png))
        scale = w_mm * mm / img.imageWidth
        img.drawWidth, img.drawHeight = w_mm * mm, img.imageHeight * scale
        return [img, P(escape(f.caption), note)]

    story = [P(escape(doc.title), styles["Title"]), P(f"<b>{escape(doc.banner)}</b>", body),
             P(escape(doc.generated), note), Spacer(1, 4),
             P(escape(doc.disclaimer), alert), Spacer(1, 6)]
    for s in doc.sections:
        if s.new_page:
            story.append(PageBreak())
        story.append(P(escape(s.title), styles["Heading2"]))
        for b in s.blocks:
            if isinstance(b, Paragraph):
                story.append(P(escape(b.text), para_style.get(b.style, body)))
            elif isinstance(b, Table):
                t = table(b)
                story += t if isinstance(t, list) else [t]
                story.append(Spacer(1, 5))
            elif isinstance(b, list):
                w = min(85.0, (width / mm - 4 * (len(b) - 1)) / max(1, len(b)))
                row = [figure(f, w) for f in b]
                grid = T([row], hAlign="LEFT")
                grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                          ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
                story += [grid, Spacer(1, 5)]
            else:
                story += figure(b, min(b.width_mm, width / mm)) + [Spacer(1, 5)]

    def decorate(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.drawString(15 * mm, A4[1] - 10 * mm, doc.banner[:150])
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"page {document.page}")
        canvas.setFillColor(colors.HexColor("#b00020"))
        canvas.drawString(15 * mm, 8 * mm, "Planning and training support, not a "
                          "certified medical device.")
        canvas.restoreState()

    target = Path(path)
    tmp = target.with_name(f".{target.name}.part")
    pdf = SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=14 * mm, title=doc.title,
                            author="Pedicle Planner", subject="Vertebroplasty plan")
    try:
        pdf.build(story, onFirstPage=decorate, onLaterPages=decorate)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
