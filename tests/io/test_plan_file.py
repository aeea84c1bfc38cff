"""Plan files: exact round trips, atomic writes, the CT they belong to, and malformed or
hostile files that must give one readable error and nothing else."""

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.core.checklist import ITEMS
from planner.core.volume import Volume
from planner.io.plan_file import (PlanFileError, ct_reference, fingerprint, read_plan,
                                  same_ct, write_plan)


def _plan(volume):
    return {"ct": ct_reference(volume), "counted_from": "the sacrum",
            "checklist": {"answers": {i.id: ("no" if i.kind != "confirm" else "yes")
                                      for i in ITEMS}, "pain_weeks": 6.5,
                          "notes": "INR 1.1"},
            "levels": [{"label": "L1", "level_point": [1.25, -3.5, 10.125],
                        "accepted": True, "notes": "wedge, oedema on STIR",
                        "heights": {"anterior_mm": 16.25, "middle_mm": 20.0,
                                    "posterior_mm": 24.5},
                        "adjacent_heights": [{"anterior_mm": 23.0, "middle_mm": None,
                                              "posterior_mm": 24.0}],
                        "posterior_wall": "intact",
                        "trajectories": [
                            {"side": "left", "entry": [20.1, 40.2, 5.3],
                             "target": [8.0, 10.0, 1.0 / 3.0], "gauge": "13G",
                             "approach": "bipedicular"},
                            {"side": "right", "entry": [-20.1, 40.2, 5.3],
                             "target": [-8.0, 10.0, 0.1], "gauge": "11G",
                             "approach": "bipedicular"}]}]}


@pytest.fixture
def volume():
    arr = np.arange(40 * 30 * 20, dtype=np.int16).reshape(20, 30, 40) % 900
    return Volume(arr, np.diag([0.8, 0.8, 2.0, 1.0]), meta={"series_uid": "1.2.3",
                                                            "path": "/data/ct"})


def test_round_trip_is_exact(tmp_path, volume):
    plan = _plan(volume)
    path = tmp_path / "p.ppplan.json"
    write_plan(path, plan)
    back = read_plan(path)
    assert back["levels"] == plan["levels"]              # floats to the last bit
    assert back["checklist"] == plan["checklist"]
    assert back["counted_from"] == "the sacrum"
    assert back["ct"]["fingerprint"] == plan["ct"]["fingerprint"]
    assert same_ct(back, volume)


def test_write_is_atomic_and_replaces(tmp_path, volume, monkeypatch):
    path = tmp_path / "p.json"
    write_plan(path, _plan(volume))
    first = path.read_bytes()
    # a failure while writing leaves the old file whole and no temporary behind

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        write_plan(path, {**_plan(volume), "counted_from": "C2"})
    assert path.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_fingerprint_tells_cts_apart(volume):
    same = Volume(volume.array.copy(), volume.affine.copy(), meta=dict(volume.meta))
    assert fingerprint(same) == fingerprint(volume)
    moved = Volume(volume.array, volume.affine @ np.diag([1, 1, 1, 1.0]) +
                   np.array([[0, 0, 0, 0.5]] * 3 + [[0, 0, 0, 0]]), meta=dict(volume.meta))
    assert fingerprint(moved) != fingerprint(volume)
    other = volume.array.copy()
    other[0, 0, 0] += 1                                   # a sampled voxel differs
    assert fingerprint(Volume(other, volume.affine)) != fingerprint(volume)
    plan = _plan(volume)
    assert not same_ct(plan, Volume(other, volume.affine, meta={"series_uid": "1.2.3"}))
    # same geometry but another series
    assert not same_ct(plan, Volume(volume.array, volume.affine, meta={"series_uid": "9"}))


