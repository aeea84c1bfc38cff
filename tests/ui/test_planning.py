"""The planning workflow driven with real mouse and key events on the sample case:
add a level by clicking in a body, accept its model, drag the left entry medially until
the medial wall check fails (in the panel and in the needle's rendered colour), undo,
change the gauge."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor

from planner.render.plan_overlay import VERDICT_RGB
from planner.render.vtk_util import read_pixels
from planner.ui.plan_panel import DOUBT_COLOUR
from tests.ui.conftest import render, widget_pos


def _colour_near(view, pos: QPoint, rgb, radius=6, tol=40) -> int:
    """Pixels within ``radius`` of ``pos`` that have colour ``rgb`` (0-1)."""
    img = read_pixels(view.GetRenderWindow()).astype(int)
    target = np.array(rgb) * 255
    r0, c0 = pos.y(), pos.x()
    patch = img[max(r0 - radius, 0):r0 + radius + 1, max(c0 - radius, 0):c0 + radius + 1]
    return int((np.abs(patch - target).max(axis=-1) < tol).sum())


def test_add_level_by_clicking_gives_the_suggested_plan(planned):
    window, lev = planned
    level = window.session.levels[0]
    assert level.label == "L1"
    assert sorted(level.trajectories) == ["left", "right"]
    assert np.linalg.norm(level.model.centre - lev["body_center"]) < 2.5
    # unverified until the model is accepted, in the panel and in the needle colour
    assert window.session.shown_verdict(0, "left") == "unverified"
    assert "unverified" in window.panel.headline.text()
    axial = window.views["axial"]
    mid = (level.trajectories["left"].entry + level.trajectories["left"].target) / 2
    assert _colour_near(axial, widget_pos(axial, mid), VERDICT_RGB["unverified"]) > 3
    # the image's own check of the path before the body, beside the model's walls
    rows = {window.panel.table.item(r, 0).text(): window.panel.table.item(r, 2).text()
            for r in range(window.panel.table.rowCount())}
    assert rows["Fat before the body"] == "pass"


def test_a_missing_pedicle_is_explained_once(planned):
    """The plan's warning (no right trajectory: why) and the model's missing part (right
    pedicle: why) give the same reason: the panel lists it once (chest T2 showed it
    twice)."""
    window, _ = planned
    level = window.session.levels[0]
    why = "the bony bridge found on the right is 17 mm wide: not a pedicle"
    level.model.missing["right_pedicle"] = why
    level.warnings.append(f"no right trajectory: {why}")
    level.model.missing["canal"] = "no low-density canal behind the posterior wall"
    window.panel.refresh()
    text = window.panel.notes.text()
    assert text.count(why) == 1
    assert "canal: no low-density canal behind the posterior wall" in text


def test_a_model_that_doubts_itself_is_said_first_in_the_warning_colour(planned):
    """A doubtful model's warnings (the canal found is not the spinal canal, chest T1)
    were listed last, in the grey of the slice-thickness note: they now stand under the
    headline in the warning colour, and the grey notes keep the rest."""
    window, _ = planned
    panel = window.panel
    level = window.session.levels[0]
    assert not level.model.doubtful and not panel.doubt.isVisible()
    why = "the canal found reads 153 HU inside: it is not the spinal canal"
    level.model.warnings.append(why)
    level.model.doubtful = True
    panel.refresh()
    assert panel.doubt.isVisible() and why in panel.doubt.text()
    assert why not in panel.notes.text()
    image = panel.doubt.grab().toImage()
    amber = QColor(DOUBT_COLOUR)
    hits = sum(abs(image.pixelColor(x, y).red() - amber.red()) < 40 and
               abs(image.pixelColor(x, y).green() - amber.green()) < 40 and
               image.pixelColor(x, y).blue() < 80
               for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))
    assert hits > 20
    level.model.doubtful = False
    panel.refresh()
    assert not panel.doubt.isVisible() and why in panel.notes.text()


def _undo(window, qtbot):
    """Ctrl+Z as the user types it (shortcuts need the active window)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier)


