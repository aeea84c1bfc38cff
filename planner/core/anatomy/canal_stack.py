"""The spinal canal along a vertebra: its sections stacked every millimetre, its axis
and its front wall (the body's posterior wall seen from the canal side)."""

from __future__ import annotations

import numpy as np

from planner.core.anatomy.canal import CanalSection, canal_section
from planner.core.anatomy.frame import Frame
from planner.core.anatomy.profiles import consistent_in_height
from planner.core.volume import Volume

CANAL_MAX_SHIFT_MM = 3.0
CANAL_BEYOND_MM = 6.0
CLOSED_RING_FRACTION = 0.85
OPEN_RING_TOLERANCE_MM = 1.0


def canal_stack(volume: Volume, f: Frame, first: CanalSection, height: float
                ) -> list[CanalSection]:
    """Sections every millimetre from below the lower endplate to above the upper one.

    Each is seeded from its neighbour toward the reference section. Where the bony ring
    is open (foramina, the interlaminar gap, the disc level) a section that lost its walls
    or jumped away keeps its neighbour's outline moved to its height: the canal does not
    vanish there, the nerves still run through it."""
    ref_h = float((first.centroid - f.origin) @ f.cranial)
    if not np.all(np.isfinite(first.radii)):
        return []
    # beyond the endplates too: a wedge body is taller at the back than at its centre
    heights = np.arange(-0.5 * height - CANAL_BEYOND_MM, 0.5 * height + CANAL_BEYOND_MM + 0.01,
                        1.0)
    by_h: dict[float, CanalSection] = {}
    for direction in (1.0, -1.0):
        prev = first
        for h in sorted((x for x in heights if (x - ref_h) * direction >= 0),
                        key=lambda x: abs(x - ref_h)):
            shift = f.cranial * (h - float((prev.centroid - f.origin) @ f.cranial))
            s = canal_section(volume, f, prev.centroid + shift, iterations=1)
            moved = np.linalg.norm(s.centroid - (prev.centroid + shift))
            if s.walled.mean() < 0.5 or not moved <= CANAL_MAX_SHIFT_MM:   # NaN: lost
                s = CanalSection(prev.centre + shift, prev.directions, prev.radii,
                                 np.zeros_like(prev.walled), prev.value_hu)
            by_h[float(h)] = s
            prev = s
    stack = [by_h[float(h)] for h in heights]
    # Where the ring is open (the foramen, the interlaminar gap, the disc) rays run on into
    # the fat of the foramen: the canal there takes the outline of the nearest closed-ring
    # section (the line of the medial pedicle walls), never smaller than the typical
    # closed section, not whatever bone the rays meet further out.
    closed = [n for n, s in enumerate(stack) if s.walled.mean() >= CLOSED_RING_FRACTION]
    if not closed:
        return _consistent_canal(stack)
    ref = np.median(np.array([stack[n].radii for n in closed]), axis=0)
    out = []
    for n, s in enumerate(stack):
        if n in closed:
            out.append(s)
            continue
        near = stack[min(closed, key=lambda c: abs(c - n))]
        shift = f.cranial * float((s.centre - near.centre) @ f.cranial)
        out.append(CanalSection(near.centre + shift, near.directions,
                                np.clip(near.radii, ref, ref + OPEN_RING_TOLERANCE_MM),
                                s.walled, s.value_hu, s.own_centroid))
    return _consistent_canal(out)


def _consistent_canal(stack: list[CanalSection]) -> list[CanalSection]:
    """The sections with each ray's outlier in height replaced by its neighbours' median:
    at the basivertebral foramen single rays run on into the marrow (thorax T12: 5-6 mm
    into the body, in sections whose ring is otherwise closed)."""
    if not stack:
        return stack
    radii, _ = consistent_in_height(np.array([s.radii for s in stack]))
    return [CanalSection(s.centre, s.directions, r, s.walled, s.value_hu, s.own_centroid)
            for s, r in zip(stack, radii)]


