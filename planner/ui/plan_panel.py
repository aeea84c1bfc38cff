"""The planning panel: levels, the selected level's model acceptance, gauge and approach,
and the checks of the selected side with traffic lights."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QTabBar, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from planner.core.checks.result import value_text
from planner.core.checks.views import CLOCK_ON_THE_HOUR
from planner.core.trajectory import APPROACHES, GAUGE_DIAMETER_MM
from planner.model.plan_session import (COUNT_ORIGINS, LEVEL_LABELS, MAX_LEVELS_PER_SITTING,
                                        PlanSession)
from planner.render.plan_overlay import VERDICT_RGB

CHECK_NAMES = {
    "medial_wall": "Medial wall (canal)", "ap_view_rule": "AP view rule",
    "anterior_cortex": "Anterior cortex", "lateral_wall": "Lateral wall",
    "superior_inferior_wall": "Superior/inferior wall", "endplate": "Endplates",
    "pedicle_fit": "Pedicle fit", "entry_clock": "Entry clock", "lung": "Lung and pleura",
    "rib_head": "Rib head", "fat_before_body": "Fat before the body",
}
SIDES = ("left", "right")
DOUBT_COLOUR = "#d08000"      # as the level count's warning
CLOCK_HOURS = (9, 10, 11, 12, 1, 2, 3)
HEADLINE_NAMES = 3


def _because(res: dict) -> str:
    """The checks behind a verdict other than pass, named in the headline: the table
    shows seven of its rows at a time and the one that failed may be below them."""
    if res["verdict"] == "pass":
        return ""
    names = [CHECK_NAMES.get(c["id"], c["id"]) for c in res["checks"]
             if c["verdict"] == res["verdict"]]
    if not names:
        return ""
    more = len(names) - HEADLINE_NAMES
    return " (" + ", ".join(names[:HEADLINE_NAMES]) + (f" and {more} more" if more > 0
                                                       else "") + ")"


_ICONS: dict[str, QIcon] = {}


def verdict_icon(verdict: str, size: int = 14) -> QIcon:
    """A filled traffic-light disc in the verdict's colour (made once per verdict)."""
    if verdict in _ICONS:
        return _ICONS[verdict]
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QBrush(QColor.fromRgbF(*VERDICT_RGB.get(verdict, VERDICT_RGB["unknown"]))))
    p.setPen(QColor(40, 40, 40))
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    _ICONS[verdict] = QIcon(pix)
    return _ICONS[verdict]


