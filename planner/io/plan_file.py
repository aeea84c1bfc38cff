"""Plan files: JSON with a schema version, LPS millimetres, and the CT they belong to.

A plan names its CT three ways: the DICOM SeriesInstanceUID (empty for NIfTI/NRRD), a
geometry fingerprint (grid, affine and a sample of the voxels, so a re-export of the same
series still matches while another patient's CT never does) and the path it was loaded
from. Files are written atomically (a crash never leaves half a plan) and read defensively:
a malformed or hostile file gives one readable error, never a crash or a silent guess.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from planner.io.errors import LoadError

SCHEMA = "pedicle-planner-plan"
SCHEMA_VERSION = 2
MAX_PLAN_BYTES = 5_000_000
MAX_LEVELS = 30
SIDES = ("left", "right")
FINGERPRINT_STEP = 7


class PlanFileError(LoadError):
    """The file is not a plan this version can read (the message says why)."""


def fingerprint(volume: Any) -> str:
    """Geometry fingerprint of a CT: grid shape, affine (to 0.001 mm) and every 7th voxel
    along each axis. Stable across loads of the same series; differs for another CT."""
    h = hashlib.sha256()
    h.update(np.asarray(volume.array.shape, np.int64).tobytes())
    h.update(np.round(np.asarray(volume.affine, float), 3).tobytes())
    s = FINGERPRINT_STEP
    h.update(np.ascontiguousarray(volume.array[::s, ::s, ::s]).astype(np.int16).tobytes())
    return "sha256:" + h.hexdigest()[:32]


def ct_reference(volume: Any) -> dict[str, Any]:
    m = volume.meta
    return {"series_uid": str(m.get("series_uid", "")), "fingerprint": fingerprint(volume),
            "path": str(m.get("path", "")), "patient_name": str(m.get("patient_name", "")),
            "series_description": str(m.get("series_description", "")),
            "shape_ijk": [int(n) for n in volume.shape_ijk]}


def same_ct(plan: dict[str, Any], volume: Any) -> bool:
    """True when the plan was made on this CT (fingerprint, and the series UID when both
    have one)."""
    ct = plan["ct"]
    uid = str(volume.meta.get("series_uid", ""))
    if ct.get("series_uid") and uid and ct["series_uid"] != uid:
        return False
    return ct.get("fingerprint") == fingerprint(volume)


def autosave_path(volume: Any) -> Path:
    """Where the unsaved plan of this CT is kept against a crash (one file per CT)."""
    from planner.io.sample_case import cache_root

    return cache_root() / "autosave" / (fingerprint(volume).split(":")[1] + ".ppplan.json")


def write_plan(path: str | os.PathLike, plan: dict[str, Any]) -> None:
    """Write atomically: to a temporary file beside the target, then rename over it."""
    target = Path(path)
    data = json.dumps({"schema": SCHEMA, "schema_version": SCHEMA_VERSION, **plan},
                      indent=2, allow_nan=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                               dir=str(target.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_plan(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a plan file (older schema versions are migrated)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise PlanFileError(f"{p}: cannot read the plan ({exc.strerror})") from None
    if size > MAX_PLAN_BYTES:
        raise PlanFileError(f"{p}: {size} bytes is too large for a plan file")
    try:
        raw = json.loads(p.read_bytes().decode("utf-8"),
                         parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise PlanFileError(f"{p}: not a plan file (invalid JSON: {exc})") from None
    try:
        return validate(raw)
    except PlanFileError as exc:
        raise PlanFileError(f"{p}: {exc}") from None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a plan can hold")


def _point(v: Any, what: str) -> list[float]:
    if not (isinstance(v, list) and len(v) == 3 and
            all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)):
        raise PlanFileError(f"{what} must be three numbers (LPS mm)")
    out = [float(x) for x in v]
    if not all(math.isfinite(x) and abs(x) < 1e5 for x in out):
        raise PlanFileError(f"{what} lies outside any CT")
    return out


def _text(v: Any, what: str, limit: int = 2000) -> str:
    if not isinstance(v, str) or len(v) > limit:
        raise PlanFileError(f"{what} must be text of at most {limit} characters")
    return v


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 added the pre-procedure checklist and, per level, the vertebral heights
    and the posterior wall's state: a version 1 plan has them unanswered."""
    from planner.core.checklist import empty

    out = {**raw, "schema_version": 2, "checklist": empty()}
    if isinstance(raw.get("levels"), list):
        out["levels"] = [{**lv, "heights": None, "adjacent_heights": [],
                          "posterior_wall": ""} if isinstance(lv, dict) else lv
                         for lv in raw["levels"]]
    return out


MIGRATIONS = {1: _v1_to_v2}      # version -> the step to the next version


