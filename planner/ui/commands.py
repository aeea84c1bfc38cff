"""Undoable edits of the plan (Qt's undo stack); each calls the session's setters."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from planner.core.trajectory import Trajectory
from planner.model.plan_session import Level, PlanSession


class AddLevel(QUndoCommand):
    def __init__(self, session: PlanSession, level: Level):
        super().__init__(f"Add level {level.label}")
        self.session, self.level = session, level
        self.index = len(session.levels)

    def redo(self) -> None:
        self.session.insert_level(self.index, self.level)

    def undo(self) -> None:
        self.session.remove_level(self.index)


class RemoveLevel(QUndoCommand):
    def __init__(self, session: PlanSession, index: int):
        super().__init__(f"Remove level {session.levels[index].label}")
        self.session, self.index = session, index
        self.level = session.levels[index]

    def redo(self) -> None:
        self.session.remove_level(self.index)

    def undo(self) -> None:
        self.session.insert_level(self.index, self.level)


class SetTrajectories(QUndoCommand):
    """Replace some of a level's trajectories (None removes one). ``applied``: the change
    is already on screen (the end of a drag), so the first redo does nothing."""

    def __init__(self, session: PlanSession, index: int,
                 old: dict[str, Trajectory | None], new: dict[str, Trajectory | None],
                 text: str, applied: bool = False):
        super().__init__(text)
        self.session, self.index, self.old, self.new = session, index, old, new
        self._skip = applied

    def _apply(self, trajs: dict[str, Trajectory | None]) -> None:
        for side, traj in trajs.items():
            self.session.set_trajectory(self.index, side, traj)

    def redo(self) -> None:
        if self._skip:
            self._skip = False
            return
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


class SetAccepted(QUndoCommand):
    def __init__(self, session: PlanSession, index: int, accepted: bool):
        super().__init__("Accept the level's model" if accepted else "Un-accept the model")
        self.session, self.index, self.accepted = session, index, accepted

    def redo(self) -> None:
        self.session.set_accepted(self.index, self.accepted)

    def undo(self) -> None:
        self.session.set_accepted(self.index, not self.accepted)


class SetLabel(QUndoCommand):
    def __init__(self, session: PlanSession, index: int, label: str):
        super().__init__(f"Label the level {label}")
        self.session, self.index, self.label = session, index, label
        self.old = session.levels[index].label

    def redo(self) -> None:
        self.session.set_label(self.index, self.label)

    def undo(self) -> None:
        self.session.set_label(self.index, self.old)


class SetCountedFrom(QUndoCommand):
    def __init__(self, session: PlanSession, origin: str):
        super().__init__(f"Levels counted from {origin or '(not recorded)'}")
        self.session, self.origin, self.old = session, origin, session.counted_from

    def redo(self) -> None:
        self.session.set_counted_from(self.origin)

    def undo(self) -> None:
        self.session.set_counted_from(self.old)


FIELD_WORDS = {"notes": "notes", "heights": "heights", "posterior_wall": "posterior wall"}
MERGE_IDS = {"notes": 1001, "posterior_wall": 1002}


class SetLevelField(QUndoCommand):
    """A level's notes, heights or posterior wall. Consecutive edits of one level's notes
    (typing a sentence) or posterior wall (stepping through the choices with the arrow
    keys) merge into one undo step."""

    def __init__(self, session: PlanSession, index: int, name: str, value):
        super().__init__(f"Edit {session.levels[index].label} {FIELD_WORDS.get(name, name)}")
        self.session, self.index, self.name, self.value = session, index, name, value
        self.old = getattr(session.levels[index], name)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return MERGE_IDS.get(self.name, -1)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, SetLevelField) or other.index != self.index or \
                other.name != self.name:
            return False
        self.value = other.value
        return True

    def redo(self) -> None:
        self.session.set_level_field(self.index, self.name, self.value)

    def undo(self) -> None:
        self.session.set_level_field(self.index, self.name, self.old)


class SetChecklist(QUndoCommand):
    def __init__(self, session: PlanSession, checklist: dict):
        super().__init__("Edit the pre-procedure checklist")
        self.session, self.checklist, self.old = session, checklist, session.checklist

    def redo(self) -> None:
        self.session.set_checklist(self.checklist)

    def undo(self) -> None:
        self.session.set_checklist(self.old)
