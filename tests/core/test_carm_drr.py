"""C-arm geometry against its conventions and analytic projections; DRR line integrals
against an analytic sphere."""

import numpy as np
import pytest

from planner.core.carm import CArm
from planner.core.drr import attenuation, render, to_display
from planner.core.volume import Volume


def test_angle_conventions():
    c = CArm(primary_deg=0, secondary_deg=0)
    assert np.allclose(c.detector_direction, [0, -1, 0])            # anterior
    assert np.allclose(CArm(primary_deg=90).detector_direction, [1, 0, 0])   # LAO: left
    assert np.allclose(CArm(primary_deg=-90).detector_direction, [-1, 0, 0])  # RAO: right
    assert np.allclose(CArm(primary_deg=180).detector_direction, [0, 1, 0])  # prone PA
    cran = CArm(primary_deg=0, secondary_deg=30).detector_direction
    assert cran[2] == pytest.approx(0.5) and cran[1] < 0                      # cranial


def test_prone_pa_shows_the_patients_left_on_the_viewers_left():
    c = CArm(primary_deg=180, isocentre=np.zeros(3))
    left, right = c.project(np.array([[30.0, 0, 0], [-30.0, 0, 0]]))
    assert left[0] < right[0]                         # column: patient's left drawn left
    head, feet = c.project(np.array([[0, 0, 30.0], [0, 0, -30.0]]))
    assert head[1] < feet[1]                          # row 0 at the top: head up


@pytest.mark.parametrize("primary,secondary", [(180, 0), (155, -12), (90, 20), (-30, 5)])
def test_projection_is_analytic_and_invertible(primary, secondary):
    iso = np.array([5.0, 20.0, -40.0])
    c = CArm(primary_deg=primary, secondary_deg=secondary, isocentre=iso, pixels=512)
    centre = (c.pixels - 1) / 2
    assert np.allclose(c.project(iso), [centre, centre], atol=1e-9)
    right, up = c.image_axes
    # a point in the isocentre plane, 10 mm right and 6 mm up: magnified by SID/SOD
    col, row = c.project(iso + 10 * right + 6 * up)
    assert col == pytest.approx(centre + 10 * c.magnification / c.pixel_mm, abs=1e-6)
    assert row == pytest.approx(centre - 6 * c.magnification / c.pixel_mm, abs=1e-6)
    # back-projection: the ray through a point's pixel passes through the point
    p = iso + np.array([12.0, -7.0, 9.0])
    origin, d = c.ray(*c.project(p))
    off = (p - origin) - ((p - origin) @ d) * d
    assert np.linalg.norm(off) < 1e-6


@pytest.fixture(scope="module")
def sphere():
    """A water-equivalent +1000 HU ball (mu 0.04/mm), radius 20 mm, in air."""
    n, sp, r = 100, 0.5, 20.0
    aff = np.diag([sp, sp, sp, 1.0])
    aff[:3, 3] = -(n - 1) * sp / 2
    k, j, i = np.indices((n, n, n))
    vol = Volume(np.full((n, n, n), -1000, np.int16), aff)
    world = vol.index_to_world(np.stack([i, j, k], -1))
    vol.array[np.linalg.norm(world, axis=-1) <= r] = 1000
    return vol, r, 0.04


@pytest.mark.parametrize("use_numba", [True, False])
def test_sphere_line_integrals_within_one_percent(sphere, use_numba):
    vol, r, mu = sphere
    att = attenuation(vol)
    c = CArm(primary_deg=180, isocentre=np.zeros(3), pixels=64, detector_mm=120)
    img = render(att, c, use_numba=use_numba)
    checked = 0
    for col, row in ((32, 32), (32, 22), (42, 32), (38, 39), (25, 27)):
        # chord of the ray through this pixel centre
        origin, d = c.ray(col, row)
        b = np.linalg.norm(origin - (origin @ d) * d)     # distance of the ray from 0
        assert b < 0.75 * r                 # away from the voxelised rim's staircase
        expected = 2 * np.sqrt(r * r - b * b) * mu
        assert img[row, col] == pytest.approx(expected, rel=0.01), (col, row)
        checked += 1
    assert checked == 5
    assert img[0, 0] == pytest.approx(0.0, abs=1e-6)        # a ray through air only


def test_numba_and_scipy_agree_and_display_makes_bone_dark(sphere):
    vol, _, _ = sphere
    att = attenuation(vol, downsample=2)
    c = CArm(primary_deg=90, secondary_deg=10, isocentre=np.zeros(3), pixels=48,
             detector_mm=120)
    a, b = render(att, c, use_numba=True), render(att, c, use_numba=False)
    assert np.allclose(a, b, rtol=0.02, atol=2e-3)     # Joseph vs trilinear sampling
    img = to_display(a)
    assert img[24, 24] < 60 and img[2, 2] > 200        # the ball dark, the air bright
    assert to_display(a, invert=True)[24, 24] > 200
