"""The vertebra model built from a CT and one click inside the vertebral body.

It says what it could not find and why; it never invents a structure. Every measure it
derives is in LPS mm and in the vertebra's own frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from planner.core.anatomy.body import (Outline, body_outline, consistent_outlines,
                                      endplate_points, robust_plane)
from planner.core.anatomy.canal import (CanalSection, canal_section, dark_run_depth,
                                        find_canal_seed)
from planner.core.anatomy.canal_stack import (CLOSED_RING_FRACTION, canal_axis,
                                              canal_front_depth, canal_line, canal_stack)
from planner.core.anatomy.frame import Frame, unit
from planner.core.anatomy.pedicle import Pedicle, find_pedicle
from planner.core.anatomy.stack import OutlineStack
from planner.core.volume import Volume

THICK_SLICE_MM = 1.5
ENDPLATE_AGREEMENT_DEG = 8.0
FRAME_SLAB_MM = 6.0
RECENTRE_MAX_MM = 1.5
POSTERIOR_CONE_DEG = 20.0
CANAL_BEHIND_OUTLINE_MM = 3.0


class ModelError(Exception):
    """The model cannot be built (for example the click is not inside a vertebral body)."""


@dataclass
class Endplates:
    superior_point: np.ndarray
    superior_normal: np.ndarray
    inferior_point: np.ndarray
    inferior_normal: np.ndarray


@dataclass
class VertebraModel:
    frame: Frame
    height_mm: float
    endplates: Endplates
    outlines: list[Outline]
    canal: list[CanalSection]
    pedicles: dict[str, Pedicle] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    slice_thickness_mm: float = 1.0

    @property
    def centre(self) -> np.ndarray:
        return self.frame.origin

    @property
    def uncertainty_margin_mm(self) -> float:
        """Every planning margin grows by half the slice thickness (CLINICAL.md)."""
        return 0.5 * self.slice_thickness_mm

    def canal_centre(self) -> np.ndarray | None:
        if not self.canal:
            return None
        return np.mean([s.centroid for s in self.canal], axis=0)

    @cached_property
    def canal_stack(self) -> OutlineStack | None:
        if not self.canal:
            return None
        return OutlineStack(self.frame, np.array([s.centre for s in self.canal]),
                            np.array([s.radii for s in self.canal]))

    @cached_property
    def body_stack(self) -> OutlineStack:
        return OutlineStack(self.frame, np.array([o.centre for o in self.outlines]),
                            np.array([o.radii for o in self.outlines]))

    def endplate_distance(self, p: np.ndarray) -> np.ndarray:
        """Signed distance to the nearer endplate plane, negative between them (mm)."""
        p = np.atleast_2d(p)
        e = self.endplates
        up = (p - e.superior_point) @ e.superior_normal
        down = -((p - e.inferior_point) @ e.inferior_normal)
        return np.maximum(up, down)

    def body_signed_distance(self, p: np.ndarray) -> np.ndarray:
        """Signed distance to the body's outer cortex (outline stack capped by the
        endplates), negative inside; exact near the walls, a bound elsewhere."""
        return np.maximum(self.body_stack.signed_distance(p), self.endplate_distance(p))

    def summary(self) -> dict[str, Any]:
        loc = np.vstack([self.frame.to_local(o.points) for o in self.outlines])
        canal = None
        if self.canal:
            mid = min(self.canal, key=lambda s: abs((s.centre - self.centre) @
                                                    self.frame.cranial))
            cl = self.frame.to_local(mid.points)
            canal = {"center": mid.centroid.tolist(),
                     "width_mm": float(np.ptp(cl[:, 0])), "depth_mm": float(np.ptp(cl[:, 1]))}
        return {"frame": self.frame.to_json(), "body": {
            "width_mm": float(np.ptp(loc[:, 0])), "depth_mm": float(np.ptp(loc[:, 1])),
            "height_mm": self.height_mm}, "canal": canal,
            "pedicles": {k: p.to_json() for k, p in self.pedicles.items()},
            "warnings": self.warnings, "missing": self.missing}


def _oriented(n: np.ndarray, towards: np.ndarray) -> np.ndarray:
    return n if n @ towards >= 0 else -n


def _fit_endplates(sup: np.ndarray, inf: np.ndarray, cranial: np.ndarray) -> Endplates:
    """Planes through the endplates' surface points, normals toward ``cranial``."""
    ps, ns, _, _ = robust_plane(sup)
    pi, ni, _, _ = robust_plane(inf)
    return Endplates(ps, _oriented(ns, cranial), pi, _oriented(ni, cranial))


