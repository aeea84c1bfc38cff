"""Saving and opening plans from the window: File menu actions, recent plans, the
wrong-CT refusal, and the levels rebuilt off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import os
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from planner.io.plan_file import (PlanFileError, autosave_path, read_plan, same_ct,
                                  write_plan)
from planner.model.plan_session import levels_from_plan, session_to_plan
from planner.ui.worker import Job, start_with_progress

PLAN_FILTER = "Pedicle Planner plans (*.ppplan.json *.json)"
PLAN_SUFFIX = ".ppplan.json"
MAX_RECENT = 8
AUTOSAVE_SECONDS = float(os.environ.get("PEDICLE_PLANNER_AUTOSAVE_S", "20"))


class PlanFiles(QObject):
    changed = Signal()          # the plan's path or its saved state changed

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.path: str | None = None
        self._job: Job | None = None
        self._pending: dict[str, Any] | None = None     # applied once its CT has loaded
        window.undo_stack.cleanChanged.connect(lambda clean: self.changed.emit())
        # unsaved edits are written aside every few seconds: a crash loses little
        self._autosave = QTimer(self)
        self._autosave.setInterval(int(AUTOSAVE_SECONDS * 1000))
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()

    # --- crash safety -------------------------------------------------------------------
    def autosave(self) -> None:
        w = self.window
        if w.session.volume is None or w.undo_stack.isClean() or not w.session.levels:
            return
        path = autosave_path(w.session.volume)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_plan(path, session_to_plan(w.session))
        except OSError as exc:
            w.statusBar().showMessage(f"Autosave failed: {exc.strerror}", 6000)

    def drop_autosave(self) -> None:
        """The plan is saved (or deliberately discarded): no recovery needed."""
        volume = self.window.session.volume
        if volume is not None:
            try:
                autosave_path(volume).unlink(missing_ok=True)
            except OSError:
                pass

    def offer_recovery(self) -> Job | None:
        """After a CT loads: an autosaved plan left by a crash is offered back."""
        w = self.window
        path = autosave_path(w.session.volume)
        if not path.exists():
            return None
        when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        answer = QMessageBox.question(
            w, "Recover the unsaved plan",
            f"Pedicle Planner closed with unsaved planning on this CT (last kept {when}).\n\n"
            "Recover it?")
        if answer != QMessageBox.StandardButton.Yes:
            self.drop_autosave()
            return None
        plan = self._read(path, "Cannot recover the plan")
        return None if plan is None else self.apply(plan, None)

    def _read(self, path, title: str):
        """The plan in ``path``, or None after saying in a dialog why it cannot be read."""
        try:
            return read_plan(path)
        except PlanFileError as exc:
            QMessageBox.critical(self.window, title, str(exc))
            return None

    # --- saving -------------------------------------------------------------------------
    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        w = self.window
        if w.session.volume is None:
            QMessageBox.information(w, "Save plan", "Open a CT and plan a level first.")
            return False
        start = str(Path(w.settings.value("last_plan_dir", str(Path.home()))) /
                    ("plan" + PLAN_SUFFIX))
        path, _ = QFileDialog.getSaveFileName(w, "Save plan", start, PLAN_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += PLAN_SUFFIX
        return self._write(path)

    def _write(self, path: str) -> bool:
        w = self.window
        w.details.commit_notes()          # notes still being typed belong to the plan
        try:
            write_plan(path, session_to_plan(w.session))
        except OSError as exc:
            QMessageBox.critical(w, "Save plan", f"Could not write {path}: {exc.strerror}")
            return False
        self.path = path
        w.settings.setValue("last_plan_dir", str(Path(path).parent))
        self._remember(path)
        w.undo_stack.setClean()
        self.drop_autosave()
        w.statusBar().showMessage(f"Plan saved to {path}", 6000)
        self.changed.emit()
        return True

    # --- opening ------------------------------------------------------------------------
    def ask_open(self) -> None:
        w = self.window
        start = w.settings.value("last_plan_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(w, "Open plan", start, PLAN_FILTER)
        if path:
            self.open(path)

    def open(self, path: str, load_ct: bool = False) -> Job | None:
        """Open a plan: on the CT shown when it is the plan's CT; otherwise load the
        plan's own CT (without asking when ``load_ct``: the plan was named on the command
        line), or apply it to this one only if the user confirms."""
        w = self.window
        if not self.may_discard():
            return None
        plan = self._read(path, "Cannot open this plan")
        if plan is None:
            return None
        volume = w.session.volume
        if volume is not None and same_ct(plan, volume):
            return self.apply(plan, path)
        ct = plan["ct"]
        ct_path = ct.get("path", "")
        if ct_path and Path(ct_path).exists():
            answer = QMessageBox.StandardButton.Yes if load_ct else QMessageBox.question(
                w, "Open the plan's CT",
                f"This plan was made on {ct.get('series_description') or ct_path}.\n\n"
                f"Open that CT ({ct_path}) and the plan on it?")
            if answer == QMessageBox.StandardButton.Yes:
                self._pending = {"plan": plan, "path": path}
                w.open_path(ct_path, series_uid=ct.get("series_uid") or None, ask=False)
                return None
        if volume is None:
            QMessageBox.warning(w, "Cannot open this plan",
                                f"Open the CT the plan was made on first "
                                f"({ct_path or ct.get('series_uid') or 'unknown'}).")
            return None
        answer = QMessageBox.warning(
            w, "A plan for another CT",
            "This plan was made on another CT (its series and geometry do not match the "
            "one shown). Its needles would sit in the wrong anatomy.\n\nApply it to this "
            "CT anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return None
        return self.apply(plan, path)

    def volume_loaded(self) -> None:
        """After a CT loads: a plan waiting for it is applied; otherwise an autosaved
        plan left by a crash is offered back."""
        pending, self._pending = self._pending, None
        self.path = None
        self.changed.emit()
        if pending is None:
            self.offer_recovery()
        elif same_ct(pending["plan"], self.window.session.volume):
            self.apply(pending["plan"], pending["path"])
        else:
            QMessageBox.warning(self.window, "A plan for another CT",
                                "The CT found at the plan's path is not the one the plan "
                                "was made on: the plan was not applied.")

    def apply(self, plan: dict[str, Any], path: str | None) -> Job:
        w = self.window
        volume = w.session.volume

        def run(progress: Callable[[float, str], None], cancelled: Callable[[], bool]):
            progress(0.05, f"Fitting the models of {len(plan['levels'])} level(s)")
            return levels_from_plan(volume, plan)

        job = start_with_progress(run, w, "Opening a plan", "Opening the plan...",
                                  lambda levels: self._applied(plan, path, levels),
                                  lambda exc, tb: self._failed(exc))
        self._job = job
        return job

    def _applied(self, plan: dict[str, Any], path: str | None, levels: list | None) -> None:
        self._job = None
        if levels is None:
            return
        w = self.window
        w.session.load_levels(levels, plan["counted_from"], plan["checklist"])
        w.undo_stack.clear()
        self.path = path
        if path is None:                 # recovered after a crash: still to be saved
            w.undo_stack.resetClean()
            w.statusBar().showMessage("Unsaved plan recovered: save it (Ctrl+S)", 10000)
        else:
            w.undo_stack.setClean()
            self._remember(path)
            w.statusBar().showMessage(f"Plan opened: {path}", 6000)
        self.changed.emit()

    def _failed(self, exc: Exception) -> None:
        self._job = None
        QMessageBox.critical(self.window, "Cannot open this plan",
                             f"{type(exc).__name__}: {exc}\n\nNothing was changed.")

    # --- bookkeeping --------------------------------------------------------------------
    def may_discard(self) -> bool:
        """Ask before unsaved edits are lost; True when it is fine to go on."""
        w = self.window
        if w.undo_stack.isClean() or not w.session.levels:
            return True
        answer = QMessageBox.question(
            w, "Unsaved plan", "The plan has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard |
            QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.drop_autosave()
            return True
        return False

    def recent(self) -> list[str]:
        value = self.window.settings.value("recent_plans", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if isinstance(p, str)]

    def _remember(self, path: str) -> None:
        items = [path] + [p for p in self.recent() if p != path]
        self.window.settings.setValue("recent_plans", items[:MAX_RECENT])

    def title(self) -> str:
        if self.path is None:
            return "unsaved plan" + ("" if self.window.undo_stack.isClean() else " *")
        return Path(self.path).name + ("" if self.window.undo_stack.isClean() else " *")
