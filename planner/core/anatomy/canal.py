"""The spinal canal: cross-sections behind the vertebral body, walls at half maximum."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from planner.core.anatomy.frame import Frame
from planner.core.anatomy.profiles import (StarOutline, circular_median_fill, sample_rays,
                                           smooth, wall_from_inside)
from planner.core.volume import Volume

STEP = 0.25
N_RAYS = 72
MAX_RADIUS_MM = 22.0
CANAL_MIN_RISE_HU = 80.0
# a wall's peak: the canal's contents (fat, CSF, cord) stay below. The thin posterior
# cortex of an osteoporotic thoracic body peaks at 150-160 HU on 1.5 mm slices and
# smooths to under 150: at 150 the walls were missed and the canal ran 4-5 mm into the
# body and pedicles (a needle inside the vertebra judged in the canal)
WALL_MIN_PEAK_HU = 120.0
ENCLOSURE_TIE = 0.08         # enclosure fractions this close count as equally enclosed


@dataclass
class CanalSection(StarOutline):
    """The canal's outline in one plane, walls at half maximum."""

    walled: np.ndarray       # rays that met a bony wall (others: foramen, interlaminar gap)
    value_hu: float
    # the centroid measured in this section's own plane (None: carried over from a
    # neighbour); kept when the outline is replaced by a closed neighbour's
    own_centroid: np.ndarray | None = None


DARK_HU = 60.0               # the canal's contents (fat, CSF, cord) on a 1 mm smoothed profile
DARK_BELOW_CORE_HU = 60.0
# the cord and CSF read up to about 50 HU (blurred near the walls): where the core is
# itself dark (osteoporotic bone) "60 below the core" asked for fat and no run was found
# (chest T10, core 83 HU; T9, core 105 HU, a canal 9-11 mm deep along these rays)
DARK_FLOOR_HU = 50.0
DARK_RUN_MM = 8.0
DARK_FROM_MM = 5.0           # the run is sought this far behind the point, out of the core


def dark_run_depth(volume: Volume, frame: Frame, point: np.ndarray, max_mm: float,
                   core_hu: float) -> float | None:
    """How far behind ``point`` (inside the body) the first run of canal-dark tissue
    starts: the median over rays straight back at the midline and 3 mm either side.

    Where the posterior wall is no brighter than the core (3 mm slices, the
    basivertebral foramen) the body's outline runs on through the canal to the lamina,
    and the canal would be sought in the fat behind the laminae."""
    radii = np.arange(0.0, max_mm, STEP)
    origins = np.array([point + frame.left * lat for lat in (-3.0, 0.0, 3.0)])
    dirs = np.broadcast_to(-frame.anterior, origins.shape)
    prof = smooth(sample_rays(volume, origins, dirs, radii), 1.0 / STEP)
    run = int(DARK_RUN_MM / STEP)
    below = min(DARK_HU, max(core_hu - DARK_BELOW_CORE_HU, DARK_FLOOR_HU))
    starts = []
    for p in prof:
        dark = np.nan_to_num(p, nan=np.inf) < below
        dark[radii < DARK_FROM_MM] = False
        # first index that opens a run of ``run`` dark samples
        count = np.convolve(dark.astype(int), np.ones(run, int), "valid")
        k = np.nonzero(count == run)[0]
        if len(k):
            starts.append(radii[k[0]])
    return float(np.median(starts)) if len(starts) >= 2 else None


def find_canal_seed(volume: Volume, frame: Frame, posterior_wall: np.ndarray
                    ) -> np.ndarray | None:
    """The point behind the posterior wall, near the midline, that bone surrounds most
    completely (at pedicle level the canal is a closed bony ring; the fat behind the
    laminae is darker than CSF, so darkness alone would pick the wrong place)."""
    back = -frame.anterior
    dirs, _ = frame.plane_directions(36)
    radii = np.arange(1.0, MAX_RADIUS_MM, 0.5)
    found = []
    for depth in np.arange(3.0, 20.01, 1.0):
        for lat in (-3.0, 0.0, 3.0):
            c = posterior_wall + back * depth + frame.left * lat
            prof = sample_rays(volume, c, dirs, radii)
            head = prof[:, :3]
            if not np.isfinite(head).any():
                continue                     # outside the scan
            centre_hu = np.nanmedian(head)
            if centre_hu > 100.0:
                continue                     # bone or contrast: not the canal's contents
            hit = np.nanmax(np.nan_to_num(prof, nan=-1e3), axis=1) > WALL_MIN_PEAK_HU + 50
            found.append((hit.mean() - 1e-3 * centre_hu, depth, abs(lat), c))
    if not found:
        return None
    # the fat behind the laminae can be as enclosed (by the laminae, the spinous and
    # transverse processes, the ribs) and is darker than CSF: of the nearly best enclosed
    # places, the canal is the one right behind the body
    top = max(f[0] for f in found)
    return min((f for f in found if f[0] >= top - ENCLOSURE_TIE), key=lambda f: f[1:3])[3]


def canal_section(volume: Volume, frame: Frame, seed: np.ndarray, iterations: int = 3
                  ) -> CanalSection:
    """Canal cross-section in the plane through ``seed`` normal to the cranial axis."""
    dirs, _ = frame.plane_directions(N_RAYS)
    radii = np.arange(0.0, MAX_RADIUS_MM, STEP)
    centre = np.asarray(seed, float)
    sec = None
    for _ in range(iterations):
        raw = sample_rays(volume, centre, dirs, radii)
        prof = smooth(raw, 0.5 / STEP)
        k_in = int(2.5 / STEP)
        with warnings.catch_warnings():   # a core outside the scan: NaN, no walls found
            warnings.simplefilter("ignore", RuntimeWarning)
            value = float(np.nanmedian(prof[:, :k_in]))
        edge = wall_from_inside(prof, radii, max(value, 20.0), CANAL_MIN_RISE_HU,
                                start=1.0, outer=False, window_mm=3.0,
                                min_peak=WALL_MIN_PEAK_HU)
        r, _ = circular_median_fill(edge.position, edge.found, width=3, max_jump=5.0)
        sec = CanalSection(centre, dirs, r, edge.found, value)
        sec.own_centroid = sec.centroid
        new_centre = sec.centroid
        if np.linalg.norm(new_centre - centre) < 0.2:
            break
        centre = new_centre
    return sec
