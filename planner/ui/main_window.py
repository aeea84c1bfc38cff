"""The main window: three linked slice views and the 3-D view, file menu, status bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QImage, QKeySequence, QUndoStack
from PySide6.QtWidgets import (QDialog, QDockWidget, QFileDialog, QGridLayout, QLabel,
                               QMainWindow, QMenu, QMessageBox, QTabWidget, QVBoxLayout,
                               QWidget)

from planner.model.plan_session import PlanSession
from planner.model.viewer_state import DEFAULT_PRESET, WINDOW_PRESETS, ViewerState
from planner.ui import commands
from planner.ui.carm_panel import STANDARD_BUTTONS, CArmPanel
from planner.ui.checklist_dialog import ChecklistDialog
from planner.ui.dialogs import SeriesDialog, show_about, show_controls
from planner.ui.fluoro import FluoroController
from planner.ui.exports import Exports
from planner.ui.fluoro_view import FluoroView
from planner.ui.level_details import LevelDetails
from planner.ui.needle_view import NeedleView
from planner.ui.plan_files import PlanFiles
from planner.ui.plan_panel import PlanPanel
from planner.ui.planning import PlanController
from planner.ui.slice_view import SliceView
from planner.ui.view_3d import View3D
from planner.ui.worker import Job, start_with_progress

APP_TITLE = "Pedicle Planner"
# name -> rows of view names (a view may span: repeated names)
LAYOUTS: dict[str, list[list[str]]] = {
    "Planning": [["axial", "ap", "lateral"], ["sagittal", "coronal", "3d"]],
    "Along the needle": [["bullseye", "progression", "ap"], ["axial", "lateral", "3d"]],
    "Slices and 3D": [["axial", "sagittal"], ["coronal", "3d"]],
    "Fluoroscopy": [["ap", "lateral"]],
}
DEFAULT_LAYOUT = "Planning"
DEIDENTIFIED = "De-identified"
VIEW_TITLES = {"axial": "Axial", "sagittal": "Sagittal", "coronal": "Coronal", "3d": "3D",
               "ap": "Fluoroscopy, frontal plane", "lateral": "Fluoroscopy, lateral plane",
               "bullseye": "Down the needle", "progression": "Needle progression plane"}


def load_job(path: str | None, series_uid: str | None, allow_non_ct: bool) -> Callable:
    """The work done off the GUI thread: (sample,) load, bone surface."""
    def run(progress: Callable[[float, str], None], cancelled: Callable[[], bool]) -> Any:
        from planner.io.loader import load_volume
        from planner.render.surface_scene import bone_surface

        target = path
        if target is None:
            from planner.io.sample_case import DICOM_DIR, ensure_sample

            progress(0.0, "Preparing the built-in sample case (first run only)...")
            target = str(ensure_sample() / DICOM_DIR)
        volume = load_volume(target, series_uid=series_uid, allow_non_ct=allow_non_ct,
                             progress=lambda f, m: progress(0.85 * f, m), cancel=cancelled)
        progress(0.9, "Extracting the bone surface")
        return volume, bone_surface(volume)
    return run


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.state = ViewerState()
        self.views = {name: SliceView(self.state, name) for name in ("axial", "sagittal",
                                                                      "coronal")}
        self.view3d = View3D(self.state)
        self.fluoro_views = {"ap": FluoroView("ap", "Fluoroscopy, frontal plane"),
                             "lateral": FluoroView("lateral", "Fluoroscopy, lateral plane")}
        self.needle_views = {kind: NeedleView(self.state, kind)
                             for kind in ("bullseye", "progression")}
        self.vtk_views = [self.views["axial"], self.views["sagittal"], self.views["coronal"],
                          self.view3d, *self.needle_views.values()]
        self.all_views: dict[str, QWidget] = {**self.views, "3d": self.view3d,
                                              **self.fluoro_views, **self.needle_views}
        central = QWidget()
        self.grid = QGridLayout(central)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(2)
        for w in self.all_views.values():
            w.maximize_requested.connect(lambda w=w: self.toggle_maximized(w))
        self.setCentralWidget(central)
        self.session = PlanSession()
        self.undo_stack = QUndoStack(self)
        self.panel = PlanPanel(self.session)
        dock = QDockWidget("Plan", self)
        dock.setObjectName("plan_dock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setMinimumWidth(330)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.planning = PlanController(self, self.session, self.views, self.view3d,
                                       self.panel, self.undo_stack, self.needle_views)
        self.carm_panel = CArmPanel()
        self.fluoro = FluoroController(self, self.session, self.fluoro_views, self.carm_panel,
                                       self.planning)
        self.details = LevelDetails(self.session)
        self.details.field_edited.connect(
            lambda i, name, value: self.undo_stack.push(
                commands.SetLevelField(self.session, i, name, value)))
        self.details.checklist_requested.connect(self.edit_checklist)
        self.side_tabs = QTabWidget()
        self.side_tabs.addTab(self.panel, "Needles and checks")
        self.side_tabs.addTab(self.details, "Level and patient")
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.side_tabs, 1)
        side_layout.addWidget(self.carm_panel)
        dock.setWidget(side)
        self.layout_name = ""
        self._maximized: QWidget | None = None
        self.status_pos = QLabel("Open a CT: File > Open")
        self.statusBar().addWidget(self.status_pos, 1)
        self.status_volume = QLabel("")
        self.statusBar().addPermanentWidget(self.status_volume)
        for v in [*self.views.values(), *self.needle_views.values()]:
            v.hovered.connect(self._on_hover)
        self.state.window_changed.connect(self._on_window)
        self._job: Job | None = None
        self.deidentified = False
        self.exports = Exports(self)
        self._build_menus()
        self.settings = QSettings("PediclePlanner", "PediclePlanner")
        self.resize(1280, 900)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.plan_files = PlanFiles(self)
        self.plan_files.changed.connect(self._update_title)
        self._build_plan_menu()
        layout = self.settings.value("view/layout", DEFAULT_LAYOUT)
        self.set_layout(layout if layout in LAYOUTS else DEFAULT_LAYOUT)
        preset = self.settings.value("view/preset", DEFAULT_PRESET)
        if preset in WINDOW_PRESETS:
            self.state.apply_preset(preset)

    # --- menus --------------------------------------------------------------------------
    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        self.file_menu = m
        self._add(m, "Open &DICOM folder...", self.ask_open_folder, QKeySequence.StandardKey.Open)
        self._add(m, "Open NIfTI/NRRD &file...", self.ask_open_file, "Ctrl+Shift+O")
        self._add(m, "Open the &sample case", lambda: self.open_path(None))
        m.addSeparator()
        self._add(m, "Export &report (PDF or HTML)...", lambda: self.exports.report(False),
                  "Ctrl+Shift+R")
        self._add(m, "Export de-&identified report...", lambda: self.exports.report(True))
        traj = m.addMenu("Export &trajectories")
        self._add(traj, "3D &Slicer markups...", lambda: self.exports.trajectories("slicer"))
        self._add(traj, "&CSV...", lambda: self.exports.trajectories("csv"))
        shots = m.addMenu("Export &screenshot")
        self._add(shots, "Whole window...", lambda: self.ask_screenshot(None), "Ctrl+E")
        for key, title in VIEW_TITLES.items():
            self._add(shots, f"{title}...", lambda checked=False, key=key:
                      self.ask_screenshot(key))
        m.addSeparator()
        self._add(m, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        e = self.menuBar().addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        e.addAction(undo)
        e.addAction(redo)
        p = self.menuBar().addMenu("&Plan")
        self.add_level_action = self._add(
            p, "&Add level (click inside a vertebral body)",
            lambda: self.planning.set_add_mode(True), "A")
        self._add(p, "&Remove the level", self._remove_level, QKeySequence.StandardKey.Delete)
        self._add(p, "Switch the needle &side (left/right)", self._switch_side, "S")
        self._add(p, "Pre-procedure &checklist...", self.edit_checklist, "K")
        p.addSeparator()
        for n, (name, text) in enumerate(STANDARD_BUTTONS):
            self._add(p, f"C-arm: {text}", lambda checked=False, name=name:
                      self.fluoro.show_standard_view(name), f"F{n + 5}")
        v = self.menuBar().addMenu("&View")
        group = QActionGroup(self)
        self.preset_actions: dict[str, QAction] = {}
        for n, name in enumerate(WINDOW_PRESETS):
            ww, wl = WINDOW_PRESETS[name]
            a = self._add(v, f"{name}  (W {ww:.0f} / L {wl:.0f})",
                          lambda checked=False, name=name: self.state.apply_preset(name),
                          f"Ctrl+{n + 1}")
            a.setCheckable(True)
            a.setChecked(name == DEFAULT_PRESET)
            group.addAction(a)
            self.preset_actions[name] = a
        v.addSeparator()
        lay_menu = v.addMenu("&Layout")
        lay_group = QActionGroup(self)
        self.layout_actions: dict[str, QAction] = {}
        for n, name in enumerate(LAYOUTS):
            a = self._add(lay_menu, name, lambda checked=False, name=name: self.set_layout(name),
                          f"Alt+{n + 1}")
            a.setCheckable(True)
            lay_group.addAction(a)
            self.layout_actions[name] = a
        self._add(v, "&Reset views", self.reset_views, "R")
        self.identity_action = self._add(v, "&Hide patient identity (for screenshots)",
                                         self.set_deidentified)
        self.identity_action.setCheckable(True)
        h = self.menuBar().addMenu("&Help")
        self._add(h, "&Keyboard and mouse", lambda: show_controls(self), "F1")
        self._add(h, "&About Pedicle Planner", lambda: show_about(self))

    def _build_plan_menu(self) -> None:
        """Plan files in the File menu, above Export screenshot."""
        m = self.file_menu
        first = m.actions()[3]
        for text, slot, key in (("Open &plan...", self.plan_files.ask_open, "Ctrl+Alt+O"),
                                ("&Save plan", self.plan_files.save,
                                 QKeySequence.StandardKey.Save),
                                ("Save plan &as...", self.plan_files.save_as,
                                 QKeySequence.StandardKey.SaveAs)):
            a = QAction(text, self)
            a.setShortcut(QKeySequence(key))
            a.triggered.connect(slot)
            m.insertAction(first, a)
        self.recent_menu = QMenu("Recent plans", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.insertMenu(first, self.recent_menu)
        m.insertSeparator(first)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.plan_files.recent():
            self.recent_menu.addAction(path, lambda p=path: self.plan_files.open(p))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _update_title(self) -> None:
        m = self.state.volume.meta if self.state.volume is not None else {}
        parts = [APP_TITLE, self.plan_files.title()] + (
            [DEIDENTIFIED] if self.deidentified and m else
            [x for x in (str(m.get("patient_name", "")).replace("^", " "),
                         m.get("series_description", "")) if x])
        self.setWindowTitle(" - ".join(parts))

    def identity_lines(self) -> list[str]:
        """The patient banner of every view: patient, study and series, or
        "De-identified" while the identity is hidden (for screenshots others see)."""
        if self.state.volume is None:
            return []
        if self.deidentified:
            return [DEIDENTIFIED]
        m = self.state.volume.meta
        return [x for x in (str(m.get("patient_name", "")).replace("^", " "),
                            m.get("study_description", ""), m.get("series_description", ""))
                if x]

    def set_deidentified(self, hidden: bool) -> None:
        self.deidentified = bool(hidden)
        if self.identity_action.isChecked() != self.deidentified:
            self.identity_action.setChecked(self.deidentified)
        self._apply_identity()

    def _apply_identity(self) -> None:
        lines = self.identity_lines()
        for v in [*self.views.values(), *self.needle_views.values()]:
            v.scene.set_banner_lines(lines)
        self.view3d.scene.set_banner("\n".join(lines[:2]))
        self.fluoro.set_banner(lines)
        self._update_title()
        self.render_all()

    def edit_checklist(self) -> None:
        if self.session.volume is None:
            return
        dlg = ChecklistDialog(self.session.checklist, self)
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.value() != self.session.checklist:
            self.undo_stack.push(commands.SetChecklist(self.session, dlg.value()))

    def _add(self, menu, text: str, slot: Callable, shortcut: Any = None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    # --- opening ------------------------------------------------------------------------
    def ask_open_folder(self) -> None:
        start = self.settings.value("last_dir", str(Path.home()))
        path = QFileDialog.getExistingDirectory(self, "Open a DICOM folder", start)
        if path:
            self.settings.setValue("last_dir", path)
            self.open_path(path)

    def ask_open_file(self) -> None:
        start = self.settings.value("last_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a CT volume", start,
            "CT volumes (*.nii *.nii.gz *.nrrd *.nhdr);;DICOM file (*)")
        if path:
            self.settings.setValue("last_dir", str(Path(path).parent))
            self.open_path(path)

    def open_path(self, path: str | None, series_uid: str | None = None,
                  allow_non_ct: bool = False, ask: bool = True) -> Job | None:
        """Load off the GUI thread; ``path`` None opens the built-in sample case. With
        ``ask``, unsaved plan edits are not dropped without the user's word."""
        if ask and not self.plan_files.may_discard():
            return None
        if self._job is not None:
            self._job.cancel()
        job = start_with_progress(
            load_job(path, series_uid, allow_non_ct), self, "Loading CT", "Loading...",
            lambda result: self._loaded(job, result),
            lambda exc, tb: self._load_failed(job, exc, tb, path), min_duration_ms=300)
        self._job = job
        return job

    def _loaded(self, job: Job, result: Any) -> None:
        if self._job is job:
            self._job = None
        if result is None:
            return
        volume, surface = result
        self.set_volume(volume, surface)

    def _load_failed(self, job: Job, exc: Exception, tb: str, path: str | None) -> None:
        from planner.io.errors import (LoadCancelled, LoadError, MultipleSeriesError,
                                       NonCTModalityError)

        if self._job is job:
            self._job = None
        if isinstance(exc, LoadCancelled):
            self.statusBar().showMessage("Loading cancelled", 5000)
        elif isinstance(exc, MultipleSeriesError):
            chooser = SeriesDialog(exc.series, self)
            if chooser.exec() and chooser.selected_uid:
                self.open_path(path, series_uid=chooser.selected_uid, ask=False)
        elif isinstance(exc, NonCTModalityError):
            answer = QMessageBox.question(
                self, "Not a CT series",
                f"{exc}.\n\nSafety checks assume Hounsfield units. Load it anyway?")
            if answer == QMessageBox.StandardButton.Yes:
                self.open_path(path, allow_non_ct=True, ask=False)
        elif isinstance(exc, LoadError):
            QMessageBox.critical(self, "Cannot open this CT", str(exc))
        else:
            QMessageBox.critical(self, "Unexpected error",
                                 f"{type(exc).__name__}: {exc}\n\nNothing was changed. "
                                 "Please report this with the details below.\n\n" + tb[-1500:])

    def set_volume(self, volume: Any, surface: Any = None) -> None:
        """Show a loaded volume in every view (GUI thread only)."""
        self.undo_stack.clear()
        self.session.reset(volume)
        self.state.set_volume(volume)
        if surface is None:
            from planner.render.surface_scene import bone_surface
            surface = bone_surface(volume)
        m = volume.meta
        self.view3d.set_surface(surface, volume.affine)
        self.fluoro.set_volume(volume, self.identity_lines())
        self._apply_identity()
        self.plan_files.volume_loaded()
        ni, nj, nk = volume.shape_ijk
        sp = volume.spacing
        self.status_volume.setText(f"{ni}x{nj}x{nk}  {sp[0]:.2f}x{sp[1]:.2f}x{sp[2]:.2f} mm  "
                                   f"{m.get('modality', '')}")
        self.status_pos.setText("Move the mouse over a slice for the LPS position and HU")
        if volume.warnings:
            self.statusBar().showMessage("Warning: " + "; ".join(volume.warnings), 15000)
        self.render_all()

    # --- plan shortcuts -----------------------------------------------------------------
    def _remove_level(self) -> None:
        if self.session.current is not None:
            self.panel.remove_level_requested.emit(self.session.current)

    def _switch_side(self) -> None:
        self.panel.select_side("right" if self.panel.side == "left" else "left")

    # --- screenshots --------------------------------------------------------------------
    def screenshot(self, view: str | None) -> QImage:
        """The whole window (None) or one view, as rendered."""
        from planner.ui.screenshot import view_image, window_image

        if view is None:
            return window_image(self)
        widget = self.all_views[view]
        if isinstance(widget, FluoroView):
            return widget.grab().toImage()
        return view_image(widget)

    def ask_screenshot(self, view: str | None) -> None:
        if view is not None and not self.all_views[view].isVisible():
            QMessageBox.information(self, "Export screenshot",
                                    f"The {VIEW_TITLES[view]} view is not shown in this "
                                    "layout: choose a layout that shows it first.")
            return
        start = str(Path(self.settings.value("last_dir", str(Path.home()))) /
                    f"{view or 'window'}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Export screenshot", start,
                                              "PNG image (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        if self.screenshot(view).save(path, "PNG"):
            self.statusBar().showMessage(f"Saved {path}", 6000)
        else:
            QMessageBox.critical(self, "Export screenshot", f"Could not write {path}")

    # --- view handling ------------------------------------------------------------------
    def set_layout(self, name: str) -> None:
        """Arrange the views as the named layout; the others are hidden."""
        rows = LAYOUTS[name]
        for w in self.all_views.values():
            self.grid.removeWidget(w)
            w.hide()
        for r in range(self.grid.rowCount()):
            self.grid.setRowStretch(r, 0)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)
        placed: set[str] = set()
        for r, row in enumerate(rows):
            self.grid.setRowStretch(r, 1)
            for c, view in enumerate(row):
                self.grid.setColumnStretch(c, 1)
                if view in placed:
                    continue
                span = row.count(view)
                self.grid.addWidget(self.all_views[view], r, c, 1, span)
                self.all_views[view].show()
                placed.add(view)
        self.layout_name = name
        self._maximized = None
        self.planning.refresh_views()          # views just shown catch up
        self.layout_actions[name].setChecked(True)
        self.settings.setValue("view/layout", name)
        self.render_all()

    def visible_views(self) -> list[QWidget]:
        return [w for w in self.all_views.values() if w.isVisible()]

    def toggle_maximized(self, widget: QWidget) -> None:
        if self._maximized is widget:
            self.set_layout(self.layout_name)
            return
        shown = self.visible_views()
        for w in shown:
            w.setVisible(w is widget)
        self._maximized = widget
        self.planning.refresh_views()
        self.render_all()

    def reset_views(self) -> None:
        for v in self.views.values():
            v.scene.reset_camera()
            v.scene.set_cursor(self.state.cursor)
        for v in self.needle_views.values():
            v.fit()
        self.view3d.scene.reset_camera()
        self.render_all()

    def render_all(self) -> None:
        for w in self.vtk_views:
            w.request_render()
        for w in self.fluoro_views.values():
            w.update()

    def _on_hover(self, world: np.ndarray, hu: float | None) -> None:
        value = "outside the volume" if hu is None else f"{hu:.0f} HU"
        self.status_pos.setText(f"LPS ({world[0]:.1f}, {world[1]:.1f}, {world[2]:.1f}) mm   "
                                f"{value}")

    def _on_window(self, window: float, level: float) -> None:
        for name, (ww, wl) in WINDOW_PRESETS.items():
            self.preset_actions[name].setChecked((ww, wl) == (window, level))
            if (ww, wl) == (window, level):
                self.settings.setValue("view/preset", name)
        self.statusBar().showMessage(f"Window {window:.0f} / level {level:.0f}", 3000)

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.plan_files.may_discard():
            event.ignore()
            return
        self.plan_files.drop_autosave()       # saved or discarded: nothing to recover
        self.settings.setValue("window/geometry", self.saveGeometry())
        if self._job is not None:
            self._job.cancel()
            self._job.thread.wait(5000)
        self.planning.stop()
        self.fluoro.stop()
        for w in self.vtk_views:
            w.finalize()
        super().closeEvent(event)