class PlanPanel(QWidget):
    add_level_toggled = Signal(bool)
    remove_level_requested = Signal(int)
    level_selected = Signal(int)
    label_chosen = Signal(int, str)
    accepted_toggled = Signal(int, bool)
    gauge_chosen = Signal(int, str, str)        # level, side, gauge
    approach_chosen = Signal(int, str)          # level, approach
    counted_from_chosen = Signal(str)
    entry_clock_chosen = Signal(int, str, float)    # level, side, clock hour
    side_selected = Signal(str)

    def __init__(self, session: PlanSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.side = "left"
        self._updating = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add level")
        self.add_button.setCheckable(True)
        self.add_button.setToolTip("Then click inside a vertebral body on a slice (A)")
        self.remove_button = QPushButton("Remove")
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        lay.addLayout(row)
        count_row = QHBoxLayout()
        count_row.addWidget(QLabel("Levels counted from"))
        self.count_combo = QComboBox()
        self.count_combo.addItem("not recorded", "")
        for origin in COUNT_ORIGINS:
            self.count_combo.addItem(origin, origin)
        self.count_combo.setToolTip("How the level labels were found (on the wide AP "
                                    "overview): recorded with the plan")
        count_row.addWidget(self.count_combo, 1)
        lay.addLayout(count_row)
        self.levels = QListWidget()
        self.levels.setMaximumHeight(110)
        lay.addWidget(self.levels)
        self.level_warning = QLabel("")
        self.level_warning.setWordWrap(True)
        self.level_warning.setStyleSheet(f"color: {DOUBT_COLOUR};")
        lay.addWidget(self.level_warning)
        form = QFormLayout()
        self.label_combo = QComboBox()
        self.label_combo.addItems(LEVEL_LABELS)
        form.addRow("Level", self.label_combo)
        self.accept_box = QCheckBox("Model checked: trust its verdicts")
        self.accept_box.setToolTip("Verdicts read \"unverified\" until you have checked the "
                                   "canal, pedicle and body outlines on the slices")
        form.addRow(self.accept_box)
        self.tabs = QTabBar()
        for s in SIDES:
            self.tabs.addTab(s.capitalize())
        form.addRow("Needle", self.tabs)
        self.gauge_combo = QComboBox()
        self.gauge_combo.addItems(list(GAUGE_DIAMETER_MM))
        form.addRow("Gauge", self.gauge_combo)
        self.approach_combo = QComboBox()
        self.approach_combo.addItems(list(APPROACHES))
        self.approach_combo.setToolTip("A new approach replaces the level's needles with the "
                                       "suggested ones")
        form.addRow("Approach", self.approach_combo)
        self.clock_combo = QComboBox()
        self.clock_combo.addItem("other")
        for hour in CLOCK_HOURS:
            self.clock_combo.addItem(f"{hour}:00", hour)
        self.clock_combo.setToolTip("Move the entry to this clock position on the pedicle "
                                    "outline as seen on the AP view (10:00 left, 2:00 "
                                    "right are the usual entries)")
        form.addRow("Snap entry to", self.clock_combo)
        lay.addLayout(form)
        self.headline = QLabel("Open a CT, then Add level")
        self.headline.setWordWrap(True)
        self.headline.setStyleSheet("font-weight: bold; padding: 4px;")
        lay.addWidget(self.headline)
        # a model that doubts itself qualifies every verdict below: its warnings first, in
        # the warning colour (listed last in grey they read like the slice-thickness note)
        self.doubt = QLabel("")
        self.doubt.setWordWrap(True)
        self.doubt.setStyleSheet(f"color: {DOUBT_COLOUR}; font-weight: bold;")
        self.doubt.setVisible(False)
        lay.addWidget(self.doubt)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Check", "Value", "Verdict"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.table, 1)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #a0a0a0;")
        lay.addWidget(self.notes)
        self.add_button.toggled.connect(self.add_level_toggled)
        self.remove_button.clicked.connect(self._remove)
        self.levels.currentRowChanged.connect(self._row_changed)
        self.label_combo.activated.connect(self._label)
        self.accept_box.clicked.connect(self._accept)
        self.tabs.currentChanged.connect(self._tab)
        self.gauge_combo.activated.connect(self._gauge)
        self.approach_combo.activated.connect(self._approach)
        self.clock_combo.activated.connect(self._clock)
        self.count_combo.activated.connect(
            lambda n: self.counted_from_chosen.emit(self.count_combo.itemData(n)))
        session.levels_changed.connect(self.refresh)
        session.level_changed.connect(lambda i: self.refresh())
        session.current_changed.connect(lambda i: self.refresh())
        session.trajectory_changed.connect(self._on_trajectory)
        self.refresh()

    # --- user -> signals ----------------------------------------------------------------
    def _remove(self) -> None:
        if self.session.current is not None:
            self.remove_level_requested.emit(self.session.current)

    def _row_changed(self, row: int) -> None:
        if not self._updating and row >= 0:
            self.level_selected.emit(row)

    def _label(self, _n: int) -> None:
        if self.session.current is not None:
            self.label_chosen.emit(self.session.current, self.label_combo.currentText())

    def _accept(self, checked: bool) -> None:
        if self.session.current is not None:
            self.accepted_toggled.emit(self.session.current, checked)

    def _tab(self, n: int) -> None:
        if self._updating:
            return
        self.side = SIDES[n]
        self.side_selected.emit(self.side)
        self.refresh()

    def _gauge(self, _n: int) -> None:
        i = self.session.current
        if i is not None and self.side in self.session.levels[i].trajectories:
            self.gauge_chosen.emit(i, self.side, self.gauge_combo.currentText())

    def _approach(self, _n: int) -> None:
        if self.session.current is not None:
            self.approach_chosen.emit(self.session.current, self.approach_combo.currentText())

    def _clock(self, n: int) -> None:
        i = self.session.current
        hour = self.clock_combo.itemData(n)
        if i is not None and hour is not None and \
                self.side in self.session.levels[i].trajectories:
            self.entry_clock_chosen.emit(i, self.side, float(hour))

    def select_side(self, side: str) -> None:
        self.tabs.setCurrentIndex(SIDES.index(side))

    # --- session -> widgets -------------------------------------------------------------
    def _on_trajectory(self, index: int, side: str) -> None:
        self._refresh_level_row(index)
        if index != self.session.current:
            return
        t = self.session.levels[index].trajectories.get(side)
        if t is not None and self.approach_combo.currentText() != t.approach:
            self.approach_combo.setCurrentText(t.approach)     # undo: shown, not chosen
        if side == self.side:
            self._refresh_checks()
            self._show_clock()

    def _show_clock(self) -> None:
        """The entry's clock hour, when it sits on one (else "other")."""
        s = self.session
        res = None if s.current is None else s.result(s.current, self.side)
        check = None if res is None else next(
            (c for c in res["checks"] if c["id"] == "entry_clock"), None)
        hour = None if check is None else check.get("value")
        n = 0
        if hour is not None:
            nearest = round(hour) % 12 or 12
            if abs(hour - round(hour)) < CLOCK_ON_THE_HOUR and nearest in CLOCK_HOURS:
                n = self.clock_combo.findData(nearest)
        self.clock_combo.setCurrentIndex(max(n, 0))

    def _level_text(self, index: int) -> str:
        lv = self.session.levels[index]
        parts = [lv.label]
        for side in SIDES:
            v = self.session.shown_verdict(index, side)
            if v is not None:
                parts.append(f"{side[0].upper()}: {v}")
        return "    ".join(parts)

    def _refresh_level_row(self, index: int) -> None:
        item = self.levels.item(index)
        text = self._level_text(index)
        if item is not None and item.text() != text:
            item.setText(text)

    def refresh(self) -> None:
        self._updating = True
        try:
            s = self.session
            self.levels.clear()
            for n in range(len(s.levels)):
                self.levels.addItem(QListWidgetItem(self._level_text(n)))
            if s.current is not None:
                self.levels.setCurrentRow(s.current)
            self.count_combo.setCurrentIndex(max(0, self.count_combo.findData(s.counted_from)))
            self.level_warning.setText(
                f"{len(s.levels)} levels: more than {MAX_LEVELS_PER_SITTING} in one sitting "
                "raises the risk of cement and fat embolism (CLINICAL.md)"
                if s.too_many_levels else "")
            has = s.current is not None
            for w in (self.label_combo, self.accept_box, self.gauge_combo, self.tabs,
                      self.remove_button, self.approach_combo, self.clock_combo):
                w.setEnabled(has)
            self.tabs.setCurrentIndex(SIDES.index(self.side))
            if has:
                lv = s.levels[s.current]
                self.label_combo.setCurrentText(lv.label)
                self.accept_box.setChecked(lv.accepted)
                traj = lv.trajectories.get(self.side)
                if traj is not None:
                    self.gauge_combo.setCurrentText(traj.gauge)
                self._show_clock()
                if lv.trajectories:
                    self.approach_combo.setCurrentText(
                        next(iter(lv.trajectories.values())).approach)
                # a missing part the plan's warnings already give (no trajectory: why)
                # is not listed twice
                doubts = list(lv.model.warnings) if lv.model.doubtful else []
                notes = ([] if doubts else list(lv.model.warnings)) + list(lv.warnings) + [
                    f"{k.replace('_', ' ')}: {v}" for k, v in lv.model.missing.items()
                    if not any(v in w for w in lv.warnings)]
                self.doubt.setText("\n".join(doubts))
                self.doubt.setVisible(bool(doubts))
                self.notes.setText("\n".join(notes))
            else:
                self.doubt.setText("")
                self.doubt.setVisible(False)
                self.notes.setText("")
            self._refresh_checks()
        finally:
            self._updating = False

    def _refresh_checks(self) -> None:
        s = self.session
        res = None if s.current is None else s.result(s.current, self.side)
        if res is None:
            self.table.setRowCount(0)
            self.headline.setText("Add level, then click inside a vertebral body"
                                  if s.current is None else
                                  f"No {self.side} needle at this level")
            self._set_headline_style("font-weight: bold; padding: 4px;")
            return
        shown = s.shown_verdict(s.current, self.side)
        lv = s.levels[s.current]
        text = f"{lv.label} {self.side}: {res['verdict'].upper()}{_because(res)}"
        if shown == "unverified":
            text += "  (unverified: check the model outlines, then tick Model checked)"
        rgb = VERDICT_RGB[shown if shown in VERDICT_RGB else "unknown"]
        if self.headline.text() != text:
            self.headline.setText(text)
        self._set_headline_style(
            "font-weight: bold; padding: 4px; border-radius: 3px; color: black; "
            f"background: rgb({int(255 * rgb[0])}, {int(255 * rgb[1])}, {int(255 * rgb[2])});")
        checks = res["checks"]
        if self.table.rowCount() != len(checks):
            self.table.setRowCount(len(checks))
            for r in range(len(checks)):
                for col in range(3):
                    self.table.setItem(r, col, QTableWidgetItem())
        # while a needle is dragged this runs every frame: only changed cells are touched
        # (each change repaints the table)
        for r, c in enumerate(checks):
            tip = c.get("rule", "")
            reason = c.get("details", {}).get("reason")
            if reason:
                tip += f"\n{reason}"
            name, value, verdict = (self.table.item(r, col) for col in range(3))
            if name.data(Qt.ItemDataRole.UserRole) != c["id"]:
                name.setText(CHECK_NAMES.get(c["id"], c["id"]))
                name.setData(Qt.ItemDataRole.UserRole, c["id"])
            if verdict.text() != c["verdict"]:
                name.setIcon(verdict_icon(c["verdict"]))
                verdict.setText(c["verdict"])
            text = value_text(c)
            if value.text() != text:
                value.setText(text)
            if name.toolTip() != tip:
                for item in (name, value, verdict):
                    item.setToolTip(tip)

    def _set_headline_style(self, sheet: str) -> None:
        """A style sheet re-polishes the widget: set only when it differs."""
        if self.headline.styleSheet() != sheet:
            self.headline.setStyleSheet(sheet)

    def check_verdict(self, check_id: str) -> str | None:
        """The verdict shown in the table for one check (tests read the panel)."""
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == check_id:
                return self.table.item(r, 2).text()
        return None
