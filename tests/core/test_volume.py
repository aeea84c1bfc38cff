import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.core.volume import Volume, affine_from_dicom
from tests.conftest import oblique_affine, permuted_affine


@pytest.mark.parametrize("affine", [np.diag([0.7, 0.8, 2.0, 1.0]), oblique_affine(),
                                    permuted_affine()])
def test_world_index_round_trip(affine):
    vol = Volume(np.zeros((5, 6, 7), np.int16), affine)
    ijk = np.array([[0, 0, 0], [6, 5, 4], [3.5, 2.25, 1.0]])
    assert np.allclose(vol.world_to_index(vol.index_to_world(ijk)), ijk)
    assert np.allclose(vol.spacing, np.linalg.norm(affine[:3, :3], axis=0))
    assert np.allclose(np.linalg.norm(vol.direction, axis=0), 1.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=3, max_size=3),
       st.floats(0.3, 3.0), st.floats(0.3, 3.0), st.floats(0.5, 5.0))
def test_dicom_affine_places_pixels_as_the_standard_says(pos, dr, dc, dz):
    """DICOM PS3.3 C.7.6.2.1.1: P = S + col_dir_x * dc * i + ... (i = column index)."""
    row = np.array([np.cos(0.3), np.sin(0.3), 0.0])
    col = np.array([-np.sin(0.3) * np.cos(0.2), np.cos(0.3) * np.cos(0.2), np.sin(0.2)])
    normal = np.cross(row, col)
    a = affine_from_dicom([*row, *col], pos, (dr, dc), normal * dz)
    i, j, k = 4, 7, 2
    expected = np.array(pos) + row * dc * i + col * dr * j + normal * dz * k
    assert np.allclose(a @ [i, j, k, 1], [*expected, 1])


def test_sample_and_value_at():
    arr = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    vol = Volume(arr, np.diag([2.0, 3.0, 4.0, 1.0]))
    assert vol.value_at([2.0 * 5, 3.0 * 4, 4.0 * 3]) == arr[3, 4, 5]
    assert vol.value_at([-10, 0, 0]) is None
    # linear interpolation half-way between two columns
    v = vol.sample([[1.0, 0.0, 0.0]])
    assert v[0] == pytest.approx((arr[0, 0, 0] + arr[0, 0, 1]) / 2)
    assert np.isnan(vol.sample([[100.0, 0, 0]])[0])


def test_resample_to_permuted_grid_keeps_world_positions():
    rng = np.random.default_rng(1)
    vol = Volume(rng.integers(-1000, 1000, (6, 7, 8)).astype(np.int16), oblique_affine())
    # same grid, axes reversed: every voxel must keep its value at its LPS position
    flip = vol.affine.copy()
    ni, nj, nk = vol.shape_ijk
    flip[:3, 0] *= -1
    flip[:3, 3] = vol.index_to_world([ni - 1, 0, 0])
    out = vol.resample(flip, vol.shape_ijk, order=0)
    assert np.array_equal(out.array, vol.array[:, :, ::-1])


def test_rejects_bad_affines():
    with pytest.raises(ValueError):
        Volume(np.zeros((2, 2, 2)), np.zeros((4, 4)))
    with pytest.raises(ValueError):
        Volume(np.zeros((2, 2)), np.eye(4))
