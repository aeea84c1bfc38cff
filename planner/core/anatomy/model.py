"""The vertebra model built from a CT and one click inside the vertebral body.

It says what it could not find and why; it never invents a structure. Every measure it
derives is in LPS mm and in the vertebra's own frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from planner.core.anatomy.body import (SOFT_TISSUE_FLOOR_HU, Outline, body_outline,
                                       consistent_outlines)
from planner.core.anatomy.canal import CanalSection, canal_section
from planner.core.anatomy.canal_stack import (CLOSED_RING_FRACTION, canal_axis,
                                              canal_content_hu, canal_front_depth,
                                              canal_line, canal_stack)
from planner.core.anatomy.frame import Frame, unit
from planner.core.anatomy.frame_fit import (AXIS_DISAGREEMENT_DEG,
                                            SETTLE_NEAR_WALL_FRACTION, Endplates,
                                            ModelError, angle_deg, closed_ring, first_frame,
                                            frame_and_canal, lost_canal,
                                            posterior_wall_depth, settle, tilted_priors,
                                            tilted_start)
from planner.core.anatomy.pedicle import Pedicle
from planner.core.anatomy.steady_pedicles import steady_pedicles
from planner.core.anatomy.stack import OutlineStack
from planner.core.volume import Volume

THICK_SLICE_MM = 1.5
UNSETTLED_WARNING = ("the body's centre and axis could not be confirmed along the spinal canal "
                     "(its outline or endplates were lost there, or moved from round to "
                     "round): the model may be off the body; check it on the slices")


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
    doubtful: bool = False       # it warns that it may be off the body (see build_model)
    # the canal confirmed no axis (it showed no line, or cut across its line it showed
    # another): built again from leaning starts (see build_model), no warning by itself
    unconfirmed: bool = False

    @property
    def centre(self) -> np.ndarray:
        return self.frame.origin

    @property
    def settled(self) -> bool:
        """False when its frame could not be confirmed along the canal (it says so)."""
        return UNSETTLED_WARNING not in self.warnings

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

    def outside_body(self, p: np.ndarray) -> np.ndarray:
        """Whether points lie outside the body (``body_signed_distance`` > 0) without
        measuring how far: the checks marching along a needle need only that."""
        return ~self.body_stack.contains(p) | (self.endplate_distance(p) > 0)

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


BEYOND_ENDPLATE_MM = 2.0


def _within_the_scan(volume: Volume, f: Frame, endplates: Endplates) -> None:
    """Refuse a body whose endplate may be the scan's edge: the disc side just beyond
    each endplate (``BEYOND_ENDPLATE_MM``, on the body's axis) must be in the scan. The
    edge reads like an endplate falling to a disc: the sample's L1 cut 3 mm below its
    superior endplate was modelled 1.7 mm short, with no word."""
    for name, point, normal in (("superior", endplates.superior_point,
                                 endplates.superior_normal),
                                ("inferior", endplates.inferior_point,
                                 endplates.inferior_normal)):
        t = float((point - f.origin) @ normal) / float(f.cranial @ normal)
        beyond = f.origin + f.cranial * (t + np.sign(t) * BEYOND_ENDPLATE_MM)
        if not volume.contains(beyond[None])[0]:
            raise ModelError(f"the body's {name} endplate lies at the scan's edge: the body "
                             "may be cut by it and cannot be modelled")


def _canal_across(volume: Volume, f: Frame, canal: list[CanalSection], height: float
                  ) -> tuple[CanalSection, list[CanalSection]]:
    """The canal's sections cut again across ``f``'s axis, from the canal's centre line."""
    sec = canal_section(volume, f, canal_line(canal, f.cranial)[0])
    return sec, canal_stack(volume, f, sec, height)


def _canal_from_middle(volume: Volume, f: Frame, canal: list[CanalSection], height: float
                       ) -> tuple[CanalSection, list[CanalSection]] | None:
    """The canal tracked again from the body's mid-height, where it was lost: the section
    first found can lie where the ring is closed by the laminae well behind the canal (TPTBox
    L3 from a click 9 mm right of the centre: its centroid 28 mm behind the body's centre, the
    canal's below it 22 mm, too far to be followed), and the stack copied its outline down
    through the body's mid-height with no walls. None when no closed ring is found there."""
    point, _ = canal_line(canal, f.cranial)
    sec = canal_section(volume, f, point + f.cranial * float((f.origin - point) @ f.cranial))
    if not sec.walled.mean() >= CLOSED_RING_FRACTION:
        return None
    return sec, canal_stack(volume, f, sec, height)


def _from_centre(volume: Volume, f: Frame) -> tuple | None:
    """The frame and canal found again from the origin of ``f`` (the body's centre found
    so far), along the scanner's axis; None when no body is found there."""
    try:
        return frame_and_canal(volume, f.origin, Frame.patient(f.origin))
    except ModelError:
        return None


def _agrees(found: tuple | None) -> bool:
    """Whether a frame and canal found again has a canal line within
    ``AXIS_DISAGREEMENT_DEG`` of its frame's axis."""
    axis = None if found is None else canal_axis(found[4])
    return axis is not None and angle_deg(axis, found[0].cranial) <= AXIS_DISAGREEMENT_DEG


# a wedge-compressed body's endplates lie up to about 30 degrees apart (our levels: 2-31;
# a vertebra plana, 80% of a 30 mm deep body's height lost, about 34); chest T3 from one
# click settled on a frame 80 degrees off the others, its endplates 88 degrees apart, and
# abdomen L1 on one 41 degrees apart, 12.7 mm off the body's centre, with no word
ENDPLATES_APART_MAX_DEG = 35.0
CANAL_MIDDLE_MAX_MM = 20.0         # behind the posterior wall
CANAL_CONTENT_MAX_HU = 100.0       # the canal's core (fat, CSF, cord; walls blurred in)
CENTRE_BEHIND_FRACTION = 0.31      # of the body's depth, the centre in front of its wall


def pedicle_window(f: Frame, outlines: list[Outline], canal: list[CanalSection],
                   height: float, wall: float | None = None
                   ) -> tuple[float, float, float, float]:
    """Where the pedicles are sought: the posterior wall's distance back from the frame's
    origin (``wall`` when the caller has it), and the canal's half width, depth and middle
    (back from the posterior wall) at the pedicles' height (a fifth of the body's height
    above its middle)."""
    if wall is None:
        wall = posterior_wall_depth(f, outlines)
    level = min(canal, key=lambda c: abs((c.centre - f.origin) @ f.cranial - 0.2 * height))
    loc = f.to_local(level.points)
    half_w, depth = float(np.ptp(loc[:, 0]) / 2), float(np.ptp(loc[:, 1]))
    middle = float((f.origin - level.centroid) @ f.anterior) - wall
    return wall, half_w, depth, middle


def build_model(volume: Volume, seed: np.ndarray) -> VertebraModel:
    """Vertebra model from one point inside the vertebral body (LPS mm).

    A model that doubts itself (``VertebraModel.doubtful``: its frame not confirmed along
    the canal, its endplates and canal at odds, its canal too far behind the body, or its
    centre too near the posterior wall) is built again from starts leaning
    ``SAGITTAL_TILTS_DEG`` forward and back; of those that do not doubt themselves and
    found as many pedicles, of those with the most pedicles the one that agrees best with
    the others is kept (``_consensus``); where none, the first, with its warnings. So is
    one whose canal confirmed no axis (``unconfirmed``), itself among the others: chest
    T11 from a click at the body's centre settled 7 degrees off the others, its centre 6.4
    mm behind the body's middle, with no word (its canal showed no line). Chest
    T2 and T3 lean about 40 degrees: from three clicks of eight in each, the scanner's
    axis led to frames 50-67 degrees off the others (one with no word of doubt, its
    "canal" 29 mm behind the posterior wall)."""
    seed = np.asarray(seed, float)
    if not volume.contains(seed):
        raise ModelError("the point is outside the CT volume")
    model = _model_from(volume, seed, first_frame(volume, seed))
    if not model.doubtful and not model.unconfirmed:
        return model
    # a model only unconfirmed stands among the others (abdomen L4 from its seed: its
    # axis 3.5 degrees off the spine's, the one leaning start's 6.4)
    others = [] if model.doubtful else [model]
    for prior in tilted_priors(seed, Frame.patient(seed)):
        try:
            other = _model_from(volume, seed, frame_and_canal(volume, seed, prior))
        except ModelError:
            continue
        # not one that found fewer pedicles (abdomen L2 from one click: a leaning start
        # settled 11 mm off the body with neither pedicle and no word of doubt), nor one
        # with no canal to confirm its axis (chest T1 from one click: 89 degrees off the
        # spine)
        if not other.doubtful and other.canal and \
                len(other.pedicles) >= len(model.pedicles):
            others.append(other)
    if not others:
        return model
    most = max(len(m.pedicles) for m in others)
    return _consensus([m for m in others if len(m.pedicles) == most])


CONSENSUS_MODELS = 3


def _consensus(models: list[VertebraModel]) -> VertebraModel:
    """Of the models from leaning starts, the one that agrees best with the others (the
    least summed distance of its centre and height from theirs) where there are at least
    ``CONSENSUS_MODELS``; else the one whose canal agrees best with its endplates. TPTBox
    L3 from the seed moved 0.05 mm: four starts gave bodies 24.2-25.7 mm high and one
    30.97 mm, its centre 1.3 mm from the others' and its canal 2.2 degrees off its
    endplates (the others 2.6-5.6): that one was kept, and the pedicles moved 20 mm."""
    if len(models) < CONSENSUS_MODELS:
        return min(models, key=_axes_apart)

    def apart(a: VertebraModel, b: VertebraModel) -> float:
        return float(np.linalg.norm(a.centre - b.centre)) + abs(a.height_mm - b.height_mm)

    return min(models, key=lambda m: sum(apart(m, o) for o in models))


def _axes_apart(model: VertebraModel) -> float:
    """How far (degrees) the canal's line and the endplates' mean normal lie apart; 90
    where the canal has no line. Of the models from leaning starts the one whose canal
    agrees best with its endplates is kept: chest T3 from one click, leaning 20 degrees,
    found a frame 33 degrees off the spine's with no line along its canal, and leaning
    40, one 4 degrees from its endplates and the other clicks' frames."""
    axis = canal_axis(model.canal)
    e = model.endplates
    return 90.0 if axis is None else angle_deg(axis, unit(e.superior_normal +
                                                          e.inferior_normal))


def _not_the_spinal_canal(canal: list[CanalSection],
                          window: tuple[float, float, float, float]
                          ) -> tuple[str, str] | None:
    """Why the canal found is not the spinal canal (the warning, and why the pedicles
    were not sought), or None. Each was a model off the spine that said nothing."""
    ring = closed_ring(canal)
    if ring < CLOSED_RING_FRACTION:
        # the pedicles close the canal's bony ring; where it is closed at no height the
        # bone beside the canal is something else (chest T9: both "pedicles" found in the
        # rib heads, outside the vertebra). On every model of our data that lay on the
        # spine the ring is closed somewhere (at least 92% walled); chest T1 from one click
        # (60%) settled 67 degrees off the spine with no word
        return (f"the canal found is walled by bone at no height (at most {ring:.0%} of its "
                "ring): it may not be the spinal canal, or the model may be off the spine; "
                "check the model on the slices",
                f"the canal's bony ring is closed at no height (at most {ring:.0%} of it is "
                "walled): the pedicles that close it were not found")
    content = canal_content_hu(canal)
    if content > CANAL_CONTENT_MAX_HU:
        # on every level of our data the canal's core reads -23 to 45 HU (the median of
        # its sections); 131-204 HU, it was a contrast-filled vessel or bone beside chest
        # T1 (near the scan's edge), in frames 69-71 degrees off the spine's, with both
        # "pedicles" and no word of doubt
        return (f"the canal found reads {content:.0f} HU inside (the spinal canal's fat, "
                f"fluid and cord read below {CANAL_CONTENT_MAX_HU:.0f}): it is not the "
                "spinal canal; check the model on the slices",
                f"the canal found reads {content:.0f} HU inside, not the spinal canal: the "
                "pedicles beside it were not sought")
    middle = window[3]
    if middle > CANAL_MIDDLE_MAX_MM:
        # the canal's middle lies 5-16 mm behind the posterior wall on every level of our
        # data; 23-35 mm behind it, it was the fat behind the laminae, and the "pedicles"
        # beside it bone of the arch (chest T2, T3 from clicks whose frames were 50-67
        # degrees off the spine's)
        return (f"the canal found lies {middle:.0f} mm behind the body's posterior wall "
                f"(its middle; {CANAL_MIDDLE_MAX_MM:.0f} mm at most expected): it is not "
                "the spinal canal; check the model on the slices",
                f"the canal found lies {middle:.0f} mm behind the body: the pedicles beside "
                "it were not sought")
    return None


def _model_from(volume: Volume, seed: np.ndarray, start: tuple) -> VertebraModel:
    """The model from a first frame and canal (``frame_fit.frame_and_canal``'s tuple)."""
    warnings: list[str] = []
    missing: dict[str, str] = {}
    doubtful = False         # set with each warning that the model may be off the body
    unconfirmed = False
    f, endplates, height, sec, canal = start
    axis = canal_axis(canal)
    if axis is not None and angle_deg(axis, f.cranial) > AXIS_DISAGREEMENT_DEG:
        # the endplates were followed from the scanner's axis onto something else (a
        # strongly tilted spine, a disc, the next level): start again along the canal
        first = angle_deg(axis, f.cranial)
        axis = axis if axis @ f.cranial >= 0 else -axis
        try:
            redo = frame_and_canal(volume, seed, Frame.from_axes(seed, f.anterior, axis))
        except ModelError:
            redo = None
        # not when the new start lost the canal it set out along (chest T11 from a click
        # 9 mm right of the centre: the fat behind the laminae, 23 mm from it)
        if redo is not None and angle_deg(redo[0].cranial, axis) < first and \
                not lost_canal(sec, redo[3]):
            f, endplates, height, sec, canal = redo
    if canal_axis(canal) is None and closed_ring(canal) < CLOSED_RING_FRACTION:
        # no closed ring and no canal axis: the frame may have followed a wedge's broken
        # endplate (the sample's L1 leaning 40 degrees: 26 degrees off, its canal cut
        # obliquely, no pedicles); start again leaning forward and back, else from the
        # body's centre it found (chest T9 from a click 10 mm behind the centre, 6 mm
        # right: the canal sought 46 mm behind the body, in the fat behind the laminae;
        # from the centre the canal is found, closed)
        redo = tilted_start(volume, seed, f)
        if not _agrees(redo):
            redo = _from_centre(volume, f)
        if _agrees(redo):
            f, endplates, height, sec, canal = redo
    elif canal and canal_axis(canal) is None:
        # a closed ring but no line along the canal: from a click near an endplate the
        # first frame can lean (TPTBox L3, from the mask's seed 2 mm above the inferior
        # endplate: 14 degrees off the spine, its canal walled above the mid-height only,
        # and the frame settled there, the centre 6 mm behind the body's middle); start
        # again from the body's centre it found, kept where the canal then has a line
        # that agrees with the frame; else the canal alone, tracked again from the body's
        # mid-height (``_canal_from_middle``)
        redo = _from_centre(volume, f)
        if _agrees(redo):
            f, endplates, height, sec, canal = redo
        else:
            again = _canal_from_middle(volume, f, canal, height)
            if again is not None and _agrees((f, endplates, height) + again):
                sec, canal = again
    if canal:
        axis = canal_axis(canal)
        if axis is not None and angle_deg(axis, f.cranial) > AXIS_DISAGREEMENT_DEG:
            # the canal's sections were cut across the frame's axis, leaning far off the
            # canal's own line (chest T9 from a click near the posterior wall: 50 degrees):
            # in the settling's frames none of their rays faces forward, the body's outline
            # found no canal front to close at, ran on through the canal to the lamina and
            # settled 5 mm behind the body's centre; cut them across the canal's line
            along = Frame.from_axes(f.origin, f.anterior, axis if axis @ f.cranial >= 0
                                    else -axis)
            sec, canal = _canal_across(volume, along, canal, height)
            turned = canal_axis(canal)
            if turned is not None and angle_deg(turned, axis) > AXIS_DISAGREEMENT_DEG:
                # cut across its line, the canal showed another line: neither confirms
                # the axis (abdomen L5, 3 mm voxels, from the middle of its body: 43
                # degrees apart; the model settled 26 degrees off the seed's, its centre
                # 9.7 mm from it, with no word)
                unconfirmed = True
        elif axis is None:
            unconfirmed = True
        settled = settle(volume, f, canal)
        if settled is not None:
            f, endplates, height = settled
            sec, canal = _canal_across(volume, f, canal, height)
        else:
            # on every level of our data where it failed the model was off (abdomen L1:
            # its centre 12 mm behind the body's; L5: 21 mm, its height 36 mm against 27)
            warnings.append(UNSETTLED_WARNING)
            doubtful = True
    _within_the_scan(volume, f, endplates)
    axis = canal_axis(canal)
    mean_normal = endplates.superior_normal + endplates.inferior_normal
    if axis is not None and angle_deg(axis, unit(mean_normal)) > AXIS_DISAGREEMENT_DEG:
        doubtful = True
        warnings.append("the endplates and the spinal canal disagree on the vertebra's axis "
                        f"by {angle_deg(axis, unit(mean_normal)):.0f} degrees: check the "
                        "model on the sagittal slice")
    apart = angle_deg(endplates.superior_normal, endplates.inferior_normal)
    if apart > ENDPLATES_APART_MAX_DEG:
        doubtful = True
        warnings.append(f"the superior and inferior endplates found lie {apart:.0f} degrees "
                        "apart, more than a wedge-shaped body's: the model may be off the "
                        "body; check it on the sagittal slice")
    thickness = float(volume.meta.get("slice_thickness") or volume.spacing[2])
    if thickness > THICK_SLICE_MM:
        warnings.append(f"slices are {thickness:.1f} mm thick: walls are uncertain; every "
                        f"margin is widened by {thickness / 2:.1f} mm")
    centres = [f.origin + f.cranial * h for h in np.arange(-0.35, 0.351, 0.07) * height]
    # a settled centre lies near the body's middle: a wall found nearer than half the
    # others is a trabecula inside the body, not its cortex (TPTBox L3, noisy osteoporotic
    # bone: the rays of its lower half stopped on trabeculae, the outline 2.7 mm from the
    # mask's surface at the median; 1.8 mm without them)
    near = SETTLE_NEAR_WALL_FRACTION if UNSETTLED_WARNING not in warnings else 0.0
    outlines = consistent_outlines(
        [body_outline(volume, f, c, slab_mm=3.0, back_wall_mm=d, wall_at_most_mm=cap,
                      near_wall_fraction=near, floor_hu=SOFT_TISSUE_FLOOR_HU)
         for c, (d, cap) in zip(centres, _canal_fronts(canal, f, centres))], f.left)
    back = posterior_wall_depth(f, outlines)
    front = float(np.median([np.max((o.points - f.origin) @ f.anterior) for o in outlines]))
    if back < CENTRE_BEHIND_FRACTION * (front + back):
        # a centre settled near the posterior wall (abdomen L5 from one click: the wall
        # 1.8 mm behind it, the front 26 mm ahead, the centre 10 mm behind the others'). On
        # the models of our data within 2 mm of their level's others the wall lies at least
        # 0.325 of the depth behind the centre; abdomen L1 from two clicks settled 6.2 mm
        # behind the others with it at 0.29 and 0.30, and L5 from one 4.4 mm at 0.28
        doubtful = True
        warnings.append(f"the body's posterior wall lies {back:.0f} mm behind its centre "
                        f"and its front {front:.0f} mm ahead: the centre may be off the "
                        "body's middle; check the model on the slices")
    if sec is None:
        missing["canal"] = "no low-density canal behind the posterior wall"
    pedicles: dict[str, Pedicle] = {}
    if not canal:
        missing["left_pedicle"] = missing["right_pedicle"] = "needs the canal"
    else:
        window = pedicle_window(f, outlines, canal, height, back)
        doubt = _not_the_spinal_canal(canal, window)
        if doubt is None:
            pedicles = steady_pedicles(volume, f, outlines, window, height, missing)
        else:
            doubtful = True
            warnings.append(doubt[0])
            missing["left_pedicle"] = missing["right_pedicle"] = doubt[1]
    return VertebraModel(f, height, endplates, outlines, canal, pedicles, warnings,
                         missing, thickness, doubtful, unconfirmed)
