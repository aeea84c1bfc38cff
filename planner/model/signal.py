"""A minimal change-notification mechanism for the model (no Qt here)."""

from __future__ import annotations

from typing import Any, Callable


class Signal:
    """Callbacks called in connection order; ``disconnect`` removes one by identity."""

    def __init__(self) -> None:
        self._slots: list[Callable[..., Any]] = []

    def connect(self, slot: Callable[..., Any]) -> Callable[..., Any]:
        self._slots.append(slot)
        return slot

    def disconnect(self, slot: Callable[..., Any]) -> None:
        self._slots = [s for s in self._slots if s is not slot]

    def emit(self, *args: Any) -> None:
        for slot in list(self._slots):
            slot(*args)
