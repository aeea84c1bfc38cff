"""The selected level's clinical record: its heights on the sagittal view and the Genant
grade they give, the posterior wall's state and free notes; and the plan's pre-procedure
checklist status. Edits go out as signals; the window makes them undoable commands."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from planner.core.checklist import POSTERIOR_WALL_STATES
from planner.model.plan_session import PlanSession
from planner.ui.checklist_dialog import status_html

HEIGHT_NAMES = ("anterior_mm", "middle_mm", "posterior_mm")
NOTES_IDLE_MS = 800          # typing pauses this long before the notes are committed


def genant_text(g: dict[str, Any]) -> str:
    if g.get("grade") is None:
        return f"Genant grade unknown: {g.get('reason', 'heights missing')}"
    return (f"Genant grade {g['grade']}: {g['loss'] * 100:.0f}% {g['worst']} height loss "
            f"(against {g['basis']})")


class LevelDetails(QWidget):
    field_edited = Signal(int, str, object)        # level index, field, value
    checklist_requested = Signal()

    def __init__(self, session: PlanSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._updating = False
        self._notes_level: int | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        body = QGroupBox("Vertebral body heights (sagittal, mm)")
        form = QFormLayout(body)
        self.height_boxes: dict[str, QDoubleSpinBox] = {}
        for name in HEIGHT_NAMES:
            box = QDoubleSpinBox()
            box.setObjectName(f"height_{name}")
            box.setRange(0.0, 60.0)
            box.setDecimals(1)
            box.setSingleStep(0.5)
            box.setSuffix(" mm")
            box.setSpecialValueText("not measured")
            box.setKeyboardTracking(False)
            box.setToolTip("Measured from the model's endplates on the mid-sagittal plane; "
                           "correct it from your own measurement if it is off")
            box.valueChanged.connect(lambda _v, name=name: self._height(name))
            form.addRow(name.split("_")[0].capitalize(), box)
            self.height_boxes[name] = box
        self.adjacent = QLabel("")
        self.adjacent.setWordWrap(True)
        self.adjacent.setStyleSheet("color: #a0a0a0;")
        form.addRow(self.adjacent)
        self.genant = QLabel("")
        self.genant.setWordWrap(True)
        self.genant.setStyleSheet("font-weight: bold;")
        form.addRow(self.genant)
        self.wall = QComboBox()
        for state in POSTERIOR_WALL_STATES:
            self.wall.addItem(state or "not assessed", state)
        self.wall.activated.connect(self._wall)
        form.addRow("Posterior wall", self.wall)
        lay.addWidget(body)
        notes_box = QGroupBox("Notes for this level")
        nl = QVBoxLayout(notes_box)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Fracture type, cement volume planned, what to watch...")
        nl.addWidget(self.notes)
        lay.addWidget(notes_box, 1)
        self._notes_timer = QTimer(self)
        self._notes_timer.setSingleShot(True)
        self._notes_timer.setInterval(NOTES_IDLE_MS)
        self._notes_timer.timeout.connect(self.commit_notes)
        self.notes.textChanged.connect(self._notes_typed)
        check = QGroupBox("Patient")
        cl = QVBoxLayout(check)
        self.checklist_status = QLabel("")
        self.checklist_status.setWordWrap(True)
        cl.addWidget(self.checklist_status)
        self.checklist_button = QPushButton("Pre-procedure checklist...")
        self.checklist_button.clicked.connect(self.checklist_requested)
        cl.addWidget(self.checklist_button)
        lay.addWidget(check)
        session.levels_changed.connect(self.refresh)
        session.level_changed.connect(lambda i: self.refresh())
        session.current_changed.connect(self._current)
        session.checklist_changed.connect(self.refresh)
        self.refresh()

    # --- user -> signals ----------------------------------------------------------------
    def _height(self, name: str) -> None:
        i = self.session.current
        if self._updating or i is None:
            return
        heights = dict(self.session.levels[i].heights or dict.fromkeys(HEIGHT_NAMES))
        v = self.height_boxes[name].value()
        heights[name] = None if v <= 0.0 else round(v, 1)
        self.field_edited.emit(i, "heights", heights)

    def _wall(self, n: int) -> None:
        if self.session.current is not None:
            self.field_edited.emit(self.session.current, "posterior_wall",
                                   self.wall.itemData(n))

    def _notes_typed(self) -> None:
        if not self._updating:
            self._notes_level = self.session.current
            self._notes_timer.start()

    def commit_notes(self) -> None:
        """Send typed notes now (also when the level changes or the plan is saved)."""
        self._notes_timer.stop()
        i, self._notes_level = self._notes_level, None
        if i is None or i >= len(self.session.levels):
            return
        text = self.notes.toPlainText()[:2000]
        if text != self.session.levels[i].notes:
            self.field_edited.emit(i, "notes", text)

    def _current(self, _index: Any) -> None:
        self.commit_notes()
        self.refresh()

    # --- session -> widgets -------------------------------------------------------------
    def refresh(self) -> None:
        self._updating = True
        try:
            s = self.session
            self.checklist_status.setText(status_html(s.checklist))
            self.checklist_button.setEnabled(s.volume is not None)
            has = s.current is not None
            for w in (*self.height_boxes.values(), self.wall, self.notes):
                w.setEnabled(has)
            if not has:
                for box in self.height_boxes.values():
                    box.setValue(0.0)
                self.genant.setText("")
                self.adjacent.setText("")
                self.notes.setPlainText("")
                return
            lv = s.levels[s.current]
            for name, box in self.height_boxes.items():
                v = (lv.heights or {}).get(name)
                box.setValue(0.0 if v is None else v)
            adj = [" / ".join("-" if a.get(k) is None else f"{a[k]:.1f}" for k in HEIGHT_NAMES)
                   for a in lv.adjacent_heights]
            self.adjacent.setText("Adjacent levels (ant / mid / post): " + "; ".join(adj)
                                  if adj else "Adjacent levels: not measured")
            self.genant.setText(genant_text(lv.genant()))
            self.wall.setCurrentIndex(max(0, self.wall.findData(lv.posterior_wall)))
            if self._notes_level is None and self.notes.toPlainText() != lv.notes:
                self.notes.setPlainText(lv.notes)
        finally:
            self._updating = False
