"""Whether the model and plan turn on rounding, on every real level with a mask.

A limit that falls exactly on a ray or a grid step (a cone's edge on a ray, a width
limit that is a whole number of grid steps) is decided by the last bit of a sum or a
cosine: the model and plan then differ between processors (numpy's AVX-512 routines
round otherwise than its AVX2 ones) and the real-data tests pass on one machine and
fail on the next. For each level it builds the model and plan from the seed and from
the seed moved a billionth of a millimetre along each axis, and prints how far the
pedicles' isthmuses and the needles' entries and tips moved: anything over 1e-6 mm is
a tie to find (``TIE_MM`` in planner/core/anatomy/pedicle.py shows how they are broken).
Run it once more with ``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL"`` on a processor
with AVX-512 and compare the printed plans.
Usage: python benchmarks/rounding.py [name-prefix ...]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model_accuracy import levels  # noqa: E402

from planner.core.anatomy.model import ModelError, build_model  # noqa: E402
from planner.core.plan import suggest_plan  # noqa: E402

MOVES_MM = (np.array([1e-9, 0.0, 0.0]), np.array([0.0, 1e-9, 0.0]),
            np.array([0.0, 0.0, 1e-9]), np.array([-1e-9, -1e-9, -1e-9]))
TIE_LIMIT_MM = 1e-6


def outcome(volume, point: np.ndarray) -> dict[str, np.ndarray] | str:
    """The isthmuses, entries and tips from a click at ``point``; the error's text when
    no model is built."""
    try:
        model = build_model(volume, point)
    except ModelError as exc:
        return str(exc)
    out = {f"isthmus-{k}": p.isthmus for k, p in model.pedicles.items()}
    for t in suggest_plan(volume, model).trajectories:
        out[f"entry-{t.side}"], out[f"tip-{t.side}"] = t.entry, t.target
    return out


def main(prefixes: list[str]) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)
    turned = 0
    for name, volume, _, seed, _ in levels(prefixes):
        ref = outcome(volume, seed)
        worst, what = 0.0, ""
        for move in MOVES_MM:
            got = outcome(volume, seed + move)
            if isinstance(ref, str) or isinstance(got, str) or ref.keys() != got.keys():
                if got != ref:
                    worst, what = np.inf, "a different model"
                continue
            for key in ref:
                d = float(np.linalg.norm(got[key] - ref[key]))
                if d > worst:
                    worst, what = d, key
        turned += worst > TIE_LIMIT_MM
        plan = "no model" if isinstance(ref, str) else " ".join(
            f"{k} {np.round(v, 2).tolist()}" for k, v in ref.items() if not k.startswith("isthmus"))
        print(f"{name:12s} moved by rounding: {worst:.1e} mm {what:14s} | {plan}")
    print(f"levels whose model or plan turns on rounding: {turned}")


if __name__ == "__main__":
    main(sys.argv[1:])
