"""Composition root of the GUI."""

from __future__ import annotations

import sys
from typing import Sequence


def configure_vtk() -> None:
    """Multi-threaded reslicing (the PyPI wheel defaults to sequential)."""
    import vtk

    smp = vtk.vtkSMPTools()
    smp.SetBackend("STDThread")


def run_gui(path: str | None = None, series_uid: str | None = None,
            qt_args: Sequence[str] = ()) -> int:
    from PySide6.QtWidgets import QApplication

    from planner.ui.main_window import MainWindow

    configure_vtk()
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Pedicle Planner")
    app.setOrganizationName("PediclePlanner")
    window = MainWindow()
    window.show()
    if path is not None and path.lower().endswith(".json"):
        window.plan_files.open(path, load_ct=True)     # a plan: with its own CT
    else:
        window.open_path(path, series_uid=series_uid)
    return app.exec()
