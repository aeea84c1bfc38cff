"""The levels being planned in one sitting, their trajectories and live verdicts.

No Qt here: views subscribe to the signals; the window's undo commands call the setters.
A level's verdicts read "unverified" until the user has looked at its vertebra model and
accepted it (the model may be wrong on a real CT; the checks are only as good as it is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.core.anatomy.heights import DISC_MM   # a typical disc, to count levels
from planner.core.checklist import empty as empty_checklist
from planner.core.checks.judge import judge
from planner.core.checks.result import CheckSettings
from planner.core.trajectory import Trajectory
from planner.model.signal import Signal

LEVEL_LABELS = ([f"C{n}" for n in range(1, 8)] + [f"T{n}" for n in range(1, 13)]
                + [f"L{n}" for n in range(1, 6)] + ["S1"])
DEFAULT_LABEL = "L1"
MAX_LEVELS_PER_SITTING = 3    # CLINICAL.md: more than three levels in one sitting is advised against
COUNT_ORIGINS = ("the sacrum", "the last rib", "C2")   # how the levels were counted
UNVERIFIED = "unverified"


@dataclass
class Level:
    label: str
    click: np.ndarray                       # where the user clicked (LPS mm)
    model: Any                              # core VertebraModel
    trajectories: dict[str, Trajectory] = field(default_factory=dict)
    accepted: bool = False
    warnings: list[str] = field(default_factory=list)
    notes: str = ""
    heights: dict[str, float | None] | None = None    # anterior/middle/posterior_mm
    adjacent_heights: list[dict] = field(default_factory=list)
    posterior_wall: str = ""                          # core.checklist.POSTERIOR_WALL_STATES

    def genant(self) -> dict[str, Any]:
        """Genant grade from the heights (unknown until they are measured)."""
        from planner.core.anatomy.heights import genant

        short = lambda h: {k.removesuffix("_mm"): v for k, v in h.items()}  # noqa: E731
        if not self.heights:
            return {"grade": None, "loss": None, "reason": "heights not measured"}
        return genant(short(self.heights), [short(a) for a in self.adjacent_heights])


def suggest_label(levels: list[Level], click: np.ndarray, model: Any) -> str:
    """Label for a new level: counted from the nearest level already labelled (one
    vertebra per body height plus a disc along that level's cranial axis); the default
    when there is none. The user always confirms it."""
    if not levels:
        return DEFAULT_LABEL
    ref = min(levels, key=lambda lv: float(np.linalg.norm(lv.model.centre - model.centre)))
    along = float((model.centre - ref.model.centre) @ ref.model.frame.cranial)
    steps = int(round(along / (ref.model.height_mm + DISC_MM)))
    k = LEVEL_LABELS.index(ref.label) - steps          # cranial is a smaller index
    return LEVEL_LABELS[int(np.clip(k, 0, len(LEVEL_LABELS) - 1))]


class PlanSession:
    """Observable planning state for one CT."""

    def __init__(self, settings: CheckSettings | None = None) -> None:
        self.volume: Any = None
        self.levels: list[Level] = []
        self.current: int | None = None
        self.counted_from = ""                 # one of COUNT_ORIGINS once recorded
        self.checklist: dict[str, Any] = empty_checklist()
        self.settings = settings or CheckSettings()
        self._results: dict[tuple[int, str], dict[str, Any]] = {}
        self.levels_changed = Signal()          # ()
        self.level_changed = Signal()           # (index)
        self.trajectory_changed = Signal()      # (index, side)
        self.current_changed = Signal()         # (index or None)
        self.checklist_changed = Signal()       # ()

    # --- structure ----------------------------------------------------------------------
    def reset(self, volume: Any) -> None:
        self.volume = volume
        self.levels = []
        self.counted_from = ""
        self.checklist = empty_checklist()
        self._results.clear()
        self.current = None
        self.levels_changed.emit()
        self.current_changed.emit(None)

    def insert_level(self, index: int, level: Level) -> None:
        self.levels.insert(index, level)
        self._results.clear()
        self.levels_changed.emit()
        self.set_current(index)

    def remove_level(self, index: int) -> Level:
        level = self.levels.pop(index)
        self._results.clear()
        self.levels_changed.emit()
        self.set_current(min(index, len(self.levels) - 1) if self.levels else None)
        return level

    def set_current(self, index: int | None) -> None:
        self.current = index
        self.current_changed.emit(index)

    @property
    def too_many_levels(self) -> bool:
        return len(self.levels) > MAX_LEVELS_PER_SITTING

    # --- edits --------------------------------------------------------------------------
    def set_trajectory(self, index: int, side: str, traj: Trajectory | None) -> None:
        level = self.levels[index]
        if traj is None:
            level.trajectories.pop(side, None)
        else:
            level.trajectories[side] = traj
        self._results.pop((index, side), None)
        self.trajectory_changed.emit(index, side)


    def set_accepted(self, index: int, accepted: bool) -> None:
        self.levels[index].accepted = accepted
        self.level_changed.emit(index)

    def set_counted_from(self, origin: str) -> None:
        if origin and origin not in COUNT_ORIGINS:
            raise ValueError(f"levels are counted from one of {', '.join(COUNT_ORIGINS)}")
        self.counted_from = origin
        self.levels_changed.emit()

    def load_levels(self, levels: list[Level], counted_from: str = "",
                    checklist: dict[str, Any] | None = None) -> None:
        """Replace every level (a plan opened from a file)."""
        self.levels = list(levels)
        self.counted_from = counted_from
        self.checklist = checklist or empty_checklist()
        self._results.clear()
        self.levels_changed.emit()
        self.checklist_changed.emit()
        self.set_current(0 if self.levels else None)

    def set_checklist(self, checklist: dict[str, Any]) -> None:
        self.checklist = checklist
        self.checklist_changed.emit()

    def set_level_field(self, index: int, name: str, value: Any) -> None:
        """Notes, heights or the posterior wall's state of a level."""
        if name not in ("notes", "heights", "adjacent_heights", "posterior_wall"):
            raise ValueError(f"a level has no editable field {name}")
        setattr(self.levels[index], name, value)
        self.level_changed.emit(index)

    def set_label(self, index: int, label: str) -> None:
        if label not in LEVEL_LABELS:
            raise ValueError(f"unknown level {label}")
        self.levels[index].label = label
        self.level_changed.emit(index)

    # --- verdicts -----------------------------------------------------------------------
    def result(self, index: int, side: str) -> dict[str, Any] | None:
        """Every check for the side's trajectory (cached until it changes)."""
        level = self.levels[index]
        traj = level.trajectories.get(side)
        if traj is None:
            return None
        key = (index, side)
        if key not in self._results:
            self._results[key] = judge(self.volume, level.model, traj, self.settings)
        return self._results[key]

    def canal_breach(self, index: int, side: str) -> tuple[np.ndarray, str] | None:
        """Where the side's needle comes too close to (warn) or enters (fail) the canal,
        with that verdict: what the views ring."""
        res = self.result(index, side)
        if res is None:
            return None
        medial = next(c for c in res["checks"] if c["id"] == "medial_wall")
        if medial["verdict"] not in ("warn", "fail") or \
                "closest_point" not in medial["details"]:
            return None
        return np.asarray(medial["details"]["closest_point"], float), medial["verdict"]

    def shown_verdict(self, index: int, side: str) -> str | None:
        """What the views show: the verdict, or "unverified" before the model is
        accepted."""
        res = self.result(index, side)
        if res is None:
            return None
        return res["verdict"] if self.levels[index].accepted else UNVERIFIED


def session_to_plan(session: PlanSession) -> dict[str, Any]:
    """The plan file's content (see planner.io.plan_file), LPS millimetres."""
    from planner.io.plan_file import ct_reference

    return {"ct": ct_reference(session.volume), "counted_from": session.counted_from,
            "coordinates": "LPS mm", "checklist": session.checklist,
            "levels": [{"label": lv.label, "level_point": lv.click.tolist(),
                        "accepted": lv.accepted, "notes": lv.notes,
                        "heights": lv.heights, "adjacent_heights": lv.adjacent_heights,
                        "posterior_wall": lv.posterior_wall,
                        "trajectories": [{"side": t.side, "entry": t.entry.tolist(),
                                          "target": t.target.tolist(), "gauge": t.gauge,
                                          "approach": t.approach}
                                         for t in lv.trajectories.values()]}
                       for lv in session.levels]}


def levels_from_plan(volume: Any, plan: dict[str, Any]) -> list[Level]:
    """Rebuild the levels of a validated plan on its CT: each vertebra model is fitted
    again from the stored level point (the model is deterministic), the trajectories are
    the stored ones; heights a plan lacks (version 1) are measured. Slow (a model per
    level): run it off the GUI thread."""
    from planner.core.anatomy.model import build_model
    from planner.io.plan_file import PlanFileError

    levels = []
    for n, lv in enumerate(plan["levels"]):
        if lv["label"] not in LEVEL_LABELS:
            raise PlanFileError(f"level {n + 1}: unknown label {lv['label']!r}")
        model = build_model(volume, np.asarray(lv["level_point"], float))
        trajs = {t["side"]: Trajectory(t["side"], t["entry"], t["target"], t["gauge"],
                                       t["approach"]) for t in lv["trajectories"]}
        heights, adjacent = lv["heights"], lv["adjacent_heights"]
        if heights is None:
            heights, adjacent = measure_heights(volume, model)
        levels.append(Level(lv["label"], np.asarray(lv["level_point"], float), model, trajs,
                            lv["accepted"], notes=lv["notes"], heights=heights,
                            adjacent_heights=adjacent, posterior_wall=lv["posterior_wall"]))
    return levels


def measure_heights(volume: Any, model: Any) -> tuple[dict, list[dict]]:
    """The level's heights and its neighbours' (plan-file form: ``*_mm`` keys)."""
    from planner.core.anatomy.heights import Heights, heights_with_neighbours

    own, adjacent = heights_with_neighbours(volume, model)
    return own.to_json(), [Heights(a).to_json() for a in adjacent]
