"""Write the analysts' notebooks (``notebooks/0*.ipynb``) from the cell sources below.

    python notebooks/_make_notebooks.py          # (re)write the three notebooks
    python notebooks/_make_notebooks.py --check  # exit 1 if a committed notebook differs

The notebooks are committed with their outputs stripped (no outputs, ``execution_count``
null, fixed cell ids), so this script is their source of truth: edit the cells here and
rerun it. Each notebook has a cell tagged ``parameters`` (papermill) with ``stations``,
``tech``, ``resolution_m``, ``budget`` and ``out_dir``, calls the library (``geo``,
``analysis``) and writes its outputs to ``out_dir``.

    papermill notebooks/03_site_priorities.ipynb out.ipynb -p resolution_m 250 -p budget 10
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

__all__ = ["NOTEBOOKS", "build", "main"]

HERE = Path(__file__).resolve().parent

PARAMETERS = '''\
# Parameters — papermill replaces this cell (tagged "parameters")
stations = None  # path to a station list (CSV/XLSX/GeoJSON/GPKG/KML...); None: the embedded MODELLED network
tech = "5G"  # technology whose coverage and gaps are analysed: "5G", "4G" or "any"
resolution_m = 100.0  # grid cell size in metres (30–1000; 1000 for a quick look)
budget = 20  # number of new sites to propose
out_dir = "out/notebooks/{stem}"  # this notebook's outputs go here
'''

SETUP = '''\
%matplotlib inline
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from analysis.pipeline import prepare_inputs

pd.set_option("display.max_columns", 30)
pd.set_option("display.width", 160)
out = Path(out_dir)
out.mkdir(parents=True, exist_ok=True)
TERRAIN_COLOURS = {"mountain": "#8c6d31", "coastal": "#3182bd", "island": "#e6550d", "plain": "#a1d99b"}

inputs = prepare_inputs(resolution_m)  # grid, WorldPop on the grid, communes + terrain, DEM, fiber
grid = inputs.grid
communes = inputs.communes  # EPSG:4326
communes_m = communes.to_crs(grid.crs)  # for drawing over the rasters (metres, EPSG:32648)
extent = (grid.xmin, grid.xmax, grid.ymin, grid.ymax)
web = communes.assign(geometry=communes.geometry.simplify(0.0005))  # ~50 m, for folium maps
lon0, lat0 = (communes.total_bounds[0] + communes.total_bounds[2]) / 2, (communes.total_bounds[1] + communes.total_bounds[3]) / 2
print(f"{len(communes)} communes; grid {grid.shape[0]} × {grid.shape[1]} cells of "
      f"{grid.resolution_m:g} m ({grid.crs}); DEM: {inputs.meta['dem']}")
'''


def _terrain_legend() -> str:
    return ('handles = [Patch(color=c, label=k) for k, c in TERRAIN_COLOURS.items() '
            'if k in set(communes["terrain"])]')


NB01 = [
    ("markdown", """\
# 01 · Data tour — communes, people, terrain, stations

What the analysis starts from, for Quảng Trị (78 commune-level units after the 1 July 2025
merger):

* the **communes** and their **terrain class** (mountain / coastal / island / plain, from the
  DEM and the coastline — `geo.landform`);
* **people**: the legal population of each commune against WorldPop 2020 (1 km) put on the
  analysis grid (`geo.population`) — the analysis counts WorldPop people;
* the **stations** (`geo.stations`): your list, or the embedded *modelled* reference network.

Outputs in `out_dir`: `communes_population.csv`, `stations.csv`, `stations_map.html`,
figures (`*.png`) and `data_tour.json`."""),
    ("parameters", None),
    ("code", SETUP),
    ("markdown", "## Communes and terrain classes"),
    ("code", f'''\
from matplotlib.patches import Patch

fig, ax = plt.subplots(figsize=(8, 8))
communes.plot(ax=ax, color=communes["terrain"].map(TERRAIN_COLOURS).fillna("#cccccc"),
              edgecolor="white", linewidth=0.4)
{_terrain_legend()}
ax.legend(handles=handles, loc="lower left", title="terrain")
ax.set_title("Communes by terrain class")
ax.set_axis_off()
fig.savefig(out / "terrain_classes.png", dpi=110, bbox_inches="tight")
plt.show()

by_class = communes.groupby("terrain").agg(communes=("code", "size"),
                                          population_legal=("population_legal", "sum"))
display(by_class)'''),
    ("markdown", """\