def test_drag_entry_medially_fails_medial_wall_then_undo_and_gauge(planned, qtbot):
    window, lev = planned
    axial = window.views["axial"]
    panel = window.panel
    qtbot.mouseClick(panel.accept_box, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, panel.accept_box.height() // 2))
    assert window.session.levels[0].accepted
    assert panel.check_verdict("medial_wall") == "pass"
    before = window.session.levels[0].trajectories["left"]
    # show the slice through the left entry, then drag the entry toward the midline
    window.state.set_cursor(before.entry)
    render(window)
    start = widget_pos(axial, before.entry)
    assert axial.handle_at(start) is not None
    # up to 20 mm toward the patient's right, in steps of under a millimetre (a small
    # window shows about half a pixel per millimetre: steps are interpolated, not summed)
    far = widget_pos(axial, before.entry - 20.0 * np.array(lev["axes"]["left"]))
    qtbot.mousePress(axial, Qt.MouseButton.LeftButton, pos=start)
    pos = start
    for k in range(1, 26):
        pos = QPoint(round(start.x() + (far.x() - start.x()) * k / 25),
                     round(start.y() + (far.y() - start.y()) * k / 25))
        qtbot.mouseMove(axial, pos)
        if panel.check_verdict("medial_wall") == "fail":
            break
    qtbot.mouseRelease(axial, Qt.MouseButton.LeftButton, pos=pos)
    assert panel.check_verdict("medial_wall") == "fail"
    # the headline names it, wherever its row is in the table
    assert "FAIL" in panel.headline.text() and "Medial wall (canal)" in panel.headline.text()
    moved = window.session.levels[0].trajectories["left"]
    assert (moved.entry - before.entry) @ np.array(lev["axes"]["left"]) < -2.0
    assert np.allclose(moved.target, before.target)
    render(window)
    mid = (moved.entry + moved.target) / 2
    assert _colour_near(axial, widget_pos(axial, mid), VERDICT_RGB["fail"]) > 3
    # the breach is marked where it happens: a red ring around the closest point, on the
    # slices and on the fluoroscopy
    medial = next(c for c in window.session.result(0, "left")["checks"]
                  if c["id"] == "medial_wall")
    where = np.array(medial["details"]["closest_point"])
    window.state.set_cursor(where)
    render(window)
    ring = window.views["axial"].scene.overlay.breach_layer.pd
    assert ring.GetNumberOfPoints() > 0
    centre = np.array([ring.GetPoint(k) for k in range(ring.GetNumberOfPoints())]).mean(0)
    assert np.linalg.norm((centre - where)[:2]) < 0.5
    assert any(line.kind == "breach" and line.rgb == (230, 40, 40)
               for line in window.fluoro_views["ap"].overlay.lines)
    # a drag is one undo step
    _undo(window, qtbot)
    restored = window.session.levels[0].trajectories["left"]
    assert np.allclose(restored.entry, before.entry)
    assert panel.check_verdict("medial_wall") == "pass"
    render(window)
    mid = (before.entry + before.target) / 2
    assert _colour_near(axial, widget_pos(axial, mid), VERDICT_RGB["fail"]) == 0
    # the frontal C-arm to the left en-face view: the needle is seen end-on (bull's eye)
    ap = window.fluoro_views["ap"]
    qtbot.mouseClick(window.carm_panel.buttons["en face left"], Qt.MouseButton.LeftButton)
    needle = window.session.levels[0].trajectories["left"]
    ends = ap.carm.project(np.array([needle.entry, needle.target]))
    assert np.linalg.norm(ends[1] - ends[0]) < 1.0
    assert ap.carm.detector_direction @ needle.direction == pytest.approx(-1.0, abs=1e-6)
    qtbot.waitUntil(lambda: ap.image_carm is ap.carm, timeout=30000)
    assert ap.image.std() > 5                     # a real image, not a blank
    assert "en face left" in ap.caption
    # the gauge: one step down the list (11G -> 13G) with the keyboard
    panel.gauge_combo.setFocus()
    qtbot.keyClick(panel.gauge_combo, Qt.Key.Key_Down)
    assert window.session.levels[0].trajectories["left"].gauge == "13G"
    assert window.session.levels[0].trajectories["right"].gauge == "11G"
    _undo(window, qtbot)
    assert window.session.levels[0].trajectories["left"].gauge == "11G"


def test_parapedicular_approach_from_the_panel(planned, qtbot):
    """Two steps down the approach list (bipedicular -> unipedicular -> parapedicular) by
    keyboard, faster than a plan is made: the GUI stays responsive (planning runs off its
    thread), the step passed over is not planned into the undo history, both needles are
    replaced by paths beside the pedicles, the panel shows the rib-head check and marks
    the checks that do not apply; one undo brings the needles back."""
    window, _ = planned
    panel = window.panel
    before = dict(window.session.levels[0].trajectories)
    depth = window.undo_stack.count()
    panel.approach_combo.setFocus()
    qtbot.keyClick(panel.approach_combo, Qt.Key.Key_Down)
    qtbot.keyClick(panel.approach_combo, Qt.Key.Key_Down)
    assert panel.approach_combo.currentText() == "parapedicular"
    qtbot.waitUntil(lambda: window.undo_stack.count() == depth + 1
                    and window.planning._plan_job is None, timeout=20000)
    now = window.session.levels[0].trajectories
    assert sorted(now) == ["left", "right"]
    assert {t.approach for t in now.values()} == {"parapedicular"}
    assert window.undo_stack.count() == depth + 1
    assert panel.check_verdict("rib_head") == "pass"
    assert panel.check_verdict("lateral_wall") == "n/a"
    assert panel.check_verdict("medial_wall") is not None
    _undo(window, qtbot)
    restored = window.session.levels[0].trajectories
    assert {t.approach for t in restored.values()} == {"bipedicular"}
    assert panel.approach_combo.currentText() == "bipedicular"
    assert np.allclose(restored["left"].entry, before["left"].entry)
    assert panel.check_verdict("rib_head") is None


def test_click_outside_a_body_says_why_and_adds_nothing(window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    axial = window.views["axial"]
    lo, hi = window.state.volume.bounds()
    corner = np.array([lo[0] + 5, lo[1] + 5, window.state.cursor[2]])
    window.planning.set_add_mode(True)
    qtbot.mouseClick(axial, Qt.MouseButton.LeftButton, pos=widget_pos(axial, corner))
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert "vertebral body" in shown[0]
    assert window.session.levels == []


def test_snap_entry_to_a_clock_position(planned, qtbot):
    """The suggested left entry sits at 10:00; two steps down the list with the keyboard
    snap it to 11:00 then 12:00 (the entry_clock check reads it back), each one undo
    step."""
    window, _ = planned

    def hour():
        res = window.session.result(0, "left")
        return next(c for c in res["checks"] if c["id"] == "entry_clock")["value"]

    combo = window.panel.clock_combo
    assert combo.currentText() == "10:00" and hour() == pytest.approx(10.0, abs=0.25)
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert hour() % 12 == pytest.approx(0.0, abs=0.25)
    assert combo.currentText() == "12:00"
    window.undo_stack.undo()
    assert hour() == pytest.approx(11.0, abs=0.25)
    window.undo_stack.undo()
    assert hour() == pytest.approx(10.0, abs=0.25)


def test_export_a_screenshot_of_a_view_and_of_the_window(planned, tmp_path, monkeypatch):
    """File > Export screenshot writes a PNG of what the view shows (the needle's pixels
    are in it), and of the whole window with the VTK views composited."""
    from PIL import Image
    from PySide6.QtWidgets import QFileDialog

    window, _ = planned
    out = tmp_path / "axial.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.ask_screenshot("axial")
    axial = window.views["axial"]
    img = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert img.shape[:2] == (axial.height(), axial.width())
    assert np.abs(img - read_pixels(axial.GetRenderWindow()).astype(int)).max() <= 1
    whole = tmp_path / "window.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(whole), ""))
    window.ask_screenshot(None)
    shot = np.asarray(Image.open(whole).convert("RGB")).astype(int)
    at = axial.mapTo(window, QPoint(0, 0))
    part = shot[at.y():at.y() + axial.height(), at.x():at.x() + axial.width()]
    assert np.abs(part - img).max() <= 1        # the VTK pixels, not an empty grab


def test_levels_are_labelled_from_the_first_and_a_fourth_warns(window, qtbot, sample_truth):
    """L1 first (the default label), then clicks in T12, T11 and L2: each is labelled by
    counting from L1, and the fourth level brings the more-than-three warning. The count's
    origin is recorded and written on the wide AP overview."""
    labels = ("L1", "T12", "T11", "L2")
    for lab in labels:
        centre = np.array(next(x for x in sample_truth["levels"]
                               if x["label"] == lab)["body_center"])
        window.planning.add_level_at(centre)
        qtbot.waitUntil(lambda: window.planning._job is None, timeout=20000)
    assert [lv.label for lv in window.session.levels] == list(labels)
    assert "more than 3" in window.panel.level_warning.text()
    combo = window.panel.count_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)                  # "the sacrum"
    assert window.session.counted_from == "the sacrum"
    qtbot.mouseClick(window.carm_panel.buttons["overview"], Qt.MouseButton.LeftButton)
    texts = [lab.text for lab in window.fluoro_views["ap"].overlay.labels]
    assert "levels counted from the sacrum" in texts
    assert all(f"< {lab}" in texts for lab in labels)
    window.undo_stack.undo()
    assert window.session.counted_from == ""


def test_drag_a_needle_tip_in_3d(planned, qtbot):
    """In the 3-D view a press on the tip grabs it (the camera does not turn) and a drag
    moves it in the plane facing the camera; elsewhere a drag turns the camera."""
    window, _ = planned
    view = window.view3d
    render(window)
    before = window.session.levels[0].trajectories["left"]
    cam = view.scene.renderer.GetActiveCamera()
    position = np.array(cam.GetPosition())
    ren = view.scene.renderer
    ren.SetWorldPoint(*before.target, 1.0)
    ren.WorldToDisplay()
    x, y, _ = ren.GetDisplayPoint()
    start = QPoint(int(round(x)), int(round(view.height() - 1 - y)))
    assert view.handle_at(start) is not None
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 11):
        qtbot.mouseMove(view, start + QPoint(0, -2 * k))      # up on screen: cranial
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=start + QPoint(0, -20))
    after = window.session.levels[0].trajectories["left"]
    assert np.allclose(after.entry, before.entry)
    moved = after.target - before.target
    assert moved[2] > 2.0                                     # toward the head
    view_dir = np.array(cam.GetFocalPoint()) - position
    assert abs(moved @ view_dir / np.linalg.norm(view_dir)) < 0.5   # facing the camera
    assert np.allclose(cam.GetPosition(), position)
    window.undo_stack.undo()
    assert np.allclose(window.session.levels[0].trajectories["left"].target, before.target)


