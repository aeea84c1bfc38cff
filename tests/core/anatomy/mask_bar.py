"""The bar a suggested needle must meet on a real level, judged against the vertebra's
independent mask (never against the model's own output). Shared by the real-data tests
and by benchmarks/plan_bar.py, which reports it on every level with a mask."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from planner.core.checks.walls import PEDICLE_HALF_LENGTH_MM
from planner.core.trajectory import Trajectory

SOFT_TISSUE_BEHIND_MM = 1.5
BONE_HU = 150.0
SOFT_TISSUE_HU = 100.0    # muscle and fat read less; osteoporotic cortex on 3 mm slices more


def bar_failures(volume, mask, model, traj: Trajectory) -> list[str]:
    """What keeps ``traj`` from the bar, as short phrases (empty: it meets it).

    The entry lies on the bone's posterior surface: not buried in the bone (within a voxel of
    the mask's surface when inside it), soft tissue just behind it (under 150 HU 1.5 mm
    behind, and not surely inside the mask there: ``surely_inside``), and from it into the
    mask within two voxels over bone only (a mask drawn a little inside the bone's edge,
    TPTBox L3 by 1.8 mm at the left entry, leaves the entry on bone outside it): nothing
    under ``SOFT_TISSUE_HU`` before the mask (osteoporotic laminae on 3 mm slices, inside
    the mask, read 100-146 HU; soft tissue under 100). The needle's axis enters the mask and
    stays in it to the tip; its outer surface too through the pedicle (from where its walls
    are judged) and the body once it has sunk in (behind the pedicle it docks on the
    posterior elements obliquely: only its axis must be in bone there). Both to half the
    finest voxel, against the mask as the union of its voxels' boxes (as ``contains`` reads
    it), not of their centres, which lie 1.25 mm inside its faces across 2.5 mm slices
    (chest L1 right's axis crossed a notch of the mask's staircase 0.24 mm deep, in 354 HU
    bone, 2 mm past the entry). The tip 7-13 mm behind the mask's anterior surface on the
    lateral view (one voxel of tolerance), inside the model's body, and the needle at least
    1 mm from the canal the mask encloses (``mask_canal_clearance``)."""
    out = []
    f = model.frame
    voxel = float(max(volume.spacing))
    pts, s = traj.points()
    inside = mask.contains(pts)
    first = int(np.argmax(inside))
    if inside[0]:
        buried = float(mask.surface_distance(traj.entry[None])[0])
        if buried > voxel:
            out.append(f"entry buried {buried:.1f} mm in the bone")
    behind = traj.entry - SOFT_TISSUE_BEHIND_MM * traj.direction
    if surely_inside(mask, behind) or volume.sample(behind[None])[0] >= BONE_HU:
        out.append("bone behind the entry")
    if not inside.any() or s[first] > 2 * voxel:
        return out + ["no way in from the entry"]
    if np.any(volume.sample(pts[:first]) < SOFT_TISSUE_HU):
        out.append("soft tissue between the entry and the vertebra")
    depth = mask.depth(pts)    # to the mask's voxel boxes, signed
    tolerance = 0.5 * float(min(volume.spacing))
    left = depth[first:] < -tolerance
    if left.any():
        gone = float(left.sum() * (s[1] - s[0]))
        out.append(f"leaves the vertebra ({gone:.1f} mm)")
    ped = model.pedicles[traj.side]
    pedicle_back = (ped.isthmus - traj.entry) @ traj.direction - PEDICLE_HALF_LENGTH_MM
    sunk = s[np.argmax(depth >= traj.radius_mm)]
    inner = float((depth[s >= max(pedicle_back, sunk)] - traj.radius_mm).min())
    if inner < -tolerance:
        out.append(f"needle surface {-inner:.1f} mm out of the vertebra")
    rel = mask.points - traj.target
    slab = np.abs(rel @ f.cranial) < 1.5
    front = float(np.max(rel[slab] @ f.anterior)) if slab.any() else np.nan
    if not 7.0 - voxel <= front <= 13.0 + voxel:
        out.append(f"tip {front:.1f} mm from the anterior surface")
    medial = mask_canal_clearance(mask, model, traj)
    if medial is None or medial < 1.0 - tolerance:
        out.append("no canal closed by the mask at the needle's heights" if medial is None
                   else f"medial clearance {medial:.2f} mm (mask)")
    if model.body_signed_distance(traj.target[None])[0] >= 0:
        out.append("tip outside the model's body")
    return out


def surely_inside(mask, point: np.ndarray) -> bool:
    """Whether ``point`` lies in the mask whichever way the mask's surface runs within its
    voxels: it stays in the mask moved half a voxel either way along each voxel axis (it
    lies between centres of the mask's voxels). A voxel box on the mask's edge reaches up
    to half a voxel past the bone it stands for: across 2.5 mm slices, a needle running
    22 degrees off the slices' plane (chest T7 left) met soft tissue (28-82 HU) for 3 mm
    behind its entry, inside the edge slice's boxes by 0.03-0.5 mm."""
    half = 0.5 * mask.affine[:3, :3].T
    probes = np.vstack([point, point + half, point - half])
    return bool(np.all(mask.contains(probes)))


CANAL_GRID_MM = 0.5
CANAL_MIN_AREA_MM2 = 40.0     # a closed canal is 100-400 mm^2; smaller holes are marrow
CANAL_REACH_MM = 45.0         # the grid reaches this far behind the model's centre
CANAL_GAP_STEPS = 4           # gaps in the mask's ring up to twice this many grid steps
CANAL_TILTS_DEG = (10.0, 20.0)   # where the model's own planes close no canal
CANAL_MIDLINE_MM = 3.0        # the canal's hole reaches within this of the body's midline


def mask_canal_clearance(mask, model, traj: Trajectory,
                         tilts: tuple[float, ...] = CANAL_TILTS_DEG) -> float | None:
    """Least distance (mm) from the needle's surface to the spinal canal as the mask has it
    (no more than minus the needle's radius where its axis is in the canal): in planes 1 mm
    apart over the needle's heights (and 2 mm beyond), normal to the model's cranial axis,
    the largest hole the vertebra's mask closes behind the model's centre across gaps in
    its ring up to 2 mm (the hole is the mask's own, the closing only says what is inside).
    Where those planes close none, the same in planes leaning ``tilts`` degrees forward
    and back, a hole only where it reaches the model's midline: on 3 mm voxels the mask's
    ring (pedicles, laminae) closes in planes leaning with the arch only (abdomen L2: none
    at the needle's heights across the axis of the mask's own endplates, 240-260 mm^2
    leaning 10 degrees back). Not always all of them: an oblique plane also closes bays
    of the mask beside the canal (chest T10 right, leaning 20 degrees: a hole round the
    needle 1.3 mm from the canal the model's planes close). None where no plane closes a
    canal. Independent of the model's canal, which on thick slices lies up to 3 mm into
    the pedicles (abdomen L4 right: the needle 0.6 mm from it, 1.2 mm from the mask's)."""
    f = model.frame
    pts, _ = traj.points()
    u = np.arange(-30.0, 30.0, CANAL_GRID_MM)
    v = np.arange(-CANAL_REACH_MM, 0.0, CANAL_GRID_MM)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    midline = np.abs(uu) <= CANAL_MIDLINE_MM
    for pair in ((0.0,),) + tuple((-t, t) for t in tilts):
        canal = []
        for tilt in np.radians(pair):
            cranial = np.cos(tilt) * f.cranial + np.sin(tilt) * f.anterior
            anterior = np.cos(tilt) * f.anterior - np.sin(tilt) * f.cranial
            plane = uu[..., None] * f.left + vv[..., None] * anterior
            h = (pts - f.origin) @ cranial
            for z in np.arange(h.min() - 2.0, h.max() + 2.0 + 1e-9, 1.0):
                grid = f.origin + z * cranial + plane
                m = mask.contains(grid.reshape(-1, 3)).reshape(uu.shape)
                closed = ndimage.binary_closing(m, iterations=CANAL_GAP_STEPS, border_value=0)
                lab, n = ndimage.label(ndimage.binary_fill_holes(closed) & ~m)
                if n == 0:
                    continue
                area = ndimage.sum_labels(np.ones_like(m), lab, np.arange(1, n + 1))
                k = int(np.argmax(area))
                hole = lab == k + 1
                if area[k] * CANAL_GRID_MM ** 2 >= CANAL_MIN_AREA_MM2 and \
                        (tilt == 0.0 or (hole & midline).any()):
                    canal.append(grid[hole])
        if canal:
            d, _ = cKDTree(np.vstack(canal)).query(pts)
            return float(d.min() - traj.radius_mm - CANAL_GRID_MM / 2)
    return None


LEAVING_MM = 3.0
DEEP_MM = 1.5          # of the axis outside: 3 mm of an 11G needle's surface


def outside_run_mm(mask, traj: Trajectory) -> float:
    """The longest run (mm) of the needle's axis outside ``mask`` after it first enters
    it; 0 where it never enters. A suggested needle leaving the vertebra for
    ``LEAVING_MM`` or more must be judged fail, whatever the model says."""
    pts, s = traj.points()
    inside = mask.contains(pts)
    if not inside.any():
        return 0.0
    outside = ~inside[int(np.argmax(inside)):]
    edges = np.diff(np.concatenate([[0], outside.astype(int), [0]]))
    runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    return float(runs.max(initial=0) * (s[1] - s[0]))


def deepest_outside_mm(mask, traj: Trajectory) -> float:
    """How far outside ``mask`` the needle's axis goes after it first enters it (0 where
    it stays in, or never enters): a needle grazing the bone's surface tangentially runs
    outside for millimetres while its axis stays within a voxel of it."""
    pts, _ = traj.points()
    inside = mask.contains(pts)
    if not inside.any():
        return 0.0
    return max(0.0, -float(mask.depth(pts[int(np.argmax(inside)):]).min()))
