"""The first window driven with real Qt events under Xvfb; assertions on the model and on
rendered pixels."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from planner.render.vtk_util import read_pixels
from tests.ui.conftest import render


def _wheel(widget, clicks=1, modifiers=Qt.KeyboardModifier.NoModifier):
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    ev = QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120 * clicks),
                     Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def _green_mask(view):
    rgb = read_pixels(view.GetRenderWindow()).astype(int)
    return (rgb[..., 1] > 150) & (rgb[..., 0] < 120) & (rgb[..., 2] < 150)


def _crosshair_row_col(view):
    """Row of the horizontal and column of the vertical crosshair line, from pixels."""
    g = _green_mask(view)
    row = int(np.argmax(g.sum(axis=1)))
    col = int(np.argmax(g.sum(axis=0)))
    return row, col


def _expected_row_col(view, point):
    x, y = view.scene.world_to_display(point)
    h = view.GetRenderWindow().GetSize()[1]
    return h - 1 - y, x


def test_wheel_scrolls_one_slice_and_moves_crosshair_elsewhere(window):
    axial, sag = window.views["axial"], window.views["sagittal"]
    before = window.state.cursor.copy()
    step = axial.slice_step()
    assert step == pytest.approx(1.0)             # the sample case's slice spacing
    _wheel(axial, +1)
    assert window.state.cursor[2] == pytest.approx(before[2] + step)
    assert np.allclose(window.state.cursor[:2], before[:2])
    render(window)
    row, _ = _crosshair_row_col(sag)
    exp_row, _ = _expected_row_col(sag, window.state.cursor)
    assert row == pytest.approx(exp_row, abs=1.5)
    # and the row really moved by the step in pixels
    _wheel(axial, -4)
    render(window)
    row2, _ = _crosshair_row_col(sag)
    mm_per_px = sag.scene.mm_per_pixel()
    assert (row2 - row) * mm_per_px == pytest.approx(4 * step, abs=1.5 * mm_per_px)


def test_click_in_axial_moves_crosshair_in_sagittal_and_coronal(window, qtbot):
    axial, sag, cor = (window.views[n] for n in ("axial", "sagittal", "coronal"))
    z_before = window.state.cursor[2]
    pos = QPoint(int(axial.width() * 0.62), int(axial.height() * 0.35))
    qtbot.mouseClick(axial, Qt.MouseButton.LeftButton, pos=pos)
    clicked = axial.world_at(QPointF(pos))
    assert np.allclose(window.state.cursor, clicked, atol=1e-6)
    assert window.state.cursor[2] == pytest.approx(z_before)     # same axial slice
    # the sagittal slice now sits at the clicked x, the coronal one at the clicked y
    assert np.array(sag.scene.renderer.GetActiveCamera().GetFocalPoint())[0] == \
        pytest.approx(clicked[0])
    assert np.array(cor.scene.renderer.GetActiveCamera().GetFocalPoint())[1] == \
        pytest.approx(clicked[1])
    render(window)
    _, col = _crosshair_row_col(cor)       # vertical line in coronal = patient x
    _, exp_col = _expected_row_col(cor, clicked)
    assert col == pytest.approx(exp_col, abs=1.5)
    _, col = _crosshair_row_col(sag)       # vertical line in sagittal = patient y
    _, exp_col = _expected_row_col(sag, clicked)
    assert col == pytest.approx(exp_col, abs=1.5)


@pytest.mark.parametrize("level", ["T12", "L2"])
def test_bone_is_bright_where_the_truth_says(window, sample_truth, level):
    """The rendered axial slice through a body centre shows bone there and CSF in the
    canal, at the pixels where the ground truth puts them."""
    lev = next(lv for lv in sample_truth["levels"] if lv["label"] == level)
    window.state.apply_preset("Soft tissue")
    window.state.set_cursor(lev["body_center"])
    render(window)
    axial = window.views["axial"]
    rgb = read_pixels(axial.GetRenderWindow()).astype(int)
    h = rgb.shape[0]
    # soft-tissue window (W 400 / L 40): cancellous ~105 HU -> ~170, CSF ~10 HU -> ~110
    for point, lo, hi in ((lev["body_center"], 140, 256), (lev["canal"]["center"], 0, 125)):
        p = np.array(point, float)
        p[2] = window.state.cursor[2]
        x, y = axial.scene.world_to_display(p)
        # 4 px off the crosshair, which runs through the cursor
        grey = rgb[int(round(h - 1 - y)) + 4, int(round(x)) + 4, 2]
        assert lo <= grey < hi, (point, grey)


def test_right_drag_changes_window_level_and_double_click_maximises(window, qtbot):
    axial = window.views["axial"]
    w0, l0 = window.state.window, window.state.level
    c = QPoint(axial.width() // 2, axial.height() // 2)
    qtbot.mousePress(axial, Qt.MouseButton.RightButton, pos=c)
    qtbot.mouseMove(axial, c + QPoint(40, -20))
    qtbot.mouseRelease(axial, Qt.MouseButton.RightButton, pos=c + QPoint(40, -20))
    assert window.state.window > w0 and window.state.level > l0
    qtbot.mouseDClick(axial, Qt.MouseButton.LeftButton, pos=c)
    assert not window.view3d.isVisible() and axial.isVisible()
    qtbot.mouseDClick(axial, Qt.MouseButton.LeftButton, pos=c)
    assert window.view3d.isVisible()


def test_hover_reports_lps_and_hu(window, qtbot):
    axial = window.views["axial"]
    qtbot.mouseMove(axial, QPoint(axial.width() // 2, axial.height() // 2))
    qtbot.mouseMove(axial, QPoint(axial.width() // 2 + 3, axial.height() // 2))
    text = window.status_pos.text()
    assert text.startswith("LPS (") and "HU" in text


def test_no_argument_opens_the_sample_case(qtbot, sample_truth):
    from planner.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(700, 500)
    win.show()
    with qtbot.waitSignal(win.state.volume_changed, timeout=60000):
        win.open_path(None)
    assert win.state.volume.meta["series_uid"] == sample_truth["series_uid"]
    assert "Sample Spine" in win.windowTitle()
    win.close()


def test_open_dicom_folder_off_the_gui_thread(window, qtbot, tmp_path, small_volume):
    from planner.io.dicom_write import write_ct_series

    sub = small_volume.resample(small_volume.affine, (40, 30, 12))
    write_ct_series(sub, tmp_path / "ct", patient_name="Test^Patient",
                    series_description="tiny")
    with qtbot.waitSignal(window.state.volume_changed, timeout=20000):
        window.open_path(str(tmp_path / "ct"))
    assert window.state.volume.shape_ijk == (40, 30, 12)
    assert "Test Patient" in window.windowTitle()


def test_bad_folder_gives_a_dialog_and_keeps_the_current_volume(window, qtbot, tmp_path,
                                                                monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text: shown.append((title, text)))
    (tmp_path / "readme.txt").write_text("no images here")
    current = window.state.volume
    job = window.open_path(str(tmp_path))
    qtbot.waitUntil(lambda: len(shown) > 0, timeout=10000)
    assert "no DICOM images" in shown[0][1]
    assert window.state.volume is current
    assert job is not None


def test_about_box_says_not_a_medical_device(window, monkeypatch):
    seen = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: seen.append(text))
    from planner.ui.dialogs import show_about

    show_about(window)
    assert "not a certified medical device" in seen[0]


def _two_series(folder, volume):
    from planner.io.dicom_write import write_ct_series

    sub = volume.resample(volume.affine, (30, 20, 6))
    write_ct_series(sub, folder / "a", uid_seed="a", series_description="first")
    write_ct_series(sub, folder / "b", uid_seed="b", series_description="second",
                    series_number=2)


def test_series_chooser_loads_the_chosen_series(window, qtbot, tmp_path, small_volume,
                                                monkeypatch):
    from planner.ui import main_window
    from planner.ui.dialogs import SeriesDialog

    _two_series(tmp_path, small_volume)
    offered = []

    def choose_second(dialog):
        offered.append([s.series_description for s in dialog.series])
        row = next(n for n, s in enumerate(dialog.series) if s.series_description == "second")
        dialog.table.selectRow(row)
        return True
    monkeypatch.setattr(SeriesDialog, "exec", choose_second)
    assert main_window.SeriesDialog is SeriesDialog
    with qtbot.waitSignal(window.state.volume_changed, timeout=20000):
        window.open_path(str(tmp_path))
    assert sorted(offered[0]) == ["first", "second"]
    assert window.state.volume.meta["series_description"] == "second"


def test_non_ct_asks_before_loading(window, qtbot, tmp_path, small_volume, monkeypatch):
    from planner.io.dicom_write import write_ct_series

    sub = small_volume.resample(small_volume.affine, (30, 20, 6))
    write_ct_series(sub, tmp_path / "mr", modality="MR")
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.state.volume_changed, timeout=20000):
        window.open_path(str(tmp_path / "mr"))
    assert asked and "not CT" in asked[0][2]
    assert window.state.volume.meta["modality"] == "MR"
    assert any("MR" in w for w in window.state.volume.warnings)


def test_cancel_keeps_the_current_volume(window, qtbot, tmp_path, small_volume):
    from planner.io.dicom_write import write_ct_series

    write_ct_series(small_volume, tmp_path / "ct")
    current = window.state.volume
    job = window.open_path(str(tmp_path / "ct"))
    job.cancel()
    qtbot.waitUntil(lambda: window._job is None, timeout=20000)
    assert window.state.volume is current


def test_window_preset_is_remembered(window, qtbot):
    from planner.ui.main_window import MainWindow

    window.preset_actions["Soft tissue"].trigger()
    assert (window.state.window, window.state.level) == (400.0, 40.0)
    second = MainWindow()
    qtbot.addWidget(second)
    assert (second.state.window, second.state.level) == (400.0, 40.0)
    second.close()
    window.preset_actions["Bone"].trigger()