def test_save_and_open_a_plan_round_trip_and_wrong_ct(planned, qtbot, tmp_path, monkeypatch,
                                                      small_volume):
    """File > Save plan writes the plan; after an edit, opening it brings back exactly
    what was saved. On another CT it is refused unless the user confirms."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    window, _ = planned
    path = tmp_path / "l1.ppplan.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    window.session.set_accepted(0, True)
    window.planning.snap_entry(0, "left", 11.0)
    saved = {k: (t.entry.copy(), t.target.copy(), t.gauge)
             for k, t in window.session.levels[0].trajectories.items()}
    assert window.plan_files.save()
    assert window.undo_stack.isClean() and "l1.ppplan.json" in window.windowTitle()
    window.planning.set_gauge(0, "left", "13G")             # an edit after saving
    assert "*" in window.windowTitle()
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    job = window.plan_files.open(str(path))
    qtbot.waitUntil(lambda: window.plan_files._job is None, timeout=20000)
    assert job is not None
    level = window.session.levels[0]
    assert level.label == "L1" and level.accepted
    for side, (entry, target, gauge) in saved.items():
        t = level.trajectories[side]
        assert np.array_equal(t.entry, entry) and np.array_equal(t.target, target)
        assert t.gauge == gauge
    assert window.undo_stack.isClean()
    # another CT: refused when the user says no, applied only on yes
    window.set_volume(small_volume)
    asked = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.No)
    assert window.plan_files.open(str(path)) is None
    assert asked and "another CT" in asked[0]
    assert window.session.levels == []


def test_a_killed_app_leaves_an_autosave_that_is_recovered(window, qtbot, sample_case,
                                                           monkeypatch):
    """The app is killed (SIGKILL) in the middle of planning, after an edit; opening the
    same CT offers the autosaved plan back, with the edit, and unsaved."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from PySide6.QtWidgets import QMessageBox

    env = dict(os.environ, PEDICLE_PLANNER_AUTOSAVE_S="0.5")
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name(
        "autosave_child.py")), str(sample_case)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert "AUTOSAVED" in line
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    window.set_volume(window.state.volume)                  # the same CT, opened again
    assert asked and "Recover" in asked[0]
    qtbot.waitUntil(lambda: window.plan_files._job is None and bool(window.session.levels),
                    timeout=20000)
    level = window.session.levels[0]
    assert level.label == "L1" and level.trajectories["left"].gauge == "13G"
    assert not window.undo_stack.isClean()                  # still to be saved


