"""A broken ``data/`` fails the tests that read it; it never skips them (issue #19)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"

#: One test per file that used to skip on DataError, and one that importorskipped geo.stations.
GUARDED = (
    "tests/test_dem.py::test_embedded_relief_is_default_and_coarse",
    "tests/test_fiber.py::test_real_seats_and_roads_on_a_coarse_grid",
    "tests/test_app.py::test_map_page_shows_results_banner_and_footer",
)


def test_no_test_skips_on_a_data_error_or_importorskips_the_project():
    skip_on_data = re.compile(r"except\s+(\([^)]*)?DataError[^:]*:\s*\n\s*pytest\.skip")
    own = re.compile(r"importorskip\(\s*[\"'](geo|analysis|lomsong|app_ui)\b")
    offenders = []
    for path in sorted(TESTS.glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.name}: skips on DataError" for _ in skip_on_data.finditer(text)]
        offenders += [f"{path.name}: {m.group(0)}" for m in own.finditer(text)]
    assert offenders == []


def test_a_corrupt_data_folder_fails_the_tests_that_read_it(tmp_path):
    broken = tmp_path / "data"
    shutil.copytree(ROOT / "data", broken)
    for line in (broken / "SHA256SUMS").read_text().splitlines():
        name = line.split(maxsplit=1)[1].lstrip("*")
        with open(broken / name, "ab") as f:
            f.write(b"\0")  # every checksummed file now fails its check
    env = dict(os.environ, LOMSONG_DATA_DIR=str(broken), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfs", *GUARDED],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert f"{len(GUARDED)} failed" in summary, done.stdout[-3000:]
    assert "skipped" not in summary
    assert done.stdout.count("DataError") >= len(GUARDED)
