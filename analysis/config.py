"""One documented configuration for gaps, ranking, site proposals and costs.

Every number here is an **assumption** a planner may change; each carries its unit and the
reasoning behind its default. The pipeline, the CLI and the app take an :class:`AnalysisConfig`
(or its parts) as an argument; nothing reads this module's values behind the caller's back.

Money is in Vietnamese đồng (VND). Cost figures are order-of-magnitude planning figures for a
rural macro site in central Viet Nam (2024–2025 prices), not quotations: they make proposals
comparable with each other, they do not make a budget.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

__all__ = [
    "TECHS",
    "TERRAIN_CLASSES",
    "PRIORITY_TERRAIN_WEIGHTS",
    "BACKHAUL_CLASSES",
    "GAP_METRICS",
    "GapConfig",
    "RankingWeights",
    "SiteSpec",
    "CostConfig",
    "PowerConfig",
    "SITE_KINDS",
    "POWER_OPTIONS",
    "SitingConfig",
    "AnalysisConfig",
    "ConfigError",
    "normalize_tech",
    "parse_focus",
]

#: Technologies a gap analysis can be run for (``any`` = any technology reaches the cell).
TECHS = ("5G", "4G", "any")
#: Terrain classes of a commune (from ``geo.landform.terrain_classes``).
TERRAIN_CLASSES = ("mountain", "coastal", "island", "plain")
#: How a gap or a proposed site is connected to the core network.
BACKHAUL_CLASSES = ("fiber", "microwave", "satellite")
#: What a proposal builds: a new mast, or the operator's equipment on another operator's mast.
SITE_KINDS = ("new_site", "co_location")
#: How a proposed site is powered (see :mod:`analysis.power`).
POWER_OPTIONS = ("existing", "grid", "solar_hybrid")

M_PER_KM = 1000.0
#: The documented mountain/coastal/island priority (default ranking weights).
PRIORITY_TERRAIN_WEIGHTS = {"mountain": 1.5, "coastal": 1.5, "island": 2.0, "plain": 1.0}


#: What a gap lacks: coverage (both links) or a data rate (issue 16).
GAP_METRICS = ("coverage", "throughput")


class ConfigError(ValueError):
    """A configuration value is outside what the analysis accepts."""


def normalize_tech(tech: str) -> str:
    """``'5g'``/``'5G'``/``'nr'`` → ``'5G'``; ``'4g'``/``'lte'`` → ``'4G'``; ``'any'`` → ``'any'``."""
    t = str(tech).strip().lower()
    table = {"5g": "5G", "nr": "5G", "4g": "4G", "lte": "4G", "any": "any", "all": "any"}
    if t not in table:
        msg = f"Unknown technology {tech!r}; expected one of 5g, 4g, any."
        raise ConfigError(msg)
    return table[t]


def parse_focus(focus: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``'mountain,coastal'`` → ``('mountain', 'coastal')``; None/empty → None (no restriction)."""
    if focus is None:
        return None
    items = focus.split(",") if isinstance(focus, str) else list(focus)
    out = tuple(sorted({str(i).strip().lower() for i in items if str(i).strip()}))
    if not out:
        return None
    bad = [i for i in out if i not in TERRAIN_CLASSES]
    if bad:
        msg = f"Unknown terrain class(es) {bad} in focus; expected any of {', '.join(TERRAIN_CLASSES)}."
        raise ConfigError(msg)
    return out


