"""Run long jobs (loading, surface extraction) off the GUI thread with progress/cancel."""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

JobFn = Callable[[Callable[[float, str], None], Callable[[], bool]], Any]


class _Runner(QThread):
    progressed = Signal(float, str)
    done = Signal(object)
    crashed = Signal(object, str)

    def __init__(self, fn: JobFn, is_cancelled: Callable[[], bool]):
        super().__init__()
        self._fn, self._is_cancelled = fn, is_cancelled

    def run(self) -> None:
        try:
            result = self._fn(self.progressed.emit, self._is_cancelled)
        except Exception as exc:   # handed to the GUI thread, never lost
            self.crashed.emit(exc, traceback.format_exc())
        else:
            self.done.emit(result)


class Job(QObject):
    """Runs ``fn(progress, cancelled)`` in a worker thread. The job lives in the GUI thread,
    so its signals (and whatever they are connected to) are delivered there."""

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object, str)    # exception, formatted traceback

    def __init__(self, fn: JobFn, parent: QObject | None = None):
        super().__init__(parent)
        self._cancel = False
        self.thread = _Runner(fn, self.is_cancelled)
        self.thread.progressed.connect(self._on_progress)
        self.thread.done.connect(self._on_done)
        self.thread.crashed.connect(self._on_crash)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        self._cancel = True

    def is_cancelled(self) -> bool:
        return self._cancel

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.emit(fraction, message)

    @Slot(object)
    def _on_done(self, result: Any) -> None:
        self.thread.wait()
        self.finished.emit(result)

    @Slot(object, str)
    def _on_crash(self, exc: Exception, tb: str) -> None:
        self.thread.wait()
        self.failed.emit(exc, tb)


def start_with_progress(fn: JobFn, parent: QWidget, title: str, text: str,
                        on_done: Callable[[Any], None],
                        on_failed: Callable[[Exception, str], None],
                        min_duration_ms: int = 400) -> Job:
    """Run ``fn`` off the GUI thread behind a window-modal progress dialog with Cancel.
    The dialog is closed and the thread joined before ``on_done(result)`` or
    ``on_failed(exception, traceback)`` run; a cancelled job's result is dropped (its
    ``on_done`` is called with None)."""
    job = Job(fn, parent)
    dlg = QProgressDialog(text, "Cancel", 0, 1000, parent)
    dlg.setWindowTitle(title)
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setMinimumDuration(min_duration_ms)
    dlg.canceled.connect(job.cancel)
    job.progress.connect(lambda f, msg: (dlg.setValue(int(f * 1000)), dlg.setLabelText(msg)))

    def close() -> None:
        dlg.reset()
        dlg.deleteLater()
        job.thread.wait()

    job.finished.connect(lambda result: (close(), on_done(None if job.is_cancelled()
                                                         else result)))
    job.failed.connect(lambda exc, tb: (close(), on_failed(exc, tb)))
    job.start()
    return job