## Legal population vs WorldPop on the grid

WorldPop 2020 counts people per 1 km cell; regridded onto the analysis grid (people
conserved) and summed per commune it differs from the legal figures — notably in towns
(WorldPop spreads people) and in communes whose drawn outline differs from the legal one."""),
    ("code", '''\
ids = inputs.commune_id
pop = np.nan_to_num(inputs.population.astype(np.float64), nan=0.0)
inside = ids >= 0
worldpop = np.bincount(ids[inside], weights=pop[inside], minlength=len(communes))
people = pd.DataFrame({
    "code": communes["code"].to_numpy(), "name": communes["name"].to_numpy(),
    "kind": communes["kind"].to_numpy(), "terrain": communes["terrain"].to_numpy(),
    "population_legal": communes["population_legal"].to_numpy(dtype=float),
    "worldpop_on_grid": worldpop.round(1),
})
people["worldpop_to_legal"] = (people["worldpop_on_grid"] / people["population_legal"]).round(3)
people.to_csv(out / "communes_population.csv", index=False)
print(f"legal {people['population_legal'].sum():,.0f} people; WorldPop on the grid "
      f"{inputs.people_total:,.0f}")
display(people.sort_values("worldpop_to_legal").head(10))

fig, axes = plt.subplots(1, 3, figsize=(18, 6))
ax = axes[0]
for cls, part in people.groupby("terrain"):
    ax.scatter(part["population_legal"], part["worldpop_on_grid"], s=18,
               color=TERRAIN_COLOURS.get(cls, "#999"), label=cls)
lim = [people[["population_legal", "worldpop_on_grid"]].min().min() * 0.8,
       people[["population_legal", "worldpop_on_grid"]].max().max() * 1.2]
ax.plot(lim, lim, "k--", lw=0.8)
ax.set(xscale="log", yscale="log", xlabel="legal population", ylabel="WorldPop on the grid",
       title="People per commune")
ax.legend()
ax = axes[1]
communes.assign(ratio=people["worldpop_to_legal"].to_numpy()).plot(
    column="ratio", ax=ax, cmap="RdBu", vmin=0.5, vmax=1.5, legend=True, edgecolor="#555",
    linewidth=0.2, legend_kwds={"label": "WorldPop / legal", "shrink": 0.6})
ax.set_title("WorldPop / legal population")
ax.set_axis_off()
ax = axes[2]
density = np.where(pop > 0, pop / (grid.resolution_m ** 2 / 1e6), np.nan)
im = ax.imshow(np.log10(density), extent=extent, cmap="magma_r")
communes_m.boundary.plot(ax=ax, color="#333", linewidth=0.2)
fig.colorbar(im, ax=ax, shrink=0.6, label="log10 people / km²")
ax.set_title("WorldPop density on the analysis grid")
ax.set_axis_off()
fig.savefig(out / "population.png", dpi=110, bbox_inches="tight")
plt.show()'''),
    ("markdown", "## Stations"),
    ("code", '''\
from geo.stations import load_default_stations, read_stations

station_set = load_default_stations() if stations is None else read_stations(stations)
st = station_set.stations
modelled = bool(st["modelled"].astype(bool).all()) if "modelled" in st and len(st) else False
if modelled:
    print("WARNING: modelled network — upload your station list for real results")
per_tech = (st.groupby(["technology", "band_mhz"]).size().rename("stations").reset_index())
display(per_tech)
cols = [c for c in ("station_id", "site_id", "operator", "technology", "band_mhz", "height_m",
                    "eirp_dbm", "azimuth_deg", "tilt_deg", "assumed", "modelled") if c in st]
table = st[cols].copy()
table["lon"], table["lat"] = st.geometry.x.round(6), st.geometry.y.round(6)
table.to_csv(out / "stations.csv", index=False)

fig, ax = plt.subplots(figsize=(8, 8))
communes.plot(ax=ax, color=communes["terrain"].map(TERRAIN_COLOURS).fillna("#ccc"),
              edgecolor="white", linewidth=0.3, alpha=0.6)
markers = {"5G": ("^", "#d62728"), "4G": ("o", "#1f77b4"), "3G": ("s", "#2ca02c"), "2G": ("x", "#7f7f7f")}
for t, part in st.groupby("technology"):
    m, c = markers.get(t, ("o", "k"))
    part.plot(ax=ax, marker=m, color=c, markersize=10 if t == "5G" else 4, label=f"{t} ({len(part)})")
ax.legend(loc="lower left")
ax.set_title("Stations" + (" — MODELLED network" if modelled else ""))
ax.set_axis_off()
fig.savefig(out / "stations.png", dpi=110, bbox_inches="tight")
plt.show()'''),
    ("code", '''\
import folium

fmap = folium.Map(location=[lat0, lon0], zoom_start=8, tiles="OpenStreetMap")
folium.GeoJson(web[["name", "terrain", "geometry"]].to_json(), name="communes",
               style_function=lambda f: {"fillColor": TERRAIN_COLOURS.get(f["properties"]["terrain"], "#ccc"),
                                         "color": "#555", "weight": 0.5, "fillOpacity": 0.4},
               tooltip=folium.GeoJsonTooltip(["name", "terrain"])).add_to(fmap)
for row in st[st["technology"] == st["technology"].mode().iloc[0]].itertuples():
    folium.CircleMarker([row.geometry.y, row.geometry.x], radius=2, color="#d62728",
                        tooltip=f"{row.station_id} {row.technology}").add_to(fmap)
fmap.save(str(out / "stations_map.html"))
fmap'''),
    ("code", '''\
import json

summary = {
    "communes": int(len(communes)),
    "terrain_classes": {k: int(v) for k, v in communes["terrain"].value_counts().sort_index().items()},
    "population_legal": float(people["population_legal"].sum()),
    "people_total": round(float(inputs.people_total), 1),  # WorldPop on the grid, in the province
    "resolution_m": float(grid.resolution_m),
    "stations": int(len(st)),
    "stations_per_technology": {k: int(v) for k, v in st["technology"].value_counts().sort_index().items()},
    "stations_modelled": modelled,
}
(out / "data_tour.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\\n",
                                    encoding="utf-8")
summary'''),
]

NB02 = [
    ("markdown", """\
