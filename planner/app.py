"""Composition root of the GUI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence


def configure_vtk() -> None:
    """Multi-threaded reslicing (the PyPI wheel defaults to sequential)."""
    from planner.render.vtk_api import vtkSMPTools

    smp = vtkSMPTools()
    smp.SetBackend("STDThread")


def resource_path(name: str) -> Path | None:
    """A file of resources/: beside the package in a checkout, inside a frozen bundle."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1]))
    p = base / "resources" / name
    return p if p.exists() else None


def run_gui(path: str | None = None, series_uid: str | None = None,
            qt_args: Sequence[str] = (), smoke_test: bool = False) -> int:
    from PySide6.QtWidgets import QApplication

    from planner.ui.main_window import MainWindow

    configure_vtk()
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Pedicle Planner")
    app.setOrganizationName("PediclePlanner")
    icon = resource_path("pedicle-planner.png")
    if icon is not None:
        from PySide6.QtGui import QIcon
        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow()
    window.show()
    if smoke_test:
        from planner.ui.smoke import SmokeTest
        window._smoke = SmokeTest(window)
    if path is not None and path.lower().endswith(".json"):
        window.plan_files.open(path, load_ct=True)     # a plan: with its own CT
    else:
        window.open_path(path, series_uid=series_uid)
    return app.exec()