CANAL_AXIS_MIN_SECTIONS = 15      # sections 1 mm apart: a line 15 mm long
CANAL_AXIS_MIN_BALANCED = 11      # as many above the mid-height as below: 5 mm each way
# (least share of a section's ring walled, largest rms off the line in mm): closed rings
# first; where too few are closed (noise, thick slices) the mostly walled ones, whose
# centres lean a little toward their gap, with a looser fit
CANAL_AXIS_TIERS = ((CLOSED_RING_FRACTION, 1.5), (0.6, 2.0))


def canal_axis(canal: list[CanalSection]) -> np.ndarray | None:
    """The spinal canal's direction through the vertebra: the line through the centres of
    its sections measured in their own plane, as many above the vertebra's mid-height as
    below it where at least 11 are (else all of them); None when too few, or not on a
    line.

    Each section is seeded from its neighbour, so the stack follows the canal even when
    the frame it was cut in is tilted: the line is the spine's own axis here, found
    without the endplates (low contrast, blurred by thick slices). Balanced about the
    mid-height: where the posterior wall is concave the canal's centre bows forward
    there, and a line through the closed rings of one side of the bow leans (abdomen L3,
    3 mm voxels: 6 degrees)."""
    if not canal:
        return None
    mid = np.mean([c.centre for c in canal], axis=0)
    for walled, max_rms in CANAL_AXIS_TIERS:
        pts = np.array([c.own_centroid for c in canal if c.own_centroid is not None
                        and c.walled.mean() >= walled])
        if len(pts) < CANAL_AXIS_MIN_SECTIONS:
            continue
        _, _, vt = np.linalg.svd(pts - pts.mean(axis=0), full_matrices=False)
        t = (pts - mid) @ vt[0]
        balanced = pts[np.abs(t) <= min(t.max(), -t.min()) + 0.5]
        for sub in ([balanced] if len(balanced) >= CANAL_AXIS_MIN_BALANCED else []) + [pts]:
            centre = sub.mean(axis=0)
            _, sv, vt = np.linalg.svd(sub - centre, full_matrices=False)
            rms = float(np.sqrt(np.sum(sv[1:] ** 2) / len(sub)))
            if rms <= max_rms and sv[0] / np.sqrt(len(sub)) >= 3.0:
                return vt[0]
    return None


# the canal's front: its rays within 30 degrees of straight ahead, those 30 degrees off
# included whatever the rounding (the sections' rays are 5 degrees apart: whether the
# rays on the cone's edge counted turned on the last bit of a cosine, and the model and
# plan differed between processors, chest T3's pedicle centres by 3.8 mm)
def canal_content_hu(canal: list[CanalSection]) -> float:
    """What the canal holds: the median over its sections of their core's value (HU
    within 2.5 mm of each section's centre)."""
    return float(np.median([s.value_hu for s in canal]))


CANAL_FRONT_COS = np.cos(np.radians(30.0)) - 1e-9
CANAL_FRONT_BAND_MM = 3.0


def canal_front_depth(canal: list[CanalSection], f: Frame, point: np.ndarray
                      ) -> float | None:
    """How far behind ``point`` (along the frame's posterior axis) the canal's front wall
    lies at the point's height: the posterior wall of the body, found from the canal side
    (the canal's contents are darker than any bone, so this edge is sharp even where the
    wall is no brighter than the body's core). None where no section near that height
    has a walled front."""
    def front(sec: CanalSection) -> np.ndarray:
        return sec.points[(sec.directions @ f.anterior >= CANAL_FRONT_COS) & sec.walled]

    near = [front(sec) for sec in canal
            if abs(float((sec.centre - point) @ f.cranial)) <= CANAL_FRONT_BAND_MM]
    pts = np.vstack(near) if near else np.empty((0, 3))
    return float(np.median((point - pts) @ f.anterior)) if len(pts) >= 3 else None


def canal_line(canal: list[CanalSection], cranial: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """A point on the canal's centre line and its direction (the canal's own line when it
    is long and straight enough, else the given axis)."""
    closed = [c.centroid for c in canal if c.walled.mean() >= CLOSED_RING_FRACTION]
    point = np.mean(closed if closed else [c.centroid for c in canal], axis=0)
    axis = canal_axis(canal)
    if axis is None:
        return point, cranial
    return point, axis if axis @ cranial >= 0 else -axis
