"""The plan's clinical record in the workstation, driven with real mouse and key events:
the pre-procedure checklist, a level's heights, posterior wall and notes (each undoable),
the report and trajectory exports, and hiding the patient's identity for screenshots."""

import json

import numpy as np

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QFileDialog

from planner.core.checklist import ITEMS
from tests.ui.test_planning import _undo


def _show_details(window, qtbot):
    bar = window.side_tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    assert window.side_tabs.currentWidget() is window.details


def _menu_undo(window):
    """Edit > Undo from the menu (Ctrl+Z inside a text field undoes its own typing)."""
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    next(a for a in edit.actions() if a.text().startswith("&Undo")).trigger()


def _choose(qtbot, combo: QComboBox, text: str) -> None:
    """Pick an item by keyboard, as a user tabbing through the form would."""
    combo.setFocus()
    start = combo.currentIndex()
    target = combo.findText(text)
    key = Qt.Key.Key_Down if target > start else Qt.Key.Key_Up
    for _ in range(abs(target - start)):
        qtbot.keyClick(combo, key)
    assert combo.currentText() == text


def test_checklist_is_answered_in_its_dialog_and_undone(planned, qtbot, tmp_path,
                                                        monkeypatch):
    window, _ = planned
    _show_details(window, qtbot)
    assert "Incomplete" in window.details.checklist_status.text()
    done = []

    def fill():
        dlg = QApplication.activeModalWidget()
        for item in ITEMS:
            combo = dlg.findChild(QComboBox, f"answer_{item.id}")
            _choose(qtbot, combo, "yes" if item.kind == "confirm" else "no")
        assert "Incomplete" in dlg.status.text()          # pain duration still open
        pain = dlg.pain
        pain.setFocus()
        pain.selectAll()
        qtbot.keyClicks(pain, "20")
        qtbot.keyClick(pain, Qt.Key.Key_Tab)
        assert "relative" in dlg.status.text()
        ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        done.append(True)

    QTimer.singleShot(200, fill)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_K)      # Plan > checklist
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    c = window.session.checklist
    assert c["answers"]["stir_oedema"] == "yes" and c["answers"]["infection"] == "no"
    assert c["pain_weeks"] == 20.0
    assert "relative contraindications" in window.details.checklist_status.text()
    # saved with the plan
    path = tmp_path / "p.ppplan.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    assert window.plan_files.save_as()
    assert json.loads(path.read_text())["checklist"]["pain_weeks"] == 20.0
    _undo(window, qtbot)
    assert window.session.checklist["pain_weeks"] is None
    assert "Incomplete" in window.details.checklist_status.text()


def test_heights_wall_and_notes_are_edited_and_undone(planned, qtbot):
    window, _ = planned
    _show_details(window, qtbot)
    d = window.details
    level = window.session.levels[0]
    measured = dict(level.heights)
    assert measured["anterior_mm"] == pytest.approx(16.3, abs=1.0)    # the sample's wedge
    assert "Genant grade 2" in d.genant.text()
    box = d.height_boxes["anterior_mm"]
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "13")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert level.heights["anterior_mm"] == 13.0
    assert "Genant grade 3" in d.genant.text()                 # over 40 % now
    _menu_undo(window)
    assert level.heights == measured and "Genant grade 2" in d.genant.text()
    _choose(qtbot, d.wall, "retropulsed fragment")
    qtbot.keyClick(d.wall, Qt.Key.Key_Return)
    assert level.posterior_wall == "retropulsed fragment"
    qtbot.mouseClick(d.notes.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.keyClicks(d.notes, "cement 3 mL ")
    qtbot.keyClicks(d.notes, "per side")
    qtbot.waitUntil(lambda: level.notes == "cement 3 mL per side", timeout=5000)
    _menu_undo(window)                         # the typing run is one step
    assert level.notes == "" and d.notes.toPlainText() == ""
    _menu_undo(window)
    assert level.posterior_wall == ""


def test_report_and_exports_from_the_file_menu(planned, qtbot, tmp_path,
                                               monkeypatch):
    from pypdf import PdfReader

    window, _ = planned
    report = tmp_path / "report.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(report), "PDF report (*.pdf)"))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_R,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: report.exists() and window.exports.job is None, timeout=60000)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(str(report)).pages).split())
    assert "Level L1" in text and "Sample^Spine" in text and "unverified" in text
    anon = tmp_path / "anon.html"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(anon), "HTML report (*.html)"))
    action = next(a for a in window.file_menu.actions() if "de-&identified" in a.text())
    action.trigger()
    qtbot.waitUntil(lambda: anon.exists() and window.exports.job is None, timeout=60000)
    page = anon.read_text()
    assert "Level L1" in page and "Sample^Spine" not in page and "PP-SAMPLE" not in page
    markups = tmp_path / "needles.mrk.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(markups), "3D Slicer markups (*.mrk.json)"))
    assert window.exports.trajectories("slicer") == str(markups)
    lines = json.loads(markups.read_text())["markups"]
    left = window.session.levels[0].trajectories["left"]
    line = next(m for m in lines if m["name"] == "L1 left")
    assert line["controlPoints"][0]["position"] == left.entry.tolist()


def test_hide_patient_identity_for_screenshots(planned, qtbot):
    window, _ = planned
    axial = window.views["axial"].scene
    assert "Sample Spine" in axial.banner.GetInput() and "Sample Spine" in window.windowTitle()
    window.identity_action.trigger()
    assert "Sample Spine" not in axial.banner.GetInput()
    assert "De-identified" in axial.banner.GetInput()
    assert "Sample Spine" not in window.windowTitle()
    assert all("Sample" not in line for line in window.fluoro_views["ap"].banner)
    window.identity_action.trigger()
    assert "Sample Spine" in axial.banner.GetInput()


def test_the_sagittal_slice_shows_where_the_heights_were_measured(planned):
    from planner.core.anatomy.heights import vertebral_heights
    from planner.render.plan_overlay import OUTLINE_RGB
    from tests.ui.conftest import render, widget_pos
    from tests.ui.test_planning import _colour_near

    window, _ = planned
    window.set_layout("Slices and 3D")
    level = window.session.levels[0]
    window.state.set_cursor(level.model.centre)
    render(window)
    sagittal = window.views["sagittal"]
    points = vertebral_heights(window.session.volume, level.model).points
    for name in ("anterior", "posterior"):
        low, high = (np.asarray(p) for p in points[name])
        # a third of the way up: clear of the endplate outlines and the needles
        at = widget_pos(sagittal, low + (high - low) / 3)
        assert _colour_near(sagittal, at, OUTLINE_RGB["height"], radius=3) > 2, name