def _fluoro_colour_near(view, pos, rgb, radius=4, tol=40) -> int:
    """Pixels of the painted fluoroscopy widget near ``pos`` with colour ``rgb`` (0-255)."""
    img = view.grab().toImage()
    count = 0
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            c = img.pixelColor(int(pos.x()) + dx, int(pos.y()) + dy)
            count += max(abs(c.red() - rgb[0]), abs(c.green() - rgb[1]),
                         abs(c.blue() - rgb[2])) < tol
    return count


def test_fluoroscopy_needle_follows_a_drag_over_the_unchanged_image(planned, qtbot):
    """The lateral image with its outlines is painted once; dragging the left target in
    that view repaints the needle where it now is, and the image under it stays."""
    from planner.core.overlays import VERDICT_RGB as FLUORO_RGB

    window, _ = planned
    lateral = window.fluoro_views["lateral"]
    qtbot.waitUntil(lambda: lateral.image is not None, timeout=30000)
    t = window.session.levels[0].trajectories["left"]
    colour = FLUORO_RGB["unverified"]
    mid = lateral.widget_point((t.entry + 0.4 * (t.target - t.entry)))
    assert _fluoro_colour_near(lateral, mid, colour) > 3
    background = lateral._background
    assert background is not None
    # the DRR is in the background (not a black "rendering..." frame)
    img = background.toImage()
    centre = lateral.widget_point(window.session.levels[0].model.centre)
    grey = [img.pixelColor(int(centre.x()) + d, int(centre.y())).red()
            for d in range(-60, 61, 6)]
    assert np.std(grey) > 5
    start = lateral.widget_point(t.target)
    assert lateral.handle_at(start) is not None
    up = QPoint(0, -4)                   # the tip moves up on the lateral image
    assert _fluoro_colour_near(lateral, start + 5 * QPointF(up), colour, radius=2) == 0
    qtbot.mousePress(lateral, Qt.MouseButton.LeftButton, pos=start.toPoint())
    pos = start.toPoint()
    for _ in range(5):
        pos = pos + up
        qtbot.mouseMove(lateral, pos)
    qtbot.mouseRelease(lateral, Qt.MouseButton.LeftButton, pos=pos)
    moved = window.session.levels[0].trajectories["left"]
    assert np.linalg.norm(moved.target - t.target) > 2.0
    assert np.allclose(moved.entry, t.entry)
    new_tip = lateral.widget_point(moved.target)
    assert abs(new_tip.y() - pos.y()) < 2.5 and abs(new_tip.x() - pos.x()) < 2.5
    assert _fluoro_colour_near(lateral, new_tip, colour, radius=2) > 2
    assert lateral._background is background     # the image was not painted again


