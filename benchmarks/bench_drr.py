"""Simulated fluoroscopy speed on a 512x512x400 CT.

Prints medians for what the workstation renders: a 256x256 preview from the 4x
block-averaged volume while the C-arm turns (target < 30 ms) and the settled 512x512 image
from the 2x volume (target < 150 ms); beside them the 2x preview and the full-volume image
for reference, one pass over the volume's bytes (the floor) and the map_coordinates
renderer, all in the same run.
Usage: python benchmarks/bench_drr.py
"""

from __future__ import annotations

import numpy as np

from timing import median_ms  # benchmarks/timing.py (run as a script)

from planner.core.carm import CArm
from planner.core.drr import attenuation, render
from planner.core.volume import Volume


def main() -> None:
    rng = np.random.default_rng(0)
    k, j, i = np.indices((400, 128, 128), dtype=np.float32)
    small = 40 * rng.standard_normal((400, 128, 128)).astype(np.float32)
    small += np.where((i - 64) ** 2 + (j - 64) ** 2 < 55 ** 2, 40.0, -1000.0)
    small += np.where((i - 64) ** 2 + (j - 80) ** 2 < 12 ** 2, 500.0, 0.0)   # a "spine"
    arr = np.repeat(np.repeat(small, 4, axis=1), 4, axis=2).astype(np.int16)  # 512x512x400
    vol = Volume(arr, np.diag([0.7, 0.7, 1.0, 1.0]))
    floor = median_ms(lambda: arr.sum(dtype=np.int64), 5)
    full = attenuation(vol)
    half = attenuation(vol, downsample=2)
    quarter = attenuation(vol, downsample=4)
    carm = CArm(primary_deg=180, isocentre=vol.center(), pixels=512)
    render(half, carm.with_(pixels=256))          # compile / load the kernel
    angles = iter(np.linspace(150, 210, 1000))
    drag = median_ms(lambda: render(half, carm.with_(pixels=256,
                                                     primary_deg=next(angles))), 15)
    render(quarter, carm.with_(pixels=256))
    drag4 = median_ms(lambda: render(quarter, carm.with_(pixels=256,
                                                         primary_deg=next(angles))), 15)
    settled = median_ms(lambda: render(full, carm), 5)
    settled2 = median_ms(lambda: render(half, carm), 5)
    scipy = median_ms(lambda: render(half, carm.with_(pixels=256), use_numba=False), 2)
    print(f"CT 512x512x400; one pass over its bytes: {floor:.1f} ms")
    print(f"preview while the C-arm turns, 256x256 from the 4x volume: median {drag4:.1f} ms "
          f"(target < 30); from the 2x volume: {drag:.1f} ms")
    print(f"settled image, 512x512 from the 2x volume: median {settled2:.1f} ms "
          f"(target < 150); from the full volume: {settled:.1f} ms")
    print(f"map_coordinates renderer, 256x256 from the 2x volume: median {scipy:.0f} ms; "
          f"ratio ours/map_coordinates {drag / scipy:.3f}")


if __name__ == "__main__":
    main()
