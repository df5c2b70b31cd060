"""The result of a coverage run: :class:`Coverage` (rasters on the grid, the service rules
on them — links, SINR, throughput — figures and GeoTIFFs)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo import link_budget
from geo.coverage.config import CoverageConfig, CoverageError
from geo.coverage.kernels import _DL_LIMITS, _DL_OK, _NO_SIGNAL, _UL_OK, _link_state_kernel
from geo.coverage.params import _noise_per_re_dbm, _sigma_db
from geo.grid import Grid, commune_id_raster, write_geotiff
from geo.propagation import MODELS
from geo.radio_defaults import DATA_TECHNOLOGIES, GOOD_MARGIN_DB, TECHNOLOGIES, service_defaults

if TYPE_CHECKING:  # imported where used: `lomsong station` starts without them
    import geopandas as gpd
    import pandas as pd

LIMITING_NONE = 0  # limiting_link raster: both links close
LIMITING_DOWNLINK = 1  # … the downlink fails (or has the smaller margin where both fail)
LIMITING_UPLINK = 2  # … the uplink fails, the downlink closes (or has the larger margin)
LIMITING_NODATA = 255  # no station reaches the cell
THROUGHPUT_STEPS_MBPS = (1, 10, 100)  # people_by_throughput keys
_MEMO_SIZE = 24  # derived rasters a Coverage keeps (link states, margins, SINR, throughput)


@dataclass
class Coverage:
    """Combined coverage rasters on ``grid`` (see :func:`geo.coverage.compute`).

    Service (issue 16): ``total_dbm`` holds, per technology, the summed received power of
    the best server's co-channel group (same operator and band), from which
    :meth:`sinr_db` and :meth:`throughput_mbps` follow at any load; ``radio`` the
    per-station figures of the uplink budget and the channel. :meth:`covered` needs both
    links at the configured location reliability; :meth:`covered_downlink` /
    :meth:`covered_uplink` each alone; :meth:`limiting_link` says which fails.
    """

    grid: Grid
    rsrp_dbm: dict[str, np.ndarray]
    best_server: dict[str, np.ndarray]
    n_servers: dict[str, np.ndarray]
    metadata: dict[str, Any]
    config: CoverageConfig = field(default_factory=CoverageConfig)
    stations: gpd.GeoDataFrame | None = None
    _area_mask: np.ndarray | None = field(default=None, repr=False)
    total_dbm: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    radio: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _memo: dict[tuple, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def _remember(self, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        """A derived raster, computed once per argument set (callers get a copy); at most
        :data:`_MEMO_SIZE` kept (a slider moving through many loads stays bounded)."""
        return self._memo_get(key, make).copy()

    def _memo_get(self, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key in self._memo:
            self._memo[key] = self._memo.pop(key)  # most recent last
        else:
            self._memo[key] = make()
            while len(self._memo) > _MEMO_SIZE:
                self._memo.pop(next(iter(self._memo)))
        return self._memo[key]

    @property
    def technologies(self) -> list[str]:
        return sorted(self.rsrp_dbm)

    def with_service(self, reliability: float | None = None, load: float | None = None,
                     uplink: bool | None = None) -> Coverage:
        """The same coverage under other service settings, without recomputing a station.

        Reliability, load and the uplink rule act on the kept rasters only (not on the
        per-station windows), so e.g. the app's sliders need no new run. The arrays are
        shared (not copied); derived rasters are recomputed on demand.
        """
        changes = {k: v for k, v in (("reliability", reliability), ("load", load),
                                      ("uplink", uplink)) if v is not None}
        cfg = dataclasses.replace(self.config, **changes)
        md = {**self.metadata, "reliability": float(cfg.reliability), "load": float(cfg.load),
              "uplink": bool(cfg.uplink)}
        md.pop("summary", None)
        return dataclasses.replace(self, config=cfg, metadata=md, _memo={})

    # ---- helpers
    def _tech(self, tech: str, allow_any: bool = False) -> str:
        t = "any" if str(tech).lower() == "any" else str(tech).upper()
        if t == "any" and allow_any:
            return t
        if t not in TECHNOLOGIES:
            extra = " or 'any'" if allow_any else ""
            msg = f"Unknown technology {tech!r}: expected one of {', '.join(TECHNOLOGIES)}{extra}."
            raise CoverageError(msg)
        return t

    def _per_server(self, tech: str, name: str) -> np.ndarray:
        """A per-station figure of :attr:`radio` at each cell's best server (NaN: none)."""
        col = self.radio.get(name)
        if col is None:
            msg = f"This coverage has no per-station {name!r} (computed before issue 16?)."
            raise CoverageError(msg)
        return col[self.best_server[tech]]

    def _reliability(self, reliability: float | None) -> float:
        p = float(self.config.reliability if reliability is None else reliability)
        if not (0.0 < p < 1.0):
            msg = f"reliability={p!r}: expected strictly between 0 and 1."
            raise CoverageError(msg)
        return p

    def shadow_sigma_db(self, tech: str) -> np.ndarray:
        """Shadow-fading σ (dB) of the best server's model at each cell (NaN: no server).

        :func:`geo.link_budget.shadow_sigma_db` at the distance to the best server: with
        ``clear_model="los-probability"`` the σ of the LOS/NLOS mixture at the standard's
        LOS probability, with ``"los"`` the LOS σ (RMa: 4 dB before, 6 dB after the
        breakpoint). Terrain-obstructed cells are not told apart (the sweep's LOS state is
        not kept per cell), so they take the same σ.
        """
        t = self._tech(tech)
        out = np.full(self.grid.shape, np.nan, dtype=np.float32)
        if t not in self.rsrp_dbm:
            return out
        server = self.best_server[t]
        has = server >= 0
        codes = self.radio["model"][server]
        res = self.grid.resolution_m
        rows, cols = np.nonzero(has)
        srv = server[has]
        d = np.hypot(rows - self.radio["row"][srv], cols - self.radio["col"][srv]) * res
        d = np.maximum(d, 10.0)
        f, h = self.radio["band_mhz"][srv], self.radio["height_m"][srv]
        sig = np.empty(srv.size, dtype=np.float64)
        for code in np.unique(codes[has]):
            m = codes[has] == code
            sig[m] = _sigma_db(MODELS[int(code)], d[m], f[m], h[m], self.config)
        out[has] = sig
        return out

    def shadow_margin_db(self, tech: str, reliability: float | None = None) -> np.ndarray:
        """Location-reliability margin σ·Φ⁻¹(p) per cell, dB (0 at p = 0.5)."""
        p = self._reliability(reliability)
        t = self._tech(tech)
        if p == 0.5 or t not in self.rsrp_dbm:
            return np.zeros(self.grid.shape, dtype=np.float32)

        def make():
            sig = self.shadow_sigma_db(t)
            return np.nan_to_num(link_budget.shadow_margin_db(sig, p), nan=0.0).astype(np.float32)

        return self._remember(("margin", t, p), make)

    # ---- links
    def _link_state(self, tech: str, reliability: float | None) -> np.ndarray:
        """uint8 bits per cell (:func:`_link_state_kernel`), once per (tech, reliability)."""
        p = self._reliability(reliability)
        return self._memo_get(("state", tech, p), lambda: self._link_state_of(tech, p))

    def _link_state_of(self, tech: str, p: float) -> np.ndarray:
        margin = self.shadow_margin_db(tech, p) if p != 0.5 else None
        uplink = bool(self.config.uplink and "ul_rsrp_dbm" in self.radio)
        ul_thr = (self.radio["ul_rsrp_dbm"] if uplink
                  else np.zeros(len(self.radio.get("model", [0])) or 1))
        out = np.empty(self.grid.shape, dtype=np.uint8)
        _link_state_kernel(self.rsrp_dbm[tech], self.best_server[tech],
                           np.ascontiguousarray(ul_thr, dtype=np.float64),
                           float(self.config.covered_threshold_dbm(tech)),
                           float(self.config.indoor_margin_db),
                           margin if margin is not None else np.zeros((1, 1), np.float32),
                           margin is not None, uplink, out)
        return out

    def covered_downlink(self, tech: str, reliability: float | None = None) -> np.ndarray:
        """Cells where the best server's downlink closes: RSRP ≥ threshold + indoor margin
        + shadow margin. ``tech`` 'any' = union over technologies."""
        return self._links(tech, reliability, _DL_OK)

    def covered_uplink(self, tech: str, reliability: float | None = None) -> np.ndarray:
        """Cells where the UE reaches its best server (the uplink budget of
        :func:`geo.link_budget.uplink_budget`, with the same indoor and shadow margins);
        every reached cell when ``CoverageConfig.uplink`` is False."""
        return self._links(tech, reliability, _UL_OK)

    def _links(self, tech: str, reliability: float | None, bits: int) -> np.ndarray:
        t = self._tech(tech, allow_any=True)
        if t == "any":
            out = np.zeros(self.grid.shape, dtype=bool)
            for k in self.rsrp_dbm:
                out |= self._links(k, reliability, bits)
            return out
        if t not in self.rsrp_dbm:
            return np.zeros(self.grid.shape, dtype=bool)
        return (self._link_state(t, reliability) & bits) == bits

    def covered(self, tech: str = "any", reliability: float | None = None) -> np.ndarray:
        """Cells served by ``tech``: both links close at the location reliability
        (``CoverageConfig.reliability`` unless given); only the downlink when
        ``CoverageConfig.uplink`` is False.

        ``tech``: '2G', '3G', '4G', '5G' or 'any' (union of the computed technologies).
        A technology with no station is covered nowhere.
        """
        return self._links(tech, reliability, _DL_OK | _UL_OK)

    def limiting_link(self, tech: str, reliability: float | None = None) -> np.ndarray:
        """uint8 per cell: :data:`LIMITING_NONE` (0, both links close),
        :data:`LIMITING_DOWNLINK` (1), :data:`LIMITING_UPLINK` (2) — where a link fails,
        the one with the smaller margin — and :data:`LIMITING_NODATA` (255, no signal)."""
        t = self._tech(tech)
        if t not in self.rsrp_dbm:
            return np.full(self.grid.shape, LIMITING_NODATA, dtype=np.uint8)
        st = self._link_state(t, reliability)
        out = np.where((st & _DL_LIMITS) > 0, np.uint8(LIMITING_DOWNLINK), np.uint8(LIMITING_UPLINK))
        out[(st & (_DL_OK | _UL_OK)) == (_DL_OK | _UL_OK)] = LIMITING_NONE
        out[(st & _NO_SIGNAL) > 0] = LIMITING_NODATA
        return out

    # ---- SINR and throughput
    def _data_tech(self, tech: str) -> str:
        t = self._tech(tech)
        if t not in DATA_TECHNOLOGIES:
            msg = (f"No SINR/throughput for {t}: modelled for {', '.join(DATA_TECHNOLOGIES)} "
                   "only.")
            raise CoverageError(msg)
        if t in self.rsrp_dbm and t not in self.total_dbm:
            msg = ("SINR was not computed: the interference sums are off "
                   "(CoverageConfig.sinr=False).")
            raise CoverageError(msg)
        return t

    def noise_per_re_dbm(self, tech: str) -> float:
        """UE thermal noise in one resource element: −174 + 10 log10(SCS) + NF_UE, dBm."""
        return _noise_per_re_dbm(self._tech(tech))

    def sinr_db(self, tech: str, load: float | None = None) -> np.ndarray:
        """Downlink SINR of the best server per cell, dB (float32, NaN: no signal).

        Interference: the other stations of the best server's operator and band, at
        ``load`` (default ``CoverageConfig.load``), from the summed received power kept by
        :func:`~geo.coverage.compute` (:func:`geo.link_budget.sinr_db`); noise per resource element
        (:meth:`noise_per_re_dbm`). The indoor margin lowers signal and interference alike.
        Interferers only count within their own window (down to threshold − 10 dB).
        """
        t = self._data_tech(tech)
        lf = float(self.config.load if load is None else load)
        if not (0.0 <= lf <= 1.0):
            msg = f"load={lf!r}: expected between 0 and 1."
            raise CoverageError(msg)
        if t not in self.rsrp_dbm:
            return np.full(self.grid.shape, np.nan, dtype=np.float32)

        def make():
            indoor = float(self.config.indoor_margin_db)
            rsrp = self.rsrp_dbm[t]
            m = np.isfinite(rsrp)
            out = np.full(self.grid.shape, np.nan, dtype=np.float32)
            out[m] = link_budget.sinr_db(rsrp[m] - indoor, self.total_dbm[t][m] - indoor,
                                         self.noise_per_re_dbm(t), lf)
            return out

        return self._remember(("sinr", t, lf), make)

    def throughput_mbps(self, tech: str, load: float | None = None,
                        reliability: float | None = None) -> np.ndarray:
        """Downlink throughput per cell, Mbit/s (float32; NaN: no signal; 0 where the
        cell is not :meth:`covered` — a UE that cannot attach gets no data).

        :func:`geo.link_budget.throughput_mbps` at the :meth:`sinr_db`, with the best
        server's channel bandwidth and TDD share. ``tech`` 'any': the best of 4G and 5G.
        """
        if str(tech).lower() == "any":
            parts = [self.throughput_mbps(t, load, reliability) for t in DATA_TECHNOLOGIES
                     if t in self.rsrp_dbm]
            if not parts:
                return np.full(self.grid.shape, np.nan, dtype=np.float32)
            return np.fmax.reduce(parts).astype(np.float32)
        t = self._data_tech(tech)
        if t not in self.rsrp_dbm:
            return np.full(self.grid.shape, np.nan, dtype=np.float32)
        lf = float(self.config.load if load is None else load)
        p = self._reliability(reliability)

        def make():
            sd = service_defaults(t)
            sinr = self.sinr_db(t, lf)
            m = np.isfinite(sinr)
            srv = self.best_server[t][m]
            out = np.full(self.grid.shape, np.nan, dtype=np.float32)
            rate = (link_budget.spectral_efficiency(sinr[m], t) * self.radio["bandwidth_mhz"][srv]
                    * (1.0 - sd.overhead_dl) * self.radio["dl_share"][srv])
            out[m] = np.where(self.covered(t, p)[m], rate, 0.0)
            return out

        return self._remember(("rate", t, lf, p), make)

    def good(self, tech: str) -> np.ndarray:
        """Cells :data:`GOOD_MARGIN_DB` above the covered level."""
        t = str(tech).upper()
        if t not in self.rsrp_dbm:
            return np.zeros(self.grid.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            return self.rsrp_dbm[t] >= np.float32(self.config.covered_threshold_dbm(t) + GOOD_MARGIN_DB)

    # ---- figures
    def has_throughput(self, tech: str) -> bool:
        """True where :meth:`throughput_mbps` has an answer (4G/5G computed with SINR on)."""
        techs = DATA_TECHNOLOGIES if str(tech).lower() == "any" else (str(tech).upper(),)
        return any(t in self.total_dbm for t in techs)

    def summary(self, population: np.ndarray | None = None, tech: str = "any",
                area_mask: np.ndarray | None = None) -> dict[str, Any]:
        """People and area covered by ``tech``.

        Parameters
        ----------
        population : numpy.ndarray, optional
            People per cell on the grid (``geo.population.population_on_grid``).
        tech : str
            Technology or 'any'.
        area_mask : numpy.ndarray of bool, optional
            Cells that count for the area share (e.g. inside the province); default
            ``metadata``'s province mask if :func:`~geo.coverage.compute` had communes, else all cells.

        Returns
        -------
        dict
            ``people_total, people_covered`` (both links at the reliability),
            ``people_covered_downlink, people_covered_uplink, people_by_throughput``
            (people where throughput ≥ 1, 10, 100 Mbit/s; keys "1", "10", "100"; None for
            2G/3G), ``share_covered, area_km2, area_covered_km2, area_share_covered,
            reliability, load, tech``.
        """
        cov = self.covered(tech)
        mask = area_mask if area_mask is not None else self._area_mask
        if mask is None:
            mask = np.ones(self.grid.shape, dtype=bool)
        cell_km2 = self.grid.cell_area_m2 / 1e6
        n_area = int(mask.sum())
        n_cov = int((cov & mask).sum())
        out: dict[str, Any] = {
            "tech": tech,
            "area_km2": round(n_area * cell_km2, 3),
            "area_covered_km2": round(n_cov * cell_km2, 3),
            "area_share_covered": (n_cov / n_area) if n_area else 0.0,
            "reliability": float(self.config.reliability),
            "load": float(self.config.load),
        }
        if population is not None:
            pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
            if pop.shape != self.grid.shape:
                msg = f"population has shape {pop.shape}; the grid needs {self.grid.shape}."
                raise CoverageError(msg)
            total = float(pop.sum())
            covered = float(pop[cov].sum())
            out.update(people_total=total, people_covered=min(covered, total),
                       share_covered=(covered / total) if total > 0 else 0.0,
                       people_covered_downlink=float(pop[self.covered_downlink(tech)].sum()),
                       people_covered_uplink=float(pop[self.covered_uplink(tech)].sum()),
                       people_by_throughput=self._people_by_throughput(pop, tech))
        return out

    def _people_by_throughput(self, pop: np.ndarray, tech: str) -> dict[str, float] | None:
        if not self.has_throughput(tech):
            return None
        rate = self.throughput_mbps(tech)
        with np.errstate(invalid="ignore"):
            return {str(k): float(pop[rate >= k].sum()) for k in THROUGHPUT_STEPS_MBPS}

    def per_commune(self, communes: gpd.GeoDataFrame, population: np.ndarray | None = None,
                    tech: str = "any") -> pd.DataFrame:
        """Covered area and people per commune (one row per row of ``communes``).

        With ``population``: ``people, people_covered`` (both links),
        ``people_covered_downlink, people_covered_uplink``, ``share_covered`` and, for a
        data technology, ``people_mbps_1, people_mbps_10, people_mbps_100``.
        """
        ids = commune_id_raster(self.grid, communes)
        n = len(communes)
        cov = self.covered(tech)
        valid = ids >= 0
        cell_km2 = self.grid.cell_area_m2 / 1e6
        area = np.bincount(ids[valid], minlength=n) * cell_km2
        area_cov = np.bincount(ids[valid & cov], minlength=n) * cell_km2
        import pandas as pd

        df = pd.DataFrame({
            "area_km2": area, "covered_km2": area_cov,
            "area_share_covered": np.divide(area_cov, area, out=np.zeros(n), where=area > 0),
        }, index=communes.index)
        for col in ("code", "name", "kind"):
            if col in communes.columns:
                df.insert(0, col, communes[col].to_numpy())
        if population is not None:
            pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)

            def people(mask):
                m = valid & mask
                return np.bincount(ids[m], weights=pop[m], minlength=n)

            people_all = people(np.ones(self.grid.shape, dtype=bool))
            df["people"] = people_all
            df["people_covered"] = np.minimum(people(cov), people_all)
            df["share_covered"] = np.divide(df["people_covered"].to_numpy(), people_all,
                                            out=np.zeros(n), where=people_all > 0)
            df["people_covered_downlink"] = people(self.covered_downlink(tech))
            df["people_covered_uplink"] = people(self.covered_uplink(tech))
            if self.has_throughput(tech):
                rate = self.throughput_mbps(tech)
                with np.errstate(invalid="ignore"):
                    for k in THROUGHPUT_STEPS_MBPS:
                        df[f"people_mbps_{k}"] = people(rate >= k)
        return df

    def tags(self, tech: str | None = None) -> dict[str, str]:
        """GeoTIFF tags: DEM, resolution, terrain, thresholds, warnings."""
        md = self.metadata
        tags = {
            "SOFTWARE": "lomsong coverage engine",
            "RESOLUTION_M": f"{self.grid.resolution_m:g}",
            "TERRAIN": "on" if md.get("terrain") else "off",
            "DEM": str(md.get("dem")),
            "DEM_RESOLUTION_M": str(md.get("dem_resolution_m")),
            "INDOOR_MARGIN_DB": f"{self.config.indoor_margin_db:g}",
            "RELIABILITY": f"{self.config.reliability:g}",
            "LOAD": f"{self.config.load:g}",
            "UPLINK": "on" if self.config.uplink else "off",
            "WARNINGS": "; ".join(md.get("warnings", [])) or "none",
        }
        if md.get("dem_warning"):
            tags["DEM_WARNING"] = md["dem_warning"]
        if md.get("calibration"):
            tags["CALIBRATION"] = str(md["calibration"])
        if tech and tech in TECHNOLOGIES:
            tags["TECHNOLOGY"] = tech
            tags["THRESHOLD_DBM"] = f"{self.config.threshold_dbm(tech):g}"
        return tags

    def _service_geotiffs(self, folder: Path, t: str, tags: dict[str, str]) -> list[Path]:
        low = t.lower()
        paths = [write_geotiff(folder / f"limiting_link_{low}.tif", self.limiting_link(t),
                               self.grid, nodata=LIMITING_NODATA, tags=tags,
                               band_description=f"{t} limiting link (0 none, 1 downlink, 2 uplink)")]
        if t in DATA_TECHNOLOGIES and t in self.total_dbm:
            paths.append(write_geotiff(folder / f"sinr_db_{low}.tif", self.sinr_db(t), self.grid,
                                       nodata=np.nan, tags={**tags, "UNITS": "dB"},
                                       band_description=f"{t} downlink SINR (dB, modelled)"))
            paths.append(write_geotiff(folder / f"throughput_mbps_{low}.tif",
                                       self.throughput_mbps(t), self.grid, nodata=np.nan,
                                       tags={**tags, "UNITS": "Mbit/s"},
                                       band_description=f"{t} downlink throughput "
                                                        "(Mbit/s, modelled)"))
        return paths

    def to_geotiffs(self, folder: str | Path, techs: Sequence[str] | None = None) -> list[Path]:
        """Write compressed COG GeoTIFFs (EPSG of the grid) into ``folder``.

        Per technology: ``rsrp_<tech>.tif`` (float32 dBm, nodata NaN),
        ``best_server_<tech>.tif`` (int32 station row, nodata −1),
        ``n_servers_<tech>.tif`` (uint16), ``covered_<tech>.tif`` (uint8 0/1,
        nodata 255), ``limiting_link_<tech>.tif`` (uint8 0 none / 1 downlink / 2 uplink,
        nodata 255) and, for 4G/5G with SINR on, ``sinr_db_<tech>.tif`` (float32 dB) and
        ``throughput_mbps_<tech>.tif`` (float32 Mbit/s, MODELLED); plus ``covered_any.tif``.
        Tags carry the DEM source and resolution, terrain mode, thresholds, reliability,
        load and warnings (e.g. the coarse-DEM one).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        techs = list(techs) if techs is not None else self.technologies
        paths: list[Path] = []
        for t in techs:
            if t not in self.rsrp_dbm:
                continue
            tags = self.tags(t)
            low = t.lower()
            paths.append(write_geotiff(folder / f"rsrp_{low}.tif", self.rsrp_dbm[t], self.grid,
                                       nodata=np.nan, tags={**tags, "UNITS": "dBm"},
                                       band_description=f"best {t} RSRP (dBm)"))
            paths.append(write_geotiff(folder / f"best_server_{low}.tif", self.best_server[t],
                                       self.grid, nodata=-1, tags=tags,
                                       band_description=f"best {t} server (station row)"))
            paths.append(write_geotiff(folder / f"n_servers_{low}.tif", self.n_servers[t],
                                       self.grid, nodata=None, tags=tags,
                                       band_description=f"{t} servers above threshold"))
            paths.append(write_geotiff(folder / f"covered_{low}.tif",
                                       self.covered(t).astype(np.uint8), self.grid, nodata=255,
                                       tags=tags, band_description=f"{t} covered (0/1)"))
            paths.extend(self._service_geotiffs(folder, t, tags))
        paths.append(write_geotiff(folder / "covered_any.tif", self.covered("any").astype(np.uint8),
                                   self.grid, nodata=255, tags=self.tags(None),
                                   band_description="covered by any technology (0/1)"))
        return paths