def _mid_height(sup: np.ndarray, inf: np.ndarray, centre: np.ndarray, axis: np.ndarray
                ) -> tuple[np.ndarray, float]:
    """``centre`` moved along ``axis`` half-way between the endplates, and the body's
    height there: medians of the endplate points along the axis, steadier than crossing
    a plane whose tilt rests on a dozen points."""
    t_s = float(np.median((sup - centre) @ axis))
    t_i = float(np.median((inf - centre) @ axis))
    return centre + axis * (t_s + t_i) / 2.0, t_s - t_i


def _estimate_frame(volume: Volume, seed: np.ndarray, prior: Frame,
                    before_canal: bool = False) -> tuple[Frame, Endplates, float, Outline]:
    """Iterate: outline -> centroid, endplates -> cranial axis and mid-height. With
    ``before_canal`` each outline stops where a canal-dark run begins behind it."""
    f = Frame.from_axes(seed, prior.anterior, prior.cranial)
    centre = np.asarray(seed, float)
    endplates = None
    height = np.nan
    outline = None
    for _ in range(3):
        outline = _frame_outline(volume, f, centre, before_canal)
        if outline.fraction_found < 0.5:
            raise ModelError("no vertebral body cortex around the clicked point "
                             f"(found on {outline.fraction_found:.0%} of the rays): click "
                             "inside a vertebral body")
        centre = outline.centroid
        sup, inf = endplate_points(volume, f, outline)
        if len(sup) < 5 or len(inf) < 5:
            raise ModelError("the endplates above and below the clicked point were not "
                             "found: click inside a vertebral body, not a disc")
        endplates = _fit_endplates(sup, inf, f.cranial)
        ns, ni = endplates.superior_normal, endplates.inferior_normal
        angle = np.degrees(np.arccos(np.clip(ns @ ni, -1, 1)))
        if angle <= ENDPLATE_AGREEMENT_DEG:
            cranial = unit(ns + ni)
        else:   # a wedge: trust the endplate closer to the previous axis
            cranial = ns if ns @ f.cranial >= ni @ f.cranial else ni
        centre, height = _mid_height(sup, inf, centre, cranial)
        f = Frame.from_axes(centre, f.anterior, cranial)
    outline = _frame_outline(volume, f, centre, before_canal)
    centre = outline.centroid
    f = Frame.from_axes(centre, f.anterior, f.cranial)
    return f, endplates, height, outline


def _frame_outline(volume: Volume, f: Frame, centre: np.ndarray, before_canal: bool
                   ) -> Outline:
    """The body's outline through ``centre``; with ``before_canal``, closed where a
    canal-dark run begins when its rays straight back ran on past it. Before the canal
    is found the outline has no front wall of the canal to stop at, and on a tilted spine
    the scanner's axial plane meets the posterior wall where it is no brighter than the
    core (thorax T12, 19 degrees: from a click 0.5 mm from the body's centre the outline
    took in the canal, its centroid moved 7 mm back and no model was built)."""
    outline = body_outline(volume, f, centre, slab_mm=FRAME_SLAB_MM)
    if not before_canal:
        return outline
    # trusted rays only, unlike posterior_wall_depth: from a click outside any body the
    # untrusted ones hold no wall at all
    back = outline.directions @ -f.anterior
    cone = (back >= np.cos(np.radians(POSTERIOR_CONE_DEG))) & outline.trusted
    if not np.any(cone):
        return outline
    depth = float(np.median(outline.radii[cone] * back[cone]))
    gap = dark_run_depth(volume, f, centre, depth, outline.inside_hu)
    if gap is None or gap >= depth - CANAL_BEHIND_OUTLINE_MM:
        return outline
    return body_outline(volume, f, centre, slab_mm=FRAME_SLAB_MM, back_wall_mm=gap - 1.0)


WALL_HEIGHTS = (-0.3, -0.15, 0.15, 0.3)   # fractions of the body height


