"""Fitting a vertebra's frame from a click: the body's outline and endplates, turned by the
spinal canal, settled where the outline's centre and the endplates agree; the starts tried
when the scanner's axis leads nowhere (a click near a wall, a leaning spine, a wedge).

Used by ``model.build_model``; raises ``ModelError`` when no vertebral body is found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from planner.core.anatomy.body import (ENDPLATE_REACH_MM, Outline, body_outline, endplate_points,
                                       robust_plane)
from planner.core.anatomy.canal import (CanalSection, canal_section, dark_run_depth,
                                        find_canal_seed)
from planner.core.anatomy.canal_stack import canal_axis, canal_front_depth, canal_line, canal_stack
from planner.core.anatomy.frame import Frame, unit
from planner.core.volume import Volume

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


def _no_endplates(volume: Volume, centre: np.ndarray, cranial: np.ndarray, above: bool,
                  below: bool) -> str:
    """Why the endplates were not found: the scan ends within their reach (a body cut by
    its edge: the chest CT's T1 ends one slice below the top; "click inside a body, not a
    disc" was wrong there), else most likely a click in a disc, or faint endplates (abdomen
    L2, osteoporotic on 3 mm slices: a click inside the body 4.6 mm above its inferior
    endplate finds neither from any start; the seed 6 mm beside it does)."""
    for name, sign, missing in (("above", 1.0, above), ("below", -1.0, below)):
        ray = centre + sign * cranial * np.arange(0.0, ENDPLATE_REACH_MM, 0.5)[:, None]
        inside = volume.contains(ray)
        if missing and not inside.all():
            return (f"the endplate {name} the clicked point was not found: the scan ends "
                    f"{0.5 * int(np.argmin(inside)):.0f} mm {name} it (the body is cut by "
                    "the scan's edge, or too near it to be modelled)")
    return ("the endplates above and below the clicked point were not found: click inside "
            "a vertebral body, not a disc; where its endplates are faint (osteoporotic bone, "
            "thick slices), nearer the body's middle")


def _estimate_frame(volume: Volume, seed: np.ndarray, prior: Frame,
                    before_canal: bool = False, keep_last: bool = False
                    ) -> tuple[Frame, Endplates, float, Outline]:
    """Iterate: outline -> centroid, endplates -> cranial axis and mid-height. With
    ``before_canal`` each outline stops where a canal-dark run begins behind it; with
    ``keep_last`` a round that loses the body's walls or endplates ends the iteration
    on the last round's estimate instead of failing."""
    f = Frame.from_axes(seed, prior.anterior, prior.cranial)
    centre = np.asarray(seed, float)
    last = None
    for _ in range(3):
        outline = _frame_outline(volume, f, centre, before_canal)
        if outline.fraction_found < 0.5:
            if last is not None and keep_last:
                break
            raise ModelError("no vertebral body cortex around the clicked point "
                             f"(found on {outline.fraction_found:.0%} of the rays): click "
                             "inside a vertebral body")
        centre = outline.centroid
        sup, inf = endplate_points(volume, f, outline)
        if len(sup) < 5 or len(inf) < 5:
            if last is not None and keep_last:
                break
            raise ModelError(_no_endplates(volume, centre, f.cranial, len(sup) < 5,
                                           len(inf) < 5))
        endplates = _fit_endplates(sup, inf, f.cranial)
        ns, ni = endplates.superior_normal, endplates.inferior_normal
        angle = np.degrees(np.arccos(np.clip(ns @ ni, -1, 1)))
        if angle <= ENDPLATE_AGREEMENT_DEG:
            cranial = unit(ns + ni)
        else:   # a wedge: trust the endplate closer to the previous axis
            cranial = ns if ns @ f.cranial >= ni @ f.cranial else ni
        centre, height = _mid_height(sup, inf, centre, cranial)
        f = Frame.from_axes(centre, f.anterior, cranial)
        last = (f, endplates, height, centre)
    f, endplates, height, centre = last
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


CANAL_JUMP_MM = 5.0


def lost_canal(first: CanalSection | None, second: CanalSection | None) -> bool:
    """Whether ``second``, sought again in a turned frame, is not ``first``'s canal but
    something else: less closed and more than ``CANAL_JUMP_MM`` from it (the fat behind
    the laminae)."""
    return first is not None and second is not None and \
        second.walled.mean() < first.walled.mean() and \
        float(np.linalg.norm(second.centroid - first.centroid)) > CANAL_JUMP_MM


CANAL_SEARCH_ON_MM = 17.0     # the canal seed search covers 3-20 mm behind the wall


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
            # nothing canal-dark within the search behind that wall: it was bone inside
            # the body (abdomen L2 on 3 mm slices: a sclerotic band 8 mm behind the
            # centre, the posterior wall 30 mm); search on behind the first search
            seed = find_canal_seed(volume, f, wall + back * CANAL_SEARCH_ON_MM)
        if seed is None:
            return f, None
        sec = canal_section(volume, f, seed)
        if first is not None and lost_canal(first[2], sec):
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