# 02 · Coverage and gaps

The coverage engine (`geo.coverage`: per-station RSRP over the DEM — line of sight and
knife-edge diffraction — combined into best level, best server and server count per
technology), the people covered per commune, and the **gaps**: populated cells below the
threshold, clustered (DBSCAN weighted by people) and **ranked** by the priority score
(`analysis.gaps`, `analysis.ranking`) — the same stages `lomsong run` chains.

Outputs in `out_dir`: coverage GeoTIFFs (`coverage/`), `communes.csv`, `gaps.csv`,
`gaps.gpkg`, `gaps_map.html`, figures and `coverage_gaps.json`."""),
    ("parameters", None),
    ("code", SETUP),
    ("code", '''\
from analysis.config import AnalysisConfig, normalize_tech
from analysis.pipeline import coverage_stage, gaps_stage
from geo.coverage import CoverageConfig

tech = normalize_tech(tech)
coverage = coverage_stage(inputs, stations, CoverageConfig(terrain=True))
md = coverage.metadata
print(f"{md['stations']} stations, {md['stations_computed']} computed in {md['seconds']:.1f} s; "
      f"technologies {md['technologies']}; warnings: {md['warnings'] or 'none'}")
tifs = coverage.to_geotiffs(out / "coverage")
print("wrote", ", ".join(p.name for p in tifs))'''),
    ("markdown", "## Coverage rasters"),
    ("code", '''\
techs = coverage.technologies if tech == "any" else [tech]
fig, axes = plt.subplots(1, len(techs) + 1, figsize=(7 * (len(techs) + 1), 7), squeeze=False)
for ax, t in zip(axes[0], techs, strict=False):  # last axis: covered
    im = ax.imshow(coverage.rsrp_dbm[t], extent=extent, cmap="viridis", vmin=-130, vmax=-60)
    communes_m.boundary.plot(ax=ax, color="white", linewidth=0.2)
    fig.colorbar(im, ax=ax, shrink=0.6, label=f"best {t} RSRP (dBm)")
    ax.set_title(f"{t}: best received level (threshold {coverage.config.threshold_dbm(t):g} dBm)")
    ax.set_axis_off()
ax = axes[0][-1]
covered = coverage.covered(tech)
ax.imshow(np.where(covered, 1.0, np.nan), extent=extent, cmap="Greens", vmin=0, vmax=1.5)
communes_m.boundary.plot(ax=ax, color="#333", linewidth=0.2)
ax.set_title(f"covered by {tech}")
ax.set_axis_off()
fig.savefig(out / "coverage.png", dpi=110, bbox_inches="tight")
plt.show()'''),
    ("markdown", "## People covered per commune"),
    ("code", '''\
config = AnalysisConfig()
gaps_out = gaps_stage(inputs, coverage, tech, config)
table = gaps_out.communes
table.drop(columns=table.geometry.name).to_csv(out / "communes.csv", index=False)
print(f"{table['people_covered'].sum():,.0f} of {table['people_total'].sum():,.0f} people covered "
      f"by {tech}; {int(table['lom_song'].sum())} communes flagged 'lõm sóng'")
display(table.drop(columns=table.geometry.name).sort_values("share_covered").head(15))

fig, axes = plt.subplots(1, 2, figsize=(16, 7))
table.plot(column="share_covered", ax=axes[0], cmap="RdYlGn", vmin=0, vmax=1, legend=True,
           edgecolor="#555", linewidth=0.2, legend_kwds={"label": "share of people covered", "shrink": 0.6})
table[table["lom_song"].astype(bool)].boundary.plot(ax=axes[0], color="red", linewidth=1.2)
axes[0].set_title(f"{tech}: share of people covered (red: 'lõm sóng' communes)")
axes[0].set_axis_off()
worst = table.sort_values("people_uncovered", ascending=False).head(15)
axes[1].barh(worst["name"][::-1], worst["people_uncovered"][::-1],
             color=worst["terrain"][::-1].map(TERRAIN_COLOURS).fillna("#999"))
axes[1].set_xlabel("people not covered")
axes[1].set_title("Communes with the most people left out")
fig.savefig(out / "communes_coverage.png", dpi=110, bbox_inches="tight")
plt.show()'''),
    ("markdown", """\