@dataclass(frozen=True)
class GapConfig:
    """What counts as a gap and how gap cells are grouped.

    Attributes
    ----------
    min_density_per_km2 : float
        A cell is *populated* when it holds at least ``min_density_per_km2 × cell area`` people
        (50 people/km² ≈ 0.5 person per 100 m cell; a 1 km WorldPop cell with ≥ 50 people is a
        hamlet — thôn/bản — of a dozen households). Written as a density so that the rule does not
        change with the grid resolution. WorldPop spreads people thinly over forest, so a floor is
        needed to keep empty mountainside out of the gaps: on the embedded data 10/km² chains the
        whole Trường Sơn range into one 3,800 km² "gap" across 41 communes, 25/km² into 700 km²
        ones; at 50/km² the largest gap is ~40 km² (what a few sites can serve). Uncovered people
        in sparser cells are in no gap; ``summary.json`` counts them as
        ``people_uncovered_below_floor`` (``people_scattered_uncovered`` is the other remainder:
        populated uncovered cells that no cluster holds), so that ``people_in_gaps +
        people_scattered_uncovered + people_uncovered_below_floor = people_uncovered``.
    min_people_per_cell : float or None
        If set, overrides the density rule with a fixed number of people per cell.
    eps_km : float
        DBSCAN neighbourhood radius: gap cells closer than this belong together (1 km ≈ the spread
        of one hamlet — thôn/bản — and of the area one small-cell site would serve).
    min_people : float
        DBSCAN core weight: a cell is a core cell when its ``eps_km`` neighbourhood holds at least
        this many uncovered people (50 ≈ a dozen households). Smaller groups are "scattered"
        (counted as uncovered, not a gap).
    method : str
        ``"dbscan"`` (default, with population as sample weight) or ``"hdbscan"`` (scikit-learn's
        HDBSCAN on the same points, weighted by people through repeated points, minimum cluster
        size ``min_people`` people; clusters under ``min_people`` dropped).
    pool_fraction : float
        Before clustering, gap cells are pooled into blocks of ``eps_km × pool_fraction`` (when that
        is larger than a cell) to bound the neighbour lists on fine grids; 0 disables pooling.
    smooth_fraction : float
        Polygons are opened/closed by ``smooth_fraction × cell size`` ("lightly smoothed").
    lom_song_min_people : float
        Commune flag rule (see :func:`analysis.gaps.commune_table`): a commune is "lõm sóng" when
        a gap inside it leaves at least this many people uncovered ...
    lom_song_min_share : float
        ... or when at least this share of its people is uncovered.
    metric : {"coverage", "throughput"}
        What a gap lacks (issue 16): "coverage" — both links closing at the coverage
        settings' reliability; "throughput" — a modelled downlink data rate of at least
        ``min_mbps`` ("where do people have no usable data").
    min_mbps : float
        Data rate a cell needs with ``metric="throughput"``, Mbit/s.
    """

    min_density_per_km2: float = 50.0
    min_people_per_cell: float | None = None
    eps_km: float = 1.0
    min_people: float = 50.0
    method: str = "dbscan"
    pool_fraction: float = 0.25
    smooth_fraction: float = 0.5
    lom_song_min_people: float = 100.0
    lom_song_min_share: float = 0.10
    metric: str = "coverage"
    min_mbps: float = 10.0

    def __post_init__(self) -> None:
        if self.metric not in GAP_METRICS:
            msg = f"GapConfig.metric must be one of {', '.join(GAP_METRICS)}, got {self.metric!r}."
            raise ConfigError(msg)
        if not (0.0 < float(self.min_mbps) <= 10_000.0):
            msg = f"GapConfig.min_mbps must be > 0 and ≤ 10000 Mbit/s, got {self.min_mbps}."
            raise ConfigError(msg)
        if self.method not in ("dbscan", "hdbscan"):
            msg = f"GapConfig.method must be 'dbscan' or 'hdbscan', got {self.method!r}."
            raise ConfigError(msg)
        if self.eps_km <= 0:
            msg = f"GapConfig.eps_km must be > 0 km, got {self.eps_km}."
            raise ConfigError(msg)
        if self.min_people <= 0:
            msg = f"GapConfig.min_people must be > 0 persons, got {self.min_people}."
            raise ConfigError(msg)

    def cell_threshold(self, cell_area_m2: float) -> float:
        """People a cell must hold to count as populated."""
        if self.min_people_per_cell is not None:
            return float(self.min_people_per_cell)
        return float(self.min_density_per_km2) * cell_area_m2 / 1e6


