"""A simulated fluoroscopy view: the DRR image with the plan drawn over it (QPainter).

The DRR comes from the compute thread and changes only when the C-arm moves. The DRR, the
outlines and the texts that do not move with the needles are painted once into a
background pixmap; a drag repaints the needles over it. A needle end can be
dragged here too: it moves in the plane facing the detector, keeping its depth along the
beam.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from planner.core.carm import CArm
from planner.core.overlays import Overlay
from planner.ui.handles import nearest_handle

HANDLE_PICK_PX = 10.0
TEXT_RGB = QColor(255, 217, 51)


def _shadowed(p: QPainter, at: QPointF, text: str, colour: QColor) -> None:
    """Text readable on white (air) and on black alike."""
    p.setPen(QColor(0, 0, 0))
    for dx, dy in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
        p.drawText(at + QPointF(dx, dy), text)
    p.setPen(colour)
    p.drawText(at, text)


def _shadowed_box(p: QPainter, box: QRectF, align, text: str) -> None:
    p.setPen(QColor(0, 0, 0))
    for dx, dy in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
        p.drawText(box.translated(dx, dy), align, text)
    p.setPen(TEXT_RGB)
    p.drawText(box, align, text)


class FluoroView(QWidget):
    handle_grabbed = Signal(object, str)
    handle_moved = Signal(object, str, object)
    handle_released = Signal(object, str)
    maximize_requested = Signal()

    # the needle a press prefers among ends drawn on the same pixel (set by the plan)
    preferred_needle = None

    def __init__(self, name: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name, self.title = name, title
        self.carm = CArm()
        self.image: np.ndarray | None = None
        self.image_carm: CArm | None = None
        self._pixmap: QPixmap | None = None
        self._pixmap_size = (0, 0)
        self._background: QPixmap | None = None
        self._background_key: tuple | None = None
        self.static_overlay = Overlay()
        self.moving_overlay = Overlay()
        self.handles: list[tuple[tuple, str, np.ndarray]] = []
        self.banner: list[str] = []
        self.caption = ""
        self._drag: tuple | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setMouseTracking(True)

    # --- content ------------------------------------------------------------------------
    def set_image(self, carm: CArm, image: np.ndarray) -> None:
        self.image, self.image_carm = image, carm
        self._pixmap = None
        self.update()

    def _scaled(self, frame: QRectF) -> QPixmap:
        """The DRR scaled to the view once per image and size, not on every repaint
        (a needle drag repaints the overlay many times a second)."""
        size = (int(frame.width()), int(frame.height()))
        if self._pixmap is None or self._pixmap_size != size:
            h, w = self.image.shape
            img = QImage(w, h, QImage.Format.Format_Grayscale8)
            row = img.bytesPerLine()
            buf = np.frombuffer(img.bits(), np.uint8, count=row * h).reshape(h, row)
            buf[:, :w] = self.image
            self._pixmap = QPixmap.fromImage(img.scaled(
                size[0], size[1], Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
            self._pixmap_size = size
        return self._pixmap

    def set_overlay(self, static: Overlay, moving: Overlay,
                    handles: list[tuple[tuple, str, np.ndarray]]) -> None:
        """``static`` is painted into the background (pass the same object while it does
        not change); ``moving`` (the needles) on top at every repaint."""
        self.static_overlay, self.moving_overlay, self.handles = static, moving, handles
        self.update()

    @property
    def overlay(self) -> Overlay:
        """Everything drawn over the image."""
        return Overlay(self.static_overlay.lines + self.moving_overlay.lines,
                       self.static_overlay.labels + self.moving_overlay.labels)

    # --- geometry -----------------------------------------------------------------------
    def _frame(self) -> QRectF:
        """Where the square detector sits in the widget."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_widget(self, colrow: np.ndarray) -> np.ndarray:
        r = self._frame()
        scale = r.width() / self.carm.pixels
        return np.column_stack([r.left() + (colrow[:, 0] + 0.5) * scale,
                                r.top() + (colrow[:, 1] + 0.5) * scale])

    def to_detector(self, x: float, y: float) -> tuple[float, float]:
        r = self._frame()
        scale = r.width() / self.carm.pixels
        return (x - r.left()) / scale - 0.5, (y - r.top()) / scale - 0.5

    def widget_point(self, lps: np.ndarray) -> QPointF:
        p = self.to_widget(self.carm.project(np.atleast_2d(lps)))[0]
        return QPointF(float(p[0]), float(p[1]))

    # --- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.drawPixmap(0, 0, self._background_pixmap())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_overlay(p, self.moving_overlay)
        p.setPen(QColor(255, 255, 255))
        for _, _, point in self.handles:
            p.drawEllipse(self.widget_point(point), 4.0, 4.0)
        p.end()

    def _background_pixmap(self) -> QPixmap:
        """The DRR, the static overlay and the texts, painted again only when one of them
        or the widget's size changes."""
        old = self._background_key
        if self._background is not None and old is not None:
            key = self._background_state()
            if key[-1] == old[-1] and all(a is b for a, b in zip(key[:-1], old[:-1])):
                return self._background
        ratio = self.devicePixelRatioF()
        pm = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
        pm.setDevicePixelRatio(ratio)
        pm.fill(QColor(0, 0, 0))
        p = QPainter(pm)
        frame = self._frame()
        if self.image is not None:
            p.drawPixmap(frame.topLeft(), self._scaled(frame))
        else:
            p.setPen(TEXT_RGB)
            p.drawText(frame, Qt.AlignmentFlag.AlignCenter, "rendering...")
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_overlay(p, self.static_overlay)
        font = QFont()
        font.setPixelSize(12)
        p.setFont(font)
        box = QRectF(6, 4, self.width() - 12, self.height() - 8)
        _shadowed_box(p, box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                      "\n".join(self.banner))
        _shadowed_box(p, box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                      self.title)
        _shadowed_box(p, box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                      self.caption)
        p.end()
        self._background, self._background_key = pm, self._background_state()
        return pm

    def _background_state(self) -> tuple:
        """What the background shows: objects compared by identity, then values."""
        return (self.static_overlay, self.carm, self.image, self._pixmap,
                (self.width(), self.height(), tuple(self.banner), self.title, self.caption))

    def _paint_overlay(self, p: QPainter, overlay: Overlay) -> None:
        scale = self._frame().width() / self.carm.pixels
        for line in overlay.lines:
            pts = self.to_widget(line.points)
            pen = QPen(QColor(*line.rgb))
            pen.setWidthF(max(1.0, line.width * scale))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            path = QPainterPath(QPointF(*pts[0]))
            for q in pts[1:]:
                path.lineTo(QPointF(*q))
            if line.closed:
                path.closeSubpath()
            p.drawPath(path)
        for label in overlay.labels:
            font = QFont()
            font.setPixelSize(max(9, int(label.size * scale)))
            font.setBold(True)
            p.setFont(font)
            at = self.to_widget(np.array([label.at]))[0]
            _shadowed(p, QPointF(at[0], at[1] + font.pixelSize()), label.text,
                      QColor(*label.rgb))

    # --- mouse --------------------------------------------------------------------------
    def handle_at(self, pos: QPointF) -> tuple | None:
        hits = []
        for key, which, point in self.handles:
            q = self.widget_point(point)
            hits.append((float(np.hypot(q.x() - pos.x(), q.y() - pos.y())),
                         (key, which, np.asarray(point, float))))
        return nearest_handle(hits, HANDLE_PICK_PX, self.preferred_needle)

    def _moved_point(self, grabbed: np.ndarray, pos: QPointF) -> np.ndarray:
        """Where the ray through ``pos`` meets the plane through ``grabbed`` facing the
        detector."""
        col, row = self.to_detector(pos.x(), pos.y())
        origin, direction = self.carm.ray(col, row)
        n = self.carm.detector_direction
        t = ((grabbed - origin) @ n) / (direction @ n)
        return origin + t * direction

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = self.handle_at(event.position())
            if self._drag is not None:
                self.handle_grabbed.emit(self._drag[0], self._drag[1])

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._drag is not None:
            key, which, grabbed = self._drag
            self.handle_moved.emit(key, which, self._moved_point(grabbed, event.position()))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._drag is not None:
            key, which, _ = self._drag
            self._drag = None
            self.handle_released.emit(key, which)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.maximize_requested.emit()