## Gap clusters, ranked

Each gap is a cluster of uncovered populated cells. Its **score** is people left out,
weighted by the province's mountain/coastal priority (`w_terrain`) and by how cheap the fix is
(`w_cost`); every component is a column, so the order can be checked row by row."""),
    ("code", '''\
gaps = gaps_out.gaps
gaps.drop(columns=["geometry"]).to_csv(out / "gaps.csv", index=False)
if len(gaps):
    gaps.to_file(out / "gaps.gpkg", layer="gaps", driver="GPKG")
cols = [c for c in ("rank", "gap_id", "people_uncovered", "area_km2", "communes", "terrain",
                    "backhaul", "score_people", "w_terrain", "w_cost", "score", "est_cost_vnd") if c in gaps]
display(gaps[cols].head(20))

fig, ax = plt.subplots(figsize=(8, 8))
communes.plot(ax=ax, color=communes["terrain"].map(TERRAIN_COLOURS).fillna("#ccc"),
              edgecolor="white", linewidth=0.3, alpha=0.5)
if len(gaps):
    gaps.plot(ax=ax, color="red", edgecolor="darkred", linewidth=0.5)
    for row in gaps.head(10).itertuples():
        ax.annotate(str(row.rank), (row.lon, row.lat), fontsize=9, weight="bold")
ax.set_title(f"{tech} gaps ({len(gaps)}), top 10 numbered by rank")
ax.set_axis_off()
fig.savefig(out / "gaps.png", dpi=110, bbox_inches="tight")
plt.show()'''),
    ("code", '''\
import folium

fmap = folium.Map(location=[lat0, lon0], zoom_start=8, tiles="OpenStreetMap")
folium.GeoJson(web[["name", "geometry"]].assign(share_covered=table["share_covered"].round(3).to_numpy()).to_json(), name="communes",
               style_function=lambda f: {"fillColor": "#31a354" if f["properties"]["share_covered"] > 0.95
                                         else "#fd8d3c", "color": "#555", "weight": 0.5, "fillOpacity": 0.3},
               tooltip=folium.GeoJsonTooltip(["name", "share_covered"])).add_to(fmap)
if len(gaps):
    folium.GeoJson(gaps[["rank", "people_uncovered", "communes", "geometry"]].to_json(), name="gaps",
                   style_function=lambda f: {"fillColor": "red", "color": "darkred", "weight": 1},
                   tooltip=folium.GeoJsonTooltip(["rank", "people_uncovered", "communes"])).add_to(fmap)
fmap.save(str(out / "gaps_map.html"))
fmap'''),
    ("code", '''\
import json

summary = {
    "tech": tech,
    "resolution_m": float(grid.resolution_m),
    "people_total": round(float(table["people_total"].sum()), 1),
    "people_covered": round(float(table["people_covered"].sum()), 1),
    "people_uncovered": round(float(table["people_uncovered"].sum()), 1),
    "gaps": int(len(gaps)),
    "people_in_gaps": round(float(gaps["people_uncovered"].sum()) if len(gaps) else 0.0, 1),
    "communes_lom_song": int(table["lom_song"].sum()),
    "stations": int(md["stations"]),
}
(out / "coverage_gaps.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\\n",
                                        encoding="utf-8")
summary'''),
]

NB03 = [
    ("markdown", """\
