"""The pre-procedure checklist (CLINICAL.md): every item answered yes or no, the pain's
duration and notes. Unanswered items keep the checklist incomplete."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QFormLayout, QGroupBox, QLabel, QPlainTextEdit, QVBoxLayout,
                               QWidget)

from planner.core.checklist import ITEMS, assess

ANSWER_TEXTS = (("not answered", ""), ("yes", "yes"), ("no", "no"))
KIND_TITLES = {"confirm": "Confirm (a no is an absolute contraindication)",
               "absolute": "Absolute contraindications",
               "relative": "Relative contraindications"}
STATUS_TEXT = {"clear": ("Complete: no contraindication", "#1e8c3a"),
               "caution": ("Complete: relative contraindications", "#b86e00"),
               "incomplete": ("Incomplete: items not answered", "#b86e00"),
               "contraindicated": ("Absolute contraindication", "#c62828")}


def status_html(checklist: dict[str, Any]) -> str:
    """The checklist's status in one coloured line (panel and dialog)."""
    text, colour = STATUS_TEXT[assess(checklist)["status"]]
    return f'<span style="color:{colour}; font-weight:bold">Checklist: {text}</span>'


class ChecklistDialog(QDialog):
    def __init__(self, checklist: dict[str, Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Pre-procedure checklist")
        self.setMinimumWidth(620)
        self.checklist = copy.deepcopy(checklist)
        lay = QVBoxLayout(self)
        self.combos: dict[str, QComboBox] = {}
        for kind, title in KIND_TITLES.items():
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
            for item in (i for i in ITEMS if i.kind == kind):
                combo = QComboBox()
                combo.setObjectName(f"answer_{item.id}")
                combo.setMinimumWidth(140)
                for text, value in ANSWER_TEXTS:
                    combo.addItem(text, value)
                combo.setCurrentIndex(combo.findData(self.checklist["answers"].get(item.id, "")))
                combo.currentIndexChanged.connect(self._changed)
                label = QLabel(item.text)
                label.setWordWrap(True)
                label.setMinimumWidth(400)
                form.addRow(label, combo)
                self.combos[item.id] = combo
            lay.addWidget(box)
        form = QFormLayout()
        self.pain = QDoubleSpinBox()
        self.pain.setObjectName("pain_weeks")
        self.pain.setRange(-1.0, 5200.0)
        self.pain.setDecimals(0)
        self.pain.setSpecialValueText("not answered")
        self.pain.setSuffix(" weeks")
        weeks = self.checklist.get("pain_weeks")
        self.pain.setValue(-1.0 if weeks is None else weeks)
        self.pain.valueChanged.connect(self._changed)
        form.addRow("Pain duration (over 13 weeks: relative)", self.pain)
        self.notes = QPlainTextEdit(self.checklist.get("notes", ""))
        self.notes.setPlaceholderText("Coagulation values, medication stopped, MRI date...")
        self.notes.setMaximumHeight(70)
        form.addRow("Notes", self.notes)
        lay.addLayout(form)
        self.status = QLabel()
        lay.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self._changed()

    def _changed(self, *_: Any) -> None:
        self.status.setText(status_html(self.value()))

    def value(self) -> dict[str, Any]:
        """The checklist as edited (plan-file form)."""
        weeks = self.pain.value()
        return {"answers": {k: c.currentData() for k, c in self.combos.items()},
                "pain_weeks": None if weeks < 0 else float(weeks),
                "notes": self.notes.toPlainText()[:2000]}
