"""``lomsong … | head`` ends quietly (issue #12), and ``--help`` needs none of the heavy
libraries (lazy imports keep it near the interpreter's start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from lomsong.cli import main; sys.exit(main())"


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def test_a_closed_pipe_ends_without_a_traceback():
    proc = subprocess.Popen([sys.executable, "-c", CLI, "info", "--json"], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first write (like `| head -0`):
    # deterministic, whereas `head -1` races a 32 kB answer against a 64 kB pipe buffer
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141  # 128 + SIGPIPE, as a shell reports it
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert err == ""


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from lomsong.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = sorted(m for m in ('numpy', 'pandas', 'geopandas', 'rasterio', 'shapely', "
        "'pyproj', 'scipy', 'numba', 'streamlit') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == ""
