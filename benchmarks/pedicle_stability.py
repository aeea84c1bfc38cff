"""How far the pedicles move when the click moves by a twentieth of a millimetre.

No user can click that precisely, so the model must not care; the body's frame does not
(its centre moves by hundredths of a millimetre), but the pedicles' isthmuses do: each
section's bone flips with a tenth of a millimetre of the frame (a cortical ring closes
or opens, a rib head joins the pedicle through a joint at the bone threshold or not).
For each level with a mask it builds the model from the mask's seed, the seed rounded
to 0.01 mm (as a command line takes it) and the seed moved 0.05 mm along each axis and
back along the first, and prints per side the largest distance of an isthmus from the
clicks' median, the widths found, and how many suggested needles meet the bar
(tests/core/anatomy/mask_bar.py). At the end: the median and largest spread and the
needles meeting the bar.

Against the mask, per side: the pedicle's isthmus as the mask has it (in the first
model's frame, behind its posterior wall and beside its canal, the narrowest section of
the vertebra's mask beside the canal), and how far each click's pedicle axis passes from
its centre there, across the pedicle (in mm and as a share of the mask's width) and
along it (cranially). The axis is what the suggested needle follows: a needle through a
pedicle 6 mm wide has 1-2 mm to spare on either side.
Usage: python benchmarks/pedicle_stability.py [name-prefix ...]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model_accuracy import levels  # noqa: E402
from model_stability import spread  # noqa: E402

from planner.core.anatomy.model import ModelError, build_model, pedicle_window  # noqa: E402
from planner.core.plan import suggest_plan  # noqa: E402
from tests.core.anatomy.mask_bar import bar_failures  # noqa: E402

MOVES_MM = ([0.05, 0, 0], [0, 0.05, 0], [0, 0, 0.05], [-0.05, 0, 0])
GRID_MM = 0.5


def mask_isthmus(mask, model, side: str) -> tuple[np.ndarray, float] | None:
    """(centre, width) of the narrowest section of ``mask`` beside the canal, in planes
    normal to the model's anterior axis from its posterior wall to 3 mm behind the
    canal's middle: of each plane's mask components, the one at (or nearest, within
    6 mm) 4 mm beyond the canal's half width and 0.15 of the body's height up, where
    ``find_pedicle`` expects a pedicle. None where no plane has one."""
    f, height = model.frame, model.height_mm
    wall, half_w, _, middle = pedicle_window(f, model.outlines, model.canal, height)
    s = 1.0 if side == "left" else -1.0
    u = np.arange(max(0.0, half_w - 6.0), half_w + 26.0, GRID_MM)
    w = np.arange(-0.7 * height, 0.8 * height, GRID_MM)
    uu, ww = np.meshgrid(u, w, indexing="ij")
    iu0, iw0 = np.searchsorted(u, half_w + 4.0), np.searchsorted(w, 0.15 * height)
    best = None
    for d in np.arange(0.5, middle + 3.0, GRID_MM):
        o = f.origin - f.anterior * (wall + d)
        pts = o + s * uu[..., None] * f.left + ww[..., None] * f.cranial
        lab, n = ndimage.label(mask.contains(pts.reshape(-1, 3)).reshape(uu.shape))
        if n == 0:
            continue
        iu, iw = iu0, iw0
        if lab[iu, iw] == 0:
            dist, idx = ndimage.distance_transform_edt(lab == 0, return_indices=True)
            if dist[iu, iw] * GRID_MM > 6.0:
                continue
            iu, iw = idx[0][iu, iw], idx[1][iu, iw]
        comp = lab == lab[iu, iw]
        width = float(np.ptp(uu[comp]) + GRID_MM)
        if best is None or width < best[1]:
            best = (o + s * uu[comp].mean() * f.left + ww[comp].mean() * f.cranial, width)
    return best


def axis_offset(model, ped, centre: np.ndarray) -> tuple[float, float]:
    """Where the pedicle's axis crosses the plane through ``centre`` normal to the model's
    anterior axis: (across, cranially) from ``centre``, mm."""
    f = model.frame
    t = ((centre - ped.isthmus) @ f.anterior) / (ped.axis @ f.anterior)
    d = ped.isthmus + t * ped.axis - centre
    return abs(float(d @ f.left)), abs(float(d @ f.cranial))


def main(prefixes: list[str]) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)
    spreads, met, needles, across, share, cranial = [], 0, 0, [], [], []
    for name, volume, mask, seed, _ in levels(prefixes):
        clicks = [seed, np.round(seed, 2)] + [seed + np.array(m) for m in MOVES_MM]
        isthmus = {"left": [], "right": []}
        widths = {"left": [], "right": []}
        level_met = level_needles = 0
        truth: dict = {}
        offsets: dict = {"left": [], "right": []}
        for click in clicks:
            try:
                model = build_model(volume, click)
            except ModelError:
                level_needles += 2
                continue
            if not truth and model.canal:
                truth = {side: mask_isthmus(mask, model, side) for side in offsets}
            for side, ped in model.pedicles.items():
                isthmus[side].append(ped.isthmus)
                widths[side].append(ped.width_mm)
                if truth.get(side) is not None:
                    offsets[side].append(axis_offset(model, ped, truth[side][0]))
            level_needles += 2
            for t in suggest_plan(volume, model).trajectories:
                level_met += not bar_failures(volume, mask, model, t)
        parts = []
        for side in ("left", "right"):
            if not isthmus[side]:
                parts.append(f"{side} none")
                continue
            s = spread(isthmus[side])
            spreads.append(s)
            parts.append(f"{side} {s:4.1f} mm (width {min(widths[side]):4.1f}-"
                         f"{max(widths[side]):4.1f}, {len(isthmus[side])}/{len(clicks)})")
            if offsets[side]:
                off = np.array(offsets[side])
                across += list(off[:, 0])
                cranial += list(off[:, 1])
                share += list(off[:, 0] / truth[side][1])
                parts[-1] += (f" axis off the mask's isthmus ({truth[side][1]:4.1f} mm) "
                              f"across <= {off[:, 0].max():3.1f}, cranially <= "
                              f"{off[:, 1].max():3.1f}")
        met += level_met
        needles += level_needles
        print(f"{name:12s} isthmus spread: {' | '.join(parts)} | bar {level_met}/"
              f"{level_needles}", flush=True)
    if spreads:
        print(f"isthmus spread over the pedicles: median {np.median(spreads):.2f} mm, "
              f"largest {max(spreads):.1f} mm; bar met by {met} of {needles} needles")
    if across:
        share = np.array(share)
        print(f"axis off the mask's isthmus across the pedicle: median {np.median(across):.2f}"
              f" mm, over a quarter of its width {np.sum(share > 0.25)} and over 40% "
              f"{np.sum(share > 0.4)} of {len(share)}; cranially: median "
              f"{np.median(cranial):.2f} mm")


if __name__ == "__main__":
    main(sys.argv[1:])