def posterior_wall_depth(f: Frame, outlines: list[Outline]) -> float:
    """Distance from the frame origin back to the posterior wall: the median over the
    outlines of the wall points within a narrow cone around the posterior direction.
    A ray that leaked into the canal or a pedicle moves a maximum, never this median."""
    back = -f.anterior
    cone = np.cos(np.radians(POSTERIOR_CONE_DEG))
    d = [float((p - f.origin) @ back) for o in outlines
         for p, u in zip(o.points, o.directions) if u @ back >= cone]
    return float(np.median(d))


def _canal_fronts(canal: list[CanalSection], f: Frame, centres: list[np.ndarray]
                  ) -> list[tuple[float | None, float | None]]:
    """For each centre on the frame's cranial axis: the canal's front wall at its height
    (the body's posterior wall), else the nearest height's as a limit: where the wall is
    no brighter than the core the outline runs on through the canal to the lamina
    (chest T10 while its canal was walled in the upper half only: six outlines of eleven,
    the posterior wall 21 mm behind the centre, not 10, and the pedicles sought in the
    transverse processes; TPTBox L3: two, which the consistency in height repairs)."""
    fronts = [canal_front_depth(canal, f, c) for c in centres]
    known = [(float((c - f.origin) @ f.cranial), d) for c, d in zip(centres, fronts)
             if d is not None]
    out = []
    for c, d in zip(centres, fronts):
        h = float((c - f.origin) @ f.cranial)
        cap = None if d is not None or not known else \
            min(known, key=lambda k: abs(k[0] - h))[1]
        out.append((d, cap))
    return out


CANAL_JUMP_MM = 5.0


def _lost_canal(first: CanalSection | None, second: CanalSection | None) -> bool:
    """Whether ``second``, sought again in a turned frame, is not ``first``'s canal but
    something else: less closed and more than ``CANAL_JUMP_MM`` from it (the fat behind
    the laminae)."""
    return first is not None and second is not None and \
        second.walled.mean() < first.walled.mean() and \
        float(np.linalg.norm(second.centroid - first.centroid)) > CANAL_JUMP_MM


def _orient_by_canal(volume: Volume, f: Frame, outline: Outline, height: float
                     ) -> tuple[Frame, CanalSection | None]:
    """Anterior axis = from the canal centre to the body centre, at pedicle height.

    The second round, in the turned frame, is not kept when its canal section is less
    closed than the first's and more than ``CANAL_JUMP_MM`` from it: chest T11, from one
    click, lost the canal's dark run in the turned frame and took the fat behind the
    laminae (68 % walled, 14 mm further back) for the canal; the model was built round
    the arch."""
    first: tuple[Frame, Outline, CanalSection] | None = None
    for _ in range(2):
        back = -f.anterior
        level = f.origin + f.cranial * 0.2 * height
        # not the rays at mid-height alone: there they may leave through the basivertebral
        # foramen; the wall above and below it is whole
        walls = [outline] + [body_outline(volume, f, f.origin + f.cranial * h * height,
                                          slab_mm=3.0) for h in WALL_HEIGHTS]
        depth = posterior_wall_depth(f, walls)
        # the outline ran on through a dark canal to the lamina (the wall no brighter than
        # the core): the canal is sought from where the dark begins
        gap = dark_run_depth(volume, f, level, depth, outline.inside_hu)
        if gap is not None and gap < depth - CANAL_BEHIND_OUTLINE_MM:
            depth = gap - 1.0
        wall = level + back * depth
        seed = find_canal_seed(volume, f, wall)
        if seed is None:
            return f, None
        sec = canal_section(volume, f, seed)
        if first is not None and _lost_canal(first[2], sec):
            f, outline, sec = first
            break
        if sec.walled.mean() < 0.5:
            return f, sec
        to_body = f.origin - sec.centroid
        to_body -= (to_body @ f.cranial) * f.cranial
        f = Frame.from_axes(f.origin, to_body, f.cranial)
        outline = body_outline(volume, f, f.origin, slab_mm=FRAME_SLAB_MM)
        first = first or (f, outline, sec)
    # the outline is clipped at the posterior wall as the frame sees it: once the frame
    # has turned, the body's centre moves a little; aim the axis at it once more
    centre = outline.centroid
    if np.linalg.norm(centre - f.origin) > RECENTRE_MAX_MM:
        return f, sec            # an unsteady outline (noise, a leak): keep the frame
    to_body = centre - sec.centroid
    to_body -= (to_body @ f.cranial) * f.cranial
    return Frame.from_axes(centre, to_body, f.cranial), sec


