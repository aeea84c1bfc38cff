"""Pedicle cross-sections (planner.core.anatomy.pedicle) on a synthetic volume."""

import numpy as np

from planner.core.anatomy.frame import Frame
from planner.core.anatomy.pedicle import _grid, _isthmus_depth, _section_centre
from planner.core.volume import Volume

VOXEL = 0.5


def _bar_and_speck() -> Volume:
    """A solid bony bar along y (a pedicle without a marrow ring: 6 mm wide, 10 mm tall,
    centred at x = 10 mm) and, 4 mm medial to its edge, a 1.5 mm speck of bone (a trabecula,
    noise), in soft tissue."""
    n = 64
    c = (np.arange(n) - n / 2) * VOXEL
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    arr = np.zeros((n, n, n), np.int16)
    arr[((x - 10.0) / 3.0) ** 2 + (z / 5.0) ** 2 <= 1.0] = 400
    arr[(np.abs(x - 3.0) <= 0.75) & (np.abs(z) <= 0.75)] = 400
    aff = np.diag([VOXEL, VOXEL, VOXEL, 1.0])
    aff[:3, 3] = -n / 2 * VOXEL
    return Volume(arr, aff)


def test_a_speck_of_bone_nearer_the_expected_place_is_not_the_section():
    """TPTBox L3 left (noisy osteoporotic bone): two sections' "bone" was a speck 1.5 mm
    wide nearest the expected place; as the narrowest sections they made the isthmus,
    and the outline there took in 24 mm of the arch. Specks under 6 mm^2 are no section."""
    vol = _bar_and_speck()
    frame = Frame.patient(np.zeros(3))
    found = _section_centre(vol, frame, np.zeros(3), 1.0, (2.0, 20.0), (-8.0, 8.0),
                            (3.5, 0.0), medial_limit=8.0)
    assert found is not None
    centre, width, height = found
    assert abs(centre[0] - 10.0) < 0.5 and abs(centre[2]) < 0.5
    assert abs(width - 6.0) < 1.5 and abs(height - 10.0) < 1.5


def _pedicle_and_rib_head() -> Volume:
    """Beside a canal whose wall is at x = 4 mm: a narrow thoracic pedicle, solid bone
    (no marrow ring the slices resolve: 4.5 mm wide, 12 mm tall, centred at x = 6.25 mm),
    and 1 mm lateral to it (the joint) the rib head, a cortical ring 9 mm across with a
    5 mm marrow hole (centred at x = 14 mm)."""
    n = 80
    c = (np.arange(n) - n / 2) * VOXEL
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    arr = np.zeros((n, n, n), np.int16)
    arr[((x - 6.25) / 2.25) ** 2 + (z / 6.0) ** 2 <= 1.0] = 500
    head = np.hypot(x - 14.0, z)
    arr[(head <= 4.5) & (head > 2.5)] = 500
    arr[head <= 2.5] = 100
    aff = np.diag([VOXEL, VOXEL, VOXEL, 1.0])
    aff[:3, 3] = -n / 2 * VOXEL
    return Volume(arr, aff)


def test_a_ring_away_from_the_canal_is_the_rib_head_not_the_pedicle():
    """Chest T7 left, T3 right (2.5 mm slices): the pedicle's section showed no hole and
    the rib head's ring beside it, 4-7 mm from the canal, was taken for the pedicle's. A
    pedicle's medial cortex is the canal's wall: a ring counts only where its interior
    begins near it. The same ring beside the canal is the pedicle's."""
    vol = _pedicle_and_rib_head()
    frame = Frame.patient(np.zeros(3))
    args = (vol, frame, np.zeros(3), 1.0, (0.0, 24.0), (-10.0, 10.0), (8.0, 0.0))
    centre, width, _ = _section_centre(*args, medial_limit=4.0 + 3.5)
    assert abs(centre[0] - 6.25) < 0.5 and abs(width - 4.5) < 1.0
    # the rib head's ring where it may be the pedicle's (the limit beyond it)
    centre, _, _ = _section_centre(*args, medial_limit=4.0 + 8.0)
    assert abs(centre[0] - 14.0) < 0.5


def _ellipse_radii(ang: np.ndarray, a: float, b: float) -> np.ndarray:
    return a * b / np.hypot(b * np.cos(ang), a * np.sin(ang))


def test_a_spur_of_bone_is_cut_from_the_outline_and_an_oblong_section_kept():
    """A pedicle's section, 9 x 16 mm, with the rib head joined to it in bone over 40
    degrees above the lateral (the rays ran on 5 mm into it): the spur is brought back
    within 0.75 mm of the section (the smooth curve's fit to an oblong section), and the
    section without a spur is left as it was."""
    from planner.core.anatomy.pedicle import _without_spurs

    ang = np.arange(72) * 2 * np.pi / 72
    section = _ellipse_radii(ang, 4.5, 8.0)
    assert np.allclose(_without_spurs(section, ang), section)
    spur = section.copy()
    spur[4:13] += 5.0
    trimmed = _without_spurs(spur, ang)
    assert np.max(np.abs(trimmed - section)) < 0.75
    width = lambda r: np.ptp(r * np.cos(ang))  # noqa: E731
    assert width(spur) > 11.0 and width(trimmed) < 9.5


def test_the_section_grid_and_the_isthmus_do_not_turn_on_rounding():
    """A span of a whole number of grid steps has as many positions whatever the rounding
    of its ends (``np.arange`` gave one more for an end a billionth of a millimetre
    further), and a width exactly the isthmus run's limit above the narrowest stays in
    the run when the sum that smooths the widths rounds either way."""
    for nudge in (-1e-9, 0.0, 1e-9):
        assert len(_grid(3.0 + nudge, 31.0 - nudge)) == 56
        assert len(_grid(3.0 - nudge, 31.0 + nudge)) == 56
    assert len(np.arange(3.0 - 1e-9, 31.0 + 1e-9, 0.5)) == 57
    rel = np.arange(9.0)[:, None] * np.array([1.0, 0.0, 0.0])
    axis = np.array([1.0, 0.0, 0.0])
    widths = np.array([8.0, 8.0, 8.0, 6.5, 6.5, 6.5, 5.0, 5.0, 5.0])   # smoothed: 6.5 at 4
    depths = [_isthmus_depth(rel, axis, widths + nudge * np.arange(9.0))
              for nudge in (-1e-12, 0.0, 1e-12)]
    assert np.ptp(depths) < 1e-6
