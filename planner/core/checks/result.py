"""A check's outcome and the thresholds behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS, WARN, FAIL, UNKNOWN = "pass", "warn", "fail", "unknown"
SEVERITY = {PASS: 0, UNKNOWN: 1, WARN: 2, FAIL: 3}


@dataclass
class CheckResult:
    id: str
    verdict: str
    value: float | None
    unit: str
    rule: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # by hand: dataclasses.asdict deep-copies every detail and was a tenth of a
        # judgement (the suggested plan judges some 160 lines)
        value = round(self.value, 2) if isinstance(self.value, float) else self.value
        return {"id": self.id, "verdict": self.verdict, "value": value, "unit": self.unit,
                "rule": self.rule, "details": _plain(self.details)}


def _plain(v: Any) -> Any:
    """A copy of nested dicts and lists (what asdict made of the details)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_plain(x) for x in v)
    return v


def unknown(check_id: str, unit: str, rule: str, why: str) -> CheckResult:
    """A check that cannot be computed says so; it never says pass."""
    return CheckResult(check_id, UNKNOWN, None, unit, rule, {"reason": why})


def worst(verdicts: list[str]) -> str:
    """Overall verdict: fail > warn > unknown > pass (unknown is never reported as pass)."""
    if not verdicts:
        return UNKNOWN
    return max(verdicts, key=SEVERITY.get)


@dataclass
class CheckSettings:
    """Planning thresholds (CLINICAL.md defaults); every margin also grows by half the
    slice thickness."""

    medial_pass_mm: float = 2.0          # clearance to the canal: pass at >= 2, warn 0-2
    lateral_pass_mm: float = 1.0         # lateral/superior: pass >= 1 mm inside the cortex
    lateral_fail_breach_mm: float = 2.0  # lateral/superior breach >= 2 mm fails
    inferior_pass_mm: float = 2.0        # inferior (nerve root): as medial
    anterior_pass: tuple[float, float] = (7.0, 13.0)
    anterior_warn: tuple[float, float] = (5.0, 15.0)
    along_needle_warn_mm: float = 5.0
    pedicle_bone_per_side_mm: float = 1.0
    endplate_pass_mm: float = 2.0        # our default: clear of the endplates by 2 mm
    clock_pass_hours: float = 1.0
    target_offset_mm: tuple[float, float] = (5.0, 15.0)   # bipedicular tip from midline
    anterior_target_mm: float = 10.0
    rib_head_pass_mm: float = 2.0        # our default: parapedicular, clear of the rib head


def gertzbein_robbins(breach_mm: float) -> str:
    """Grade of a breach depth (A none, B < 2, C 2-4, D 4-6, E >= 6 mm)."""
    if breach_mm <= 0:
        return "A"
    if breach_mm < 2:
        return "B"
    if breach_mm < 4:
        return "C"
    if breach_mm < 6:
        return "D"
    return "E"


def value_text(check: dict[str, Any]) -> str:
    """A check's measured value with its unit, as the panel and the report show it."""
    v = check.get("value")
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.1f} {check.get('unit', '')}".strip()
    return f"{v} {check.get('unit', '')}".strip()