AXIS_DISAGREEMENT_DEG = 15.0


def _frame_and_canal(volume: Volume, seed: np.ndarray, prior: Frame,
                     before_canal: bool = False
                     ) -> tuple[Frame, Endplates, float, CanalSection | None,
                                list[CanalSection]]:
    f, endplates, height, outline = _estimate_frame(volume, seed, prior, before_canal)
    if not 8.0 <= height <= 50.0:
        raise ModelError(f"the body height found ({height:.0f} mm) is not a vertebral "
                         "body's: click inside a vertebral body")
    f, sec = _orient_by_canal(volume, f, outline, height)
    canal = [] if sec is None else canal_stack(volume, f, sec, height)
    return f, endplates, height, sec, canal


PEDICLE_MAX_WIDTH_FRACTION = 0.45  # of the body's width; the widest (L5) reach about 0.4
SETTLE_ROUNDS = 12
SETTLE_TOL_MM = 0.1
SETTLE_FULL_STEPS = 3
SETTLE_TAIL = 6               # rounds averaged where the iteration wanders instead of settling
SETTLE_WANDER_MM = 1.5        # ... as long as they stay this close to their mean
SETTLE_NEAR_WALL_FRACTION = 0.5


def _settle(volume: Volume, f: Frame, canal: list[CanalSection]
            ) -> tuple[Frame, Endplates, float] | None:
    """The frame as a fixed point, whatever the click: its origin is the centroid of the
    body's outline through it, half-way between the endplates; its cranial axis is the
    canal's line; its anterior axis points from the canal's centre line to the origin; the
    outline's posterior wall is the canal's front wall. Each round moves the origin to
    where the last round's outline puts it, until it moves less than 0.1 mm.

    Without this the model followed the click: the outline's centroid depends on where
    its rays start (a ray that leaks through the basivertebral foramen, a wall found on
    the lamina behind the canal), and three rounds from a click near a wall stop short.
    For the same reason the iteration often never settles to 0.1 mm: it wanders within a
    millimetre or two (TPTBox L3: 5 clicks of 8). The fixed point is then the mean of the
    last rounds; keeping the first frame instead made the centre follow the click by up
    to 5 mm. The height and the endplates' points are those rounds' too (one more
    measurement from the mean: heights 0.8 mm apart). Walls nearer than half the others
    are not trusted here: from a centre 4 mm off the middle of chest T11 the rays met a
    sclerotic band 4-6 mm away and the outline's centroid stayed there, a second fixed
    point."""
    point, axis = canal_line(canal, f.cranial)

    def measure(centre: np.ndarray):
        on_line = point + axis * float((centre - point) @ axis)
        fr = Frame.from_axes(centre, centre - on_line, axis)
        outline = body_outline(volume, fr, centre, slab_mm=FRAME_SLAB_MM,
                               back_wall_mm=canal_front_depth(canal, fr, centre),
                               near_wall_fraction=SETTLE_NEAR_WALL_FRACTION)
        if outline.fraction_found < 0.5:
            return None
        sup, inf = endplate_points(volume, fr, outline)
        if len(sup) < 5 or len(inf) < 5:
            return None
        new, height = _mid_height(sup, inf, outline.centroid, axis)
        return new, sup, inf, height

    centre = f.origin
    history = []
    for rounds in range(SETTLE_ROUNDS):
        result = measure(centre)
        if result is None:
            return None      # walls not found: keep the first frame
        history.append(result)
        new = result[0]
        moved = float(np.linalg.norm(new - centre))
        if moved < SETTLE_TOL_MM:
            break
        # half steps after the first rounds: where the outline flips between two walls
        # the plain iteration cycles; the damped one settles between them
        centre = new if rounds < SETTLE_FULL_STEPS else centre + 0.5 * (new - centre)
    else:
        tail = history[-SETTLE_TAIL:]
        found = np.array([r[0] for r in tail])
        mean = found.mean(axis=0)
        if np.max(np.linalg.norm(found - mean, axis=1)) > SETTLE_WANDER_MM:
            return None      # no fixed point (noise, two walls far apart)
        result = (mean, np.vstack([r[1] for r in tail]), np.vstack([r[2] for r in tail]),
                  float(np.mean([r[3] for r in tail])))
    centre, sup, inf, height = result
    if not 8.0 <= height <= 50.0:
        return None
    on_line = point + axis * float((centre - point) @ axis)
    return (Frame.from_axes(centre, centre - on_line, axis), _fit_endplates(sup, inf, axis),
            height)