def frame_and_canal(volume: Volume, seed: np.ndarray, prior: Frame,
                     before_canal: bool = False, keep_last: bool = False
                     ) -> tuple[Frame, Endplates, float, CanalSection | None,
                                list[CanalSection]]:
    f, endplates, height, outline = _estimate_frame(volume, seed, prior, before_canal,
                                                    keep_last)
    if not 8.0 <= height <= 50.0:
        raise ModelError(f"the body height found ({height:.0f} mm) is not a vertebral "
                         "body's: click inside a vertebral body")
    f, sec = _orient_by_canal(volume, f, outline, height)
    canal = [] if sec is None else canal_stack(volume, f, sec, height)
    return f, endplates, height, sec, canal


SETTLE_ROUNDS = 12
SETTLE_TOL_MM = 0.1
SETTLE_FULL_STEPS = 3
SETTLE_TAIL = 6               # rounds averaged where the iteration wanders instead of settling
SETTLE_WANDER_MM = 1.5        # ... as long as they stay this close to their mean
SETTLE_NEAR_WALL_FRACTION = 0.5
POLISH_MM = 1.0               # the settled centre: the mean measurement this far round it


def settle(volume: Volume, f: Frame, canal: list[CanalSection]
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

    def measure(centre: np.ndarray, near: tuple[float, float] | None):
        fr = _facing_line(centre, point, axis)
        outline = _settle_outline(volume, fr, canal)
        if outline.fraction_found < 0.5:
            return None
        sup, inf = endplate_points(volume, fr, outline, near_mm=near)
        if len(sup) < 5 or len(inf) < 5:
            return None
        new, height = _mid_height(sup, inf, outline.centroid, axis)
        return new, sup, inf, height

    centre = f.origin
    history = []
    for rounds in range(SETTLE_ROUNDS):
        # each round's endplates near the last round's: not the next level's endplate
        # beyond a faint one (abdomen L2, osteoporotic on 3 mm slices: its superior
        # endplate 11 mm above the centre in one round, 24 mm in the next). Not the first
        # round's: it measures along the canal, the first frame did not (chest T11: 20
        # degrees apart)
        near = None if not history else \
            (float(np.median((history[-1][1] - centre) @ axis)),
             float(np.median((centre - history[-1][2]) @ axis)))
        result = measure(centre, near)
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
    if float(np.min(volume.spacing)) <= 2 * POLISH_MM:
        centre, height = _polished(measure, point, axis, result)
    if not 8.0 <= height <= 50.0:
        return None
    fr = _facing_line(centre, point, axis)
    return fr, _settled_endplates(volume, fr, canal, sup, inf), height


def _facing_line(centre: np.ndarray, point: np.ndarray, axis: np.ndarray) -> Frame:
    """The frame at ``centre`` along the canal's line (through ``point`` along ``axis``),
    its anterior axis pointing from the line to the centre."""
    on_line = point + axis * float((centre - point) @ axis)
    return Frame.from_axes(centre, centre - on_line, axis)


# the settling's measurement from a centre, endplates sought near (above, below) mm:
# (new centre, superior points, inferior points, height), None where walls were not found
Measure = Callable[[np.ndarray, tuple[float, float] | None], tuple | None]


def _polished(measure: Measure, point: np.ndarray, axis: np.ndarray, result: tuple
              ) -> tuple[np.ndarray, float]:
    """The settled centre and height as the mean of the settling's measurement from it
    and from it moved ``POLISH_MM`` either way along each of its frame's axes. The fixed
    point is not unique: the outline's walls and endplates are found where rays cross a
    threshold, and the centre settles anywhere within a millimetre or so of the body's
    middle depending on the click. The mean over a neighbourhood is a smoother measurement:
    over eight clicks on each of 20 levels (benchmarks/model_stability.py) every click's
    centre lay within 0.5 mm of the others' median on 13 levels (9 without). Not on
    voxels larger than the neighbourhood (3 mm): the measurements round the centre are then
    read from the same voxels, the centres spread no less (abdomen L1, L2 7 mm: whole
    frames that differ), and abdomen L5's leaning starts' doubts flipped, one settled 43
    degrees off the spine kept from the mask's seed."""
    centre, sup, inf = result[:3]
    fr = _facing_line(centre, point, axis)
    near = (float(np.median((sup - centre) @ axis)),
            float(np.median((centre - inf) @ axis)))
    found = [result]
    for e in fr.matrix.T:
        for step in (POLISH_MM, -POLISH_MM):
            r = measure(centre + step * e, near)
            if r is not None:
                found.append(r)
    return np.mean([r[0] for r in found], axis=0), float(np.mean([r[3] for r in found]))


def _settle_outline(volume: Volume, f: Frame, canal: list[CanalSection]) -> Outline:
    """The body's outline through the frame's origin as the settling measures it: closed
    at the canal's front wall, walls nearer than half the others not trusted."""
    return body_outline(volume, f, f.origin, slab_mm=FRAME_SLAB_MM,
                        back_wall_mm=canal_front_depth(canal, f, f.origin),
                        near_wall_fraction=SETTLE_NEAR_WALL_FRACTION)


ENDPLATE_RINGS = (0.3, 0.55, 0.75)    # fractions of the outline's radii
ENDPLATE_RING_RAYS = 24
ENDPLATE_MIN_POINTS = 12


def _settled_endplates(volume: Volume, f: Frame, canal: list[CanalSection],
                       sup: np.ndarray, inf: np.ndarray) -> Endplates:
    """The endplates' planes at the settled frame, from points on three rings of 24 rays
    (73 per endplate) sought near the settled distances; the settling's own points (13
    per round, on one ring) where too few are found. A plane through one ring of 13
    points on 2.5 mm slices tilted with a single point: against planes fitted to the
    masks' end faces, the superior endplates of chest T5-T7 were 14-19 degrees off
    (2-5 with the rings); over 17 levels (four clicks each) the median error fell from
    9.0 to 5.7 degrees (superior) and 5.1 to 4.2 (inferior)."""
    centre, axis = f.origin, f.cranial
    outline = _settle_outline(volume, f, canal)
    near = (float(np.median((sup - centre) @ axis)),
            float(np.median((centre - inf) @ axis)))
    rings = [endplate_points(volume, f, outline, scale=k, n=ENDPLATE_RING_RAYS,
                             near_mm=near) for k in ENDPLATE_RINGS]
    above, below = (np.vstack([r[n] for r in rings]) for n in (0, 1))
    if len(above) < ENDPLATE_MIN_POINTS or len(below) < ENDPLATE_MIN_POINTS:
        return _fit_endplates(sup, inf, axis)
    return _fit_endplates(above, below, axis)


RETRY_STEP_MM = 4.0
SAGITTAL_TILTS_DEG = (20.0, -20.0, 40.0, -40.0)   # the last priors: a leaning spine


def first_frame(volume: Volume, seed: np.ndarray
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
    model then starts again along the canal and ends 2 degrees off the spine). Last of
    all, the scanner's axis once more, keeping the last round that found both endplates
    where a later one lost them."""
    try:
        return frame_and_canal(volume, seed, Frame.patient(seed))
    except ModelError as exc:
        first = exc
    for step in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)):
        other = seed + RETRY_STEP_MM * np.array(step, float)
        try:
            found = frame_and_canal(volume, other, Frame.patient(other))
        except ModelError:
            continue
        f, endplates, height = found[:3]
        up = float((seed - f.origin) @ f.cranial)
        if abs(up) < height / 2 and body_outline(volume, f, f.origin + f.cranial * up
                                                 ).contains(seed):
            return found
    try:
        return frame_and_canal(volume, seed, Frame.patient(seed), before_canal=True)
    except ModelError:
        pass
    found = tilted_start(volume, seed, Frame.patient(seed))
    if found is not None:
        return found
    # last, the scanner's axis again, keeping the last round that found the endplates:
    # on osteoporotic bone a faint endplate found along one axis can be lost along the
    # next (abdomen L2 on 3 mm slices: the wedge rule turned the axis 9 degrees and the
    # superior endplate, 20 HU over the core, was no longer found; a click 6 mm inside the
    # body had no model, "click inside a vertebral body")
    try:
        return frame_and_canal(volume, seed, Frame.patient(seed), keep_last=True)
    except ModelError:
        raise first from None


def tilted_priors(seed: np.ndarray, base: Frame) -> list[Frame]:
    """Frames at ``seed`` leaning ``SAGITTAL_TILTS_DEG`` forward and back from ``base``."""
    a, c = base.anterior, base.cranial
    return [Frame.from_axes(seed, np.cos(t) * a - np.sin(t) * c, np.sin(t) * a + np.cos(t) * c)
            for t in np.radians(SAGITTAL_TILTS_DEG)]


def tilted_start(volume: Volume, seed: np.ndarray, base: Frame) -> tuple | None:
    """The model's start from priors leaning ``SAGITTAL_TILTS_DEG`` forward and back from
    ``base``: of those that find a canal with an axis, the one whose canal agrees best
    with its endplates; None when none does."""
    found = []
    for prior in tilted_priors(seed, base):
        try:
            out = frame_and_canal(volume, seed, prior)
        except ModelError:
            continue
        axis = canal_axis(out[4])
        if axis is not None:
            found.append((angle_deg(axis, out[0].cranial), out))
    return min(found, key=lambda x: x[0])[1] if found else None


def closed_ring(canal: list[CanalSection]) -> float:
    """The largest walled fraction of the canal's sections."""
    return max((float(c.walled.mean()) for c in canal), default=0.0)


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(a @ b), 0.0, 1.0))))
