"""Operators: select one operator's network, count who is served by how many operators.

A cell served by **no** operator is a coverage gap; a cell served by **only one** is where a
single outage (a cut fiber, a flooded mast, a generator out of fuel) leaves the village
without service. Both are counted in people and per commune.

Operator names are matched without case and through :data:`OPERATOR_ALIASES`, so
``--operator vinaphone`` selects the ``VNPT`` rows of the modelled network and the
``VinaPhone`` rows of an OpenCelliD export alike.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "OPERATOR_ALIASES",
    "UNKNOWN_OPERATOR",
    "canonical_operator",
    "parse_operators",
    "operator_labels",
    "select_operators",
    "operator_covered",
    "operator_summary",
    "operator_commune_columns",
]

#: Lower-case spellings → the canonical operator name.
OPERATOR_ALIASES = {
    "viettel": "Viettel",
    "vnpt": "VNPT", "vinaphone": "VNPT", "vnpt-vinaphone": "VNPT", "vnpt vinaphone": "VNPT",
    "mobifone": "MobiFone", "mobi": "MobiFone",
    "vietnamobile": "Vietnamobile", "gmobile": "Gmobile",
}
UNKNOWN_OPERATOR = "unknown"


def canonical_operator(name) -> str:
    """``'vinaphone'`` → ``'VNPT'``; empty/None → ``'unknown'``; any other name kept (stripped)."""
    if name is None or (isinstance(name, float) and not np.isfinite(name)):
        return UNKNOWN_OPERATOR
    s = str(name).strip()
    if not s or s.lower() in ("nan", "none"):
        return UNKNOWN_OPERATOR
    return OPERATOR_ALIASES.get(s.lower(), s)


def parse_operators(text) -> tuple[str, ...] | None:
    """``'VNPT, viettel'`` → ``('VNPT', 'Viettel')`` (canonical, sorted); None/empty → None."""
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(sorted({canonical_operator(i) for i in items if str(i).strip()}))
    return out or None


def operator_labels(stations: pd.DataFrame) -> np.ndarray:
    """Canonical operator of each station row (``'unknown'`` where the column is missing)."""
    if "operator" not in stations:
        return np.full(len(stations), UNKNOWN_OPERATOR, dtype=object)
    return np.array([canonical_operator(v) for v in stations["operator"]], dtype=object)


def select_operators(stations: gpd.GeoDataFrame, operators) -> gpd.GeoDataFrame:
    """The rows of ``operators`` (names, aliases or a comma list); None = all rows.

    Raises
    ------
    ValueError
        When no row belongs to the operators asked for; the message lists those present.
    """
    wanted = parse_operators(operators)
    if wanted is None:
        return stations
    labels = operator_labels(stations)
    keep = np.isin(labels, list(wanted))
    if not keep.any():
        present = ", ".join(sorted(set(labels))) or "none"
        msg = (f"Không có trạm nào của nhà mạng {', '.join(wanted)} trong danh sách (có: {present}). / "
               f"No station of operator(s) {', '.join(wanted)} in the list (present: {present}).")
        raise ValueError(msg)
    return stations[keep]


def operator_covered(stations: gpd.GeoDataFrame, grid, dem, coverage_config, tech: str,
                     communes=None, whole=None) -> dict[str, np.ndarray]:
    """Covered cells of ``tech`` for each operator's stations alone.

    Each operator's subset goes through :func:`geo.coverage.compute` with the same settings
    (its per-station cache makes this a merge of windows already computed). With one
    operator, ``whole`` (the coverage of all the stations, if given) is used as it is.
    """
    from geo.coverage import CoverageConfig, compute

    labels = operator_labels(stations)
    ops = sorted(set(labels))
    if len(ops) == 1 and whole is not None:
        return {ops[0]: np.asarray(whole.covered(tech), dtype=bool)}
    config = coverage_config or CoverageConfig()
    if tech != "any":
        config = replace(config, technologies=(tech,))
    out: dict[str, np.ndarray] = {}
    for op in ops:
        sub = stations[labels == op]
        if tech != "any":
            sub = sub[sub["technology"].astype(str).str.upper() == tech]
        if len(sub) == 0:
            out[op] = np.zeros(grid.shape, dtype=bool)
            continue
        cov = compute(sub, grid, dem, config, communes=communes)
        out[op] = np.asarray(cov.covered(tech), dtype=bool)
    return out


def _served_count(masks: dict[str, np.ndarray], shape) -> np.ndarray:
    n = np.zeros(shape, dtype=np.int16)
    for m in masks.values():
        n += m.astype(np.int16)
    return n


def operator_summary(masks: dict[str, np.ndarray], population: np.ndarray, inside: np.ndarray,
                     cell_km2: float) -> dict:
    """``by_operator`` (people and area covered per operator), ``people_no_operator`` and
    ``people_one_operator`` over the cells ``inside`` the analysed area.

    Stations without an operator count as one more operator, ``unknown``; when no station
    names its operator, ``people_one_operator`` is None.
    """
    pop = np.where(inside, np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0), 0.0)
    total = float(pop.sum())
    by_op = {}
    for op, m in sorted(masks.items()):
        people = float(pop[m].sum())
        by_op[op] = {"people_covered": round(people, 1),
                     "share_covered": round(people / total, 4) if total else 0.0,
                     "area_covered_km2": round(float((m & inside).sum()) * cell_km2, 1)}
    n = _served_count(masks, pop.shape)
    only_unknown = set(masks) <= {UNKNOWN_OPERATOR}
    return {
        "by_operator": by_op,
        "people_no_operator": round(float(pop[n == 0].sum()), 1),
        # with no operator named anywhere "served by one operator" means nothing: None
        "people_one_operator": None if only_unknown else round(float(pop[n == 1].sum()), 1),
    }


def operator_commune_columns(masks: dict[str, np.ndarray], population: np.ndarray,
                             commune_id: np.ndarray, n_communes: int) -> pd.DataFrame:
    """Per commune (row = commune index): ``people_covered_<operator>`` for each operator,
    ``people_no_operator`` and ``people_one_operator``."""
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
    cid = np.asarray(commune_id)
    ok = cid >= 0

    def per_commune(mask: np.ndarray) -> np.ndarray:
        sel = ok & mask
        return np.bincount(cid[sel], weights=pop[sel], minlength=n_communes)[:n_communes]

    cols = {f"people_covered_{op}": per_commune(m) for op, m in sorted(masks.items())}
    n = _served_count(masks, pop.shape)
    cols["people_no_operator"] = per_commune(n == 0)
    cols["people_one_operator"] = per_commune(n == 1)
    return pd.DataFrame(cols)