RETRY_STEP_MM = 4.0
SAGITTAL_TILTS_DEG = (20.0, -20.0, 40.0, -40.0)   # the last priors: a leaning spine


def _first_frame(volume: Volume, seed: np.ndarray
                 ) -> tuple[Frame, Endplates, float, CanalSection | None, list[CanalSection]]:
    """The first estimate from the click; where it fails, from points 4 mm beside it in
    the transverse plane (rays from a point near a wall meet the endplates at a slant),
    kept only when the body found holds the click; then from the click with outlines
    closed in front of a canal they ran on through (a tilted spine). Never up or down: a
    click in a disc must not become a model of whichever neighbour lies nearer. The
    closed outlines come last: tried first, they moved the models of clicks that the
    steps beside found (chest T12: centre spread 0.2 -> 2.3 mm). Last, from the click
    along axes leaning forward and back (chest T2 leans 43 degrees: along the scanner's
    axis the rays below its body run into the trachea); of those that find a canal, the
    one whose canal agrees best with its endplates (chest T2: 34 against 62 degrees; the
    model then starts again along the canal and ends 2 degrees off the spine)."""
    try:
        return _frame_and_canal(volume, seed, Frame.patient(seed))
    except ModelError as exc:
        first = exc
    for step in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)):
        other = seed + RETRY_STEP_MM * np.array(step, float)
        try:
            found = _frame_and_canal(volume, other, Frame.patient(other))
        except ModelError:
            continue
        f, endplates, height = found[:3]
        up = float((seed - f.origin) @ f.cranial)
        if abs(up) < height / 2 and body_outline(volume, f, f.origin + f.cranial * up
                                                 ).contains(seed):
            return found
    try:
        return _frame_and_canal(volume, seed, Frame.patient(seed), before_canal=True)
    except ModelError:
        pass
    found = _tilted_start(volume, seed, Frame.patient(seed))
    if found is None:
        raise first from None
    return found


def _tilted_start(volume: Volume, seed: np.ndarray, base: Frame) -> tuple | None:
    """The model's start from priors leaning ``SAGITTAL_TILTS_DEG`` forward and back from
    ``base``: of those that find a canal with an axis, the one whose canal agrees best
    with its endplates; None when none does."""
    found = []
    for tilt in SAGITTAL_TILTS_DEG:
        t = np.radians(tilt)
        prior = Frame.from_axes(seed, np.cos(t) * base.anterior - np.sin(t) * base.cranial,
                                np.sin(t) * base.anterior + np.cos(t) * base.cranial)
        try:
            out = _frame_and_canal(volume, seed, prior)
        except ModelError:
            continue
        axis = canal_axis(out[4])
        if axis is not None:
            found.append((_angle_deg(axis, out[0].cranial), out))
    return min(found, key=lambda x: x[0])[1] if found else None


def _closed_ring(canal: list[CanalSection]) -> float:
    """The largest walled fraction of the canal's sections."""
    return max((float(c.walled.mean()) for c in canal), default=0.0)


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(a @ b), 0.0, 1.0))))


