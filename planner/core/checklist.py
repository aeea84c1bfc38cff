"""The pre-procedure checklist (CLINICAL.md, patient selection for vertebroplasty).

Each item is answered yes or no; an unanswered item leaves the checklist incomplete, never
clear. Contraindications count when answered yes; confirmations (STIR oedema, imaging and
examination agreeing) count as absolute contraindications when answered no.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAIN_LIMIT_WEEKS = 13.0       # pain over three months is less likely to benefit
ANSWERS = ("yes", "no", "")


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    kind: str          # "absolute", "relative" (contraindication if yes), "confirm" (if no)


ITEMS: tuple[Item, ...] = (
    Item("stir_oedema", "Marrow oedema on STIR MRI confirmed at every level planned",
         "confirm"),
    Item("concordance", "Imaging and examination agree (pain at the fractured level)",
         "confirm"),
    Item("coagulation", "Abnormal coagulation, or anticoagulants not stopped", "absolute"),
    Item("cardiorespiratory", "Severe cardiac or respiratory failure precluding sedation "
         "or anaesthesia", "absolute"),
    Item("infection", "Infection or fever", "absolute"),
    Item("height_loss", "Severe loss of vertebral height", "relative"),
    Item("deformity", "Severe kyphosis or scoliosis", "relative"),
    Item("bone_stock", "Severe loss of pedicle or posterior-wall bone stock (cement leak "
         "risk)", "relative"),
    Item("other_pain", "Concurrent facet or sacroiliac dysfunction, radiculopathy or sacral "
         "insufficiency fracture", "relative"),
)
BY_ID = {i.id: i for i in ITEMS}


def empty() -> dict[str, Any]:
    """A checklist nobody has filled in yet."""
    return {"answers": {i.id: "" for i in ITEMS}, "pain_weeks": None, "notes": ""}


def assess(checklist: dict[str, Any]) -> dict[str, Any]:
    """Status of a checklist: "contraindicated" (an absolute contraindication),
    "incomplete" (something unanswered), "caution" (relative contraindications only) or
    "clear", with the findings in words."""
    answers = checklist.get("answers", {})
    absolute, relative, open_items = [], [], []
    for item in ITEMS:
        a = answers.get(item.id, "")
        if a == "":
            open_items.append(item.text)
        elif item.kind == "confirm" and a == "no":
            absolute.append(f"not confirmed: {item.text}")
        elif item.kind == "absolute" and a == "yes":
            absolute.append(item.text)
        elif item.kind == "relative" and a == "yes":
            relative.append(item.text)
    weeks = checklist.get("pain_weeks")
    if weeks is None:
        open_items.append("Pain duration")
    elif weeks > PAIN_LIMIT_WEEKS:
        relative.append(f"Pain for {weeks:g} weeks (over 3 months: less likely to benefit)")
    status = ("contraindicated" if absolute else "incomplete" if open_items
              else "caution" if relative else "clear")
    return {"status": status, "absolute": absolute, "relative": relative,
            "unanswered": open_items}


# the posterior wall of a fractured body, as read on the sagittal CT (per level)
POSTERIOR_WALL_STATES = ("", "intact", "fractured, not displaced", "retropulsed fragment")
