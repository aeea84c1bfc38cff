"""Where a suggested needle enters: the posterior bony surface on its line, found from the
outside in, also where the bone is osteoporotic (fainter than bone's usual density)."""

import numpy as np
import pytest
from scipy import ndimage

from planner.core.plan import posterior_surface
from planner.core.volume import Volume

START = np.array([0.0, 0.0, 0.0])       # inside the pedicle
BACK = np.array([0.0, 1.0, 0.0])        # LPS: posterior is +y


def _layers(layers: list[tuple[float, float]]) -> Volume:
    """Slabs across y (1 mm voxels, y = j - 10): (HU, where the slab ends behind the
    start, mm), from the pedicle outward; soft tissue (40 HU) beyond the last."""
    arr = np.full((8, 80, 8), 40.0, np.float32)
    y = np.arange(80) - 10.0
    lo = -np.inf
    for hu, end in layers:
        arr[:, (y >= lo) & (y < end), :] = hu
        lo = end
    aff = np.eye(4)
    aff[:3, 3] = [-4.0, -10.0, -4.0]
    return Volume(arr.astype(np.int16), aff)


def test_osteoporotic_lamina_behind_the_pedicle_is_the_surface():
    """Dense pedicle to 5 mm, marrow (80 HU) to 9 mm, a faint lamina (125 HU, never 150)
    to 17 mm: the entry is on the lamina's outer face, not 12 mm inside the bone at the
    first 150 HU (abdomen L1, 3 mm slices: the mask's surface 10 mm behind it)."""
    vol = _layers([(250.0, 5.0), (80.0, 9.0), (125.0, 17.0)])
    entry = posterior_surface(vol, START, BACK)
    assert entry[1] == pytest.approx(16.5, abs=1.0)


def test_dense_bone_keeps_its_surface_over_a_thin_faint_rim():
    """A 2 mm rim of 120 HU round dense cortex is its blur on a thick slice: the surface
    stays at the dense bone."""
    vol = _layers([(400.0, 6.0), (120.0, 8.0)])
    entry = posterior_surface(vol, START, BACK)
    assert entry[1] == pytest.approx(5.5, abs=1.0)


def test_faint_bone_beyond_soft_tissue_is_not_joined():
    """Faint bone (120 HU) behind 3 mm of muscle is another bone (a neighbour's process):
    the entry stays on the dense bone before the muscle."""
    vol = _layers([(250.0, 5.0), (40.0, 8.0), (120.0, 16.0)])
    entry = posterior_surface(vol, START, BACK)
    assert entry[1] == pytest.approx(4.5, abs=1.0)


def test_no_bone_on_the_line():
    assert posterior_surface(_layers([(40.0, 50.0)]), START, BACK) is None


def _blurred(layers: list[tuple[float, float]], behind_hu: float, sigma_mm: float) -> Volume:
    """``_layers`` with ``behind_hu`` beyond the last slab, blurred along y by a Gaussian of
    ``sigma_mm`` (1 mm voxels): a thick slice's blur across the bone's surface."""
    vol = _layers(layers)
    arr = vol.array.astype(np.float32)
    y = np.arange(arr.shape[1]) - 10.0
    arr[:, y >= layers[-1][1], :] = behind_hu
    arr = ndimage.gaussian_filter1d(arr, sigma_mm, axis=1)
    return Volume(np.rint(arr).astype(np.int16), vol.affine)


@pytest.mark.parametrize("behind_hu, lowest", [(40.0, 11.0), (-80.0, 10.0)])
def test_faint_cortex_surface_at_half_maximum(behind_hu, lowest):
    """Faint bone (180 HU, osteoporotic on thick slices) to 12 mm, blurred over 2 mm: it
    reaches 150 HU 1.7 mm inside its face; the surface is where it has fallen half way to
    the soft tissue behind, not the first 150 HU (abdomen L1's lamina at 165 HU: the mask's
    surface 3.5 mm further out, the entry buried in the bone). Fat behind counts as 0 HU:
    its own half maximum lies in the blur (chest T12: at 65 HU, soft tissue by the mask),
    so the entry stays up to 2 mm inside the bone there."""
    vol = _blurred([(180.0, 12.0)], behind_hu, 2.0)
    entry = posterior_surface(vol, START, BACK)
    assert lowest <= entry[1] <= 12.5


def test_dense_cortex_surface_stays_at_the_threshold():
    """Dense bone (600 HU) reaches 150 HU outside its half maximum: the surface stays
    there (the needle docks on bone, not in the blur in front of it)."""
    vol = _blurred([(600.0, 12.0)], 40.0, 2.0)
    entry = posterior_surface(vol, START, BACK)
    assert 12.0 <= entry[1] <= 14.0
