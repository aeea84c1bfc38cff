"""The suggested plan for one level: transpedicular (bipedicular or unipedicular) or
parapedicular trajectories."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.core.anatomy.frame_fit import posterior_wall_depth
from planner.core.checks import walls
from planner.core.checks.judge import judge
from planner.core.checks.result import FAIL, PASS, SEVERITY, CheckSettings
from planner.core.checks.views import (CLOCK_ON_THE_HOUR, CLOCK_TARGET, clock_position,
                                       hours_apart)
from planner.core.trajectory import GAUGE_DIAMETER_MM, GAUGES_BY_SIZE, Trajectory

BONE_END_HU = 150.0
ENTRY_RADIUS_FRACTION = 0.35  # entry this far out toward the pedicle's rim on the AP view
SURFACE_STEP_MM = 0.5
SURFACE_RUN_MM = 1.0          # this much bone in a row marks the posterior surface
FAINT_BONE_HU = 100.0         # osteoporotic cortex on thick slices (soft tissue reads less)
SOFT_TISSUE_MAX_HU = 50.0     # muscle, fat: below this the bone has ended
FAINT_BONE_BEYOND_MM = 4.0    # nearer, the blur of a thick slice round the cortex
FAINT_RUN_MM = 3.0            # a faint process is this thick; thinner, a vessel or a rim
# where the needle crosses the isthmus: (hours from 10:00/2:00, fraction of the radius)
THROUGH_ISTHMUS = [(0.0, 0.0)] + [(dh, fr) for dh in np.arange(-1.0, 1.01, 0.25)
                                  for fr in (0.1, 0.2, 0.35, 0.5)]
UNIPEDICULAR_TIPS_MM = (0.0, 2.5)   # from the midline toward the needle's side
# tips through a pedicle this much of the body's height above mid-height: the pedicles
# join the upper half of the body (thorax T12: every line to a mid-height tip grazed a
# pedicle wall; two heights to choose from made nearby clicks flip between entries)
TIP_HEIGHT = 0.1
# suggested lines with this much less room count as good (0.5 let a line whose outer
# surface the model put 0.02 mm inside the thorax T12's lateral wall stand in for one
# with 0.3 mm; the mask put it 1.1 mm out)
ROOM_TIE_MM = 0.25
MIN_LINES = 10
DOCK_AHEAD_MM = 3.0          # a parapedicular entry moves on this far to the bone
ENTRY_BEFORE_TIP_MM = 1.0


@dataclass
class SuggestedPlan:
    trajectories: list[Trajectory]
    warnings: list[str] = field(default_factory=list)


def _tip(model, lateral_mm: float, s: CheckSettings, height: float = 0.0) -> np.ndarray:
    """Tip ``height`` (a fraction of the body's height) above mid-height, ``lateral_mm``
    left of the midline, the target distance behind the anterior cortex on the lateral
    view."""
    f = model.frame
    p = f.origin + lateral_mm * f.left + height * model.height_mm * f.cranial
    reach = model.body_stack.extent(height * model.height_mm, f.anterior)
    return p + (reach - s.anterior_target_mm - (p - f.origin) @ f.anterior) * f.anterior


def posterior_surface(volume, start: np.ndarray, back: np.ndarray, max_mm: float = 40.0
                      ) -> np.ndarray | None:
    """The posterior bony surface on the line going back from ``start`` (inside the
    pedicle), found from the outside in, as the AP view sees it: the first 1 mm of bone
    met walking forward from ``max_mm`` behind. Walking out from the pedicle instead stops
    at any 2 mm of dark marrow (osteoporotic or contrast CT), inside the bone. None when
    the line holds no bone.

    Osteoporotic posterior elements on thick slices are fainter than bone's usual
    ``BONE_END_HU`` (abdomen L1, 3 mm: lamina and articular process at 100-146 HU, the
    mask's surface 10 mm behind the first 150 HU): where bone of at least
    ``FAINT_BONE_HU``, joined to the dense bone with no soft tissue between, reaches more
    than ``FAINT_BONE_BEYOND_MM`` behind it, its outer surface is the entry. Nearer than
    that it is the blurred rim of the same cortex, and the dense surface stays. The faint
    bone must be ``FAINT_RUN_MM`` thick: on the contrast chest CT 1.5 mm of 110 HU, 3 mm
    of 67 HU in front of it, lay outside chest T10's mask."""
    s = np.arange(0.0, max_mm, SURFACE_STEP_MM)
    hu = np.nan_to_num(volume.sample(start + s[:, None] * back), nan=-1000.0)
    run = int(round(SURFACE_RUN_MM / SURFACE_STEP_MM))
    dense = _outermost_run(hu >= BONE_END_HU, run, 0)
    if dense is None:
        return None
    dense = _faint_cortex_edge(hu, dense, run)
    joined = dense
    while joined + 1 < len(s) and hu[joined + 1] >= SOFT_TISSUE_MAX_HU:
        joined += 1
    faint = _outermost_run(hu[:joined + 1] >= FAINT_BONE_HU,
                           int(round(FAINT_RUN_MM / SURFACE_STEP_MM)), dense)
    if faint is not None and s[faint] - s[dense] > FAINT_BONE_BEYOND_MM:
        return start + s[faint] * back
    return start + s[dense] * back


def _faint_cortex_edge(hu: np.ndarray, k: int, run: int) -> int:
    """The outer end ``k`` of a bone run moved out to the half maximum between its peak and
    the soft tissue behind it, where that lies under ``BONE_END_HU``: a cortex peaking under
    twice the threshold (osteoporotic, 3 mm slices: abdomen L1's lamina at 165 HU) has its
    surface further out than where it reaches the threshold (the mask's surface 3.5 mm
    behind the first 150 HU, the entry buried in the bone)."""
    near = int(round(FAINT_BONE_BEYOND_MM / SURFACE_STEP_MM))
    peak = float(hu[max(0, k - run - near):k + 1].max())
    behind = hu[k + 1:k + 1 + 2 * near]
    if len(behind) == 0:
        return k
    # fat behind (-70 HU) would put the half maximum in the blur: soft tissue counts as 0;
    # never below faint bone (muscle blurred onto a faint lamina reads 60-90 HU)
    half = max((peak + max(0.0, float(behind.min()))) / 2.0, FAINT_BONE_HU)
    if half >= BONE_END_HU:
        return k
    while k + 1 < len(hu) and hu[k + 1] >= half:
        k += 1
    return k


def _outermost_run(bone: np.ndarray, run: int, lowest: int) -> int | None:
    """Index of the outer end of the outermost ``run`` samples in a row of ``bone`` (the
    samples run outward), not before ``lowest``; None when there is none."""
    for k in range(len(bone) - run, lowest - 1, -1):
        if bone[k:k + run].all():
            return k + run - 1
    return None


def _clock_point(model, side: str, hour: float, fraction: float) -> np.ndarray:
    """The point inside the pedicle seen on the AP view at ``hour`` on its clock face (12
    cranial, clockwise with the patient's left on the viewer's left), ``fraction`` of the
    way from the isthmus centre to the outline's rim."""
    ped = model.pedicles[side]
    f = model.frame
    theta = np.radians(30.0 * hour)
    toward = -np.sin(theta) * f.left + np.cos(theta) * f.cranial
    rim = float(((ped.outline - ped.isthmus) @ toward).max())
    return ped.isthmus + fraction * rim * toward


def entry_at_clock(volume, model, side: str, hour: float,
                   fraction: float = ENTRY_RADIUS_FRACTION) -> np.ndarray:
    """Entry on the posterior bony surface seen on the AP view at ``hour`` on the clock
    face of the pedicle; the point in the pedicle itself when no bone lies behind it."""
    q = _clock_point(model, side, hour, fraction)
    found = posterior_surface(volume, q, -model.frame.anterior)
    return q if found is None else found


def _through_pedicle(volume, model, side: str, offsets_mm, gauge: str, approach: str,
                     s: CheckSettings) -> Trajectory:
    """A needle down the pedicle: through a point of its isthmus (the centre, or part of
    the way toward the rim around 10:00 on the left, 2:00 on the right) to a tip
    ``offsets_mm`` from the midline, entering where that line meets the posterior bony
    surface.

    The lines whose entry sits on the convention's hour on the AP view (within
    ``CLOCK_ON_THE_HOUR``) are judged (all of them when none does); where each of those
    fails a check, so are the lines the clock check still passes (within
    ``clock_pass_hours``), chosen from when one of them ranks higher. Best: the best
    verdict, then the fewest failing checks; among those, the lines with
    nearly the most bone between the needle and the nearest pedicle wall or the canal
    (within ``ROOM_TIE_MM``, counted up to 1 mm past the medial pass threshold) are equally
    good, and the one whose entry lies amid theirs is suggested (the medoid). Breaking
    ties on tenths of a millimetre made nearby clicks pick entries 13 mm apart; the
    nearest entry to the isthmus favoured surfaces found inside the bone's soft rim.
    Warnings are not counted: a line whose one warning was a lateral breach of 0.04 mm
    outranked lines with 0.3 mm of bone and two warnings (thorax T12 right: the mask put
    it 1.1 mm out of the bone); what the walls leave is the measure.

    Walking straight back from a point seen at 10:00 found the surface of a facet whose
    line to the tip skimmed the canal; the line through the isthmus goes down the pedicle.

    The suggested line is then centred (``_centred``): the grid of lines is coarse, and
    which of its lines is best changed with a tenth of a millimetre of the model (chest
    T8 left: from the mask's seed the best kept 1.3 mm from the canal, from clicks beside
    it 0.5 mm)."""
    hour = CLOCK_TARGET[side]
    tips = _tips(model, side, offsets_mm, s, TIP_HEIGHT)
    lines = []
    for dh, fraction in THROUGH_ISTHMUS:
        q = _clock_point(model, side, hour + dh, fraction)
        for x, tip in zip(offsets_mm, tips):
            line = _line(volume, model, side, q, tip, hour)
            if line is not None:
                lines.append(line + (q, float(x)))
    # through the pedicle's posterior end, not its side wall: a line that meets no bone
    # until within the pedicle's length of the isthmus enters through the lateral wall
    # (chest T12: such entries 5 mm behind the isthmus and the usual ones 18 mm behind
    # had equal room, and nearby clicks flipped between them); unless that leaves too few
    # to choose from (chest T6 left: one line of 185, 0.8 mm from the canal; of all of
    # them, one 1.25 mm from it)
    through_end = [x for x in lines if _through_end(model, side, x[1], x[2])]
    lines = through_end if len(through_end) >= MIN_LINES else lines
    if not lines:
        return Trajectory(side, entry_at_clock(volume, model, side, hour), tips[0], gauge,
                          approach)
    on_hour = [x for x in lines if x[0] <= CLOCK_ON_THE_HOUR]
    hours = CLOCK_ON_THE_HOUR if on_hour else np.inf
    judged = _judged(volume, model, side, on_hour or lines, gauge, approach, s)
    top = max(j[0] for j in judged)
    if top[1] < 0 and hours < s.clock_pass_hours:
        # every line on the hour fails a check: the lines the clock check still passes
        # may not (chest T7 right, a pedicle 4.5 mm wide: on the hour each line failed the
        # endplate or the inferior wall check, and the one suggested left the vertebra's
        # mask by 1.3 mm; 0.7 h off the hour, lines failing none)
        wider = [x for x in lines if CLOCK_ON_THE_HOUR < x[0] <= s.clock_pass_hours]
        more = _judged(volume, model, side, wider, gauge, approach, s)
        if more and max(j[0] for j in more) > top:
            judged, hours = more, s.clock_pass_hours
            top = max(j[0] for j in judged)
    best_room = max(j[1] for j in judged if j[0] == top)
    good = [j for j in judged if j[0] == top and j[1] >= best_room - ROOM_TIE_MM]
    entries = np.array([j[2].entry for j in good])
    spread = np.linalg.norm(entries[:, None] - entries[None], axis=2).sum(axis=1)
    start = good[int(np.argmin(spread))]
    rules = (len(through_end) >= MIN_LINES, hours)
    return _centred(volume, model, side, start, (min(offsets_mm), max(offsets_mm)), rules, s)


def _judged(volume, model, side: str, lines: list, gauge: str, approach: str,
            s: CheckSettings) -> list[tuple]:
    """(tier, room, trajectory, isthmus crossing, tip offset) of each line."""
    out = []
    for _, entry, tip, q, x in lines:
        t = Trajectory(side, entry, tip, gauge, approach)
        out.append(_rank(volume, model, t, s) + (t, q, x))
    return out


def _line(volume, model, side: str, q: np.ndarray, tip: np.ndarray, hour: float
          ) -> tuple[float, np.ndarray, np.ndarray] | None:
    """(hours of the entry from ``hour``, entry, tip) of the line from ``tip`` back through
    ``q``, entering on the posterior bony surface; None when it meets no bone."""
    d = (tip - q) / np.linalg.norm(tip - q)
    entry = posterior_surface(volume, q, -d)
    if entry is None:
        return None
    return hours_apart(clock_position(model, side, entry)[0], hour), entry, tip


def _through_end(model, side: str, entry: np.ndarray, tip: np.ndarray) -> bool:
    """Whether the line enters through the pedicle's posterior end, not its side wall."""
    d = (tip - entry) / np.linalg.norm(tip - entry)
    return (model.pedicles[side].isthmus - entry) @ d >= walls.PEDICLE_HALF_LENGTH_MM


def _rank(volume, model, t: Trajectory, s: CheckSettings) -> tuple[tuple, float]:
    """(tier, room) of a line: the tier orders verdicts, then fewer failing checks; the
    room is the bone the walls leave (the least of the canal, lateral and superior or
    inferior clearances, counted up to 1 mm past the medial pass threshold)."""
    res = judge(volume, model, t, s)
    by_id = {c["id"]: c for c in res["checks"]}
    walls_mm = [res["medial_clearance_mm"]] + [
        None if by_id[k]["value"] is None else -by_id[k]["value"]
        for k in ("lateral_wall", "superior_inferior_wall")]
    cap = s.medial_pass_mm + model.uncertainty_margin_mm + 1.0
    room = -np.inf if None in walls_mm else min(min(walls_mm), cap)
    return (-SEVERITY[res["verdict"]], -sum(c["verdict"] == FAIL for c in res["checks"])), room


CENTRE_STEPS_MM = (0.5, 0.25)   # moves of the isthmus crossing; the tip moves 4 times more
CENTRE_MOVES = 6                # at most this many moves per step size
CENTRE_GAIN_MM = 0.02
# the entry stays this near the grid's: moved further along the posterior elements, where
# the model's walls are least sure, lines with more room by the model left the vertebra's
# mask just behind the entry (chest T11 right: 5 of 8 clicks; within 2 mm, 2 of 8; the
# seven bar levels 44 of 56 clicks, 41 unbounded, 41 uncentred)
CENTRE_ENTRY_DRIFT_MM = 2.0


def _centred(volume, model, side: str, start: tuple, tip_range: tuple[float, float],
             rules: tuple[bool, float], s: CheckSettings) -> Trajectory:
    """The line moved, a fraction of a millimetre at a time, to where the walls leave the
    most bone: its crossing of the isthmus in the isthmus plane, its tip across (within
    ``tip_range`` from the midline), keeping its tier, its entry within
    ``CENTRE_ENTRY_DRIFT_MM`` of where it was, within the hours of the clock hour the
    choice allowed and through the pedicle's end where that rule held (``rules``)."""
    tier, room, t, q, x = start
    entry = t.entry
    ped = model.pedicles[side]
    hour = CLOCK_TARGET[side]
    through_end, hours = rules
    for step in CENTRE_STEPS_MM:
        for _ in range(CENTRE_MOVES):
            best = None
            for dq, dx in ((ped.lateral, 0.0), (-ped.lateral, 0.0), (ped.up, 0.0),
                           (-ped.up, 0.0), (0.0, 4.0), (0.0, -4.0)):
                nq, nx = q + step * np.asarray(dq), x + step * dx
                if not tip_range[0] <= nx <= tip_range[1]:
                    continue
                line = _line(volume, model, side, nq,
                             _tips(model, side, [nx], s, TIP_HEIGHT)[0], hour)
                if line is None or np.linalg.norm(line[1] - entry) > CENTRE_ENTRY_DRIFT_MM \
                        or line[0] > hours \
                        or (through_end and not _through_end(model, side, line[1], line[2])):
                    continue
                nt = Trajectory(side, line[1], line[2], t.gauge, t.approach)
                ntier, nroom = _rank(volume, model, nt, s)
                if ntier >= tier and (ntier > tier or nroom > room + CENTRE_GAIN_MM) and \
                        (best is None or (ntier, nroom) > best[:2]):
                    best = (ntier, nroom, nt, nq, nx)
            if best is None:
                break
            tier, room, t, q, x = best
    return t


def _into_body(volume, model, start: np.ndarray, tip: np.ndarray, max_mm: float = 20.0
               ) -> np.ndarray:
    """Where the line from ``start`` toward ``tip`` enters the model's vertebral body: a
    parapedicular needle enters bone there; if the CT shows no bone at that point yet,
    where the bone begins within ``DOCK_AHEAD_MM`` further on (the outline there is
    half a slice's blur wide: TPTBox L3 right, 2 mm of 22-130 HU before the cortex). Never
    walked back: the way to the entry may cross the rib head, and that must stay before
    the entry, where its check looks. Never walked past ``ENTRY_BEFORE_TIP_MM`` short of
    the tip: on a small body the line can meet the outline only at the tip (chest T2: the
    entry fell on the tip and the plan raised instead of judging the path)."""
    length = float(np.linalg.norm(tip - start))
    d = (tip - start) / length
    reach = max(0.0, length - ENTRY_BEFORE_TIP_MM)
    s = np.arange(0.0, min(max_mm, reach), 0.25)
    inside = np.nonzero(~model.outside_body(start + s[:, None] * d))[0] if len(s) else []
    at = s[inside[0]] if len(inside) else 0.0
    ahead = np.arange(0.0, min(DOCK_AHEAD_MM, reach - at) + 0.01, 0.25)
    entry = start + at * d
    bone = np.nonzero(np.nan_to_num(volume.sample(entry + ahead[:, None] * d), nan=-1e3)
                      >= BONE_END_HU)[0]
    return entry + (ahead[bone[0]] if len(bone) else 0.0) * d


def _beside_pedicle(volume, model, side: str, tip: np.ndarray, gauge: str,
                    s: CheckSettings) -> tuple[Trajectory, bool]:
    """Parapedicular (CLINICAL.md): the needle runs lateral to the pedicle on purpose and
    enters bone at the posterolateral junction of the pedicle and the body, medial to the
    rib head: the pedicle's lateral rim where its axis meets the posterior wall.

    The rib's head and neck lie right there, so a few entries up and down the pedicle's
    side and tips toward the midline are tried; among the best overall verdicts the one
    with the most room at the rib head is returned, with whether it clears the rib head
    and fails no check."""
    ped = model.pedicles[side]
    f = model.frame
    wall = f.origin - posterior_wall_depth(f, model.outlines) * f.anterior
    base = ped.isthmus + ((wall - ped.isthmus) @ f.anterior) / (ped.axis @ f.anterior) * \
        ped.axis
    rel = ped.outline - ped.isthmus
    rim = float((rel @ ped.lateral).max())
    half_h = float(np.ptp(rel @ ped.up)) / 2
    midline = tip - ((tip - f.origin) @ f.left) * f.left
    best, best_key = None, None
    for h in (0.0, -0.5, 0.5, -1.0):
        junction = base + rim * ped.lateral + h * half_h * ped.up
        for towards in (0.0, 0.5, 1.0):
            aim = tip + towards * (midline - tip)
            t = Trajectory(side, _into_body(volume, model, junction, aim), aim, gauge,
                           "parapedicular")
            res = judge(volume, model, t, s)
            rib = next(c for c in res["checks"] if c["id"] == "rib_head")
            key = (-SEVERITY[res["verdict"]], rib["verdict"] == PASS,
                   np.inf if rib["value"] is None else rib["value"])
            if best_key is None or key > best_key:
                best, best_key = t, key
    return best, bool(best_key[1] and best_key[0] > -SEVERITY[FAIL])


def _tips(model, side: str, offsets_mm, s: CheckSettings, height: float = 0.0
          ) -> list[np.ndarray]:
    """Tips ``offsets_mm`` from the midline toward the needle's side, ``height`` (a
    fraction of the body's height) above mid-height."""
    sign = 1.0 if side == "left" else -1.0
    return [_tip(model, sign * float(x), s, height) for x in offsets_mm]


TIP_IN_BODY_MM = 1.0


def _tips_in_body(model, side: str, offsets_mm: np.ndarray, gauge: str, s: CheckSettings
                  ) -> np.ndarray:
    """The tip offsets from the midline whose needle, ``gauge`` wide, keeps its surface
    ``TIP_IN_BODY_MM`` inside the body's outline at the tip; the two deepest where fewer
    do. The tips lie the target distance behind the body's most anterior point, and a
    thoracic body is narrow and round in front: of the offsets asked for, 15 mm from the
    midline put the tips of chest T2-T10 outside the body, 12.5 mm those of T3-T7 and T9
    (chest T2 right's suggested tip lay 0.2 mm outside the vertebra's mask)."""
    tips = np.array(_tips(model, side, offsets_mm, s, TIP_HEIGHT))
    depth = -model.body_signed_distance(tips) - GAUGE_DIAMETER_MM[gauge] / 2
    keep = depth >= TIP_IN_BODY_MM
    if keep.sum() >= 2:
        return offsets_mm[keep]
    return np.sort(offsets_mm[np.argsort(-depth, kind="stable")[:2]])


def _fitting_gauge(model, traj: Trajectory, s: CheckSettings, start: str) -> str:
    """The largest gauge, from ``start`` down, that leaves bone on both sides: across the
    pedicle's width (``pedicle_fit``, with the slice margin) and along the line itself,
    whose canal and lateral wall clearances must leave ``pedicle_bone_per_side_mm`` each
    were the needle centred between them. A line oblique to the pedicle has a narrower
    channel than its width (chest T6 left: an 8.0 mm pedicle, 1.2 mm of bone in all
    beside an 11G needle: 13G suggested)."""
    sizes = GAUGES_BY_SIZE[GAUGES_BY_SIZE.index(start):]
    for g in sizes:
        t = Trajectory(traj.side, traj.entry, traj.target, g, traj.approach)
        if walls.pedicle_fit(model, t, s, model.uncertainty_margin_mm).verdict != PASS:
            continue
        # the two walls alone, not every check (skin entry, HU profile) as judge would
        canal = walls.canal_clearance(model, t)
        breach = walls.pedicle_breaches(model, t)
        if canal is None or breach is None or \
                (canal[0] - breach["lateral"]) / 2 >= s.pedicle_bone_per_side_mm:
            return g
    return sizes[-1]


def suggest_plan(volume, model, gauge: str = "11G", approach: str = "bipedicular",
                 settings: CheckSettings | None = None) -> SuggestedPlan:
    s = settings or CheckSettings()
    plan = SuggestedPlan([])
    sides = [k for k in ("left", "right") if k in model.pedicles]
    for k in ("left", "right"):
        if k not in model.pedicles:
            plan.warnings.append(f"no {k} trajectory: {model.missing.get(f'{k}_pedicle')}")
    if not sides:
        return plan
    if approach == "unipedicular":
        side = max(sides, key=lambda k: model.pedicles[k].width_mm)
        traj = _through_pedicle(volume, model, side, UNIPEDICULAR_TIPS_MM, gauge, approach,
                                s)
        clearance = walls.canal_clearance(model, traj)
        if clearance is None or clearance[0] < s.medial_pass_mm + model.uncertainty_margin_mm:
            plan.warnings.append(f"the {side} pedicle cannot reach the midline safely: a "
                                 "bipedicular approach is advised")
        trajs = [traj]
    elif approach == "parapedicular":
        offset = float(np.mean(s.target_offset_mm))
        for k in sides:              # the pedicle's width does not limit the gauge here
            tip = _tips(model, k, [offset], s)[0]
            traj, clear = _beside_pedicle(volume, model, k, tip, gauge, s)
            plan.trajectories.append(traj)
            if not clear:
                plan.warnings.append(f"no {k} parapedicular path found that clears the rib "
                                     "head and fails no check: check it, or go through the "
                                     "pedicle")
        return plan
    else:
        across = np.linspace(*s.target_offset_mm, 5)      # each tip in its own half
        trajs = [_through_pedicle(volume, model, k, _tips_in_body(model, k, across, gauge, s),
                                  gauge, approach, s) for k in sides]
    for n, t in enumerate(trajs):
        g = _fitting_gauge(model, t, s, gauge)
        if g != gauge:
            plan.warnings.append(f"{t.side} pedicle too narrow for {gauge} with "
                                 f"{s.pedicle_bone_per_side_mm:.0f} mm of bone per side: "
                                 f"{g} suggested")
            trajs[n] = Trajectory(t.side, t.entry, t.target, g, t.approach)
    plan.trajectories = trajs
    for t in trajs:
        failed = [c["id"] for c in judge(volume, model, t, s)["checks"]
                  if c["verdict"] == FAIL]
        if failed:
            plan.warnings.append(
                f"no {t.side} {approach} path found that fails no check: the suggested one "
                f"fails the {', '.join(failed)} check{'s' if len(failed) > 1 else ''}; move "
                "it or choose another approach")
    return plan
