"""What to draw over a simulated fluoroscopy image, in detector pixels.

Only geometry lives here (polylines, points, labels and their meaning); the PNG writer and
the workstation's views draw them each their own way. Moving a needle changes its
overlay only, never the DRR underneath.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.core.carm import CArm

VERDICT_RGB = {"pass": (40, 200, 80), "warn": (255, 176, 0), "fail": (230, 40, 40),
               "unknown": (150, 150, 150),
               "unverified": (140, 190, 255)}   # the level's model not yet accepted
OUTLINE_RGB = (0, 190, 255)
WALL_RGB = (255, 120, 255)
LABEL_RGB = (255, 230, 60)
VIEW_COS = 0.7       # within about 45 degrees of the level's AP (or lateral) direction


@dataclass
class Polyline:
    points: np.ndarray            # (n, 2) column, row
    rgb: tuple[int, int, int]
    width: float = 1.5
    closed: bool = False
    kind: str = ""


@dataclass
class Label:
    at: tuple[float, float]
    text: str
    rgb: tuple[int, int, int] = LABEL_RGB
    size: int = 18


@dataclass
class Overlay:
    lines: list[Polyline] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


def _side_label(carm: CArm, overlay: Overlay) -> None:
    """A large L on the side of the image where the patient's left is."""
    iso = carm.isocentre
    left = carm.project(iso + np.array([60.0, 0.0, 0.0]))
    right = carm.project(iso - np.array([60.0, 0.0, 0.0]))
    n = carm.pixels
    if abs(left[0] - right[0]) < 0.05 * n:       # a lateral view: no left-right on screen
        overlay.labels.append(Label((0.03 * n, 0.12 * n), "lateral view"))
        return
    on_left = left[0] < right[0]
    x = 0.04 * n if on_left else 0.80 * n
    overlay.labels.append(Label((x, 0.12 * n), "L", size=max(18, n // 14)))
    overlay.labels.append(Label((x, 0.12 * n + max(20, n // 12)), "patient's left",
                                size=12))


def needle_overlay(carm: CArm, entry: np.ndarray, tip: np.ndarray, diameter_mm: float,
                   verdict: str) -> list[Polyline]:
    """The needle as a band of its projected width, and a tick across its tip."""
    ends = carm.project(np.array([entry, tip]))
    width = diameter_mm * carm.magnification / carm.pixel_mm
    rgb = VERDICT_RGB.get(verdict, VERDICT_RGB["unknown"])
    d = ends[1] - ends[0]
    n = np.array([-d[1], d[0]]) / max(np.linalg.norm(d), 1e-9)
    tick = np.array([ends[1] - n * width * 1.5, ends[1] + n * width * 1.5])
    return [Polyline(ends, rgb, max(width, 1.5), kind="needle"),
            Polyline(tick, rgb, 1.5, kind="tip")]


def pedicle_overlay(carm: CArm, outline: np.ndarray, centre: np.ndarray,
                    cranial: np.ndarray, left: np.ndarray, side: str) -> list[Polyline]:
    """Projected pedicle outline with 12 clock ticks, and its medial margin line."""
    out = [Polyline(carm.project(outline), OUTLINE_RGB, 1.5, closed=True, kind="pedicle")]
    c = carm.project(centre)
    radius = float(np.max(np.linalg.norm(carm.project(outline) - c, axis=1)))
    up = carm.project(centre + cranial * 5.0) - c
    up /= max(np.linalg.norm(up), 1e-9)
    # the clock is read seen from behind: patient's left is the viewer's left there
    toward_left = carm.project(centre + left * 5.0) - c
    toward_left /= max(np.linalg.norm(toward_left), 1e-9)
    for hour in range(12):
        a = np.radians(hour * 30.0)
        direction = np.cos(a) * up - np.sin(a) * toward_left     # clockwise from 12
        inner, outer = c + direction * radius * 1.05, c + direction * radius * (
            1.25 if hour % 3 == 0 else 1.15)
        out.append(Polyline(np.array([inner, outer]), OUTLINE_RGB, 1.0, kind="clock"))
    sign = 1.0 if side == "left" else -1.0
    medial = outline[int(np.argmin((outline - centre) @ left * sign))]
    top, bottom = medial + cranial * 12.0, medial - cranial * 12.0
    out.append(Polyline(carm.project(np.array([top, bottom])), WALL_RGB, 1.5,
                        kind="medial pedicle line"))
    return out


def wall_overlay(carm: CArm, front: np.ndarray, back: np.ndarray) -> list[Polyline]:
    """Anterior cortex and posterior wall lines (points ordered along the height)."""
    return [Polyline(carm.project(front), WALL_RGB, 1.5, kind="anterior cortex"),
            Polyline(carm.project(back), WALL_RGB, 1.5, kind="posterior wall")]


def level_overlay(carm: CArm, model, trajectories: list[dict]) -> Overlay:
    """Everything for one level: on AP-like views the pedicles with clock marks and
    medial margins, on lateral-like views the anterior cortex and posterior wall lines;
    the needles (from the plan's JSON) and the patient's-left label on every view."""
    f = model.frame
    overlay = Overlay()
    d = carm.detector_direction
    if abs(d @ f.left) >= VIEW_COS:
        heights = np.linspace(-0.45, 0.45, 10) * model.height_mm
        stack = model.body_stack
        front = np.array([f.origin + h * f.cranial + stack.extent(h, f.anterior) * f.anterior
                          for h in heights])
        back = np.array([f.origin + h * f.cranial - stack.extent(h, -f.anterior) *
                         f.anterior for h in heights])
        overlay.lines += wall_overlay(carm, front, back)
    if abs(d @ f.anterior) >= VIEW_COS:
        for side, ped in model.pedicles.items():
            overlay.lines += pedicle_overlay(carm, ped.outline, ped.isthmus, f.cranial,
                                             f.left, side)
    for t in trajectories:
        overlay.lines += needle_overlay(carm, np.asarray(t["entry"]), np.asarray(t["target"]),
                                        float(t["diameter_mm"]), t.get("verdict", "unknown"))
    _side_label(carm, overlay)
    return overlay
