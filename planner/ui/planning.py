"""Wires the planning session to the views, the panel and the undo stack.

Adding a level fits the vertebra model and the suggested plan off the GUI thread; a drag
of a needle end updates the session live (every view and the checks follow) and lands on
the undo stack as one step when the mouse is released.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMessageBox, QWidget

# imported here, in the GUI thread: a first import inside a worker thread races Qt
from planner.core.anatomy.heights import vertebral_heights
from planner.core.anatomy.model import ModelError, build_model
from planner.core.plan import entry_at_clock, suggest_plan
from planner.core.trajectory import Trajectory
from planner.model.plan_session import Level, PlanSession, measure_heights, suggest_label
from planner.render.plan_overlay import Needle, model_outlines
from planner.ui import commands
from planner.ui.plan_panel import PlanPanel
from planner.ui.worker import Job, start_with_progress


def level_job(volume: Any, click: np.ndarray) -> Callable:
    """Off the GUI thread: the vertebra model at the click and the suggested plan."""
    def run(progress: Callable[[float, str], None], cancelled: Callable[[], bool]) -> Any:
        progress(0.1, "Fitting the vertebra model")
        model = build_model(volume, click)
        if cancelled():
            return None
        progress(0.4, "Suggesting the bipedicular plan")
        plan = suggest_plan(volume, model)
        if cancelled():
            return None
        progress(0.6, "Measuring the vertebral heights and the adjacent levels'")
        return model, plan, measure_heights(volume, model)
    return run


def _isthmus_depth(model: Any, traj: Trajectory) -> float:
    """How far along the needle it passes the pedicle's isthmus (where the bull's eye
    looks); 40 % of the way when the model has no pedicle on that side."""
    ped = model.pedicles.get(traj.side)
    if ped is None:
        return 0.4 * traj.length_mm
    return float((ped.isthmus - traj.entry) @ traj.direction)


class PlanController(QObject):
    def __init__(self, parent: QWidget, session: PlanSession, views: dict, view3d,
                 panel: PlanPanel, undo: QUndoStack, needle_views: dict | None = None):
        super().__init__(parent)
        self.window, self.session, self.views, self.view3d = parent, session, views, view3d
        self.needle_views = needle_views or {}
        self.panel, self.undo = panel, undo
        self.side = "left"
        self._outline_cache: tuple[Any, list] = (None, [])
        self._job: Job | None = None
        self._plan_job: Job | None = None
        self._approach_request: tuple[Level, str] | None = None
        self._stopped = False
        self._drag_old: Trajectory | None = None
        view3d.handle_grabbed.connect(self.grab_handle)
        view3d.handle_moved.connect(self.move_handle)
        view3d.handle_released.connect(self.release_handle)
        view3d.preferred_needle = self.preferred_needle
        for v in [*views.values(), *self.needle_views.values()]:
            v.preferred_needle = self.preferred_needle
            v.level_clicked.connect(self.add_level_at)
            v.handle_grabbed.connect(self.grab_handle)
            v.handle_moved.connect(self.move_handle)
            v.handle_released.connect(self.release_handle)
        panel.add_level_toggled.connect(self.set_add_mode)
        panel.remove_level_requested.connect(
            lambda i: self.undo.push(commands.RemoveLevel(session, i)))
        panel.level_selected.connect(session.set_current)
        panel.label_chosen.connect(self._label)
        panel.accepted_toggled.connect(
            lambda i, ok: self.undo.push(commands.SetAccepted(session, i, ok)))
        panel.gauge_chosen.connect(self.set_gauge)
        panel.approach_chosen.connect(self.set_approach)
        panel.entry_clock_chosen.connect(self.snap_entry)
        panel.counted_from_chosen.connect(
            lambda o: o != session.counted_from and
            self.undo.push(commands.SetCountedFrom(session, o)))
        panel.side_selected.connect(self._side)
        session.levels_changed.connect(self.refresh_views)
        session.level_changed.connect(lambda i: self.refresh_views())
        session.current_changed.connect(self._current)
        session.trajectory_changed.connect(lambda i, s: self.refresh_views())

    # --- adding levels ------------------------------------------------------------------
    def set_add_mode(self, on: bool) -> None:
        for v in [*self.views.values(), *self.needle_views.values()]:
            v.add_level_mode = on
            v.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        if self.panel.add_button.isChecked() != on:
            self.panel.add_button.setChecked(on)
        if on:
            self.window.statusBar().showMessage("Click inside the vertebral body to plan", 8000)

    def add_level_at(self, click: np.ndarray) -> Job | None:
        volume = self.session.volume
        if volume is None or self._job is not None:
            return None
        self.set_add_mode(False)
        job = start_with_progress(
            level_job(volume, np.asarray(click, float)), self.window, "Adding a level",
            "Fitting the vertebra model...", lambda r: self._level_ready(click, r),
            self._level_failed)
        self._job = job
        return job

    def _level_ready(self, click: np.ndarray, result: Any) -> None:
        self._job = None
        if result is None:
            return
        model, plan, (heights, adjacent) = result
        label = suggest_label(self.session.levels, click, model)
        level = Level(label, np.asarray(click, float), model,
                      {t.side: t for t in plan.trajectories}, warnings=list(plan.warnings),
                      heights=heights, adjacent_heights=adjacent)
        self.undo.push(commands.AddLevel(self.session, level))
        self.window.statusBar().showMessage(
            f"Level {label} added (suggested label: check it). Check the model outlines on "
            "the slices, then tick \"Model checked\".", 10000)

    def _level_failed(self, exc: Exception, tb: str) -> None:
        self._job = None
        if isinstance(exc, ModelError):
            QMessageBox.warning(self.window, "No vertebra here", str(exc))
        else:
            QMessageBox.critical(self.window, "Unexpected error",
                                 f"{type(exc).__name__}: {exc}\n\nNothing was changed.\n\n"
                                 + tb[-1500:])

    # --- editing ------------------------------------------------------------------------
    def _label(self, index: int, label: str) -> None:
        if label != self.session.levels[index].label:
            self.undo.push(commands.SetLabel(self.session, index, label))

    def set_gauge(self, index: int, side: str, gauge: str) -> None:
        old = self.session.levels[index].trajectories[side]
        if old.gauge == gauge:
            return
        self.undo.push(commands.SetTrajectories(
            self.session, index, {side: old}, {side: replace(old, gauge=gauge)},
            f"{side} needle {gauge}"))

    def set_approach(self, index: int, approach: str) -> None:
        """Plan the level again for ``approach`` off the GUI thread (some 160 lines are
        judged: 0.3-0.7 s on two cores). Requests made while one runs wait for it; only
        the latest is planned, and its needles replace the level's as one undo step."""
        self._approach_request = (self.session.levels[index], approach)
        if self._plan_job is None:
            self._plan_next_approach()

    def _plan_next_approach(self) -> None:
        level, approach = self._approach_request
        self._approach_request = None
        gauge = next(iter(level.trajectories.values())).gauge if level.trajectories else "11G"
        volume = self.session.volume
        job = Job(lambda progress, cancelled: suggest_plan(volume, level.model, gauge,
                                                           approach), self)
        job.finished.connect(lambda plan: self._approach_planned(level, approach, plan))
        job.failed.connect(lambda exc, tb: self._approach_failed(approach, exc))
        self._plan_job = job
        self.window.statusBar().showMessage(f"Planning the {approach} approach...")
        job.start()

    def _approach_planned(self, level: Level, approach: str, plan: Any) -> None:
        self._plan_job = None
        if self._stopped:                             # the window is closing
            return
        if self._approach_request is not None:        # a newer choice: plan that one
            self._plan_next_approach()
            return
        # by identity: levels compare by value (their arrays make == ambiguous)
        index = next((i for i, lv in enumerate(self.session.levels) if lv is level), None)
        if index is None:                             # removed meanwhile
            self.window.statusBar().clearMessage()
            return
        new: dict[str, Trajectory | None] = {s: None for s in ("left", "right")}
        new.update({t.side: t for t in plan.trajectories})
        old = {s: level.trajectories.get(s) for s in ("left", "right")}
        self.undo.push(commands.SetTrajectories(self.session, index, old, new,
                                                f"{approach} approach"))
        if plan.warnings:
            self.window.statusBar().showMessage("; ".join(plan.warnings), 12000)
        else:
            self.window.statusBar().showMessage(f"{approach.capitalize()} approach planned",
                                                4000)

    def stop(self) -> None:
        """Wait for a plan being made (the window is closing): a thread must not outlive
        its objects."""
        self._stopped = True
        self._approach_request = None
        if self._plan_job is not None:
            self._plan_job.thread.wait(10000)

    def _approach_failed(self, approach: str, exc: Exception) -> None:
        self._plan_job = None
        self._approach_request = None
        QMessageBox.warning(self.window, "No plan",
                            f"The {approach} approach could not be planned: {exc}")

    def snap_entry(self, index: int, side: str, hour: float) -> None:
        level = self.session.levels[index]
        if side not in level.model.pedicles:
            self.window.statusBar().showMessage(f"No {side} pedicle in the model: "
                                                "nothing to snap to", 6000)
            return
        old = level.trajectories[side]
        entry = entry_at_clock(self.session.volume, level.model, side, hour)
        new = Trajectory(side, entry, old.target, old.gauge, old.approach)
        self.undo.push(commands.SetTrajectories(self.session, index, {side: old},
                                                {side: new},
                                                f"{side} entry to {hour:.0f}:00"))

    def preferred_needle(self) -> tuple | None:
        """The needle being worked on: the current level's selected side."""
        s = self.session
        return None if s.current is None else (s.current, self.side)

    def _side(self, side: str) -> None:
        self.side = side
        self.refresh_views()

    def _current(self, index: int | None) -> None:
        if index is not None:
            self.view3d.scene.focus(self.session.levels[index].model.centre)
        self.refresh_views()

    # --- dragging -----------------------------------------------------------------------
    def grab_handle(self, key: tuple, which: str) -> None:
        index, side = key
        self._drag_old = self.session.levels[index].trajectories[side]
        self.view3d.set_interactive(True)
        if index != self.session.current:
            self.session.set_current(index)
        if side != self.side:
            self.panel.select_side(side)

    def move_handle(self, key: tuple, which: str, point: np.ndarray) -> None:
        index, side = key
        t = self.session.levels[index].trajectories[side]
        entry, target = (point, t.target) if which == "entry" else (t.entry, point)
        if np.linalg.norm(target - entry) < 5.0:
            return                      # a needle keeps a length
        self.session.set_trajectory(index, side, Trajectory(side, entry, target, t.gauge,
                                                            t.approach))

    def release_handle(self, key: tuple, which: str) -> None:
        index, side = key
        self.view3d.set_interactive(False)
        old, self._drag_old = self._drag_old, None
        new = self.session.levels[index].trajectories[side]
        if old is None or (np.allclose(old.entry, new.entry) and
                           np.allclose(old.target, new.target)):
            return
        self.undo.push(commands.SetTrajectories(self.session, index, {side: old},
                                                {side: new}, f"Move the {side} {which}",
                                                applied=True))

    # --- views --------------------------------------------------------------------------
    def needles(self) -> list[Needle]:
        out = []
        s = self.session
        for i, level in enumerate(s.levels):
            for side, t in level.trajectories.items():
                skin = s.result(i, side)["skin_entry"].get("point")
                breach, breach_verdict = s.canal_breach(i, side) or (None, "")
                out.append(Needle((i, side), t.entry, t.target, s.shown_verdict(i, side),
                                  t.diameter_mm, i == s.current and side == self.side,
                                  None if skin is None else np.asarray(skin, float),
                                  breach, breach_verdict, i == s.current))
        return out

    def refresh_views(self) -> None:
        s = self.session
        needles = self.needles()
        outlines = [] if s.current is None else self._outlines(s.levels[s.current].model)
        level = "" if s.current is None else f"Level {s.levels[s.current].label}"
        selected = self.selected()
        for v in self.needle_views.values():
            if not v.isVisible():
                continue                      # brought up to date when shown
            if selected is None:
                v.set_needle(None, None, None)
            else:
                model, t = selected
                v.set_needle(t.entry, t.target, model.frame.cranial, _isthmus_depth(model, t))
        for v in [*self.views.values(), *self.needle_views.values()]:
            if not v.isVisible():
                continue
            changed = v.scene.set_plan(needles, outlines)
            if v.scene.set_level_text(level) or changed:
                v.request_render()
        self.view3d.scene.needles.set_needles(needles)
        self.view3d.request_render()

    def _outlines(self, model: Any) -> list:
        """The model's outlines, made once per model (they do not move with the needle)."""
        if self._outline_cache[0] is not model:
            heights = vertebral_heights(self.session.volume, model)
            self._outline_cache = (model, model_outlines(model, heights.points))
        return self._outline_cache[1]

    def selected(self) -> tuple[Any, Trajectory] | None:
        """The current level's model and the needle of the selected side."""
        s = self.session
        if s.current is None:
            return None
        level = s.levels[s.current]
        t = level.trajectories.get(self.side)
        return None if t is None else (level.model, t)