# 03 · Site priorities

The whole analysis for a budget — `analysis.pipeline.run_analysis`, exactly what
`lomsong run` does — then: the ranked **proposals** (lazy-greedy maximum coverage of the
people left out, checked against the exact MCLP on small pools), the **coverage curve**
(people covered vs number of new sites) and **mountain vs coastal**: where the people left out
live, and what a budget restricted to mountain and coastal communes buys there.

Outputs in `out_dir`: everything `lomsong run` writes (`results.gpkg`, `summary.json`,
`report.html`, `priorities.xlsx`, coverage GeoTIFFs, CSVs) plus `terrain_comparison.csv`,
`proposals_map.html` and figures."""),
    ("parameters", None),
    ("code", SETUP),
    ("code", '''\
from analysis.pipeline import run_analysis, siting_stage, write_outputs

result = run_analysis(stations, tech, resolution_m, budget, inputs=inputs)
paths = write_outputs(result, out)
s = result.summary
if s.get("warning"):
    print("WARNING:", s["warning"])
print(f"{s['people_covered']:,.0f} of {s['people_total']:,.0f} people covered by {s['tech']} "
      f"({100 * s['share_covered']:.1f}%); {s['gaps']} gaps; {s['proposals']} sites proposed cover "
      f"{s['people_newly_covered']:,.0f} more people for {s['cost_total_vnd'] / 1e9:,.1f} bn VND")
print("greedy vs exact:", s["greedy_vs_exact"])
print("wrote", ", ".join(sorted(p.name for p in paths.values())))'''),
    ("markdown", "## Proposals"),
    ("code", '''\
props = result.siting.proposals
gaps = result.gaps.gaps
cols = [c for c in ("rank", "site_id", "commune", "terrain", "people_new", "people_cum",
                    "share_covered_after", "backhaul", "cost_vnd", "cost_per_person_vnd", "lon", "lat") if c in props]
display(props[cols])

fig, ax = plt.subplots(figsize=(8, 8))
communes.plot(ax=ax, color=communes["terrain"].map(TERRAIN_COLOURS).fillna("#ccc"),
              edgecolor="white", linewidth=0.3, alpha=0.5)
if len(gaps):
    gaps.plot(ax=ax, color="red", alpha=0.6)
if len(props):
    props.plot(ax=ax, marker="^", color="black", markersize=40)
    for row in props.itertuples():
        ax.annotate(str(row.rank), (row.lon, row.lat), xytext=(3, 3), textcoords="offset points", fontsize=8)
ax.set_title(f"{len(props)} proposed {result.tech} sites (▲, by rank) over the gaps (red)")
ax.set_axis_off()
fig.savefig(out / "proposals.png", dpi=110, bbox_inches="tight")
plt.show()'''),
    ("markdown", "## Coverage curve: people covered vs number of new sites"),
    ("code", '''\
curve = result.siting.curve
fig, ax1 = plt.subplots(figsize=(9, 5))
ax1.plot(curve["sites"], 100 * curve["share_covered"], "o-", color="#1f77b4")
ax1.set_xlabel("new sites (greedy order)")
ax1.set_ylabel(f"people covered by {result.tech} (%)", color="#1f77b4")
ax2 = ax1.twinx()
ax2.plot(curve["sites"], curve["cost_vnd"] / 1e9, "s--", color="#ff7f0e")
ax2.set_ylabel("cumulative cost (bn VND)", color="#ff7f0e")
ax1.set_title("Coverage curve")
fig.savefig(out / "coverage_curve.png", dpi=110, bbox_inches="tight")
plt.show()
display(curve)'''),
    ("markdown", """\
