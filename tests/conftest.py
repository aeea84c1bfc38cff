"""Shared fixtures: small phantoms, synthetic DICOM series, the real data folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from planner.core.phantom import PhantomSpec, SpinePhantom
from planner.core.volume import Volume

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
# no autosave behind the tests' backs (a recovered plan would ask a question no one
# answers); the autosave test sets its own interval in a child process
os.environ.setdefault("PEDICLE_PLANNER_AUTOSAVE_S", "100000")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Never touch the user's cache or settings from tests."""
    os.environ["PEDICLE_PLANNER_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="session")
def small_phantom() -> SpinePhantom:
    return SpinePhantom(PhantomSpec(levels=("T12", "L1"), spacing=(1.0, 1.0, 1.5),
                                    fov_lr_mm=340.0, fov_ap_mm=240.0, seed=3))


@pytest.fixture(scope="session")
def small_volume(small_phantom) -> Volume:
    return small_phantom.render()


@pytest.fixture(scope="session")
def sample_case(_isolated_cache) -> Path:
    """The built-in sample case, generated once per session into the test cache."""
    from planner.io.sample_case import ensure_sample

    return ensure_sample()


@pytest.fixture(scope="session")
def sample_volume(sample_case) -> Volume:
    from planner.io.loader import load_volume

    return load_volume(sample_case / "dicom")


@pytest.fixture(scope="session")
def sample_truth(sample_case) -> dict:
    return json.loads((sample_case / "truth.json").read_text())


def shared_path(*parts: str) -> Path:
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data not available: {p}")
    return p


def blob_volume(affine: np.ndarray, shape_kji=(24, 30, 36), point_ijk=(17, 13, 9),
                radius_mm=3.0) -> tuple[Volume, np.ndarray]:
    """Air volume with one bright ball; returns it and the ball's LPS centre."""
    arr = np.full(shape_kji, -1000, np.int16)
    vol = Volume(arr, affine)
    centre = vol.index_to_world(point_ijk)
    k, j, i = np.indices(shape_kji)
    world = vol.index_to_world(np.stack([i, j, k], -1))
    arr[np.linalg.norm(world - centre, axis=-1) <= radius_mm] = 1000
    return vol, centre


def oblique_affine() -> np.ndarray:
    a, b = np.radians(25.0), np.radians(17.0)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    aff = np.eye(4)
    aff[:3, :3] = rz @ rx @ np.diag([0.9, 1.1, 1.6])
    aff[:3, 3] = [-20.0, 35.0, 12.0]
    return aff


def permuted_affine() -> np.ndarray:
    """Axes stored as (P, I, R), like the tptbox-L3 volume."""
    aff = np.eye(4)
    aff[:3, :3] = np.array([[0, 0, -1.2], [1.0, 0, 0], [0, -1.4, 0]])
    aff[:3, 3] = [30.0, -20.0, 40.0]
    return aff