@pytest.mark.parametrize("text,why", [
    ("", "invalid JSON"), ("{", "invalid JSON"), ("[]", "not a Pedicle Planner plan"),
    ('{"schema": "x"}', "not a Pedicle Planner plan"),
    ('{"schema": "pedicle-planner-plan"}', "schema version is missing"),
    ('{"schema": "pedicle-planner-plan", "schema_version": 99}', "newer"),
    ('{"schema": "pedicle-planner-plan", "schema_version": 1}', "CT reference"),
    ('{"schema": "pedicle-planner-plan", "schema_version": 1, "ct": {"fingerprint": "a"},'
     ' "levels": [{"label": "L1", "level_point": [1, 2, NaN]}]}', "invalid JSON"),
    ('{"schema": "pedicle-planner-plan", "schema_version": 1, "ct": {"fingerprint": "a"},'
     ' "levels": [{"label": "L1", "level_point": [1, 2, 1e300]}]}', "outside any CT"),
    ('{"schema": "pedicle-planner-plan", "schema_version": 1, "ct": {"fingerprint": "a"},'
     ' "levels": [{"label": "L1", "level_point": [1, 2, 3], "trajectories": [{"side": '
     '"up"}]}]}', "left or right"),
    ('{"schema": "pedicle-planner-plan", "schema_version": 1, "ct": {"fingerprint": "a"},'
     ' "levels": [{"label": "L1", "level_point": [1, 2, 3], "trajectories": [{"side": '
     '"left", "gauge": "2G"}]}]}', "unknown gauge"),
    ("[" * 100000 + "]" * 100000, "invalid JSON"),
])
def test_malformed_files_say_why(tmp_path, text, why):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(PlanFileError, match=why):
        read_plan(path)


def test_huge_and_missing_files(tmp_path):
    with pytest.raises(PlanFileError, match="cannot read"):
        read_plan(tmp_path / "nope.json")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 6_000_000)
    with pytest.raises(PlanFileError, match="too large"):
        read_plan(big)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                     | st.text(max_size=8),
                     lambda kids: st.lists(kids, max_size=4) |
                     st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=20)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_plans_never_crash(tmp_path, volume, data):
    """Random values dropped anywhere into a valid plan: the reader either returns a
    clean plan or raises PlanFileError, nothing else."""
    plan = json.loads(json.dumps({"schema": "pedicle-planner-plan", "schema_version": 2,
                                  **_plan(volume)}))
    node = plan
    for _ in range(data.draw(st.integers(0, 4))):
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            key = data.draw(st.integers(0, len(node) - 1))
        else:
            break
        if data.draw(st.booleans()) or not isinstance(node[key], (dict, list)):
            node[key] = data.draw(_json)
            break
        node = node[key]
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(plan))
    try:
        out = read_plan(path)
    except PlanFileError:
        return
    assert set(out) == {"schema", "schema_version", "ct", "counted_from", "levels",
                        "checklist", "coordinates"}


def test_a_version_1_plan_migrates(tmp_path, volume):
    """Version 1 (before the checklist and heights) opens with them unanswered; written
    back, it is a version 2 plan."""
    v1 = _plan(volume)
    del v1["checklist"]
    for lv in v1["levels"]:
        for key in ("heights", "adjacent_heights", "posterior_wall"):
            del lv[key]
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"schema": "pedicle-planner-plan", "schema_version": 1,
                                **v1}))
    out = read_plan(path)
    assert out["schema_version"] == 2
    assert set(out["checklist"]["answers"].values()) == {""}
    assert out["checklist"]["pain_weeks"] is None
    lv = out["levels"][0]
    assert lv["heights"] is None and lv["adjacent_heights"] == [] and \
        lv["posterior_wall"] == ""
    assert lv["trajectories"] == v1["levels"][0]["trajectories"]
    write_plan(tmp_path / "new.json", {k: v for k, v in out.items()
                                        if k not in ("schema", "schema_version")})
    assert json.loads((tmp_path / "new.json").read_text())["schema_version"] == 2


@pytest.mark.parametrize("change, message", [
    (lambda p: p["checklist"]["answers"].update(stir_oedema="maybe"), "yes, no or empty"),
    (lambda p: p["checklist"]["answers"].update(bogus="yes"), "unknown checklist item"),
    (lambda p: p["checklist"].update(pain_weeks=-3), "pain_weeks"),
    (lambda p: p["levels"][0]["heights"].update(anterior_mm="tall"), "heights"),
    (lambda p: p["levels"][0].update(posterior_wall="gone"), "posterior wall"),
])
def test_bad_checklist_and_heights_are_refused(tmp_path, volume, change, message):
    plan = json.loads(json.dumps(_plan(volume)))
    change(plan)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"schema": "pedicle-planner-plan", "schema_version": 2,
                                **plan}))
    with pytest.raises(PlanFileError, match=message):
        read_plan(path)
