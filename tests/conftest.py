"""Shared fixtures: the embedded data, loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI machines are small and shared: no per-example deadlines, and the same examples every
# run (a failure found once is found again). HYPOTHESIS_PROFILE=dev searches afresh.
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Deterministic GeoPackage timestamps for byte-identical outputs.
os.environ.setdefault("OGR_CURRENT_DATE", "2026-11-23T00:00:00Z")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def communes():
    from geo.data import load_communes

    return load_communes()


@pytest.fixture(scope="session")
def province():
    from geo.data import load_province

    return load_province()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public source data beside the repository; tests needing it skip without it."""
    if not SHARED.exists():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED


class RunStopped(Exception):
    """Raised in place of the analysis by :func:`run_kwargs`."""


@pytest.fixture
def run_kwargs(monkeypatch):
    """Capture what ``lomsong run`` passes to ``analysis.pipeline.run_analysis``.

    Returns ``(seen, RunStopped)``: the fake records the keyword arguments into ``seen``
    and raises ``RunStopped`` instead of running the analysis.
    """
    import analysis.pipeline as pipeline

    seen: dict = {}

    def fake_run(*args, **kwargs):
        seen.update(kwargs)
        raise RunStopped

    monkeypatch.setattr(pipeline, "run_analysis", fake_run)
    return seen, RunStopped
