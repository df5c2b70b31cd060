"""Shared fixtures: the embedded data, loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