def build_model(volume: Volume, seed: np.ndarray) -> VertebraModel:
    """Vertebra model from one point inside the vertebral body (LPS mm)."""
    seed = np.asarray(seed, float)
    if not volume.contains(seed):
        raise ModelError("the point is outside the CT volume")
    warnings: list[str] = []
    missing: dict[str, str] = {}
    f, endplates, height, sec, canal = _first_frame(volume, seed)
    axis = canal_axis(canal)
    if axis is not None and _angle_deg(axis, f.cranial) > AXIS_DISAGREEMENT_DEG:
        # the endplates were followed from the scanner's axis onto something else (a
        # strongly tilted spine, a disc, the next level): start again along the canal
        first = _angle_deg(axis, f.cranial)
        axis = axis if axis @ f.cranial >= 0 else -axis
        try:
            redo = _frame_and_canal(volume, seed, Frame.from_axes(seed, f.anterior, axis))
        except ModelError:
            redo = None
        # not when the new start lost the canal it set out along (chest T11 from a click
        # 9 mm right of the centre: the fat behind the laminae, 23 mm from it)
        if redo is not None and _angle_deg(redo[0].cranial, axis) < first and \
                not _lost_canal(sec, redo[3]):
            f, endplates, height, sec, canal = redo
    if canal_axis(canal) is None and _closed_ring(canal) < CLOSED_RING_FRACTION:
        # no closed ring and no canal axis: the frame may have followed a wedge's broken
        # endplate (the sample's L1 leaning 40 degrees: 26 degrees off, its canal cut
        # obliquely, no pedicles); start again leaning forward and back
        redo = _tilted_start(volume, seed, f)
        if redo is not None and \
                _angle_deg(canal_axis(redo[4]), redo[0].cranial) <= AXIS_DISAGREEMENT_DEG:
            f, endplates, height, sec, canal = redo
    if canal:
        settled = _settle(volume, f, canal)
        if settled is not None:
            f, endplates, height = settled
            sec = canal_section(volume, f, canal_line(canal, f.cranial)[0])
            canal = canal_stack(volume, f, sec, height)
    axis = canal_axis(canal)
    mean_normal = endplates.superior_normal + endplates.inferior_normal
    if axis is not None and _angle_deg(axis, unit(mean_normal)) > AXIS_DISAGREEMENT_DEG:
        warnings.append("the endplates and the spinal canal disagree on the vertebra's axis "
                        f"by {_angle_deg(axis, unit(mean_normal)):.0f} degrees: check the "
                        "model on the sagittal slice")
    thickness = float(volume.meta.get("slice_thickness") or volume.spacing[2])
    if thickness > THICK_SLICE_MM:
        warnings.append(f"slices are {thickness:.1f} mm thick: walls are uncertain; every "
                        f"margin is widened by {thickness / 2:.1f} mm")
    centres = [f.origin + f.cranial * h for h in np.arange(-0.35, 0.351, 0.07) * height]
    outlines = consistent_outlines([body_outline(volume, f, c, slab_mm=3.0, back_wall_mm=d,
                                                 wall_at_most_mm=cap)
                                    for c, (d, cap) in zip(centres,
                                                           _canal_fronts(canal, f, centres))],
                                   f.left)
    if sec is None:
        missing["canal"] = "no low-density canal behind the posterior wall"
    pedicles: dict[str, Pedicle] = {}
    ring = _closed_ring(canal)
    if canal and ring < CLOSED_RING_FRACTION:
        # the pedicles close the canal's bony ring; where it is closed at no height the
        # bone beside the canal is something else (chest T9: both "pedicles" found in the
        # rib heads, outside the vertebra)
        missing["left_pedicle"] = missing["right_pedicle"] = (
            f"the canal's bony ring is closed at no height (at most {ring:.0%} of it is "
            "walled): the pedicles that close it were not found")
    elif canal:
        wall = posterior_wall_depth(f, outlines)
        level = min(canal, key=lambda c: abs((c.centre - f.origin) @ f.cranial - 0.2 * height))
        loc = f.to_local(level.points)
        half_w, depth = float(np.ptp(loc[:, 0]) / 2), float(np.ptp(loc[:, 1]))
        middle = float((f.origin - level.centroid) @ f.anterior) - wall
        body_w = float(np.median([np.ptp(f.to_local(o.points)[:, 0]) for o in outlines]))
        for side in ("left", "right"):
            ped = find_pedicle(volume, f, side, wall, half_w, depth, middle, height,
                               PEDICLE_MAX_WIDTH_FRACTION * body_w)
            if ped is None:
                missing[f"{side}_pedicle"] = ("no bony bridge from the body to the arch "
                                              f"found on the {side}")
            elif ped.width_mm > PEDICLE_MAX_WIDTH_FRACTION * body_w:
                missing[f"{side}_pedicle"] = (
                    f"the bony bridge found on the {side} is {ped.width_mm:.0f} mm wide, "
                    f"more than {PEDICLE_MAX_WIDTH_FRACTION:.0%} of the body's "
                    f"{body_w:.0f} mm: not a pedicle (a rib head or an articular process)")
            else:
                pedicles[side] = ped
    else:
        missing["left_pedicle"] = missing["right_pedicle"] = "needs the canal"
    return VertebraModel(f, height, endplates, outlines, canal, pedicles, warnings,
                         missing, thickness)