def _migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring an older schema up to the current one, one version at a time."""
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise PlanFileError("the schema version is missing")
    if version > SCHEMA_VERSION:
        raise PlanFileError(f"schema version {version} is newer than this Pedicle Planner "
                            f"reads ({SCHEMA_VERSION}): update the application")
    if version < 1:
        raise PlanFileError(f"unknown schema version {version}")
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version = raw["schema_version"]
    return raw


def _number_or_none(v: Any, what: str, lo: float, hi: float) -> float | None:
    if v is None:
        return None
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not \
            (math.isfinite(v) and lo <= v <= hi):
        raise PlanFileError(f"{what} must be a number from {lo:g} to {hi:g}, or null")
    return float(v)


def _heights(v: Any, what: str) -> dict[str, float | None] | None:
    if v is None:
        return None
    if not isinstance(v, dict):
        raise PlanFileError(f"{what} must be an object or null")
    return {k: _number_or_none(v.get(k), f"{what} {k}", 0.0, 100.0)
            for k in ("anterior_mm", "middle_mm", "posterior_mm")}


def _checklist(v: Any) -> dict[str, Any]:
    from planner.core.checklist import ANSWERS, BY_ID

    if not isinstance(v, dict) or not isinstance(v.get("answers", {}), dict):
        raise PlanFileError("the checklist must be an object with answers")
    answers = {}
    for key, a in v.get("answers", {}).items():
        if key not in BY_ID:
            raise PlanFileError(f"unknown checklist item {key!r}")
        if a not in ANSWERS:
            raise PlanFileError(f"checklist {key}: the answer must be yes, no or empty")
        answers[key] = a
    return {"answers": {k: answers.get(k, "") for k in BY_ID},
            "pain_weeks": _number_or_none(v.get("pain_weeks"), "pain_weeks", 0.0, 5200.0),
            "notes": _text(v.get("notes", ""), "checklist notes")}


def validate(raw: Any) -> dict[str, Any]:
    """A clean copy of a plan: only known fields, checked types and ranges."""
    from planner.core.checklist import POSTERIOR_WALL_STATES
    from planner.core.trajectory import APPROACHES, GAUGE_DIAMETER_MM

    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA:
        raise PlanFileError("not a Pedicle Planner plan file")
    raw = _migrate(raw)
    ct = raw.get("ct")
    if not isinstance(ct, dict):
        raise PlanFileError("the CT reference is missing")
    clean_ct = {k: _text(ct.get(k, ""), f"ct.{k}") for k in
                ("series_uid", "fingerprint", "path", "patient_name", "series_description")}
    if not clean_ct["fingerprint"]:
        raise PlanFileError("the CT reference has no fingerprint")
    levels = raw.get("levels")
    if not isinstance(levels, list) or len(levels) > MAX_LEVELS:
        raise PlanFileError(f"levels must be a list of at most {MAX_LEVELS}")
    counted = _text(raw.get("counted_from", ""), "counted_from", 40)
    out_levels = []
    for n, lv in enumerate(levels):
        if not isinstance(lv, dict):
            raise PlanFileError(f"level {n + 1} is not an object")
        trajs = lv.get("trajectories", [])
        if not isinstance(trajs, list) or len(trajs) > 2:
            raise PlanFileError(f"level {n + 1}: at most two trajectories")
        clean_trajs = []
        for t in trajs:
            if not isinstance(t, dict) or t.get("side") not in SIDES:
                raise PlanFileError(f"level {n + 1}: a trajectory's side must be left or "
                                    "right")
            if t.get("gauge") not in GAUGE_DIAMETER_MM:
                raise PlanFileError(f"level {n + 1}: unknown gauge {t.get('gauge')!r}")
            if t.get("approach") not in APPROACHES:
                raise PlanFileError(f"level {n + 1}: unknown approach "
                                    f"{t.get('approach')!r}")
            entry = _point(t.get("entry"), f"level {n + 1} {t['side']} entry")
            target = _point(t.get("target"), f"level {n + 1} {t['side']} target")
            if np.linalg.norm(np.subtract(target, entry)) < 1.0:
                raise PlanFileError(f"level {n + 1} {t['side']}: entry and target "
                                    "coincide")
            clean_trajs.append({"side": t["side"], "entry": entry, "target": target,
                                "gauge": t["gauge"], "approach": t["approach"]})
        if len({t["side"] for t in clean_trajs}) != len(clean_trajs):
            raise PlanFileError(f"level {n + 1}: two trajectories on the same side")
        accepted = lv.get("accepted", False)
        if not isinstance(accepted, bool):
            raise PlanFileError(f"level {n + 1}: accepted must be true or false")
        adjacent = lv.get("adjacent_heights", [])
        if not isinstance(adjacent, list) or len(adjacent) > 2:
            raise PlanFileError(f"level {n + 1}: at most two adjacent levels' heights")
        wall = lv.get("posterior_wall", "")
        if wall not in POSTERIOR_WALL_STATES:
            raise PlanFileError(f"level {n + 1}: unknown posterior wall state {wall!r}")
        out_levels.append({
            "label": _text(lv.get("label"), f"level {n + 1} label", 4),
            "level_point": _point(lv.get("level_point"), f"level {n + 1} level_point"),
            "accepted": accepted, "notes": _text(lv.get("notes", ""), "notes"),
            "heights": _heights(lv.get("heights"), f"level {n + 1} heights"),
            "adjacent_heights": [_heights(a, f"level {n + 1} adjacent heights") or {}
                                 for a in adjacent],
            "posterior_wall": wall,
            "trajectories": clean_trajs})
    return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "ct": clean_ct,
            "counted_from": counted, "checklist": _checklist(raw.get("checklist", {})),
            "levels": out_levels, "coordinates": "LPS mm"}
