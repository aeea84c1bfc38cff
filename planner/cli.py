"""Command line: the GUI by default, headless sub-commands that print JSON.

Bad input never shows a traceback: one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from planner import __version__

SUBCOMMANDS = ("sample", "info", "plan", "check", "drr", "report", "export")
EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    print(f"pedicle-planner: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _series_json(series: Any) -> dict[str, Any]:
    return {"series_uid": series.uid, "modality": series.modality,
            "description": series.series_description, "number": series.series_number,
            "images": series.n_images, "patient_name": series.patient_name,
            "study_description": series.study_description,
            "pixel_spacing": list(series.pixel_spacing)}


def volume_info(volume: Any) -> dict[str, Any]:
    """What `info` prints for a loaded volume (LPS mm)."""
    lo, hi = volume.bounds()
    m = volume.meta
    return {
        "dimensions": list(volume.shape_ijk),
        "spacing": [round(float(s), 6) for s in volume.spacing],
        "affine": [[round(float(x), 6) for x in row] for row in volume.affine],
        "direction": [[round(float(x), 6) for x in row] for row in volume.direction],
        "origin": [round(float(x), 4) for x in volume.origin],
        "bounds_lps": [[round(float(x), 3) for x in lo], [round(float(x), 3) for x in hi]],
        "hu_range": list(volume.hu_range()),
        "modality": m.get("modality", ""), "series_uid": m.get("series_uid", ""),
        "study_uid": m.get("study_uid", ""),
        "patient_position": m.get("patient_position", ""),
        "patient_name": m.get("patient_name", ""), "patient_id": m.get("patient_id", ""),
        "series_description": m.get("series_description", ""),
        "slice_thickness": m.get("slice_thickness"), "dtype": str(volume.array.dtype),
        "source": m.get("source", ""), "warnings": list(volume.warnings),
        "coordinates": "LPS mm",
    }


def cmd_info(args: argparse.Namespace) -> int:
    from planner.io.errors import MultipleSeriesError
    from planner.io.loader import load_volume

    try:
        vol = load_volume(args.path, series_uid=args.series, allow_non_ct=args.allow_non_ct)
    except MultipleSeriesError as exc:
        listing = {"path": args.path, "series": [_series_json(s) for s in exc.series]}
        if args.json:
            print(json.dumps(listing, indent=2))
        else:
            for s in listing["series"]:
                print(f"{s['series_uid']}  {s['modality']}  {s['images']} images  "
                      f"{s['description']}")
        print("pedicle-planner: several series: pass --series UID to choose one",
              file=sys.stderr)
        return 0
    info = volume_info(vol)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for key in ("dimensions", "spacing", "origin", "hu_range", "modality", "series_uid",
                    "patient_position", "series_description", "warnings"):
            print(f"{key:20s} {info[key]}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from planner.core.phantom import PhantomSpec
    from planner.io.sample_case import write_sample

    out = write_sample(args.outdir, PhantomSpec(seed=args.seed))
    print(json.dumps({"dicom": str(out / "dicom"), "truth": str(out / "truth.json")}))
    return 0


def _point(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not X,Y,Z in millimetres") from None
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"'{text}' is not X,Y,Z in millimetres")
    return values


def _level_json(model: Any, level_point: list[float]) -> dict[str, Any]:
    summary = model.summary()
    return {"label": None, "level_point": level_point,
            "body_center": model.centre.tolist(), "height_mm": model.height_mm,
            "body": summary["body"], "canal": summary["canal"],
            "pedicles": summary["pedicles"], "missing": model.missing,
            "slice_thickness_mm": model.slice_thickness_mm,
            "uncertainty_margin_mm": model.uncertainty_margin_mm}


def _load_and_model(args: argparse.Namespace) -> tuple[Any, Any]:
    from planner.core.anatomy.model import build_model
    from planner.io.loader import load_volume

    vol = load_volume(args.path, series_uid=args.series, allow_non_ct=args.allow_non_ct)
    return vol, build_model(vol, args.level_point)


def cmd_plan(args: argparse.Namespace) -> int:
    from planner.core.checks.judge import judge
    from planner.core.plan import suggest_plan

    vol, model = _load_and_model(args)
    plan = suggest_plan(vol, model, gauge=args.gauge, approach=args.approach)
    out = {"coordinates": "LPS mm", "series_uid": vol.meta.get("series_uid", ""),
           "level": _level_json(model, args.level_point), "frame": model.frame.to_json(),
           "approach": args.approach,
           "views": _views_json(vol, model, {t.side: t.direction for t in plan.trajectories}),
           "warnings": list(vol.warnings) + model.warnings + plan.warnings,
           "trajectories": [judge(vol, model, t) for t in plan.trajectories]}
    print(json.dumps(out, indent=2, default=_json_default))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    import numpy as np

    from planner.core.checks.judge import judge
    from planner.core.trajectory import Trajectory

    vol, model = _load_and_model(args)
    entry = np.array(args.entry)
    side = args.side or ("left" if (entry - model.centre) @ model.frame.left > 0
                         else "right")
    try:
        traj = Trajectory(side, entry, np.array(args.target), args.gauge, args.approach)
    except ValueError as exc:
        return _fail(str(exc))
    out = {"coordinates": "LPS mm", "series_uid": vol.meta.get("series_uid", ""),
           "level": _level_json(model, args.level_point), "frame": model.frame.to_json(),
           "warnings": list(vol.warnings) + model.warnings,
           "trajectories": [judge(vol, model, traj)]}
    print(json.dumps(out, indent=2, default=_json_default))
    return 0


def cmd_drr(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from planner.core.carm import CArm
    from planner.core.drr import attenuation, render, to_display
    from planner.io.loader import load_volume
    from planner.io.png import write_png

    if not 16 <= args.size <= 2048:
        return _fail("--size must be between 16 and 2048 pixels")
    if args.view is None and (args.primary is None or args.secondary is None):
        return _fail("give --primary and --secondary, or --view with --level-point")
    vol = load_volume(args.path, series_uid=args.series, allow_non_ct=args.allow_non_ct)
    plan = _read_plan(args.plan, vol) if args.plan else None
    iso = np.array(args.level_point) if args.level_point else vol.center()
    primary, secondary, described, model = args.primary, args.secondary, None, None
    if args.view is not None:
        if not args.level_point:
            return _fail("--view needs --level-point inside the level's vertebral body")
        from planner.core.anatomy.model import build_model
        from planner.core.standard_views import (en_face_directions, standard_views,
                                                 view_isocentre)

        model = build_model(vol, iso)
        f = model.frame
        needles = None if plan is None else {
            t["side"]: (t["entry"], t["target"]) for t in plan["trajectories"]}
        axes = en_face_directions(model, needles)
        views = {v.name.replace(" ", "-").replace("true-", ""): v for v in
                 standard_views(f.left, f.anterior, f.cranial, en_face=axes,
                                patient_position=args.patient_position)}
        if args.view not in views:
            return _fail(f"view {args.view} is not available for this level "
                         f"({', '.join(sorted(views))})")
        chosen = views[args.view]
        primary, secondary, described = (chosen.primary_deg, chosen.secondary_deg,
                                         chosen.from_true_ap)
        iso = view_isocentre(chosen.name, model, needles)
    carm = CArm(primary_deg=primary, secondary_deg=secondary, isocentre=iso,
                pixels=args.size, patient_position=args.patient_position)
    t0 = time.perf_counter()
    integrals = render(attenuation(vol), carm)
    ms = 1000 * (time.perf_counter() - t0)
    image = to_display(integrals, invert=args.invert)
    if plan is not None:
        from planner.core.anatomy.model import build_model
        from planner.core.overlays import level_overlay
        from planner.io.overlay_png import draw

        level_point = plan["level"]["level_point"]
        if model is None or not np.allclose(level_point, args.level_point):
            model = build_model(vol, level_point)      # the plan's own level
        image = draw(image, level_overlay(carm, model, plan["trajectories"]))
    write_png(args.output, image)
    print(json.dumps({"output": args.output, "primary_deg": primary,
                      "secondary_deg": secondary, "from_true_ap": described,
                      "size": args.size,
                      "isocentre": iso.tolist(), "source": carm.source.tolist(),
                      "patient_position": args.patient_position,
                      "render_ms": round(ms, 1), "coordinates": "LPS mm"}))
    return 0


def _views_json(vol: Any, model: Any, needles: dict[str, Any]) -> dict[str, Any]:
    """The level's standard C-arm views and the CT's patient position beside them."""
    from planner.core.standard_views import standard_views

    f = model.frame
    views = standard_views(f.left, f.anterior, f.cranial, en_face=needles)
    return {"procedure_position": "prone",
            "ct_patient_position": vol.meta.get("patient_position", ""),
            "views": [v.to_json() for v in views]}


def _read_plan(plan_path: str, vol: Any) -> dict[str, Any]:
    """The JSON that `plan` (or `check`) prints, checked to belong to this series."""
    from planner.io.errors import LoadError

    try:
        with open(plan_path, encoding="utf-8") as fh:
            plan = json.load(fh)
        _ = plan["level"]["level_point"][2]
        for t in plan["trajectories"]:
            _ = (t["side"], t["entry"][2], t["target"][2], float(t["diameter_mm"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise LoadError(f"cannot read the plan {plan_path}: {exc}") from exc
    uid = plan.get("series_uid", "")
    if uid and vol.meta.get("series_uid") and uid != vol.meta["series_uid"]:
        raise LoadError(f"the plan {plan_path} was made on another series ({uid})")
    return plan


def _session_from_plan(args: argparse.Namespace) -> Any:
    """A planning session rebuilt from a plan file on its CT (``--ct`` or the path the
    plan names), refused when the CT is not the one the plan was made on."""
    from planner.io.errors import LoadError
    from planner.io.loader import load_volume
    from planner.io.plan_file import read_plan, same_ct
    from planner.model.plan_session import PlanSession, levels_from_plan

    plan = read_plan(args.plan)
    ct_path = args.ct or plan["ct"]["path"]
    if not ct_path:
        raise LoadError(f"{args.plan} does not say where its CT is: give --ct PATH")
    # the plan's own series in the folder it names; in a folder given by hand, the one
    # series there (or --series), then checked to be the plan's
    uid = args.series or (None if args.ct else plan["ct"]["series_uid"] or None)
    vol = load_volume(ct_path, series_uid=uid, allow_non_ct=args.allow_non_ct)
    if not same_ct(plan, vol):
        raise LoadError(f"{ct_path} is not the CT the plan {args.plan} was made on "
                        "(different series or geometry)")
    session = PlanSession()
    session.reset(vol)
    session.load_levels(levels_from_plan(vol, plan), plan["counted_from"], plan["checklist"])
    return session


def cmd_report(args: argparse.Namespace) -> int:
    from planner.model.report import build_report

    out = args.output.lower()
    if not out.endswith((".pdf", ".html", ".htm")):
        return _fail("the report is written as PDF or HTML: name the output .pdf or .html")
    session = _session_from_plan(args)
    doc = build_report(session, deidentify=args.deidentify, images=not args.no_images,
                       plan_path="" if args.deidentify else args.plan)
    if out.endswith(".pdf"):
        from planner.io.report_pdf import write_pdf
        write_pdf(doc, args.output)
    else:
        from planner.io.report_html import write_html
        write_html(doc, args.output)
    print(json.dumps({"output": args.output, "levels": [lv.label for lv in session.levels],
                      "deidentified": args.deidentify}))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from planner.io.exports import write_csv, write_slicer_markups
    from planner.model.report import CSV_COLUMNS, markup_lines, trajectory_rows

    session = _session_from_plan(args)
    if args.format == "slicer":
        write_slicer_markups(args.output, markup_lines(session))
    else:
        write_csv(args.output, CSV_COLUMNS, trajectory_rows(session))
    print(json.dumps({"output": args.output, "format": args.format,
                      "trajectories": sum(len(lv.trajectories) for lv in session.levels)}))
    return 0


def _add_plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", help="a plan saved by the workstation (.ppplan.json)")
    p.add_argument("--ct", help="the plan's CT, when it has moved from the path in the plan")
    p.add_argument("--series", help="SeriesInstanceUID when the folder holds several")
    p.add_argument("--allow-non-ct", action="store_true", help="load non-CT modalities")
    p.add_argument("-o", "--output", required=True)


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _add_ct_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path")
    p.add_argument("--series", help="SeriesInstanceUID when the folder holds several")
    p.add_argument("--allow-non-ct", action="store_true", help="load non-CT modalities")
    p.add_argument("--json", action="store_true",
                   help="print JSON (info prints text without it; the others always JSON)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pedicle-planner",
                                description="Plan transpedicular vertebroplasty on CT. "
                                "Without a sub-command, opens the GUI (on PATH, or on the "
                                "built-in sample case).")
    p.add_argument("--version", action="version", version=f"pedicle-planner {__version__}")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("sample", help="write the synthetic spine case (DICOM + truth JSON)")
    s.add_argument("outdir")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=cmd_sample)
    i = sub.add_parser("info", help="describe a CT (DICOM folder, NIfTI or NRRD)")
    _add_ct_args(i)
    i.set_defaults(func=cmd_info)
    from planner.core.trajectory import APPROACHES, GAUGE_DIAMETER_MM

    def add_level_and_needle(p: argparse.ArgumentParser) -> None:
        _add_ct_args(p)
        p.add_argument("--level-point", type=_point, required=True,
                       help="X,Y,Z (LPS mm) inside the vertebral body of the level")
        p.add_argument("--gauge", choices=list(GAUGE_DIAMETER_MM), default="11G")
        p.add_argument("--approach", choices=APPROACHES, default="bipedicular")

    pl = sub.add_parser("plan", help="suggest trajectories for the level around a point")
    add_level_and_needle(pl)
    pl.set_defaults(func=cmd_plan)
    ch = sub.add_parser("check", help="judge one trajectory")
    add_level_and_needle(ch)
    ch.add_argument("--entry", type=_point, required=True)
    ch.add_argument("--target", type=_point, required=True)
    ch.add_argument("--side", choices=("left", "right"),
                    help="pedicle side (default: the side of the entry)")
    ch.set_defaults(func=cmd_check)
    dr = sub.add_parser("drr", help="simulated fluoroscopy image (PNG) at C-arm angles")
    _add_ct_args(dr)
    dr.add_argument("--primary", type=float,
                    help="PositionerPrimaryAngle, degrees (RAO < 0 < LAO; prone PA = 180)")
    dr.add_argument("--secondary", type=float,
                    help="PositionerSecondaryAngle, degrees (caudal < 0 < cranial)")
    dr.add_argument("--view", choices=("AP", "lateral", "en-face-left", "en-face-right"),
                    help="a standard view of the level at --level-point")
    dr.add_argument("--size", type=int, default=512, help="image size in pixels")
    dr.add_argument("--level-point", type=_point,
                    help="isocentre X,Y,Z (LPS mm); default the volume's centre")
    dr.add_argument("--patient-position", choices=("prone", "supine"), default="prone")
    dr.add_argument("--invert", action="store_true", help="bone bright")
    dr.add_argument("--plan", help="plan JSON (from `plan`) whose needles to draw")
    dr.add_argument("-o", "--output", required=True)
    dr.set_defaults(func=cmd_drr)
    rp = sub.add_parser("report", help="the plan's report as PDF or HTML (by -o's name)")
    _add_plan_args(rp)
    rp.add_argument("--deidentify", action="store_true",
                    help="no patient identifiers in the report or its images")
    rp.add_argument("--no-images", action="store_true", help="tables and text only")
    rp.set_defaults(func=cmd_report)
    ex = sub.add_parser("export", help="the plan's trajectories for other tools")
    _add_plan_args(ex)
    ex.add_argument("--format", choices=("slicer", "csv"), required=True,
                    help="3D Slicer markups JSON (.mrk.json) or CSV")
    ex.set_defaults(func=cmd_export)
    return p


def gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pedicle-planner", add_help=False)
    p.add_argument("path", nargs="?")
    p.add_argument("--series")
    p.add_argument("--smoke-test", action="store_true",
                   help="open the case, render it, print the start-up time and exit 0")
    return p


POINT_OPTIONS = ("--level-point", "--entry", "--target")


def _glue_points(argv: list[str]) -> list[str]:
    """``--entry -12.5,3,40`` would read the negative number as an option: glue each
    point option to its value (``--entry=-12.5,3,40``) before argparse sees it."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in POINT_OPTIONS and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    argv = _glue_points(list(sys.argv[1:] if argv is None else argv))
    if argv and (argv[0] in SUBCOMMANDS or argv[0] in ("-h", "--help", "--version")):
        args = build_parser().parse_args(argv)
        from planner.core.anatomy.model import ModelError
        from planner.io.errors import LoadError

        try:
            return args.func(args)
        except (LoadError, ModelError) as exc:
            return _fail(str(exc))
        except OSError as exc:
            return _fail(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": "))
    gargs, rest = gui_parser().parse_known_args(argv)
    from planner.app import run_gui

    return run_gui(gargs.path, series_uid=gargs.series, qt_args=rest,
                   smoke_test=gargs.smoke_test)
