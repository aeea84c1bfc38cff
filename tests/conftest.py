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


@pytest.fixture(scope="session")
def planned_session(sample_volume, sample_truth):
    """L1 (the wedge, model checked) and L2 (not checked) of the sample case with the
    suggested plans, measured heights, a partly answered checklist and a note."""
    from planner.core.anatomy.model import build_model
    from planner.core.plan import suggest_plan
    from planner.model.plan_session import Level, PlanSession, measure_heights

    session = PlanSession()
    session.reset(sample_volume)
    for label in ("L1", "L2"):
        centre = np.array(next(lv for lv in sample_truth["levels"]
                               if lv["label"] == label)["body_center"])
        model = build_model(sample_volume, centre)
        plan = suggest_plan(sample_volume, model)
        heights, adjacent = measure_heights(sample_volume, model)
        session.insert_level(len(session.levels), Level(
            label, centre, model, {t.side: t for t in plan.trajectories},
            accepted=label == "L1", heights=heights, adjacent_heights=adjacent,
            posterior_wall="intact" if label == "L1" else "",
            notes="wedge fracture; cement 3 mL per side" if label == "L1" else ""))
    session.set_counted_from("the sacrum")
    answers = session.checklist["answers"]
    answers.update(stir_oedema="yes", concordance="yes", coagulation="no",
                   cardiorespiratory="no", infection="no", deformity="yes")
    session.checklist["pain_weeks"] = 6.0
    return session


@pytest.fixture(scope="session")
def sample_plan_file(planned_session, tmp_path_factory) -> Path:
    from planner.io.plan_file import write_plan
    from planner.model.plan_session import session_to_plan

    path = tmp_path_factory.mktemp("plans") / "sample.ppplan.json"
    write_plan(path, session_to_plan(planned_session))
    return path
