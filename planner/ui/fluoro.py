"""Biplane simulated fluoroscopy: the frontal plane (C-arm controls, standard views) and
the lateral plane, both centred on the current level, with the plan drawn over them."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer

from planner.core.carm import CArm
from planner.core.overlays import (VERDICT_RGB, Label, Overlay, Polyline, level_overlay,
                                   needle_overlay)
from planner.core.standard_views import (describe_from_true_ap, en_face_directions,
                                         OVERVIEW_DETECTOR_MM, PATIENT_POSITION,
                                         standard_views, view_isocentre)
from planner.model.plan_session import PlanSession
from planner.render.plan_overlay import BREACH_RING_MM
from planner.ui.carm_panel import CArmPanel
from planner.ui.drr_service import PREVIEW, SETTLED, DrrService
from planner.ui.fluoro_view import FluoroView

SETTLE_MS = 250           # after the last angle change, the full-quality image


class FluoroController(QObject):
    def __init__(self, parent, session: PlanSession, views: dict[str, FluoroView],
                 panel: CArmPanel, drag_target) -> None:
        super().__init__(parent)
        self.session, self.views, self.panel = session, views, panel
        self.service = DrrService(self)
        self.service.rendered.connect(self._rendered)
        self.service.ready.connect(self.render_all)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(lambda: self.request("ap", SETTLED))
        self.volume: Any = None
        self._banner: list[str] = []
        self._static: dict[str, tuple] = {}
        self._label_edges: dict[str, tuple] = {}
        self._shown_level = None            # the level the planes were last turned to
        self.view_name = "true AP"
        panel.angles_changed.connect(self.set_angles)
        panel.standard_view_requested.connect(self.show_standard_view)
        panel.invert_toggled.connect(self._invert)
        session.levels_changed.connect(self._level_maybe_changed)
        session.current_changed.connect(lambda i: self._level_maybe_changed())
        session.level_changed.connect(lambda i: self.refresh_overlays())
        session.trajectory_changed.connect(lambda i, s: self.refresh_overlays())
        for v in views.values():
            v.preferred_needle = drag_target.preferred_needle
            v.handle_grabbed.connect(drag_target.grab_handle)
            v.handle_moved.connect(drag_target.move_handle)
            v.handle_released.connect(drag_target.release_handle)

    # --- volume and level ---------------------------------------------------------------
    def set_volume(self, volume: Any, banner: list[str]) -> None:
        self.volume = volume
        self._shown_level = None
        self._banner = banner
        iso = volume.center()
        for name, v in self.views.items():
            v.carm = CArm(primary_deg=180.0 if name == "ap" else 90.0, isocentre=iso,
                          patient_position=PATIENT_POSITION)
            v.image = None
        self.panel.set_enabled(False)
        self.service.set_volume(volume)
        self.refresh_overlays()

    def set_banner(self, lines: list[str]) -> None:
        """Patient, study and series (or "De-identified") on both images."""
        self._banner = list(lines)
        self.refresh_overlays()

    def _level(self):
        s = self.session
        return None if s.current is None else s.levels[s.current]

    def _level_maybe_changed(self) -> None:
        level = self._level()
        if level is None:
            self._shown_level = None
            self.panel.set_enabled(False)
            self.refresh_overlays()
            return
        if self._shown_level is level:
            self.refresh_overlays()
            return
        self._shown_level = level
        self.panel.set_enabled(True)
        self.show_standard_view("true AP")
        lateral = self._standard("true lateral")
        self.views["lateral"].carm = lateral.carm(level.model.centre,
                                                  patient_position=PATIENT_POSITION)
        self.views["lateral"].caption = "true lateral"
        self.refresh_overlays()              # drawn with the lateral plane's new angles
        self.request("lateral", SETTLED)

    def _standard(self, name: str):
        level = self._level()
        f = level.model.frame
        needles = {side: (t.entry, t.target) for side, t in level.trajectories.items()}
        views = {v.name: v for v in standard_views(
            f.left, f.anterior, f.cranial, en_face=en_face_directions(level.model, needles),
            patient_position=PATIENT_POSITION)}
        return views.get(name)

    # --- the frontal plane --------------------------------------------------------------
    def show_standard_view(self, name: str) -> None:
        level = self._level()
        if level is None:
            return
        wide = name == "overview"        # the true AP with a wide field, to count levels
        view = self._standard("true AP" if wide else name)
        if view is None:
            self.window_message(f"No {name} view: the model has no pedicle on that side")
            return
        self.view_name = name
        iso = view_isocentre(name, level.model, {
            side: (t.entry, t.target) for side, t in level.trajectories.items()})
        self.views["ap"].carm = view.carm(iso, patient_position=PATIENT_POSITION,
                                          detector_mm=OVERVIEW_DETECTOR_MM if wide else
                                          CArm().detector_mm)
        self._describe()
        self.request("ap", SETTLED)

    def set_angles(self, primary: float, secondary: float) -> None:
        v = self.views["ap"]
        v.carm = v.carm.with_(primary_deg=primary, secondary_deg=secondary)
        self.view_name = "custom"
        self._describe()
        self.request("ap", PREVIEW)
        self._settle.start()

    def _describe(self) -> None:
        level = self._level()
        carm = self.views["ap"].carm
        text = "true AP"
        if level is not None:
            f = level.model.frame
            text = describe_from_true_ap(carm.detector_direction, -f.anterior, f.cranial,
                                         f.left)
        ct = str(self.volume.meta.get("patient_position", "")) if self.volume else ""
        self.panel.show_angles(carm.primary_deg, carm.secondary_deg, text, PATIENT_POSITION,
                               ct)
        self.views["ap"].caption = f"{self.view_name}  ({text})"
        self.refresh_overlays()

    def _invert(self, on: bool) -> None:
        self.service.invert = on
        self.render_all()

    def window_message(self, text: str) -> None:
        self.parent().statusBar().showMessage(text, 6000)

    # --- rendering ----------------------------------------------------------------------
    def request(self, name: str, quality: str) -> None:
        if self.volume is not None:
            self.service.request(name, self.views[name].carm, quality)

    def render_all(self) -> None:
        for name in self.views:
            self.request(name, SETTLED)

    def _rendered(self, name: str, carm: CArm, image: np.ndarray, quality: str) -> None:
        view = self.views[name]
        if carm is view.carm or view.image is None:       # stale images are dropped
            view.set_image(carm, image)

    def refresh_overlays(self) -> None:
        s = self.session
        level = self._level()
        for name, view in self.views.items():
            carm = view.carm
            moving, handles = Overlay(), []
            for i, other in enumerate(s.levels):
                for side, t in other.trajectories.items():
                    handles += [((i, side), "entry", t.entry), ((i, side), "target", t.target)]
                    moving.lines += needle_overlay(carm, t.entry, t.target, t.diameter_mm,
                                                   s.shown_verdict(i, side))
            if level is not None:
                moving.lines += self._breach_marks(carm, s.current)
            view.banner = self._banner + ([] if level is None else [f"Level {level.label}"])
            view.set_overlay(self._static_overlay(name, carm, level), moving, handles)

    def _static_overlay(self, name: str, carm: CArm, level) -> Overlay:
        """What does not move with the needles (pedicles, walls, side and level labels):
        the same object while nothing of it changes, so the view paints it once."""
        labels = self._level_labels(name, carm)
        cached = self._static.get(name)
        model = None if level is None else level.model
        if (cached is None or cached[0] is not carm or cached[1] is not model
                or cached[2] != labels):
            lines = Overlay() if model is None else level_overlay(carm, model, [])
            cached = (carm, model, labels, Overlay(lines.lines, lines.labels + labels))
            self._static[name] = cached
        return cached[3]

    def _label_edge(self, name: str, carm: CArm, level) -> float:
        """Where a level's label goes on a view: beyond its body and its needles (beside
        the body's centre it hid the tips on the lateral view). Placed once per view
        angle and model: a label that followed a dragged needle would rebuild the view's
        static overlay on every move."""
        cached = self._label_edges.get(name)
        if cached is None or cached[0] is not carm:
            cached = self._label_edges[name] = (carm, {})
        known = cached[1].get(id(level.model))
        if known is None or known[0] is not level.model:
            drawn = [o.points for o in level.model.outlines] + [
                np.array([t.entry, t.target]) for t in level.trajectories.values()]
            known = (level.model, float(carm.project(np.vstack(drawn))[:, 0].max()))
            cached[1][id(level.model)] = known
        return known[1]

    def _level_labels(self, name: str, carm: CArm) -> list[Label]:
        """Each planned level's label beside its body, and how the levels were counted."""
        s = self.session
        n = carm.pixels
        out = []
        for i, level in enumerate(s.levels):
            c = carm.project(level.model.centre)
            edge = self._label_edge(name, carm, level)
            out.append(Label((float(edge + 0.015 * n), float(c[1] - 0.02 * n)),
                             f"< {level.label}",
                             (255, 255, 255) if i == s.current else (200, 200, 200),
                             size=max(14, n // 28)))
        if s.levels:
            out.append(Label((0.03 * n, 0.90 * n), f"levels counted from {s.counted_from}"
                             if s.counted_from else "level count not recorded", size=12))
        return out

    def _breach_marks(self, carm: CArm, index: int) -> list[Polyline]:
        """A circle where a needle of the level comes too close to (or enters) the canal."""
        out = []
        for side in self.session.levels[index].trajectories:
            found = self.session.canal_breach(index, side)
            if found is None:
                continue
            point, verdict = found
            c = carm.project(point)
            r = BREACH_RING_MM * carm.magnification / carm.pixel_mm
            ang = np.linspace(0, 2 * np.pi, 25)
            ring = c + r * np.stack([np.cos(ang), np.sin(ang)], axis=1)
            out.append(Polyline(ring, VERDICT_RGB[verdict], 2.0, closed=True, kind="breach"))
        return out

    def stop(self) -> None:
        self.service.stop()

