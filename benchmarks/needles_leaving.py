"""How the checks judge needles that leave the vertebra, on every real level with a mask.

The suggested needles are few and mostly stay in the bone; a user dragging makes many
more. Around each level's suggested needles it draws needles whose entry and tip are
moved at random (3 mm standard deviation, the same needles every run), keeps those that
enter the vertebra's mask and then leave it for 3 mm or more along the axis
(tests/core/anatomy/mask_bar.py, ``outside_run_mm``), and prints how they were judged.
No such needle may be judged pass. Those judged warn are listed with how deep outside
the mask the axis went: a needle grazing the bone's surface tangentially runs outside
for millimetres while its axis stays within a voxel of the surface (a breach of the
needle's radius plus that, Gertzbein-Robbins grade B, which the checks call warn); one
whose axis goes ``DEEP_MM`` or more outside breaches by at least 3 mm with an 11G
needle and should be judged fail.
Usage: python benchmarks/needles_leaving.py [name-prefix ...]
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model_accuracy import levels  # noqa: E402

from planner.core.anatomy.model import ModelError, build_model  # noqa: E402
from planner.core.checks.judge import judge  # noqa: E402
from planner.core.plan import suggest_plan  # noqa: E402
from planner.core.trajectory import Trajectory  # noqa: E402
from tests.core.anatomy.mask_bar import (DEEP_MM, LEAVING_MM, deepest_outside_mm,  # noqa: E402
                                         outside_run_mm)

NEEDLES_PER_SIDE = 40
MOVE_SD_MM = 3.0


def main(prefixes: list[str]) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)
    rng = np.random.default_rng(1)
    total, deep_total = Counter(), Counter()
    for name, volume, mask, seed, _ in levels(prefixes):
        try:
            model = build_model(volume, seed)
        except ModelError as exc:
            print(f"{name:12s} no model: {exc}")
            continue
        found, deep, listed = Counter(), Counter(), []
        for base in suggest_plan(volume, model).trajectories:
            for _ in range(NEEDLES_PER_SIDE):
                traj = Trajectory(base.side, base.entry + rng.normal(0, MOVE_SD_MM, 3),
                                  base.target + rng.normal(0, MOVE_SD_MM, 3), base.gauge)
                run = outside_run_mm(mask, traj)
                if run < LEAVING_MM:
                    continue
                outside = deepest_outside_mm(mask, traj)
                verdict = judge(volume, model, traj)["verdict"]
                found[verdict] += 1
                if outside >= DEEP_MM:
                    deep[verdict] += 1
                if verdict != "fail":
                    listed.append(f"{'':12s} {base.side} needle {run:4.1f} mm outside, "
                                  f"its axis {outside:3.1f} mm deep: {verdict} | entry "
                                  f"{np.round(traj.entry, 2).tolist()} tip "
                                  f"{np.round(traj.target, 2).tolist()}")
        total.update(found)
        deep_total.update(deep)
        print(f"{name:12s} leaving: {dict(found)} | axis {DEEP_MM} mm or more outside: "
              f"{dict(deep)}", flush=True)
        for line in listed:
            print(line)
    print(f"needles leaving the vertebra for {LEAVING_MM} mm or more: {dict(total)}; of "
          f"them with the axis {DEEP_MM} mm or more outside: {dict(deep_total)}")


if __name__ == "__main__":
    main(sys.argv[1:])
