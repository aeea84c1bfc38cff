import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from planner.ui.qt_vtk import live_widgets


@pytest.fixture(autouse=True)
def no_leaked_render_windows():
    """Every render window must be finalised when its window closes (else the process
    exits non-zero after the tests, once X is gone)."""
    yield
    leaked = live_widgets()
    for w in leaked:
        w.finalize()
    assert not leaked, f"render windows left open: {leaked}"


@pytest.fixture(scope="session")
def sample_surface(sample_volume):
    """The sample case's bone surface, extracted once (about 1 s) for every window that
    shows it: the views only read it."""
    from planner.render.surface_scene import bone_surface

    return bone_surface(sample_volume)


@pytest.fixture
def window(qtbot, sample_volume, sample_surface):
    """The main window showing the built-in sample case."""
    from planner.app import configure_vtk
    from planner.ui.main_window import MainWindow

    configure_vtk()
    win = MainWindow()
    # pytest-qt closes the window before fixtures finalise: no "save your plan?" then
    qtbot.addWidget(win, before_close_func=lambda w: w.undo_stack.setClean())
    win.resize(900, 700)
    win.show()
    qtbot.waitExposed(win)
    win.set_layout("Slices and 3D")
    win.set_volume(sample_volume, sample_surface)
    render(win)
    yield win
    win.undo_stack.setClean()
    win.close()


def render(win):
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    for w in win.vtk_views:
        if w.isVisible():
            w.render_now()



def widget_pos(view, point) -> QPoint:
    """Widget position (Qt, y down) of an LPS point drawn on this view's slice."""
    n = view.scene.normal
    on_plane = point - ((point - view.scene.cursor) @ n) * n
    x, y = view.scene.world_to_display(on_plane)
    return QPoint(int(round(x)), int(round(view.height() - 1 - y)))


@pytest.fixture
def planned(window, qtbot, sample_truth):
    """The sample case with L1 added by a click in its body."""
    lev = next(x for x in sample_truth["levels"] if x["label"] == "L1")
    centre = np.array(lev["body_center"])
    window.set_layout("Planning")
    window.state.set_cursor(centre)
    render(window)
    axial = window.views["axial"]
    qtbot.mouseClick(window.panel.add_button, Qt.MouseButton.LeftButton)
    assert axial.add_level_mode
    qtbot.mouseClick(axial, Qt.MouseButton.LeftButton, pos=widget_pos(axial, centre))
    qtbot.waitUntil(lambda: len(window.session.levels) == 1, timeout=20000)
    render(window)
    return window, lev
