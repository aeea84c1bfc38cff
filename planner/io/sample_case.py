"""The built-in sample case: the synthetic spine written as a DICOM series plus its truth.

Generated on first use into the user's cache (deterministic from the seed), so the
program ships no large data and starts on a realistic case in one command. The frozen
application carries it ready-made (``sample/`` in the bundle) to start at once.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from planner.core.phantom import PhantomSpec, SpinePhantom
from planner.io.dicom_write import write_ct_series

SAMPLE_VERSION = 2
TRUTH_NAME = "truth.json"
DICOM_DIR = "dicom"


def cache_root() -> Path:
    base = os.environ.get("PEDICLE_PLANNER_CACHE") or os.environ.get("XDG_CACHE_HOME") \
        or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pedicle-planner"


def write_sample(outdir: str | os.PathLike, spec: PhantomSpec | None = None) -> Path:
    """Render the phantom and write ``outdir/dicom/*.dcm`` and ``outdir/truth.json``."""
    spec = spec or PhantomSpec()
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    phantom = SpinePhantom(spec)
    volume = phantom.render()
    paths = write_ct_series(
        volume, out / DICOM_DIR, patient_name="Sample^Spine", patient_id="PP-SAMPLE",
        study_description="Synthetic thoracolumbar spine (Pedicle Planner sample)",
        series_description=f"Sample CT seed {spec.seed}", patient_position="HFS",
        uid_seed=f"pedicle-planner-sample-{SAMPLE_VERSION}-{spec.seed}")
    import pydicom

    truth = phantom.truth()
    truth["series_uid"] = str(pydicom.dcmread(paths[0], stop_before_pixels=True)
                              .SeriesInstanceUID)
    truth["dicom_folder"] = DICOM_DIR
    (out / TRUTH_NAME).write_text(json.dumps(truth, indent=1))
    return out


def sample_name(seed: int = 0) -> str:
    return f"sample-v{SAMPLE_VERSION}-seed{seed}"


def ensure_sample(seed: int = 0) -> Path:
    """Path of the sample case folder: the bundled one, or the cached one, generated
    atomically if absent."""
    bundled = Path(getattr(sys, "_MEIPASS", "/nonexistent")) / "sample" / sample_name(seed)
    if (bundled / TRUTH_NAME).exists():
        return bundled
    target = cache_root() / sample_name(seed)
    if (target / TRUTH_NAME).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sample-", dir=target.parent))
    try:
        write_sample(tmp, PhantomSpec(seed=seed))
        try:
            tmp.rename(target)
        except OSError:   # another process won the race
            if not (target / TRUTH_NAME).exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