@dataclass(frozen=True)
class RankingWeights:
    """Weights of the gap priority score (see :func:`analysis.ranking.score_gaps`).

    ``score = people_uncovered × terrain_weight[terrain] × (ref_cost_vnd / est_cost_vnd) ** cost_weight``

    The default follows the province's mission — priorities **for mountain and coastal
    communes**: mountain ×1.5, coastal ×1.5, island ×2, plain ×1 (``cost_weight`` 0, so cost
    does not enter unless asked). The 1.5/2 factors express "priority", not a measured value.
    Every component stays a column of the ranking (``score_people, w_terrain, w_cost``), and
    :meth:`neutral` turns the priority off (score = people left out: "most people first");
    the report shows how the ranking changes between the two
    (:func:`analysis.ranking.ranking_change`).
    """

    terrain_weight: dict[str, float] = field(
        default_factory=lambda: dict(PRIORITY_TERRAIN_WEIGHTS)
    )
    cost_weight: float = 0.0
    ref_cost_vnd: float = 1.5e9

    @classmethod
    def neutral(cls) -> RankingWeights:
        """All terrain weights 1, no cost weight: the score is the people left out."""
        return cls(terrain_weight=dict.fromkeys(TERRAIN_CLASSES, 1.0), cost_weight=0.0)

    @property
    def is_neutral(self) -> bool:
        return self.cost_weight == 0 and all(self.weight_for(t) == 1.0 for t in TERRAIN_CLASSES)

    def weight_for(self, terrain: str) -> float:
        return float(self.terrain_weight.get(str(terrain), 1.0))


@dataclass(frozen=True)
class SiteSpec:
    """The standard rural macro site proposed in a gap (configurable).

    Default: a 40 m lattice tower (taller than the 30 m urban default because rural sites are
    sited for range), omni-directional (three sectors seen as one omni pattern), at the band and
    EIRP of :func:`geo.radio_defaults.defaults_for` for the technology (5G n78 3.5 GHz, 4G 1800 MHz).
    For ``tech='any'`` the site is a 4G 1800 MHz site: the cheapest way to bring *a* signal.
    """

    height_m: float = 40.0
    band_mhz: float | None = None
    eirp_dbm: float | None = None
    operator: str = "proposed"

    def station_for(self, tech: str, lon: float, lat: float, site_id: str) -> dict:
        """A station mapping (the agreed station columns) for a site at ``lon, lat``."""
        from geo.radio_defaults import defaults_for

        t = "4G" if tech == "any" else tech
        d = defaults_for(t, self.band_mhz)
        return {
            "station_id": site_id,
            "site_id": site_id,
            "operator": self.operator,
            "technology": t,
            "band_mhz": float(d.band_mhz),
            "height_m": float(self.height_m),
            "eirp_dbm": float(self.eirp_dbm if self.eirp_dbm is not None else d.eirp_dbm),
            "azimuth_deg": float("nan"),
            "tilt_deg": 0.0,
            "lon": float(lon),
            "lat": float(lat),
            "modelled": True,
            "assumed": "",
        }


@dataclass(frozen=True)
class CostConfig:
    """Unit costs in VND — planning assumptions, not prices.

    Attributes
    ----------
    site_capex_vnd : dict
        New macro site, tower + power + radio. 4G: ~1.2 billion VND (a 40 m self-supporting tower
        ~600–800 M, power system and shelter ~200 M, one 4G RAN ~300 M, as reported for rural
        "xóa lõm sóng" BTS in Viet Nam of ~1–1.5 billion per site). 5G: ~2.5 billion VND (the same
        civil works plus a 64T64R massive-MIMO AAU and baseband).
    fiber_per_km_vnd : float
        Fiber extension, aerial on existing poles / along roads in rural terrain: ~80 M VND/km
        (cable, hardware, labour; 50–150 M/km depending on terrain).
    fiber_max_km : float
        Beyond this the extension is not planned (cost and time); another backhaul is taken.
    microwave_hop_vnd : float
        A point-to-point microwave link (two radios and dishes, installation): ~300 M VND.
    microwave_max_km : float
        Longest hop considered (15 km, a typical 7–8 GHz rural hop with line of sight).
    satellite_vnd : float
        A VSAT backhaul terminal with five years of service: ~500 M VND.
    co_location_capex_vnd : dict
        The operator's equipment on another operator's existing mast (``kind='co_location'``):
        the radio of the new-site figure plus mounting, cabling and a structural check
        (~100 M), without tower, shelter or power system. 4G: 0.3 + 0.1 = 0.4 billion VND;
        5G: 1.6 (64T64R AAU + baseband: the 5G minus the 4G civil works) + 0.1 = 1.7 billion.
        Backhaul is the host mast's (shared, no capex); power is the host's (``existing``).
        Each is below the new-site figure, so a co-location serving the same people as a new
        site never costs more (Vietnamese policy encourages this infrastructure sharing).
    new_site_rent_vnd_per_year : float
        Land lease of a new rural mast: ~20 M VND/year.
    co_location_rent_vnd_per_year : float
        Tower-sharing fee paid to the host operator (space on the mast, shelter, shared
        power infrastructure and backhaul capacity): ~60 M VND/year.
    """

    site_capex_vnd: dict[str, float] = field(
        default_factory=lambda: {"4G": 1.2e9, "5G": 2.5e9, "any": 1.2e9}
    )
    fiber_per_km_vnd: float = 80e6
    fiber_max_km: float = 10.0
    microwave_hop_vnd: float = 300e6
    microwave_max_km: float = 15.0
    satellite_vnd: float = 500e6
    co_location_capex_vnd: dict[str, float] = field(
        default_factory=lambda: {"4G": 0.4e9, "5G": 1.7e9, "any": 0.4e9}
    )
    new_site_rent_vnd_per_year: float = 20e6
    co_location_rent_vnd_per_year: float = 60e6

    def capex_for(self, tech: str) -> float:
        return float(self.site_capex_vnd.get(tech, self.site_capex_vnd.get("4G", 1.2e9)))

    def site_capex_for(self, kind: str, tech: str) -> float:
        """Tower/equipment capex (VND) of a proposal of ``kind`` (``new_site`` | ``co_location``)."""
        if kind == "co_location":
            table = self.co_location_capex_vnd
            return float(table.get(tech, table.get("4G", 0.4e9)))
        if kind != "new_site":
            msg = f"Unknown site kind {kind!r}; expected one of {', '.join(SITE_KINDS)}."
            raise ConfigError(msg)
        return self.capex_for(tech)

    def rent_vnd_per_year(self, kind: str) -> float:
        return float(self.co_location_rent_vnd_per_year if kind == "co_location"
                     else self.new_site_rent_vnd_per_year)


