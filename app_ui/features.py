"""Library features the app shows when they are there (issue #18, item 10).

Several parts of the library arrive independently: the data-speed layer
(``Coverage.throughput_mbps(tech)``), the reliability and load settings
(``CoverageConfig.reliability`` / ``.load``), the operator filter (an ``operators`` argument
of :func:`analysis.pipeline.coverage_stage`), the village layer and drive-test residuals.
Each is detected here by a feature check, so the app runs — without that control or layer —
before the feature lands, and picks it up with no change once it does.
"""

from __future__ import annotations

import dataclasses
import inspect
from functools import cache

import streamlit as st

from app_ui.i18n import t

__all__ = [
    "coverage_fields",
    "has_reliability",
    "has_load",
    "has_operator_filter",
    "throughput_of",
    "sidebar_controls",
    "coverage_overrides",
    "operators_chosen",
    "villages_of",
    "residuals_of",
]


@cache
def coverage_fields() -> frozenset[str]:
    """Field names of :class:`geo.coverage.CoverageConfig`."""
    from geo.coverage import CoverageConfig

    return frozenset(f.name for f in dataclasses.fields(CoverageConfig))


def has_reliability() -> bool:
    return "reliability" in coverage_fields()


def has_load() -> bool:
    return "load" in coverage_fields()


@cache
def has_operator_filter() -> bool:
    """True when :func:`analysis.pipeline.coverage_stage` takes ``operators``."""
    try:
        from analysis.pipeline import coverage_stage
    except ImportError:
        return False
    return "operators" in inspect.signature(coverage_stage).parameters


def throughput_of(coverage, tech: str | None):
    """The modelled data speed (Mbit/s per cell) of ``tech``, or None when the engine has none."""
    fn = getattr(coverage, "throughput_mbps", None)
    if fn is None or tech is None:
        return None
    try:
        return fn(tech)
    except Exception:  # e.g. CoverageError with SINR off: the map goes without the layer
        return None


def _set_operators() -> list[str]:
    from app_ui import state

    try:
        gdf = state.active_station_set().stations
    except Exception:  # no set: no operators to choose from
        return []
    if "operator" not in gdf.columns:
        return []
    return sorted({str(o) for o in gdf["operator"].dropna() if str(o).strip()})


def sidebar_controls() -> None:
    """Operator filter, reliability and load — each only when the library has it."""
    ss = st.session_state
    if has_operator_filter():
        ops = _set_operators()
        if ss.get("operators"):
            ss["operators"] = [o for o in ss["operators"] if o in ops]
        if ops:
            st.multiselect(t("operators"), ops, key="operators", help=t("operators_help"),
                           placeholder=t("choose_placeholder"))
    if has_reliability():
        ss.setdefault("reliability_pct", 50.0)
        st.slider(t("reliability"), min_value=50.0, max_value=99.0, step=1.0, key="reliability_pct",
                  help=t("reliability_help"), format="%.0f")
    if has_load():
        ss.setdefault("load_pct", 50.0)
        st.slider(t("load"), min_value=0.0, max_value=100.0, step=5.0, key="load_pct",
                  help=t("load_help"), format="%.0f")


def coverage_overrides(extra: dict) -> dict:
    """``CoverageConfig`` keyword arguments for the optional settings in ``extra``."""
    out = {}
    if has_reliability() and extra.get("reliability_pct") is not None:
        out["reliability"] = float(extra["reliability_pct"]) / 100.0
    if has_load() and extra.get("load_pct") is not None:
        out["load"] = float(extra["load_pct"]) / 100.0
    return out


def operators_chosen(extra: dict) -> list[str] | None:
    """The operators to analyse (None: all, or no filter in the library)."""
    ops = extra.get("operators") or ()
    return sorted(ops) if ops and has_operator_filter() else None


def villages_of(*results):
    """A village layer (GeoDataFrame with ``status``) from the first result that carries one."""
    for r in results:
        v = getattr(r, "villages", None)
        if v is not None and hasattr(v, "geometry") and len(v):
            return v
    return None


def residuals_of(*results):
    """Drive-test points with ``residual_db`` from the first result that carries them."""
    for r in results:
        m = getattr(r, "measurements", None)
        if m is not None and hasattr(m, "geometry") and len(m) and "residual_db" in m.columns:
            return m
    return None