## Mountain vs coastal

The province's order gives mountain and coastal communes priority. Below: people left out
per terrain class, what the unrestricted proposals cover there, and what the same budget
covers when sites may only go to mountain and coastal communes (`focus`)."""),
    ("code", '''\
focused = siting_stage(result.inputs, result.coverage, result.gaps, budget, focus="mountain,coastal",
                       config=result.config)
by_terrain = result.gaps.communes.groupby("terrain").agg(
    communes=("code", "size"), people_total=("people_total", "sum"),
    people_uncovered=("people_uncovered", "sum"), lom_song=("lom_song", "sum"))
by_terrain["new_sites"] = props.groupby("terrain").size() if len(props) else 0
by_terrain["people_new"] = props.groupby("terrain")["people_new"].sum() if len(props) else 0.0
fp = focused.proposals
by_terrain["new_sites_focus"] = fp.groupby("terrain").size() if len(fp) else 0
by_terrain["people_new_focus"] = fp.groupby("terrain")["people_new"].sum() if len(fp) else 0.0
by_terrain = by_terrain.fillna(0).round(1)
by_terrain.to_csv(out / "terrain_comparison.csv")
display(by_terrain)

fig, ax = plt.subplots(figsize=(9, 5))
x = np.arange(len(by_terrain))
ax.bar(x - 0.27, by_terrain["people_uncovered"], 0.27, label="left out (before)", color="#bdbdbd")
ax.bar(x, by_terrain["people_new"], 0.27, label=f"covered by {len(props)} best sites", color="#3182bd")
ax.bar(x + 0.27, by_terrain["people_new_focus"], 0.27,
       label=f"covered by {len(fp)} sites, mountain+coastal only", color="#8c6d31")
ax.set_xticks(x, by_terrain.index)
ax.set_ylabel("people")
ax.set_title(f"{result.tech}: people left out and newly covered, by terrain class")
ax.legend()
fig.savefig(out / "mountain_vs_coastal.png", dpi=110, bbox_inches="tight")
plt.show()
print(f"unrestricted: {props['people_new'].sum() if len(props) else 0:,.0f} people for "
      f"{props['cost_vnd'].sum() / 1e9 if len(props) else 0:,.1f} bn VND; mountain+coastal only: "
      f"{fp['people_new'].sum() if len(fp) else 0:,.0f} people for "
      f"{fp['cost_vnd'].sum() / 1e9 if len(fp) else 0:,.1f} bn VND")'''),
    ("code", '''\
import folium

fmap = folium.Map(location=[lat0, lon0], zoom_start=8, tiles="OpenStreetMap")
if len(gaps):
    folium.GeoJson(gaps[["rank", "people_uncovered", "geometry"]].to_json(), name="gaps",
                   style_function=lambda f: {"fillColor": "red", "color": "darkred", "weight": 1},
                   tooltip=folium.GeoJsonTooltip(["rank", "people_uncovered"])).add_to(fmap)
for row in props.itertuples():
    folium.Marker([row.lat, row.lon], tooltip=f"#{row.rank} {row.site_id}: +{row.people_new:,.0f} people, "
                  f"{row.cost_vnd / 1e9:,.2f} bn VND ({row.backhaul})").add_to(fmap)
fmap.save(str(out / "proposals_map.html"))
fmap'''),
]

NOTEBOOKS = {
    "01_data_tour": NB01,
    "02_coverage_and_gaps": NB02,
    "03_site_priorities": NB03,
}


def build(stem: str) -> nbformat.NotebookNode:
    """The stripped notebook ``stem`` (no outputs, null execution counts, fixed ids)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source) in enumerate(NOTEBOOKS[stem]):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        elif kind == "parameters":
            cell = nbformat.v4.new_code_cell(PARAMETERS.format(stem=stem),
                                             metadata={"tags": ["parameters"]})
        else:
            cell = nbformat.v4.new_code_cell(source)
        cell["id"] = f"{stem[:2]}-{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed notebooks instead of writing them")
    args = ap.parse_args(argv)
    bad = []
    for stem in NOTEBOOKS:
        path = HERE / f"{stem}.ipynb"
        text = nbformat.writes(build(stem)) + "\n"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                bad.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print("wrote", path)
    if bad:
        print("out of date (run python notebooks/_make_notebooks.py):", ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
