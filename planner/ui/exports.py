"""File > Export: the plan report (PDF or HTML, optionally de-identified) and the
trajectories as 3D Slicer markups or CSV. The report is assembled off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QMessageBox

# imported on the GUI thread: a first import inside the report's worker thread races Qt
import planner.core.drr  # noqa: F401
import planner.core.needle_slice  # noqa: F401
from planner.io.exports import write_csv, write_slicer_markups
from planner.io.report_html import write_html
from planner.io.report_pdf import write_pdf
from planner.model.report import CSV_COLUMNS, build_report, markup_lines, trajectory_rows
from planner.ui.worker import Job, start_with_progress

REPORT_FILTERS = "PDF report (*.pdf);;HTML report (*.html)"


class Exports:
    def __init__(self, window) -> None:
        self.window = window
        self.job: Job | None = None

    def _ready(self, what: str) -> bool:
        w = self.window
        if w.session.volume is None or not w.session.levels:
            QMessageBox.information(w, what, "Plan a level first (Plan > Add level).")
            return False
        w.details.commit_notes()
        return True

    def _ask_path(self, title: str, name: str, filters: str) -> str:
        w = self.window
        start = str(Path(w.settings.value("last_plan_dir", str(Path.home()))) / name)
        path, chosen = QFileDialog.getSaveFileName(w, title, start, filters)
        if path and "." not in Path(path).name:
            path += ".html" if "html" in chosen.lower() else \
                ".mrk.json" if "markups" in chosen.lower() else \
                ".csv" if "csv" in chosen.lower() else ".pdf"
        return path

    def _written(self, path: str) -> None:
        self.window.statusBar().showMessage(f"Exported {path}", 8000)

    def _failed(self, title: str, path: str, exc: Exception) -> None:
        reason = getattr(exc, "strerror", None) or str(exc)
        QMessageBox.critical(self.window, title, f"Could not write {path}: {reason}")

    # --- report -------------------------------------------------------------------------
    def report(self, deidentify: bool = False) -> Job | None:
        title = "Export de-identified report" if deidentify else "Export report"
        if self.job is not None or not self._ready(title):
            return None
        path = self._ask_path(title, "plan-report-deidentified.pdf" if deidentify else
                              "plan-report.pdf", REPORT_FILTERS)
        if not path:
            return None
        if not path.lower().endswith((".pdf", ".html", ".htm")):
            QMessageBox.warning(self.window, title, "Name the report .pdf or .html.")
            return None
        session = self.window.session
        plan_path = self.window.plan_files.path or ""

        def run(progress, cancelled) -> Any:
            doc = build_report(session, deidentify=deidentify, plan_path=plan_path,
                               progress=progress)
            if cancelled():
                return None
            progress(0.98, "Writing the file")
            (write_html if path.lower().endswith((".html", ".htm")) else write_pdf)(doc, path)
            return path

        def done(result: Any) -> None:
            self.job = None
            if result:
                self._written(result)

        def failed(exc: Exception, tb: str) -> None:
            self.job = None
            self._failed(title, path, exc)

        self.job = start_with_progress(run, self.window, title, "Assembling the report...",
                                       done, failed)
        return self.job

    # --- trajectories -------------------------------------------------------------------
    def trajectories(self, fmt: str) -> str | None:
        """Write the trajectories as Slicer markups ("slicer") or CSV ("csv")."""
        title = "Export trajectories"
        if not self._ready(title):
            return None
        if fmt == "slicer":
            path = self._ask_path(title, "trajectories.mrk.json",
                                  "3D Slicer markups (*.mrk.json *.json)")
        else:
            path = self._ask_path(title, "trajectories.csv", "CSV (*.csv)")
        if not path:
            return None
        s = self.window.session
        try:
            if fmt == "slicer":
                write_slicer_markups(path, markup_lines(s))
            else:
                write_csv(path, CSV_COLUMNS, trajectory_rows(s))
        except OSError as exc:
            self._failed(title, path, exc)
            return None
        self._written(path)
        return path
