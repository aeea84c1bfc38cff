"""Trajectories for other tools: 3D Slicer markups JSON and CSV.

Slicer's markups format (``.mrk.json``, schema markups-schema-v1.0.3): one "Line" markup
per trajectory, its two control points the entry and the tip, in LPS millimetres as the
plan holds them. Slicer loads every markup of such a file as its own line node.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

SLICER_SCHEMA = ("https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/"
                 "Markups/Resources/Schema/markups-schema-v1.0.3.json#")
VERDICT_COLOUR = {"pass": [0.16, 0.78, 0.31], "warn": [1.0, 0.69, 0.0],
                  "fail": [0.9, 0.16, 0.16]}
GREY = [0.6, 0.6, 0.6]


def _atomic_write(path: str | os.PathLike, text: str) -> None:
    target = Path(path)
    tmp = target.with_name(f".{target.name}.part")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, target)


def slicer_markups(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Markups JSON for lines given as dicts with ``name``, ``entry``, ``target`` (LPS mm),
    ``description`` and optionally ``verdict`` (colours the line)."""
    markups = []
    for line in lines:
        colour = VERDICT_COLOUR.get(line.get("verdict", ""), GREY)
        markups.append({
            "type": "Line", "name": line["name"], "coordinateSystem": "LPS",
            "coordinateUnits": "mm", "locked": True, "fixedNumberOfControlPoints": True,
            "labelFormat": "%N-%d",
            "controlPoints": [
                {"id": "1", "label": f"{line['name']} entry",
                 "description": line.get("description", ""),
                 "position": [float(x) for x in line["entry"]], "selected": True,
                 "locked": True, "visibility": True, "positionStatus": "defined"},
                {"id": "2", "label": f"{line['name']} tip",
                 "description": line.get("description", ""),
                 "position": [float(x) for x in line["target"]], "selected": True,
                 "locked": True, "visibility": True, "positionStatus": "defined"}],
            "measurements": [{"name": "length", "enabled": True, "units": "mm",
                              "printFormat": "%-#4.4g%s"}],
            "display": {"visibility": True, "opacity": 1.0, "color": colour,
                        "selectedColor": colour, "propertiesLabelVisibility": True,
                        "pointLabelsVisibility": False, "lineThickness": 0.2}})
    return {"@schema": SLICER_SCHEMA, "markups": markups}


def write_slicer_markups(path: str | os.PathLike, lines: list[dict[str, Any]]) -> None:
    _atomic_write(path, json.dumps(slicer_markups(lines), indent=2, allow_nan=False))


def write_csv(path: str | os.PathLike, columns: list[str], rows: list[list[Any]]) -> None:
    """Plain CSV (comma, header row, '.' decimals), written atomically."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    _atomic_write(path, buf.getvalue())