def test_level_label_beside_the_body_not_over_the_tips(planned, qtbot):
    """On both fluoroscopy views the level's label sits beyond the body and its needles
    on the image: on the lateral view it was drawn over the tips, inside the body."""
    window, _ = planned
    level = window.session.levels[0]
    for name in ("ap", "lateral"):
        view = window.fluoro_views[name]
        qtbot.waitUntil(lambda: view.carm is not None and view.overlay is not None,
                        timeout=30000)
        label = next(lab for lab in view.overlay.labels if lab.text == f"< {level.label}")
        body = view.carm.project(np.vstack([o.points for o in level.model.outlines]))
        assert label.at[0] > body[:, 0].max()
        for t in level.trajectories.values():
            ends = view.carm.project(np.array([t.entry, t.target]))
            assert np.all(label.at[0] > ends[:, 0])


def test_closing_while_an_approach_is_planned(planned, qtbot):
    """The window closed right after an approach is chosen: the plan's thread is waited
    for, and its result is not applied to the closing window's plan."""
    window, _ = planned
    panel = window.panel
    depth = window.undo_stack.count()
    panel.approach_combo.setFocus()
    qtbot.keyClick(panel.approach_combo, Qt.Key.Key_Down)
    job = window.planning._plan_job
    assert job is not None and job.thread.isRunning()
    window.undo_stack.setClean()
    window.close()
    assert not job.thread.isRunning()
    qtbot.wait(300)                       # the finished signal, if any, is delivered
    assert window.undo_stack.count() == depth
    assert {t.approach for t in window.session.levels[0].trajectories.values()} == \
        {"bipedicular"}


def test_approach_of_a_second_level(planned, qtbot, sample_truth):
    """With two levels of the same label (a user's relabelling), the second one's
    approach is changed: only its needles are replaced (the planned result finds its
    level by identity; comparing levels by value compared their click arrays)."""
    window, _ = planned
    centre = np.array(next(x for x in sample_truth["levels"]
                           if x["label"] == "L2")["body_center"])
    window.planning.add_level_at(centre)
    qtbot.waitUntil(lambda: window.planning._job is None and len(window.session.levels) == 2,
                    timeout=20000)
    window.session.levels[1].label = window.session.levels[0].label
    first = dict(window.session.levels[0].trajectories)
    window.planning.set_approach(1, "unipedicular")
    qtbot.waitUntil(lambda: window.planning._plan_job is None, timeout=20000)
    assert {t.approach for t in window.session.levels[1].trajectories.values()} == \
        {"unipedicular"}
    assert window.session.levels[0].trajectories == first
