"""The analysts' notebooks: committed stripped, executed by papermill, agreeing with `lomsong run`.

The three notebooks and one `lomsong run` with the same parameters (embedded modelled network,
5G, 1000 m, budget 3) run as four parallel processes; then each notebook's outputs must exist
and its figures agree with the CLI's ``summary.json``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
STEMS = ("01_data_tour", "02_coverage_and_gaps", "03_site_priorities")
PARAMS = {"tech": "5G", "resolution_m": 1000.0, "budget": 3}
PARAM_NAMES = {"stations", "tech", "resolution_m", "budget", "out_dir"}
TIMEOUT_S = 420

pytestmark = pytest.mark.timeout(TIMEOUT_S + 60)


def _kernel_name() -> str:
    """``python3``, installing this interpreter's ipykernel spec if none is registered."""
    from jupyter_client.kernelspec import find_kernel_specs

    if "python3" not in find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"],
                       check=True, capture_output=True)
    return "python3"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Execute the notebooks and the CLI side by side; return their output folders."""
    base = tmp_path_factory.mktemp("notebooks")
    kernel = _kernel_name()
    procs = {}
    for stem in STEMS:
        args = [sys.executable, "-m", "papermill", str(NB_DIR / f"{stem}.ipynb"),
                str(base / f"{stem}.ipynb"), "-k", kernel, "--cwd", str(ROOT),
                "--log-level", "WARNING", "--no-progress-bar",
                "-p", "out_dir", str(base / stem)]
        for k, v in PARAMS.items():
            args += ["-p", k, str(v)]
        procs[stem] = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
    cli = [sys.executable, "-m", "lomsong.cli", "run", "--default", "--tech", "5g",
           "--resolution", str(PARAMS["resolution_m"]), "--budget", str(PARAMS["budget"]),
           "--out", str(base / "cli"), "--quiet"]
    procs["cli"] = subprocess.Popen(cli, cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
    failed = {}
    for name, p in procs.items():
        try:
            out, _ = p.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        if p.returncode != 0:
            failed[name] = out[-4000:]
    assert not failed, "\n\n".join(f"--- {k}\n{v}" for k, v in failed.items())
    return base


def _summary(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def test_committed_notebooks_are_stripped_and_parametrised():
    # committed files == the generator's output
    subprocess.run([sys.executable, str(NB_DIR / "_make_notebooks.py"), "--check"], check=True)
    for stem in STEMS:
        nb = nbformat.read(NB_DIR / f"{stem}.ipynb", as_version=4)
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, stem
        names = {line.split("=")[0].strip() for line in params[0].source.splitlines()
                 if "=" in line and not line.startswith("#")}
        assert names == PARAM_NAMES, stem
        for c in nb.cells:
            if c.cell_type == "code":
                assert c.outputs == [] and c.execution_count is None, stem
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "from analysis" in text  # the library, not a copy of it


def test_notebooks_write_outputs_and_show_figures(runs):
    expected = {
        "01_data_tour": ["data_tour.json", "communes_population.csv", "stations.csv",
                         "stations_map.html", "terrain_classes.png", "population.png",
                         "stations.png"],
        "02_coverage_and_gaps": ["coverage_gaps.json", "communes.csv", "gaps.csv",
                                 "coverage/rsrp_5g.tif", "coverage/covered_any.tif",
                                 "gaps_map.html", "coverage.png", "communes_coverage.png",
                                 "gaps.png"],
        "03_site_priorities": ["summary.json", "results.gpkg", "report.html", "priorities.xlsx",
                               "coverage/rsrp_5g.tif", "terrain_comparison.csv",
                               "proposals_map.html", "coverage_curve.png",
                               "mountain_vs_coastal.png", "proposals.png"],
    }
    for stem, files in expected.items():
        for f in files:
            assert (runs / stem / f).is_file(), f"{stem}: {f} missing"
        nb = nbformat.read(runs / f"{stem}.ipynb", as_version=4)
        images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {})]
        assert len(images) >= 3, stem
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors, stem


def test_notebook_figures_agree_with_cli_summary(runs):
    cli = _summary(runs / "cli", "summary.json")
    nb3 = _summary(runs / "03_site_priorities", "summary.json")
    cli.pop("seconds")
    nb3.pop("seconds")
    assert nb3 == cli

    nb2 = _summary(runs / "02_coverage_and_gaps", "coverage_gaps.json")
    for k in ("people_total", "people_covered", "people_uncovered", "people_in_gaps"):
        assert nb2[k] == pytest.approx(cli[k], abs=0.11), k
    for k in ("gaps", "communes_lom_song", "stations", "tech", "resolution_m"):
        assert nb2[k] == cli[k], k

    nb1 = _summary(runs / "01_data_tour", "data_tour.json")
    assert nb1["people_total"] == pytest.approx(cli["people_total"], abs=0.11)
    assert nb1["stations"] == cli["stations"]
    assert nb1["stations_modelled"] is cli["stations_modelled"] is True
    assert nb1["communes"] == 78
