"""Needles and the vertebra model drawn over a slice or in the 3-D view.

On a slice the needle is drawn as its projection onto the slice plane (as a navigation
system shows it), lifted a little toward the camera so the image never hides it; the
model's outlines are drawn where they lie in the slice and as dots where they cross it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from planner.render import vtk_api as vtk

from planner.core.overlays import VERDICT_RGB as CORE_VERDICT_RGB

# the colours of the fluoroscopy overlays and reports, as 0-1 floats for VTK
VERDICT_RGB = {k: tuple(c / 255.0 for c in rgb) for k, rgb in CORE_VERDICT_RGB.items()}
OUTLINE_RGB = {"canal": (0.20, 0.85, 0.95), "pedicle": (0.85, 0.95, 0.30),
               "body": (0.95, 0.80, 0.35), "height": (1.0, 0.45, 0.85)}
LIFT_MM = 1.0          # toward the camera, above the slice
BREACH_RING_MM = 4.0
OTHER_LEVEL_NEAR_MM = 10.0
BREACH_RING_POINTS = 24
SLAB_MM = 0.75         # outline segments this close to the plane count as in it


@dataclass
class Needle:
    key: tuple            # (level index, side)
    entry: np.ndarray
    target: np.ndarray
    verdict: str
    diameter_mm: float
    selected: bool = False
    skin: np.ndarray | None = None     # where the shaft meets the skin (3-D view)
    breach: np.ndarray | None = None   # where it comes closest to (or enters) the canal
    breach_verdict: str = ""
    current: bool = True               # of the level being planned (always drawn)


@dataclass
class Polyline:
    kind: str             # canal, pedicle, body or height
    points: np.ndarray    # (n, 3) LPS, closed


class Layer:
    """One polydata actor of lines and points with a colour per cell.

    ``fill`` leaves the polydata untouched when the content is the same as last time and
    says so: a view whose layers did not change need not render again (a drag in the
    axial view often leaves the sagittal needle where it was)."""

    def __init__(self) -> None:
        self.pd = vtk.vtkPolyData()
        mapper = vtk.vtkPolyDataMapper()
        mapper.SetInputData(self.pd)
        mapper.SetColorModeToDirectScalars()
        mapper.SetScalarModeToUseCellData()
        self.actor = vtk.vtkActor()
        self.actor.SetMapper(mapper)
        self.actor.GetProperty().LightingOff()
        self.actor.PickableOff()
        self._signature: tuple | None = None

    def fill(self, points: np.ndarray, lines: np.ndarray, verts: np.ndarray,
             rgbs: np.ndarray) -> bool:
        """Points (n, 3), line cells (m, 2) and vertex cells (k,) as point indices, and one
        colour (0-1) per cell, verts first (VTK orders cell data verts, then lines).
        Returns whether anything changed."""
        from vtkmodules.util import numpy_support as ns

        points = np.ascontiguousarray(points, float).reshape(-1, 3)
        lines = np.ascontiguousarray(lines, np.int64).reshape(-1, 2)
        verts = np.ascontiguousarray(verts, np.int64).reshape(-1, 1)
        colours = (np.asarray(rgbs, float).reshape(-1, 3) * 255 + 0.5).astype(np.uint8)
        signature = tuple((a.shape, a.tobytes()) for a in (points, lines, verts, colours))
        if signature == self._signature:
            return False
        self._signature = signature
        pts = vtk.vtkPoints()
        pts.SetData(ns.numpy_to_vtk(points, deep=True))
        self.pd.SetPoints(pts)

        def cells(conn: np.ndarray) -> vtk.vtkCellArray:
            arr = vtk.vtkCellArray()
            if len(conn):
                per = conn.shape[1]
                offsets = np.arange(0, len(conn) * per + 1, per, dtype=np.int64)
                arr.SetData(ns.numpy_to_vtk(offsets, deep=True, array_type=vtk.VTK_ID_TYPE),
                            ns.numpy_to_vtk(conn.ravel(), deep=True,
                                            array_type=vtk.VTK_ID_TYPE))
            return arr

        self.pd.SetLines(cells(lines))
        self.pd.SetVerts(cells(verts))
        self.pd.GetCellData().SetScalars(ns.numpy_to_vtk(colours, deep=True))
        self.pd.Modified()
        return True


class SliceOverlay:
    """Needles (line, entry ring, tip dot) and model outlines on one slice view."""

    def __init__(self, renderer: vtk.vtkRenderer) -> None:
        self.needles: list[Needle] = []
        self.shown_needles: list[Needle] = []
        self.outlines: list[Polyline] = []
        self.needle_layer, self.handle_layer = Layer(), Layer()
        self.outline_layer, self.breach_layer = Layer(), Layer()
        self.needle_layer.actor.GetProperty().SetLineWidth(3.0)
        self.handle_layer.actor.GetProperty().SetPointSize(11.0)
        self.handle_layer.actor.GetProperty().RenderPointsAsSpheresOn()
        self._outline_key: tuple | None = None
        self.breach_layer.actor.GetProperty().SetLineWidth(2.5)
        self.outline_layer.actor.GetProperty().SetLineWidth(1.5)
        self.outline_layer.actor.GetProperty().SetPointSize(3.0)
        for layer in (self.outline_layer, self.needle_layer, self.handle_layer,
                      self.breach_layer):
            renderer.AddActor(layer.actor)

    def set_content(self, needles: list[Needle], outlines: list[Polyline]) -> None:
        self.needles, self.outlines = needles, outlines

    def update(self, plane_point: np.ndarray, normal: np.ndarray) -> bool:
        """Project onto the slice through ``plane_point`` (``normal`` points away from the
        camera); returns whether anything drawn changed."""
        n = np.asarray(normal, float)
        lift = np.asarray(plane_point, float) - n * LIFT_MM

        def project(p: np.ndarray) -> np.ndarray:
            p = np.asarray(p, float)
            return p - ((p - lift) @ n)[..., None] * n

        # other levels' needles only near this slice: projected from afar they clutter it
        shown = [nd for nd in self.needles if nd.current or min(
            abs((nd.entry - plane_point) @ n), abs((nd.target - plane_point) @ n))
            <= OTHER_LEVEL_NEAR_MM or ((nd.entry - plane_point) @ n) *
            ((nd.target - plane_point) @ n) < 0]
        self.shown_needles = shown
        if shown:
            ends = np.array([[nd.entry, nd.target] for nd in shown])
            rgb = np.array([VERDICT_RGB.get(nd.verdict, VERDICT_RGB["unknown"])
                            for nd in shown])
            ring = np.where(np.array([nd.selected for nd in shown])[:, None], 1.0, rgb)
            pts = project(ends.reshape(-1, 3))
            k = len(shown)
            changed = self.needle_layer.fill(pts, np.arange(2 * k).reshape(k, 2), [], rgb)
            changed |= self.handle_layer.fill(pts, [], np.arange(2 * k),
                                              np.repeat(ring, 2, axis=0))
        else:
            changed = self.needle_layer.fill(np.zeros((0, 3)), [], [], [])
            changed |= self.handle_layer.fill(np.zeros((0, 3)), [], [], [])
        changed |= self._update_breaches(n, project)
        key = (id(self.outlines), tuple(np.round(plane_point, 3)), tuple(n))
        if key != self._outline_key:      # outlines change with the slice, not the needle
            self._outline_key = key
            changed |= self._update_outlines(np.asarray(plane_point, float), n, project)
        return changed

    def _update_breaches(self, n: np.ndarray, project) -> bool:
        """A ring around each place where a needle comes too close to the canal."""
        a = np.cross(n, [1.0, 0.0, 0.0] if abs(n[0]) < 0.9 else [0.0, 1.0, 0.0])
        a /= np.linalg.norm(a)
        b = np.cross(n, a)
        ang = np.linspace(0, 2 * np.pi, BREACH_RING_POINTS, endpoint=False)
        ring = np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * b
        pts, lines, rgbs = [], [], []
        for nd in self.shown_needles:
            if nd.breach is None:
                continue
            base = len(pts) * BREACH_RING_POINTS
            pts.append(project(nd.breach + BREACH_RING_MM * ring))
            k = np.arange(BREACH_RING_POINTS)
            lines.append(base + np.stack([k, (k + 1) % BREACH_RING_POINTS], axis=1))
            rgbs += [VERDICT_RGB.get(nd.breach_verdict, VERDICT_RGB["fail"])] * len(k)
        return self.breach_layer.fill(np.vstack(pts) if pts else np.zeros((0, 3)),
                                      np.vstack(lines) if lines else [], [], rgbs)

    def _update_outlines(self, origin: np.ndarray, n: np.ndarray, project) -> bool:
        seg_pts, vert_pts, seg_rgb, vert_rgb = [], [], [], []
        for pl in self.outlines:
            rgb = OUTLINE_RGB[pl.kind]
            p = np.asarray(pl.points, float)
            q = np.roll(p, -1, axis=0)
            dp, dq = (p - origin) @ n, (q - origin) @ n
            inside = (np.abs(dp) <= SLAB_MM) & (np.abs(dq) <= SLAB_MM)
            if inside.any():
                seg_pts.append(np.stack([p[inside], q[inside]], axis=1))
                seg_rgb += [rgb] * int(inside.sum())
            cross = (dp * dq < 0) & ~inside
            if cross.any():
                t = (dp[cross] / (dp[cross] - dq[cross]))[:, None]
                vert_pts.append(p[cross] + (q[cross] - p[cross]) * t)
                vert_rgb += [rgb] * int(cross.sum())
        verts = np.vstack(vert_pts) if vert_pts else np.zeros((0, 3))
        segs = np.vstack(seg_pts).reshape(-1, 3) if seg_pts else np.zeros((0, 3))
        pts = project(np.vstack([verts, segs]))
        nv, ns_ = len(verts), len(segs) // 2
        return self.outline_layer.fill(pts, nv + np.arange(2 * ns_).reshape(ns_, 2),
                                       np.arange(nv), vert_rgb + seg_rgb)

    def handle_points(self) -> list[tuple[tuple, str, np.ndarray]]:
        """(needle key, "entry" or "target", LPS point) for hit-testing."""
        out = []
        for nd in self.shown_needles:
            out += [(nd.key, "entry", nd.entry), (nd.key, "target", nd.target)]
        return out


class NeedleTubes:
    """Needles as tubes of their true diameter in the 3-D view."""

    def __init__(self, renderer: vtk.vtkRenderer) -> None:
        self.renderer = renderer
        self._pipes: list[tuple[vtk.vtkLineSource, vtk.vtkTubeFilter, vtk.vtkActor]] = []
        self.needles: list[Needle] = []
        self.ends_layer = Layer()
        self.ends_layer.actor.GetProperty().SetPointSize(10.0)
        self.ends_layer.actor.GetProperty().RenderPointsAsSpheresOn()
        renderer.AddActor(self.ends_layer.actor)

    def handle_points(self) -> list[tuple[tuple, str, np.ndarray]]:
        out = []
        for nd in self.needles:
            out += [(nd.key, "entry", nd.entry), (nd.key, "target", nd.target)]
        return out

    def set_needles(self, needles: list[Needle]) -> None:
        self.needles = needles
        if needles:
            ends = np.array([[nd.entry, nd.target] for nd in needles]).reshape(-1, 3)
            rgb = np.array([(1.0, 1.0, 1.0) if nd.selected else
                            VERDICT_RGB.get(nd.verdict, VERDICT_RGB["unknown"])
                            for nd in needles])
            self.ends_layer.fill(ends, [], np.arange(len(ends)), np.repeat(rgb, 2, axis=0))
        else:
            self.ends_layer.fill(np.zeros((0, 3)), [], [], [])
        while len(self._pipes) < len(needles):
            line = vtk.vtkLineSource()
            tube = vtk.vtkTubeFilter()
            tube.SetInputConnection(line.GetOutputPort())
            tube.SetNumberOfSides(16)
            tube.CappingOn()
            mapper = vtk.vtkPolyDataMapper()
            mapper.SetInputConnection(tube.GetOutputPort())
            actor = vtk.vtkActor()
            actor.SetMapper(mapper)
            actor.GetProperty().SetAmbient(0.6)        # the verdict colour reads true
            actor.GetProperty().SetDiffuse(0.5)
            self.renderer.AddActor(actor)
            self._pipes.append((line, tube, actor))
        for (line, tube, actor), nd in zip(self._pipes, needles):
            # the whole needle from the skin: inside bone alone it would be hidden
            line.SetPoint1(*(nd.skin if nd.skin is not None else nd.entry))
            line.SetPoint2(*nd.target)
            tube.SetRadius(nd.diameter_mm / 2.0)
            actor.GetProperty().SetColor(*VERDICT_RGB.get(nd.verdict, VERDICT_RGB["unknown"]))
            actor.VisibilityOn()
        for _, _, actor in self._pipes[len(needles):]:
            actor.VisibilityOff()


CANAL_SECTION_EVERY = 2      # draw every other canal section (1 mm apart) on the slices


def model_outlines(model, height_points: dict | None = None) -> list[Polyline]:
    """The vertebra model as outlines the user can judge on the slices: body sections,
    canal sections, each pedicle's isthmus outline and, on the mid-sagittal plane, where
    the anterior, middle and posterior heights were measured (endplate to endplate)."""
    out = [Polyline("height", np.asarray(ends, float))
           for ends in (height_points or {}).values()]
    out += [Polyline("body", o.points) for o in model.outlines]
    out += [Polyline("canal", c.points) for c in model.canal[::CANAL_SECTION_EVERY]]
    out += [Polyline("pedicle", p.outline) for p in model.pedicles.values()]
    return out
