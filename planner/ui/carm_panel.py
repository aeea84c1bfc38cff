"""C-arm controls of the frontal plane: angles, the level's standard views, and how a
technologist would dial the current view."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                               QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget)

STANDARD_BUTTONS = (("true AP", "True AP"), ("en face left", "En face L"),
                    ("en face right", "En face R"), ("true lateral", "True lateral"),
                    ("overview", "Wide AP overview"))


def dicom_angles(primary: float, secondary: float) -> str:
    """DICOM positioner angles as dialled: LAO/RAO and CRAN/CAUD."""
    p = ((primary + 180.0) % 360.0) - 180.0
    return (f"{'LAO' if p >= 0 else 'RAO'} {abs(p):.0f}, "
            f"{'CRAN' if secondary >= 0 else 'CAUD'} {abs(secondary):.0f}")


class CArmPanel(QGroupBox):
    angles_changed = Signal(float, float)       # primary, secondary (degrees)
    standard_view_requested = Signal(str)       # a name from STANDARD_BUTTONS
    invert_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("C-arm (frontal plane)", parent)
        lay = QVBoxLayout(self)
        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for n, (name, text) in enumerate(STANDARD_BUTTONS):
            b = QPushButton(text)
            b.clicked.connect(lambda checked=False, name=name:
                              self.standard_view_requested.emit(name))
            grid.addWidget(b, n // 2, n % 2)
            self.buttons[name] = b
        lay.addLayout(grid)
        form = QFormLayout()
        self.primary = QDoubleSpinBox()
        self.primary.setRange(-180.0, 180.0)
        self.primary.setWrapping(True)
        self.primary.setSingleStep(1.0)
        self.primary.setDecimals(1)
        self.primary.setSuffix(" deg")
        self.primary.setToolTip("Primary angle: + toward the patient's left (LAO)")
        self.secondary = QDoubleSpinBox()
        self.secondary.setRange(-90.0, 90.0)
        self.secondary.setSingleStep(1.0)
        self.secondary.setDecimals(1)
        self.secondary.setSuffix(" deg")
        self.secondary.setToolTip("Secondary angle: + cranial")
        form.addRow("Primary (LAO +)", self.primary)
        form.addRow("Secondary (CRAN +)", self.secondary)
        self.invert = QCheckBox("Invert (bone bright)")
        form.addRow(self.invert)
        lay.addLayout(form)
        self.description = QLabel("")
        self.description.setWordWrap(True)
        lay.addWidget(self.description)
        self._quiet = False
        self.primary.valueChanged.connect(self._changed)
        self.secondary.valueChanged.connect(self._changed)
        self.invert.toggled.connect(self.invert_toggled)
        self.set_enabled(False)

    def set_enabled(self, on: bool) -> None:
        for w in (*self.buttons.values(), self.primary, self.secondary):
            w.setEnabled(on)

    def _changed(self, _v: float) -> None:
        if not self._quiet:
            self.angles_changed.emit(self.primary.value(), self.secondary.value())

    def show_angles(self, primary: float, secondary: float, from_true_ap: str,
                    patient_position: str, ct_position: str) -> None:
        self._quiet = True
        try:
            self.primary.setValue(((primary + 180.0) % 360.0) - 180.0)
            self.secondary.setValue(secondary)
        finally:
            self._quiet = False
        ct = f"; the CT was scanned {ct_position}" if ct_position else ""
        self.description.setText(f"From the level's true AP: {from_true_ap}\n"
                                 f"DICOM: {dicom_angles(primary, secondary)} "
                                 f"(patient {patient_position}{ct})")
