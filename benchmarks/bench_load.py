"""Series loading speed: ours against SimpleITK's ImageSeriesReader on the same files.

Writes a 512x512xN uncompressed CT series to a temporary folder, then prints the median
of several loads for each reader and the ratio (ours / SimpleITK; lower is better).
Usage: python benchmarks/bench_load.py [--slices 400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from planner.core.volume import Volume
from planner.io.dicom_write import write_ct_series
from planner.io.loader import load_volume


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slices", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import SimpleITK as sitk

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ct"
        rng = np.random.default_rng(0)
        arr = rng.integers(-1000, 1500, (args.slices, 512, 512), dtype=np.int16)
        aff = np.diag([0.7, 0.7, 1.0, 1.0])
        t0 = time.perf_counter()
        write_ct_series(Volume(arr, aff), folder, uid_seed="bench")
        print(f"wrote {args.slices} slices of 512x512 in {time.perf_counter() - t0:.1f} s")

        def ours():
            return load_volume(folder)

        def simpleitk():
            reader = sitk.ImageSeriesReader()
            reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
            reader.SetOutputPixelType(sitk.sitkInt16)
            return reader.Execute()

        ours()          # warm the page cache for both
        t_sitk, img = _median_time(simpleitk, args.repeat)
        t_ours, vol = _median_time(ours, args.repeat)
        assert np.array_equal(sitk.GetArrayViewFromImage(img), vol.array), "readers disagree"
        print(f"SimpleITK ImageSeriesReader (int16): median {t_sitk:.3f} s")
        print(f"pedicle-planner load_volume:        median {t_ours:.3f} s")
        print(f"ratio ours/SimpleITK: {t_ours / t_sitk:.2f}  (target <= 0.33, must be < 1)")


if __name__ == "__main__":
    main()
