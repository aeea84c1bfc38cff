"""The pedicles as the vertebra model keeps them: sought from its frame and from the frame
nudged a quarter of a millimetre, the one most of them agree on, and none where its bone
lies at the detection threshold or it is too wide to be a pedicle."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from planner.core.anatomy.body import Outline
from planner.core.anatomy.frame import Frame
from planner.core.anatomy.pedicle import Pedicle, find_pedicle, with_sections
from planner.core.volume import Volume

PEDICLE_MAX_WIDTH_FRACTION = 0.45  # of the body's width; the widest (L5) reach about 0.4
NUDGE_MM = 0.25
AGREE_MM = 1.0


def _nudged_frames(f: Frame) -> list[Frame]:
    """The frame, then moved ``NUDGE_MM`` either way along each of its axes."""
    moves = [np.zeros(3)] + [k * e for e in np.eye(3) for k in (1.0, -1.0)]
    return [Frame(f.origin + NUDGE_MM * m @ f.matrix.T, f.left, f.anterior, f.cranial)
            for m in moves]


def _steady_pedicle(found: Iterable[Pedicle | None], frames: int
                    ) -> tuple[Pedicle | None, int]:
    """Of the pedicles found from the frame and from the frame nudged a quarter of a
    millimetre (``_nudged_frames``): the frame's own unless over two thirds of the others
    put the isthmus more than ``AGREE_MM`` from it, then the one nearest all the others;
    none unless most found one. Each section's bone is a threshold on a grid the frame
    places, and a tenth of a millimetre opens or closes a cortical ring or joins a rib
    head: from the seed moved 0.05 mm the isthmuses spread by 1.36 mm (median over our
    levels' pedicles, 15.8 mm at most) and from clicks anywhere in the body by 2.55 mm;
    with this 1.13 mm and 1.95 mm (benchmarks/pedicle_stability.py, model_stability.py),
    the suggested needles meeting the bar 32 of 40 (was 31) and 242 of 320 (was 239).
    The window the pedicles are sought in is the frame's, not nudged: where it is wrong
    (TPTBox L3 from one click) every nudge is wrong alike.

    ``found`` is consumed lazily: once the frame's own pedicle is sure to be kept (enough
    agree and most found one, whatever the rest find) the rest are not sought. Returns the
    pedicle and how many of the frames looked at found one (all of them when none is
    kept)."""
    it = iter(found)
    base = next(it)
    got = [] if base is None else [base]
    agree = 0
    for p in it:
        if p is None:
            continue
        got.append(p)
        agree += base is not None and np.linalg.norm(base.isthmus - p.isthmus) <= AGREE_MM
        if base is not None and 3 * agree >= frames - 1 and 2 * len(got) > frames:
            return base, len(got)
    if 2 * len(got) <= frames:
        return None, len(got)
    if base is not None and 3 * agree >= len(got) - 1:
        return base, len(got)
    cost = [sum(np.linalg.norm(p.isthmus - q.isthmus) for q in got) for p in got]
    return got[int(np.argmin(cost))], len(got)


def steady_pedicles(volume: Volume, f: Frame, outlines: list[Outline],
                    window: tuple[float, float, float, float], height: float,
                    missing: dict[str, str]) -> dict[str, Pedicle]:
    """The pedicles found in ``window`` (``model.pedicle_window``); why not, in
    ``missing``."""
    wall, half_w, depth, middle = window
    body_w = float(np.median([np.ptp(f.to_local(o.points)[:, 0]) for o in outlines]))
    pedicles = {}
    frames = _nudged_frames(f)
    for side in ("left", "right"):
        ped, seen = _steady_pedicle((find_pedicle(volume, g, side, wall, half_w, depth,
                                                  middle, height,
                                                  PEDICLE_MAX_WIDTH_FRACTION * body_w)
                                     for g in frames), len(frames))
        if ped is None:
            missing[f"{side}_pedicle"] = (
                f"no bony bridge from the body to the arch found on the {side}" if not seen
                else f"the {side} pedicle was not found steadily (from {seen} of "
                f"{len(frames)} model positions {NUDGE_MM} mm apart): its bone lies at the "
                "detection threshold, so it is not trusted")
        elif ped.width_mm > PEDICLE_MAX_WIDTH_FRACTION * body_w:
            missing[f"{side}_pedicle"] = (
                f"the bony bridge found on the {side} is {ped.width_mm:.0f} mm wide, "
                f"more than {PEDICLE_MAX_WIDTH_FRACTION:.0%} of the body's "
                f"{body_w:.0f} mm: not a pedicle (a rib head or an articular process)")
        else:
            pedicles[side] = with_sections(volume, f, ped)
    return pedicles
