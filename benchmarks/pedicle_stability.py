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
Usage: python benchmarks/pedicle_stability.py [name-prefix ...]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model_accuracy import levels  # noqa: E402
from model_stability import spread  # noqa: E402

from planner.core.anatomy.model import ModelError, build_model  # noqa: E402
from planner.core.plan import suggest_plan  # noqa: E402
from tests.core.anatomy.mask_bar import bar_failures  # noqa: E402

MOVES_MM = ([0.05, 0, 0], [0, 0.05, 0], [0, 0, 0.05], [-0.05, 0, 0])


def main(prefixes: list[str]) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)
    spreads, met, needles = [], 0, 0
    for name, volume, mask, seed, _ in levels(prefixes):
        clicks = [seed, np.round(seed, 2)] + [seed + np.array(m) for m in MOVES_MM]
        isthmus = {"left": [], "right": []}
        widths = {"left": [], "right": []}
        level_met = level_needles = 0
        for click in clicks:
            try:
                model = build_model(volume, click)
            except ModelError:
                level_needles += 2
                continue
            for side, ped in model.pedicles.items():
                isthmus[side].append(ped.isthmus)
                widths[side].append(ped.width_mm)
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
        met += level_met
        needles += level_needles
        print(f"{name:12s} isthmus spread: {' | '.join(parts)} | bar {level_met}/"
              f"{level_needles}", flush=True)
    if spreads:
        print(f"isthmus spread over the pedicles: median {np.median(spreads):.2f} mm, "
              f"largest {max(spreads):.1f} mm; bar met by {met} of {needles} needles")


if __name__ == "__main__":
    main(sys.argv[1:])
