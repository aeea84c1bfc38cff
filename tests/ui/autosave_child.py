"""Child process for the crash test: plan L1 on the sample case, edit it, wait until the
autosave holds the edit, then die without any clean-up (SIGKILL from the parent)."""

import json
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

from planner.app import configure_vtk
from planner.io.loader import load_volume
from planner.io.plan_file import autosave_path
from planner.ui.main_window import MainWindow


def main(sample: str) -> None:
    app = QApplication([])
    configure_vtk()
    truth = json.loads((Path(sample) / "truth.json").read_text())
    win = MainWindow()
    win.show()
    win.set_volume(load_volume(str(Path(sample) / "dicom")))
    centre = np.array(next(x for x in truth["levels"] if x["label"] == "L1")["body_center"])
    win.planning.add_level_at(centre)
    while win.planning._job is not None:
        app.processEvents()
        time.sleep(0.01)
    win.planning.set_gauge(0, "left", "13G")                 # the edit to recover
    target = autosave_path(win.session.volume)
    while True:                                              # the parent kills us
        app.processEvents()
        if target.exists() and '"13G"' in target.read_text():
            print("AUTOSAVED", flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1])
