"""The one place that binds VTK's Qt widget to PySide6, with clean finalisation."""

from __future__ import annotations

import vtkmodules.qt

vtkmodules.qt.PyQtImpl = "PySide6"

from PySide6.QtCore import QTimer  # noqa: E402
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor  # noqa: E402

_LIVE: set["VtkWidget"] = set()


class VtkWidget(QVTKRenderWindowInteractor):
    """A render window in a widget: coalesced renders, finalised before X goes away."""

    def __init__(self, parent=None):
        super().__init__(parent)
        # no multisampling: on software OpenGL (llvmpipe) it multiplies the cost of every
        # pixel, and the lines are drawn wide enough without it
        self.GetRenderWindow().SetMultiSamples(0)
        # VTK renders into its own framebuffer, then by default blits it to a display
        # framebuffer and that to the window's back buffer; blitting straight to the back
        # buffer saves one full-window copy per frame (about 1 ms per view on llvmpipe)
        self.GetRenderWindow().SetFrameBlitModeToBlitToCurrent()
        self._render_pending = False
        self._finalized = False
        _LIVE.add(self)

    def request_render(self) -> None:
        """Render once at the next event-loop turn, however often this is called."""
        if not self._render_pending and not self._finalized:
            self._render_pending = True
            QTimer.singleShot(0, self.render_now)

    def render_now(self) -> None:
        self._render_pending = False
        if not self._finalized and self.isVisible():
            self.GetRenderWindow().Render()

    def finalize(self) -> None:
        if self._finalized:
            return
        self._finalized = True
        self.GetRenderWindow().Finalize()
        self.GetRenderWindow().GetInteractor().TerminateApp()
        _LIVE.discard(self)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.finalize()
        super().closeEvent(event)


def live_widgets() -> set[VtkWidget]:
    """Render-window widgets not yet finalised (tests fail on leaks)."""
    return set(_LIVE)
