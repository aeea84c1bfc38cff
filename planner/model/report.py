"""The plan report's content, from a planning session: the same document for the GUI's
export and the ``report`` command, written as PDF or HTML by planner.io.

Per level: the model's status, heights and Genant grade, every trajectory (entry, tip,
angles in the vertebra's frame, length, gauge), every check, the standard C-arm views,
AP and lateral simulated fluoroscopy with the needles and an axial slice along each
needle. Before the levels: the pre-procedure checklist and a wide AP overview with the
level count. De-identified, the report and its images carry no patient identifiers.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

import numpy as np

from planner.core.checklist import ITEMS, assess
from planner.core.checks.result import value_text
from planner.core.overlays import VERDICT_RGB, Label, Overlay, Polyline, level_overlay
from planner.io.report_document import Figure, Paragraph, ReportDocument, Section, Table
from planner.model.plan_session import PlanSession

IMAGE_PX = 384               # fluoroscopy images (about 120 dpi at 80 mm)
SLICE_MM, SLICE_PX_MM = 90.0, 0.3
DEIDENTIFIED = "De-identified"
STATUS_WORDS = {"clear": "complete, no contraindication",
                "caution": "complete, relative contraindications",
                "incomplete": "INCOMPLETE: items unanswered",
                "contraindicated": "ABSOLUTE CONTRAINDICATION"}


def banner(meta: dict[str, Any], deidentify: bool) -> str:
    """Patient, study and series in one line (or only the series' nature)."""
    if deidentify:
        return f"{DEIDENTIFIED} | {meta.get('modality', 'CT') or 'CT'}"
    parts = [meta.get("patient_name") or "unnamed patient",
             f"ID {meta['patient_id']}" if meta.get("patient_id") else "",
             meta.get("study_description", ""), _date(meta.get("study_date", "")),
             meta.get("series_description", "")]
    return " | ".join(p for p in parts if p)


def _date(d: str) -> str:
    return f"{d[:4]}-{d[4:6]}-{d[6:]}" if len(d) == 8 and d.isdigit() else d


def _mm(v: Any, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _lps(p: Any) -> str:
    return "(" + ", ".join(f"{x:.1f}" for x in p) + ")"


def build_report(session: PlanSession, deidentify: bool = False, images: bool = True,
                 plan_path: str = "", progress: Callable[[float, str], None] | None = None
                 ) -> ReportDocument:
    """The report of every level in the session (slow with images: DRRs and slices)."""
    vol = session.volume
    say = progress or (lambda f, t: None)
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    generated = f"Generated {now} by Pedicle Planner"
    if plan_path and not deidentify:
        generated += f" from {plan_path}"
    sections = [_summary(session, deidentify), _checklist(session)]
    att = None
    if images and session.levels:
        from planner.core.drr import attenuation

        say(0.05, "Preparing the simulated fluoroscopy")
        att = attenuation(vol, downsample=2)
        sections.append(Section("AP overview and level count",
                                [_overview(session, att, deidentify)], new_page=True))
    for n, level in enumerate(session.levels):
        say(0.1 + 0.85 * n / max(1, len(session.levels)), f"Level {level.label}")
        sections.append(_level(session, n, att, deidentify))
    say(1.0, "Report assembled")
    return ReportDocument("Vertebroplasty plan", banner(vol.meta, deidentify), generated,
                          sections)


# --- sections ---------------------------------------------------------------------------
def _summary(session: PlanSession, deidentify: bool) -> Section:
    vol = session.volume
    m = vol.meta
    sp = vol.spacing
    ct = [["Grid", f"{' x '.join(str(n) for n in vol.shape_ijk)} voxels, "
                   f"{sp[0]:.2f} x {sp[1]:.2f} x {sp[2]:.2f} mm"],
          ["Slice thickness", f"{m.get('slice_thickness') or sp[2]:.2f} mm"],
          ["CT patient position", m.get("patient_position", "") or "unknown"],
          ["Procedure position", "prone (the C-arm angles below assume it)"]]
    if not deidentify:      # descriptions and UIDs may identify (DICOM PS3.15 removes them)
        ct[:0] = [["Series", m.get("series_description", "") or "-"],
                  ["Series UID", m.get("series_uid", "") or "-"]]
    rows = []
    for n, level in enumerate(session.levels):
        verdicts = []
        for side in ("left", "right"):
            res = session.result(n, side)
            if res is not None:
                verdicts.append(f"{side}: {res['verdict']}")
        g = level.genant()
        rows.append([level.label, ", ".join(verdicts) or "no needle",
                     "checked" if level.accepted else "NOT checked (unverified)",
                     "-" if g.get("grade") is None else f"grade {g['grade']}"])
    blocks: list = [Table(["CT", ""], ct)]
    blocks.append(Table(["Level", "Verdicts", "Vertebra model", "Genant"], rows,
                        caption="Levels"))
    counted = session.counted_from
    blocks.append(Paragraph(f"Levels counted from {counted}." if counted else
                            "How the levels were counted was not recorded.",
                            "body" if counted else "alert"))
    if session.too_many_levels:
        blocks.append(Paragraph(f"{len(session.levels)} levels in one sitting: more than "
                                "three is advised against (cement and fat embolism).",
                                "alert"))
    return Section("Summary", blocks)


def _checklist(session: PlanSession) -> Section:
    c = session.checklist
    a = assess(c)
    rows = []
    for item in ITEMS:
        answer = c["answers"].get(item.id, "") or "not answered"
        kind = {"confirm": "must be yes", "absolute": "absolute contraindication",
                "relative": "relative contraindication"}[item.kind]
        rows.append([item.text, kind, answer])
    weeks = c.get("pain_weeks")
    rows.append(["Pain duration", "over 3 months: relative",
                 "not answered" if weeks is None else f"{weeks:g} weeks"])
    blocks: list = [Paragraph(f"Status: {STATUS_WORDS[a['status']]}.",
                              "body" if a["status"] == "clear" else "alert"),
                    Table(["Item", "Rule", "Answer"], rows, widths=[60, 25, 15])]
    for title, items in (("Absolute contraindications", a["absolute"]),
                         ("Relative contraindications", a["relative"])):
        if items:
            blocks.append(Paragraph(f"{title}: " + "; ".join(items) + ".", "alert"))
    if c.get("notes"):
        blocks.append(Paragraph(f"Notes: {c['notes']}"))
    return Section("Pre-procedure checklist", blocks)


def _level(session: PlanSession, n: int, att, deidentify: bool) -> Section:
    level = session.levels[n]
    model = level.model
    blocks: list = []
    if not level.accepted:
        blocks.append(Paragraph("The vertebra model of this level was not checked by the "
                                "user: every verdict below is unverified.", "alert"))
    for w in level.warnings + model.warnings:
        blocks.append(Paragraph(f"Warning: {w}", "note"))
    for part, why in model.missing.items():
        blocks.append(Paragraph(f"Not found: {part.replace('_', ' ')} ({why}); the checks "
                                "that need it are unknown.", "alert"))
    blocks.append(_heights_table(level))
    results = {side: session.result(n, side) for side in ("left", "right")}
    results = {s: r for s, r in results.items() if r is not None}
    if not results:
        blocks.append(Paragraph("No trajectory planned at this level.", "alert"))
    else:
        blocks.append(_trajectory_table(results))
        for side, res in results.items():
            blocks.append(Table(
                ["Check", "Verdict", "Value", "Rule"],
                [[c["id"], c["verdict"], _value(c), c["rule"]] for c in res["checks"]],
                caption=f"Checks, {side} needle", verdict_column=1,
                widths=[18, 9, 20, 53]))
    blocks.append(_views_table(session, n))
    if att is not None:
        blocks.append(_fluoro_figures(session, n, att, deidentify))
        blocks.append(_slice_figures(session, n, deidentify))
    if level.notes:
        blocks.append(Paragraph(f"Notes: {level.notes}"))
    return Section(f"Level {level.label}", blocks, new_page=True)


def _value(c: dict) -> str:
    """The value, or for a check that could not be computed, why."""
    if c.get("value") is None and c["verdict"] == "unknown":
        return c.get("details", {}).get("reason", "unknown")
    return value_text(c)


def _heights_table(level) -> Table:
    h = level.heights or {}
    rows = [["this level", _mm(h.get("anterior_mm")), _mm(h.get("middle_mm")),
             _mm(h.get("posterior_mm"))]]
    for k, a in enumerate(level.adjacent_heights):
        rows.append([f"adjacent level {k + 1}", _mm(a.get("anterior_mm")),
                     _mm(a.get("middle_mm")), _mm(a.get("posterior_mm"))])
    g = level.genant()
    if g.get("grade") is None:
        grade = f"Genant grade unknown ({g.get('reason', '')})"
    else:
        grade = (f"Genant grade {g['grade']}: {g['loss'] * 100:.0f}% {g['worst']} height "
                 f"loss against {g['basis']}")
    wall = level.posterior_wall or "not assessed"
    return Table(["Heights (mm, sagittal)", "anterior", "middle", "posterior"], rows,
                 caption=f"Vertebral body: {grade}. Posterior wall: {wall}.")


def _trajectory_table(results: dict[str, dict]) -> Table:
    rows = []
    for side, r in results.items():
        ang = r["angles"]
        skin = r["skin_entry"]
        fits = [k for k, ok in skin["needles"].items() if ok]
        rows.append([side, r["approach"], f"{r['gauge']} ({r['diameter_mm']:.2f} mm)",
                     _lps(r["entry"]), _lps(r["target"]),
                     f"{r['needle_length_mm']:.1f}",
                     f"{ang['medial_deg']:.0f} medial, "
                     f"{abs(ang['craniocaudal_deg']):.0f} "
                     f"{'caudal' if ang['craniocaudal_deg'] >= 0 else 'cranial'}",
                     f"{skin['skin_to_tip']} ({fits[0] if fits else 'none of 10-15 cm'})",
                     r.get("entry_clock") or "-", r["verdict"]])
    return Table(["Side", "Approach", "Gauge", "Entry (LPS mm)", "Tip (LPS mm)",
                  "Entry to tip (mm)", "Angles (deg)", "Skin to tip (needle)",
                  "Entry clock", "Verdict"], rows, caption="Trajectories",
                 verdict_column=9, widths=[7, 10, 9, 13, 13, 8, 12, 12, 9, 7])


def _views(session: PlanSession, n: int):
    from planner.core.standard_views import (PATIENT_POSITION, en_face_directions,
                                             standard_views)

    level = session.levels[n]
    f = level.model.frame
    needles = {s: (t.entry, t.target) for s, t in level.trajectories.items()}
    return needles, standard_views(f.left, f.anterior, f.cranial,
                                   en_face=en_face_directions(level.model, needles),
                                   patient_position=PATIENT_POSITION)


def _views_table(session: PlanSession, n: int) -> Table:
    _, views = _views(session, n)
    pos = session.volume.meta.get("patient_position", "") or "unknown"
    rows = [[v.name, v.from_true_ap, f"{v.primary_deg:.1f}", f"{v.secondary_deg:.1f}"]
            for v in views]
    return Table(["View", "From the true AP", "Primary (deg)", "Secondary (deg)"], rows,
                 caption=f"C-arm views (patient prone; DICOM positioner angles; the CT "
                         f"was acquired {pos})", widths=[15, 55, 15, 15])


# --- images -----------------------------------------------------------------------------
def _needles_json(session: PlanSession, n: int) -> list[dict]:
    level = session.levels[n]
    return [{"entry": t.entry, "target": t.target, "diameter_mm": t.diameter_mm,
             "verdict": session.shown_verdict(n, side) or "unknown"}
            for side, t in level.trajectories.items()]


def _image_banner(session: PlanSession, text: str, deidentify: bool, overlay: Overlay,
                  size: int) -> None:
    who = DEIDENTIFIED if deidentify else (session.volume.meta.get("patient_name") or "")
    overlay.labels.append(Label((0.02 * size, 0.015 * size),
                                " | ".join(x for x in (who, text) if x),
                                (255, 255, 255), size=max(11, size // 32)))


def _drr_png(session: PlanSession, att, carm, overlay: Overlay, text: str,
             deidentify: bool) -> bytes:
    from planner.core.drr import render, to_display
    from planner.io.overlay_png import draw
    from planner.io.png import encode_png

    image = to_display(render(att, carm))
    _image_banner(session, text, deidentify, overlay, carm.pixels)
    return encode_png(draw(image, overlay))


def _overview(session: PlanSession, att, deidentify: bool) -> Figure:
    from planner.core.standard_views import OVERVIEW_DETECTOR_MM, PATIENT_POSITION

    centres = np.array([lv.model.centre for lv in session.levels])
    mid = int(np.argmin(np.linalg.norm(centres - centres.mean(axis=0), axis=1)))
    _, views = _views(session, mid)
    ap = next(v for v in views if v.name == "true AP")
    carm = ap.carm(centres.mean(axis=0), patient_position=PATIENT_POSITION,
                   detector_mm=OVERVIEW_DETECTOR_MM, pixels=IMAGE_PX)
    overlay = Overlay()
    for n, level in enumerate(session.levels):
        c = carm.project(level.model.centre)
        overlay.labels.append(Label((c[0] + 0.09 * IMAGE_PX, c[1] - 0.02 * IMAGE_PX),
                                    f"< {level.label}", (255, 255, 255), size=14))
        for t in _needles_json(session, n):
            overlay.lines.append(Polyline(carm.project(np.array([t["entry"], t["target"]])),
                                          VERDICT_RGB[t["verdict"]], 2.0, kind="needle"))
    counted = (f"levels counted from {session.counted_from}" if session.counted_from
               else "level count not recorded")
    overlay.labels.append(Label((0.03 * IMAGE_PX, 0.92 * IMAGE_PX), counted, size=12))
    png = _drr_png(session, att, carm, overlay, "AP overview", deidentify)
    return Figure(png, f"Wide AP overview (true AP of {session.levels[mid].label}), "
                       f"{counted}; planned levels labelled.", width_mm=110.0)


def _fluoro_figures(session: PlanSession, n: int, att, deidentify: bool) -> list[Figure]:
    from planner.core.standard_views import PATIENT_POSITION, view_isocentre

    level = session.levels[n]
    needles, views = _views(session, n)
    out = []
    for name in ("true AP", "true lateral"):
        v = next(x for x in views if x.name == name)
        carm = v.carm(view_isocentre(name, level.model, needles),
                      patient_position=PATIENT_POSITION, pixels=IMAGE_PX)
        overlay = level_overlay(carm, level.model, _needles_json(session, n))
        out.append(Figure(_drr_png(session, att, carm, overlay,
                                   f"{level.label} {name}", deidentify),
                          f"{level.label}, simulated {name} ({v.from_true_ap}; primary "
                          f"{v.primary_deg:.0f}, secondary {v.secondary_deg:.0f} deg)"))
    return out


def _slice_figures(session: PlanSession, n: int, deidentify: bool) -> list[Figure]:
    from planner.core.needle_slice import needle_slice, window
    from planner.io.overlay_png import draw
    from planner.io.png import encode_png

    level = session.levels[n]
    out = []
    for side, t in level.trajectories.items():
        img = needle_slice(session.volume, level.model.frame, t.entry, t.target,
                           SLICE_MM, SLICE_PX_MM)
        size = img.hu.shape[0]
        overlay = Overlay()
        rgb = VERDICT_RGB[session.shown_verdict(n, side) or "unknown"]
        ends = img.to_pixel(np.array([t.entry, t.target]))
        overlay.lines.append(Polyline(ends, rgb, max(2.0, t.diameter_mm / SLICE_PX_MM),
                                      kind="needle"))
        bar = np.array([[0.05 * size, 0.95 * size],
                        [0.05 * size + 10.0 / SLICE_PX_MM, 0.95 * size]])
        overlay.lines.append(Polyline(bar, (255, 255, 255), 2.0, kind="scale"))
        overlay.labels += [Label((bar[0, 0], bar[0, 1] - 18), "10 mm", (255, 255, 255), 12),
                           Label((0.48 * size, 0.06 * size), "A", (255, 255, 255), 16),
                           Label((0.92 * size, 0.48 * size), "L", (255, 255, 255), 16),
                           Label((0.03 * size, 0.48 * size), "R", (255, 255, 255), 16)]
        _image_banner(session, f"{level.label} {side} needle", deidentify, overlay, size)
        png = encode_png(draw(window(img.hu), overlay))
        out.append(Figure(png, f"{level.label}, axial slice along the {side} needle (tilted "
                               "to contain it; bone window)"))
    return out


# --- exports ----------------------------------------------------------------------------
CSV_COLUMNS = ["level", "side", "approach", "gauge", "diameter_mm",
               "entry_L_mm", "entry_P_mm", "entry_S_mm", "tip_L_mm", "tip_P_mm", "tip_S_mm",
               "entry_to_tip_mm", "medial_deg", "craniocaudal_deg", "skin_to_tip_mm",
               "medial_clearance_mm", "tip_to_anterior_cortex_mm", "gr_grade", "verdict",
               "model_checked"]


def trajectory_rows(session: PlanSession) -> list[list[Any]]:
    """One row per trajectory (CSV_COLUMNS), LPS millimetres; verdicts as computed, with
    whether the user checked the level's model."""
    def num(v: Any) -> Any:
        return "" if v is None else round(float(v), 2)

    rows = []
    for n, level in enumerate(session.levels):
        for side, t in level.trajectories.items():
            r = session.result(n, side)
            rows.append([level.label, side, t.approach, t.gauge, t.diameter_mm,
                         *[round(float(x), 2) for x in t.entry],
                         *[round(float(x), 2) for x in t.target],
                         round(t.length_mm, 2), num(r["angles"]["medial_deg"]),
                         num(r["angles"]["craniocaudal_deg"]),
                         num(r["skin_entry"]["skin_to_tip_mm"]),
                         num(r["medial_clearance_mm"]), num(r["tip_to_anterior_cortex_mm"]),
                         r["gr_grade"] or "", r["verdict"],
                         "yes" if level.accepted else "no"])
    return rows


def markup_lines(session: PlanSession) -> list[dict[str, Any]]:
    """The trajectories as named lines for planner.io.exports.slicer_markups."""
    out = []
    for n, level in enumerate(session.levels):
        for side, t in level.trajectories.items():
            verdict = session.shown_verdict(n, side) or "unknown"
            out.append({"name": f"{level.label} {side}", "entry": t.entry.tolist(),
                        "target": t.target.tolist(), "verdict": verdict,
                        "description": f"{t.gauge} {t.approach}, {verdict}"})
    return out
