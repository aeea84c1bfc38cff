"""Burn an overlay (planner.core.overlays) into a greyscale image, for PNG exports."""

from __future__ import annotations

import numpy as np

from planner.core.overlays import Overlay


def draw(grey: np.ndarray, overlay: Overlay) -> np.ndarray:
    """(rows, cols) uint8 -> (rows, cols, 3) uint8 with the overlay drawn."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.fromarray(np.ascontiguousarray(grey, dtype=np.uint8)).convert("RGB")
    pen = ImageDraw.Draw(img)
    for line in overlay.lines:
        pts = [tuple(map(float, p)) for p in line.points]
        if line.closed:
            pts.append(pts[0])
        pen.line(pts, fill=line.rgb, width=max(1, int(round(line.width))), joint="curve")
    for label in overlay.labels:
        try:
            font = ImageFont.load_default(size=label.size)
        except TypeError:            # Pillow < 10.1 has one fixed-size default font
            font = ImageFont.load_default()
        pen.text(tuple(map(float, label.at)), label.text, fill=label.rgb, font=font,
                 stroke_width=1, stroke_fill=(0, 0, 0))
    return np.asarray(img)
