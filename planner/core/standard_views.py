"""The standard fluoroscopic views of a level, from its anatomical frame.

True AP: the beam along the vertebra's anterior axis (endplates parallel to it, the
spinous process midway between the pedicles). True lateral: along its left axis. En face
(bull's-eye): along the needle or, before there is one, along the pedicle's axis. Each
view is reported as a technologist dials it: first as offsets from the level's true AP,
then as DICOM positioner angles (relative to the patient).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.core.carm import ANTERIOR, LEFT, SUPERIOR, CArm

OVERVIEW_DETECTOR_MM = 480.0    # a wide true AP (about 34 cm at the spine) to count levels
PATIENT_POSITION = "prone"      # the procedure's position, whatever the CT's


def angles_for(detector_direction: np.ndarray) -> tuple[float, float]:
    """(primary, secondary) degrees putting the detector along a unit LPS direction."""
    d = np.asarray(detector_direction, float)
    d = d / np.linalg.norm(d)
    secondary = np.degrees(np.arcsin(np.clip(d @ SUPERIOR, -1.0, 1.0)))
    primary = np.degrees(np.arctan2(d @ LEFT, d @ ANTERIOR))
    return float(primary), float(secondary)


@dataclass
class StandardView:
    name: str
    primary_deg: float
    secondary_deg: float
    from_true_ap: str          # "rotate 18 deg toward the patient's left, tilt 6 deg caudal"
    detector_direction: np.ndarray

    def carm(self, isocentre: np.ndarray, **kwargs) -> CArm:
        return CArm(primary_deg=self.primary_deg, secondary_deg=self.secondary_deg,
                    isocentre=isocentre, **kwargs)

    def to_json(self) -> dict:
        return {"name": self.name, "primary_deg": round(self.primary_deg, 1),
                "secondary_deg": round(self.secondary_deg, 1),
                "from_true_ap": self.from_true_ap,
                "detector_direction": self.detector_direction.tolist()}


def describe_from_true_ap(d: np.ndarray, ap: np.ndarray, cranial: np.ndarray, left: np.ndarray) -> str:
    """The move from the true AP to direction d: rotation about the level's cranial axis
    (toward the patient's left or right, where the detector goes) and tilt along it."""
    tilt = np.degrees(np.arcsin(np.clip(d @ cranial, -1.0, 1.0)))
    flat = d - (d @ cranial) * cranial
    flat /= np.linalg.norm(flat)
    rot = np.degrees(np.arctan2(flat @ left, flat @ ap))
    parts = []
    if abs(rot) >= 0.5:
        parts.append(f"rotate {abs(rot):.0f} deg toward the patient's "
                     f"{'left' if rot > 0 else 'right'}")
    if abs(tilt) >= 0.5:
        parts.append(f"tilt {abs(tilt):.0f} deg {'cranial' if tilt > 0 else 'caudal'}")
    return ", ".join(parts) if parts else "true AP"


def standard_views(left: np.ndarray, anterior: np.ndarray, cranial: np.ndarray,
                   en_face: dict[str, np.ndarray] | None = None,
                   patient_position: str = "prone") -> list[StandardView]:
    """Views for a level with the given axes (LPS unit vectors). ``en_face`` maps a side
    to the direction the needle (or the pedicle axis) runs, from entry toward the body.
    For a prone patient the detector is behind the back on the AP view; supine, in front.
    """
    left, anterior, cranial = (np.asarray(v, float) for v in (left, anterior, cranial))
    ap_dir = -anterior if patient_position == "prone" else anterior
    views = [("true AP", ap_dir), ("true lateral", left)]
    for side, axis in (en_face or {}).items():
        a = np.asarray(axis, float)
        a = a / np.linalg.norm(a)
        # the detector behind the entry, the beam along the needle
        views.append((f"en face {side}", -a if patient_position == "prone" else a))
    out = []
    for name, d in views:
        p, s = angles_for(d)
        out.append(StandardView(name, p, s, describe_from_true_ap(d, ap_dir, cranial, left), d))
    return out




def en_face_directions(model, needles: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
                       ) -> dict[str, np.ndarray]:
    """Bull's-eye directions per side: along each planned needle (entry, target) when there
    is one; otherwise the owl's-eye obliquity, the pedicle's axis turned about the level's
    cranial axis only (the endplates stay parallel to the beam, as on the true AP)."""
    f = model.frame
    out = {side: p.axis - (p.axis @ f.cranial) * f.cranial
           for side, p in model.pedicles.items()}
    for side, (entry, target) in (needles or {}).items():
        out[side] = np.subtract(target, entry)
    return out


def view_isocentre(name: str, model, needles: dict[str, tuple[np.ndarray, np.ndarray]]
                   | None = None) -> np.ndarray:
    """Where a standard view's central ray passes: the level's centre, except for an en
    face view, whose central ray runs along its needle (midpoint) or, before there is one,
    through the pedicle's isthmus: a true bull's eye, not a parallel line seen in
    perspective off the centre."""
    if name.startswith("en face"):
        side = name.split()[-1]
        if needles and side in needles:
            entry, target = needles[side]
            return (np.asarray(entry, float) + np.asarray(target, float)) / 2.0
        if side in model.pedicles:
            return model.pedicles[side].isthmus
    return model.centre
