"""Small dialogs: series chooser, about box, error and question helpers."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QMessageBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QLabel, QWidget,
                               QAbstractItemView, QHeaderView)

from planner import __version__

NOT_A_DEVICE = ("Pedicle Planner supports planning and training for percutaneous "
                "vertebroplasty. It is not a certified medical device: every plan must be "
                "checked by a qualified clinician on the patient's images.")


class SeriesDialog(QDialog):
    """Lists the series of a DICOM folder; the chosen one is ``selected_uid``."""

    COLUMNS = ("Patient", "Study", "Series", "Modality", "Images", "Pixel spacing (mm)",
               "Series UID")

    def __init__(self, series: list[Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Choose a series")
        self.series = series
        self.table = QTableWidget(len(series), len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for row, s in enumerate(series):
            ps = s.pixel_spacing
            values = (s.patient_name, s.study_description,
                      f"#{s.series_number} {s.series_description}", s.modality,
                      str(s.n_images), f"{ps[0]:.3f} x {ps[1]:.3f}", s.uid)
            for col, v in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(str(v)))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectRow(0)
        self.table.doubleClicked.connect(self.accept)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("This folder holds several image series. Choose the CT to plan on:"))
        lay.addWidget(self.table)
        lay.addWidget(buttons)
        self.resize(900, 300)

    @property
    def selected_uid(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.series[rows[0].row()].uid if rows else None


def show_about(parent: QWidget | None) -> None:
    QMessageBox.about(parent, "About Pedicle Planner",
                      f"<b>Pedicle Planner {__version__}</b><p>{NOT_A_DEVICE}</p>"
                      "<p>Licensed under the BSD 3-Clause licence. Built with PySide6 "
                      "(LGPL), VTK (BSD), pydicom (MIT), NumPy and SciPy (BSD).</p>")


CONTROLS = (
    ("Slices", [("Wheel, Up/Down, PgUp/PgDn", "scroll through slices"),
                ("Left-drag", "move the crosshair (every view follows)"),
                ("Right-drag", "window and level"), ("Middle-drag", "pan"),
                ("Ctrl+wheel", "zoom"), ("Double-click", "maximise the view, again to restore"),
                ("Ctrl+1..4", "window presets"), ("R", "reset the views")]),
    ("Planning", [("A, then click in a body", "add a level with the suggested plan"),
                  ("Drag a needle end", "move the entry or the tip (slices, needle views, "
                   "fluoroscopy)"),
                  ("S", "switch between the left and right needle"),
                  ("Delete", "remove the level"), ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo"),
                  ("Alt+1..4", "layouts"), ("Ctrl+E", "export a screenshot")]),
    ("Fluoroscopy", [("F5", "true AP"), ("F6 / F7", "en face left / right"),
                     ("F8", "true lateral"), ("F9", "wide AP overview to count levels")]),
)


def show_controls(parent: QWidget | None) -> None:
    rows = "".join(
        f"<tr><td colspan=2><b>{group}</b></td></tr>" + "".join(
            f"<tr><td style='padding-right:14px'>{keys}</td><td>{what}</td></tr>"
            for keys, what in items) for group, items in CONTROLS)
    QMessageBox.information(parent, "Keyboard and mouse", f"<table>{rows}</table>")
