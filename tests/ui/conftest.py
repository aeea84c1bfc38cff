import pytest

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


@pytest.fixture
def window(qtbot, sample_volume):
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
    win.set_volume(sample_volume)
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