@dataclass(frozen=True)
class PowerConfig:
    """How a proposed site is powered and what that costs (sizing in :mod:`analysis.power`).

    Planning assumptions (2024–2025 prices), not quotations. The new-site capex of
    :class:`CostConfig` already includes a standard grid-fed power system (rectifier, a few
    hours of batteries, shelter); the figures here are what each power option adds.

    Attributes
    ----------
    load_kw : dict
        Average electrical load of a rural site: 4G three sectors with transmission ~1.5 kW;
        5G (64T64R AAU ~0.5 kW per sector) + a 4G layer ~3.0 kW.
    peak_sun_hours : float
        Annual mean global horizontal irradiation, kWh/m²/day (= peak sun hours) for Quảng
        Trị: 4.3, read from the MoIT/CIEMAT *Maps of Solar Resource and Potential in Vietnam*
        (2015): 4–4.5 kWh/m²/day on the north-central coast (Vietnam's range 12–19 MJ/m²/day
        = 3.3–5.3 kWh/m²/day).
    performance_ratio : float
        PV system performance ratio (temperature, soiling, MPPT and wiring losses): 0.75.
    autonomy_days : float
        Days the battery carries the site without sun or generator (typhoon season): 2.
    battery_dod : float
        Usable depth of discharge of the LiFePO4 bank: 0.8.
    battery_life_years : float
        Battery replacement interval: 8 years (so one replacement within 10 years).
    generator_share : float
        Share of the yearly energy the backup generator supplies (the rainy months
        September–December): 0.15.
    diesel_kwh_per_litre : float
        Small genset efficiency: 3.0 kWh per litre.
    diesel_vnd_per_litre : float
        ~21,000 VND/L delivered to a remote site.
    pv_vnd_per_kwp, battery_vnd_per_kwh, generator_vnd, hybrid_controller_vnd : float
        Installed PV ~15 M VND/kWp (modules, structure, labour); LiFePO4 ~6 M VND/kWh;
        a 10 kVA genset ~150 M VND; hybrid controller/rectifier ~50 M VND.
    generator_maintenance_vnd_per_year : float
        ~10 M VND/year.
    grid_tariff_vnd_per_kwh : float
        ~2,900 VND/kWh (EVN business tariff, order of magnitude).
    grid_connection_vnd : float
        Transformer tap, meter and protection: ~100 M VND.
    grid_line_vnd_per_km : float
        A low/medium-voltage extension to the site: ~400 M VND/km.
    grid_max_km : float
        A site within this distance of the grid is connected (``grid``); farther, the line
        costs more than a solar-hybrid system and takes long to permit: ``solar_hybrid``.
        2 km.
    proxy_settled_density_per_km2 : float
        Without power lines or village power data, the **modelled proxy**: the grid is
        taken to reach every WorldPop cell of at least this density — 100 people/km², a
        village of two dozen households in its 1 km WorldPop cell (Viet Nam's rural
        electrification reaches ~99 % of households; the hamlets left are the smallest and
        remotest).
    horizon_years : float
        Operating-cost horizon: 10 years, undiscounted.
    """

    load_kw: dict[str, float] = field(default_factory=lambda: {"4G": 1.5, "5G": 3.0, "any": 1.5})
    peak_sun_hours: float = 4.3
    performance_ratio: float = 0.75
    autonomy_days: float = 2.0
    battery_dod: float = 0.8
    battery_life_years: float = 8.0
    generator_share: float = 0.15
    diesel_kwh_per_litre: float = 3.0
    diesel_vnd_per_litre: float = 21_000.0
    pv_vnd_per_kwp: float = 15e6
    battery_vnd_per_kwh: float = 6e6
    generator_vnd: float = 150e6
    hybrid_controller_vnd: float = 50e6
    generator_maintenance_vnd_per_year: float = 10e6
    grid_tariff_vnd_per_kwh: float = 2_900.0
    grid_connection_vnd: float = 100e6
    grid_line_vnd_per_km: float = 400e6
    grid_max_km: float = 2.0
    proxy_settled_density_per_km2: float = 100.0
    horizon_years: float = 10.0

    def load_for(self, tech: str) -> float:
        return float(self.load_kw.get(tech, self.load_kw.get("4G", 1.5)))


