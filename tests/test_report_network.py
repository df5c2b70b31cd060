"""Report and workbook: power/kind split, ranking change, fiber and cost notes (#14 §4-5, #19)."""

from __future__ import annotations

import dataclasses
import zipfile

from analysis.config import AnalysisConfig, GapConfig, RankingWeights
from analysis.report import column_notes, write_priorities_xlsx, write_report_html
from tests._analysis_helpers import synthetic_result


def _result(neutral: bool = False):
    gaps = GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50)
    cfg = AnalysisConfig(gaps=gaps, ranking=RankingWeights.neutral() if neutral else RankingWeights())
    r = synthetic_result(budget_sites=3, config=cfg)
    return dataclasses.replace(r, summary={**r.summary, "fiber_nodes": 78, "fiber_nodes_modelled": 60})


def test_report_splits_by_kind_and_power_and_shows_the_ranking_change(tmp_path):
    r = _result()
    page = write_report_html(r, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "By power option" in page and "Theo nguồn điện" in page and "By kind" in page
    assert "How the mountain/coastal/island priority changes the ranking" in page
    assert "island ×2" in page and "mountain ×1.5" in page
    assert "60 of 78 fiber nodes are MODELLED commune seats" in page
    assert "one site is assumed to serve 20 km²" in page
    assert "No grid data: where the grid is, is MODELLED" in page
    assert "guaranteed to reach at least 63.2" in page
    off = write_report_html(_result(neutral=True), tmp_path / "r2.html").read_text(encoding="utf-8")
    assert "Terrain priority is off" in off


def test_workbook_header_notes_state_the_assumptions(tmp_path):
    r = _result()
    notes = column_notes(r.summary)
    assert "20 km²" in notes["est_cost_vnd"] and "60 of 78" in notes["dist_fiber_km"]
    path = write_priorities_xlsx(r, tmp_path / "p.xlsx")
    with zipfile.ZipFile(path) as z:
        comments = "".join(z.read(n).decode("utf-8") for n in z.namelist() if "comments" in n)
        sheets = "".join(z.read(n).decode("utf-8") for n in z.namelist() if "sharedStrings" in n)
    assert "20 km²" in comments and "60 of 78 fiber nodes" in comments
    assert "Tổng vốn đầu tư (đồng)" in sheets and "Nguồn điện" in sheets
