"""The suggested bipedicular plan against the bar, on every real level with a mask.

The bar (tests/core/anatomy/mask_bar.py) is judged against the vertebra's independent
mask: entry on the bone's posterior surface, the needle in the vertebra from entry to tip,
the tip 7-13 mm behind the anterior surface, at least 1 mm from the canal the mask
encloses (not the model's: on thick slices it lies up to 3 mm into the pedicles). For
each level it prints each needle's verdict and what keeps it from the bar, and at the end
how many levels meet it with both needles. The tests hold only the levels that meet it.
Usage: python benchmarks/plan_bar.py [name-prefix ...]
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))
from model_accuracy import levels  # noqa: E402

from planner.core.anatomy.model import ModelError, build_model  # noqa: E402
from planner.core.checks.judge import judge  # noqa: E402
from planner.core.plan import suggest_plan  # noqa: E402
from tests.core.anatomy.mask_bar import bar_failures  # noqa: E402


def main(prefixes: list[str]) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)
    met, count, needles_met, needles = 0, 0, 0, 0
    for name, volume, mask, seed, _ in levels(prefixes):
        count += 1
        t0 = time.perf_counter()
        try:
            model = build_model(volume, seed)
        except ModelError as exc:
            print(f"{name:12s} no model: {exc}")
            needles += 2
            continue
        plan = suggest_plan(volume, model)
        took = time.perf_counter() - t0
        parts = []
        good = 0
        for side in ("left", "right"):
            traj = next((t for t in plan.trajectories if t.side == side), None)
            if traj is None:
                parts.append(f"{side}: none ({model.missing.get(f'{side}_pedicle')})")
                continue
            why = bar_failures(volume, mask, model, traj)
            verdict = judge(volume, model, traj)["verdict"]
            good += not why
            parts.append(f"{side}: {verdict}, " + ("meets the bar" if not why else
                                                   "; ".join(why)))
        needles += 2
        needles_met += good
        met += good == 2
        print(f"{name:12s} {took:4.1f} s | " + " | ".join(parts))
    print(f"both needles meet the bar on {met} of {count} levels; "
          f"{needles_met} of {needles} needles")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main(sys.argv[1:])
