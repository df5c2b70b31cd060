"""One speed of light, one Earth radius, one analysis CRS; no dead code (issue #19)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo import constants

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("geo", "analysis", "app_ui", "lomsong", "data", "benchmarks", "examples")


def _product_sources():
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name != "constants.py":
                yield path, path.read_text(encoding="utf-8")
    yield ROOT / "app.py", (ROOT / "app.py").read_text(encoding="utf-8")


def test_known_values():
    assert constants.SPEED_OF_LIGHT_M_S == 299_792_458.0  # exact (SI)
    assert constants.EARTH_RADIUS_M == 6_371_000.0  # ITU-R P.452 / P.526
    assert constants.K_FACTOR == pytest.approx(1.3333333333333333)
    assert constants.ANALYSIS_CRS == "EPSG:32648" and constants.LONLAT_CRS == "EPSG:4326"


def _literals(text: str):
    """(line, value) of every number and string literal in a module (comments, docstrings
    and messages that merely mention a value are not values)."""
    import ast

    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
            yield node.lineno, node.value


def test_no_module_types_a_constant_again():
    def retyped(value) -> bool:
        if isinstance(value, str):
            return value.strip().upper() == "EPSG:32648"
        return value == 299_792_458 or 6_370_000 <= value <= 6_372_000

    found = [f"{path.relative_to(ROOT)}:{line} {value!r}"
             for path, text in _product_sources() for line, value in _literals(text)
             if not isinstance(value, bool) and retyped(value)]
    assert found == []


def test_every_module_uses_the_same_objects():
    from analysis import siting
    from geo import diffraction, grid, population, propagation, stations, terrain

    assert propagation.SPEED_OF_LIGHT_M_S is constants.SPEED_OF_LIGHT_M_S
    for mod in (diffraction, terrain, siting, population):
        assert mod.EARTH_RADIUS_M is constants.EARTH_RADIUS_M, mod.__name__
    assert grid.ANALYSIS_CRS is constants.ANALYSIS_CRS and stations.METRIC_CRS is constants.ANALYSIS_CRS


@pytest.mark.parametrize("name", ["with_resolution", "province_priority", "coverage_distributed",
                                  "fmt_km"])
def test_dead_code_is_gone(name):
    found = [str(path.relative_to(ROOT)) for path, text in _product_sources()
             if re.search(rf"\b{name}\b", text)]
    assert found == []
