"""The canal's walls at half maximum between its contents and the wall's peak, against a
tube of known radius on 1.5 and 3 mm voxels (the blur of a thick slice must not move the
wall into the canal, where a needle judged clear of it would be in it)."""

import numpy as np
import pytest
from scipy import ndimage

from planner.core.anatomy.canal import canal_section
from planner.core.anatomy.frame import Frame
from planner.core.volume import Volume

FINE = 0.5
RADIUS = 7.0
WALLS = {   # (HU, thickness mm) outward from the canal; soft tissue (40 HU) beyond
    "pedicle": [(700.0, 1.5), (250.0, 6.0), (700.0, 1.5)],
    "osteoporotic": [(350.0, 1.5), (100.0, 20.0)],
}


def _tube(voxel_mm: float, layers: list[tuple[float, float]], blur_mm: float = 1.5
          ) -> Volume:
    """A canal (20 HU) of ``RADIUS`` along z inside ``layers``, painted at 0.5 mm, blurred
    like a scanner's point spread and averaged into ``voxel_mm`` voxels (their partial
    volume)."""
    f = int(round(voxel_mm / FINE))
    n = int(round(60.0 / voxel_mm)) * f                     # 60 mm across
    k, j, i = np.indices((4 * f, n, n), dtype=np.float32)
    c = (n - 1) / 2.0
    r = np.hypot((i - c) * FINE, (j - c) * FINE)
    hu = np.full(r.shape, 20.0, np.float32)
    lo = RADIUS
    for value, thickness in layers:
        hu[(r >= lo) & (r < lo + thickness)] = value
        lo += thickness
    hu[r >= lo] = 40.0
    hu = ndimage.gaussian_filter(hu, blur_mm / FINE)
    m = n // f
    hu = hu.reshape(4, f, m, f, m, f).mean(axis=(1, 3, 5))
    aff = np.diag([voxel_mm, voxel_mm, voxel_mm, 1.0])
    aff[:2, 3] = -(m - 1) / 2.0 * voxel_mm                   # the canal's axis at x = y = 0
    return Volume(np.rint(hu).astype(np.int16), aff)


@pytest.mark.parametrize("voxel_mm", [1.5, 3.0])
@pytest.mark.parametrize("wall", list(WALLS))
def test_canal_wall_within_a_quarter_of_a_thick_voxel(wall, voxel_mm):
    """On 3 mm voxels the rise from the canal to its wall spans 4-5 mm. Seeking the foot
    of that rise further back (6 mm) put the wall 1.1-1.5 mm inside this canal: dropped,
    although the 3 mm abdomen's masks put the walls there 2-3 mm into the pedicles."""
    vol = _tube(voxel_mm, WALLS[wall])
    centre = np.array([0.3, -0.4, 1.5 * voxel_mm])
    sec = canal_section(vol, Frame.patient(centre), centre)
    r = np.linalg.norm(sec.points - sec.centroid, axis=1)
    assert np.median(r) == pytest.approx(RADIUS, abs=0.75)
    assert np.percentile(np.abs(r - RADIUS), 90) < 1.0
