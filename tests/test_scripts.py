"""The benchmark scripts run (tiny sizes), so they cannot rot; no speed is asserted."""

import json
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), os.pardir)


def test_bench_runs_two_steps_at_batch_4(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "bench.py"), "--batch-size", "4",
         "--steps", "2", "--warmup", "1", "--pipeline-images", "16", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    rates = json.loads(out.read_text())["images_per_sec"]
    assert set(rates) == {"kgan", "keras-fp32", "d2l-eager", "input-pipeline", "export-sample"}
    assert all(rate > 0 for rate in rates.values())
    assert "kgan/keras-fp32" in result.stdout
