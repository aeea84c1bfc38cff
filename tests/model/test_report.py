"""The plan report and the exports, from a planned session on the sample case: the text
of the PDF and HTML, de-identification (text and burned-in image labels), Slicer markups
and CSV coordinates against the plan."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from pypdf import PdfReader

from planner.core.checklist import ITEMS
from planner.io.exports import slicer_markups, write_csv, write_slicer_markups
from planner.io.report_html import write_html
from planner.io.report_pdf import write_pdf
from planner.model.report import (CSV_COLUMNS, build_report, markup_lines,
                                  trajectory_rows)

PATIENT = ("Sample^Spine", "PP-SAMPLE")


@pytest.fixture(scope="module")
def drawn_labels(monkeypatch_module):
    """Every label burned into a report image."""
    import planner.io.overlay_png as overlay_png

    seen: list[str] = []
    real = overlay_png.draw

    def spy(grey, overlay):
        seen.extend(label.text for label in overlay.labels)
        return real(grey, overlay)

    monkeypatch_module.setattr(overlay_png, "draw", spy)
    return seen


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def pdf_text(planned_session, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "plan.pdf"
    write_pdf(build_report(planned_session, plan_path="/plans/sample.ppplan.json"), path)
    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_the_pdf_says_what_the_plan_is(planned_session, pdf_text):
    pages, text = pdf_text
    assert pages >= 4
    flat = " ".join(text.split())
    assert "Vertebroplasty plan" in flat and "not a certified medical device" in flat
    for name in PATIENT:
        assert name in flat                        # identified by default
    assert "Level L1" in flat and "Level L2" in flat
    assert "Genant grade 2" in flat               # the wedge
    assert "Levels counted from the sacrum" in flat
    assert "Pre-procedure checklist" in flat and "INCOMPLETE" in flat
    assert "Severe kyphosis or scoliosis" in flat and "6 weeks" in flat
    assert "every verdict below is unverified" in flat          # L2 not checked
    assert "wedge fracture; cement 3 mL per side" in flat
    for check in ("medial_wall", "ap_view_rule", "anterior_cortex", "entry_clock", "lung"):
        assert check in flat
    assert "true lateral" in flat and "en face left" in flat
    t = planned_session.levels[0].trajectories["left"]
    entry = "(" + ", ".join(f"{x:.1f}" for x in t.entry) + ")"
    assert entry in flat                           # the plan's own entry, LPS mm
    r = planned_session.result(0, "left")
    medial = f"{r['angles']['medial_deg']:.0f} medial"
    assert medial in flat


def test_deidentified_report_and_images_carry_no_identifiers(planned_session, drawn_labels,
                                                              tmp_path):
    drawn_labels.clear()
    doc = build_report(planned_session, deidentify=True,
                       plan_path="/home/dr/Sample^Spine.ppplan.json")
    html_path = tmp_path / "plan.html"
    write_html(doc, html_path)
    html = html_path.read_text(encoding="utf-8")
    uid = planned_session.volume.meta["series_uid"]
    series = planned_session.volume.meta["series_description"]
    for secret in (*PATIENT, uid, "2026-01-01", "Sample^Spine.ppplan", series):
        assert secret not in html
        assert secret not in doc.text()
    assert drawn_labels, "the report has images"
    assert all(not any(s in label for s in PATIENT) for label in drawn_labels)
    assert any("De-identified" in label for label in drawn_labels)
    assert html.count("data:image/png;base64,") == 1 + 2 * 2 + 2 * 2  # overview, AP+lat, slices


def test_checklist_status_follows_the_answers(planned_session):
    from planner.core.checklist import assess

    c = json.loads(json.dumps(planned_session.checklist))
    assert assess(c)["status"] == "incomplete"
    for item in ITEMS:
        c["answers"][item.id] = "yes" if item.kind == "confirm" else "no"
    assert assess(c)["status"] == "clear"
    c["pain_weeks"] = 20
    assert assess(c)["status"] == "caution"
    c["answers"]["stir_oedema"] = "no"
    assert assess(c)["status"] == "contraindicated"
    c["pain_weeks"] = None
    c["answers"]["stir_oedema"] = "yes"
    assert assess(c)["status"] == "incomplete"


def test_slicer_markups_hold_the_plan_in_lps(planned_session, tmp_path):
    path = tmp_path / "plan.mrk.json"
    write_slicer_markups(path, markup_lines(planned_session))
    data = json.loads(path.read_text())
    assert data["@schema"].endswith("markups-schema-v1.0.3.json#")
    lines = data["markups"]
    assert len(lines) == 4
    for m in lines:
        assert m["type"] == "Line" and m["coordinateSystem"] == "LPS"
        assert m["coordinateUnits"] == "mm" and len(m["controlPoints"]) == 2
        label, side = m["name"].split()
        n = [lv.label for lv in planned_session.levels].index(label)
        t = planned_session.levels[n].trajectories[side]
        entry, tip = (np.array(p["position"]) for p in m["controlPoints"])
        assert np.allclose(entry, t.entry, atol=1e-9) and np.allclose(tip, t.target,
                                                                       atol=1e-9)
        assert all(p["positionStatus"] == "defined" for p in m["controlPoints"])
        assert len(m["display"]["color"]) == 3
    # an unchecked level's lines are grey (unverified), a checked level's by verdict
    greys = {m["name"] for m in lines if m["display"]["color"] == [0.6, 0.6, 0.6]}
    assert greys == {"L2 left", "L2 right"}
    assert slicer_markups([])["markups"] == []


def test_csv_rows_match_the_plan(planned_session, tmp_path):
    path = tmp_path / "plan.csv"
    write_csv(path, CSV_COLUMNS, trajectory_rows(planned_session))
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 4
    for row in rows:
        n = [lv.label for lv in planned_session.levels].index(row["level"])
        t = planned_session.levels[n].trajectories[row["side"]]
        got = [float(row[k]) for k in ("entry_L_mm", "entry_P_mm", "entry_S_mm")]
        assert np.allclose(got, t.entry, atol=0.006)
        got = [float(row[k]) for k in ("tip_L_mm", "tip_P_mm", "tip_S_mm")]
        assert np.allclose(got, t.target, atol=0.006)
        assert float(row["entry_to_tip_mm"]) == pytest.approx(t.length_mm, abs=0.006)
        assert row["model_checked"] == ("yes" if row["level"] == "L1" else "no")
        assert row["verdict"] in ("pass", "warn", "fail", "unknown")
