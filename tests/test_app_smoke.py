"""The application's self-test (``--smoke-test``, what an installed bundle is checked
with) and the ready-made sample case a bundle carries."""

import json
import subprocess
import sys

from planner.io import sample_case as sample_module


def test_smoke_test_opens_the_sample_renders_and_exits_0():
    out = subprocess.run([sys.executable, "-m", "planner", "--smoke-test"],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["smoke_test"] == "ok" and report["volume"] == [448, 320, 149]
    assert 0 < report["seconds_to_first_frame"] < 120
    assert min(report["view_pixels"]) > 50


def test_a_bundled_sample_is_used_before_the_cache(tmp_path, monkeypatch, sample_case):
    bundled = tmp_path / "sample" / sample_case.name
    bundled.mkdir(parents=True)
    (bundled / sample_module.TRUTH_NAME).write_text("{}")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert sample_module.ensure_sample() == bundled
    monkeypatch.delattr(sys, "_MEIPASS")
    assert sample_module.ensure_sample() == sample_case
