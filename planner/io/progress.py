"""Progress reporting and cancellation shared by every long loader."""

from __future__ import annotations

from typing import Callable, Optional

from planner.io.errors import LoadCancelled

ProgressFn = Optional[Callable[[float, str], None]]
CancelFn = Optional[Callable[[], bool]]


class Progress:
    """Calls ``report(fraction, message)`` and raises LoadCancelled when ``cancel()``."""

    def __init__(self, report: ProgressFn = None, cancel: CancelFn = None,
                 start: float = 0.0, stop: float = 1.0):
        self._report, self._cancel = report, cancel
        self.start, self.stop = start, stop

    def __call__(self, fraction: float, message: str = "") -> None:
        if self._cancel is not None and self._cancel():
            raise LoadCancelled("loading was cancelled")
        if self._report is not None:
            self._report(self.start + (self.stop - self.start) * min(max(fraction, 0.0), 1.0),
                         message)

    def sub(self, start: float, stop: float) -> "Progress":
        """A progress covering [start, stop] of this one."""
        span = self.stop - self.start
        return Progress(self._report, self._cancel, self.start + span * start,
                        self.start + span * stop)
