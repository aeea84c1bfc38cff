"""Screenshots of a view or of the whole window.

``QWidget.grab()`` cannot read a VTK render window's OpenGL pixels; they are read with
vtkWindowToImageFilter and painted over the grabbed widgets at their places.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget

from planner.render.vtk_util import read_pixels
from planner.ui.qt_vtk import VtkWidget


def view_image(view: VtkWidget) -> QImage:
    """The rendered pixels of one VTK view."""
    view.render_now()
    rgb = np.ascontiguousarray(read_pixels(view.GetRenderWindow())[:, :, :3])
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def window_image(window: QWidget) -> QImage:
    """The window as the user sees it, VTK views included."""
    image = window.grab().toImage()
    painter = QPainter(image)
    ratio = window.devicePixelRatioF()
    for view in window.findChildren(VtkWidget):
        if not view.isVisible():
            continue
        at = view.mapTo(window, QPoint(0, 0))
        painter.drawImage(int(at.x() * ratio), int(at.y() * ratio), view_image(view))
    painter.end()
    return image