@dataclass(frozen=True)
class SitingConfig:
    """How candidate sites are generated and chosen.

    Attributes
    ----------
    search_km : float
        Candidates on high ground are sought inside each gap and within this distance around it.
    maxima_window_km : float
        A cell is a local DEM maximum when it is the highest within this window.
    max_candidates_per_gap : int
        Highest local maxima kept per gap (plus its centroid).
    max_candidates : int
        Cap on the whole pool (largest gaps first), bounding the coverage computations.
    exact_max_candidates, exact_max_demands : int
        The exact MCLP check (PySAL spopt on PuLP/CBC; the budgeted ILP for a VND budget)
        runs only when the pool has at most this many candidates and at most this many
        demands after merging targets covered by the same candidates
        (:func:`analysis.siting.merged_demands`).
    site_area_km2 : float
        Area one proposed site is assumed to serve (20 km² ≈ a 2.5 km radius): the number of
        candidates per large gap, and the per-gap cost estimate ``sites_needed_est =
        ceil(area_km2 / site_area_km2)`` × (site capex + backhaul).
    co_location_search_km : float
        Other operators' masts within this distance of a gap are co-location candidates.
    max_co_locations : int
        At most this many co-location candidates (nearest to a gap first).
    max_seed_sets : int
        With a VND budget, the partial enumeration (1 − 1/e guarantee) runs when the seed sets
        of up to three affordable candidates are at most this many; otherwise greedy + best
        single site (½(1 − 1/e)). 500 ≈ 14 affordable candidates (14 + 91 + 364 = 469 seed
        sets, ~0.5 s on one core with a 300-candidate pool).
    """

    site: SiteSpec = field(default_factory=SiteSpec)
    search_km: float = 3.0
    maxima_window_km: float = 2.0
    max_candidates_per_gap: int = 3
    max_candidates_per_gap_large: int = 12
    site_area_km2: float = 20.0
    max_candidates: int = 300
    exact_max_candidates: int = 60
    exact_max_demands: int = 3000
    co_location_search_km: float = 10.0
    max_co_locations: int = 300
    max_seed_sets: int = 500


@dataclass(frozen=True)
class AnalysisConfig:
    """All of the above, in one object."""

    gaps: GapConfig = field(default_factory=GapConfig)
    ranking: RankingWeights = field(default_factory=RankingWeights)
    costs: CostConfig = field(default_factory=CostConfig)
    siting: SitingConfig = field(default_factory=SitingConfig)
    power: PowerConfig = field(default_factory=PowerConfig)

    def as_dict(self) -> dict:
        return asdict(self)

    def replace(self, **changes) -> AnalysisConfig:
        return replace(self, **changes)
