"""Calibrate the propagation model to drive tests: offset and log-distance slope.

From a :class:`analysis.measurements.Comparison`, per technology (and, reported beside
it, per line-of-sight class when that class has enough points), ordinary least squares
fits the correction of :mod:`geo.correction` to the measured-minus-predicted levels:

.. math::

    y_i = \\mathrm{RSRP}^{meas}_i - \\mathrm{RSRP}^{model}_i = a + b\\,x_i + \\varepsilon_i,
    \\qquad x_i = \\log_{10}(\\max(d_i, 100\\,\\mathrm{m}) / 1\\,\\mathrm{km})

(lognormal shadowing is Gaussian in dB, so least squares is its maximum likelihood).
The slope ``b`` is fitted only when asked and when the distances span at least
:data:`MIN_LOG_SPAN_DECADES`; otherwise ``a`` alone (the mean of ``y``).

The in-sample RMSE after the fit is optimistic; the k-fold cross-validated RMSE (fit on
k − 1 folds, error on the held-out fold, :data:`K_FOLDS` = 5, seeded) is the honest
out-of-sample figure and is reported beside it. A fit needs :data:`MIN_POINTS` points
with a prediction; with fewer, :class:`CalibrationError` says how many are needed.

The engine applies the per-technology fit (:class:`geo.coverage.CoverageConfig`
``calibration``); the per-LOS-class fits are reported, not applied (the engine's
correction is one curve per technology). Calibrations are kept in the workspace
GeoPackage, table ``calibrations``, as JSON keyed by the measurement set's SHA-256 —
never pickled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from geo.correction import (
    MAX_OFFSET_DB,
    MAX_SLOPE_DB_PER_DECADE,
    CorrectionError,
    ModelCorrection,
    log_distance,
)

__all__ = [
    "MIN_POINTS",
    "K_FOLDS",
    "MIN_LOG_SPAN_DECADES",
    "CalibrationError",
    "Fit",
    "Calibration",
    "fit_offset_slope",
    "cross_validated_rmse",
    "calibrate",
    "measurement_sha256",
    "save_calibration",
    "load_calibration",
    "list_calibrations",
    "delete_calibration",
]

MIN_POINTS = 30  # points with a prediction needed for one fit
K_FOLDS = 5
MIN_LOG_SPAN_DECADES = 0.3  # distances must span ×2 for a slope
LOS_CLASSES = ("LOS", "obstructed")
MAX_JSON_CHARS = 1_000_000  # a stored calibration is a few kB; refuse anything absurd


class CalibrationError(ValueError):
    """A calibration that cannot be fitted, saved or loaded (too few points, bad name)."""


# ----------------------------------------------------------------------------- fitting
def fit_offset_slope(x, y, slope: bool = True) -> tuple[float, float]:
    """Least-squares ``y = a + b x`` (``b = 0`` when ``slope`` is False).

    Parameters
    ----------
    x : array_like
        Log-distance regressor (:func:`geo.correction.log_distance`).
    y : array_like
        Measured − predicted level, dB.
    slope : bool
        Fit ``b`` too.

    Returns
    -------
    (offset_db, slope_db_per_decade) : tuple of float
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if not slope:
        return float(y.mean()), 0.0
    xm = x.mean()
    sxx = float(np.sum((x - xm) ** 2))
    if sxx == 0.0:
        return float(y.mean()), 0.0
    b = float(np.sum((x - xm) * (y - y.mean())) / sxx)
    return float(y.mean() - b * xm), b


def _cv_errors(x: np.ndarray, y: np.ndarray, slope: bool, k: int, seed: int) -> np.ndarray:
    """Held-out errors ``y − (a + b x)`` of a seeded k-fold split (one per point)."""
    n = x.size
    k = max(2, min(int(k), n))
    folds = np.random.default_rng(seed).permutation(n) % k
    err = np.empty(n)
    for f in range(k):
        test = folds == f
        a, b = fit_offset_slope(x[~test], y[~test], slope)
        err[test] = y[test] - (a + b * x[test])
    return err


def cross_validated_rmse(x, y, slope: bool = True, k: int = K_FOLDS, seed: int = 0) -> float:
    """RMSE (dB) of ``y − (a + b x)`` on held-out folds of a seeded k-fold split."""
    err = _cv_errors(np.asarray(x, dtype=float), np.asarray(y, dtype=float), slope, k, seed)
    return float(np.sqrt(np.mean(err**2)))


def _rmse(v: np.ndarray) -> float:
    return float(np.sqrt(np.mean(v**2)))


@dataclass
class Fit:
    """One fitted correction (a technology, optionally one LOS class), dB."""

    technology: str
    los_class: str  # "all", "LOS" or "obstructed"
    points_used: int
    offset_db: float
    slope_db_per_decade: float | None
    bias_db_before: float
    rmse_db_before: float
    rmse_db_after: float
    rmse_db_cv: float
    note: str = ""


def _fit_group(tech: str, cls: str, x: np.ndarray, y: np.ndarray, slope: bool, k: int,
               seed: int) -> Fit:
    use_slope = slope and float(np.ptp(x)) >= MIN_LOG_SPAN_DECADES
    note = ""
    if slope and not use_slope:
        note = (f"slope not fitted: distances span {float(np.ptp(x)):.2f} decades "
                f"(< {MIN_LOG_SPAN_DECADES:g})")
    a, b = fit_offset_slope(x, y, use_slope)
    if use_slope and abs(b) > MAX_SLOPE_DB_PER_DECADE:  # not a propagation effect: offset only
        note = (f"slope not fitted: {b:+.1f} dB/decade is beyond ±{MAX_SLOPE_DB_PER_DECADE:g} "
                f"(distances too few or too close)")
        use_slope = False
        a, b = fit_offset_slope(x, y, False)
    if abs(a) > MAX_OFFSET_DB:
        msg = (f"{tech}: độ lệch {a:+.1f} dB vượt ±{MAX_OFFSET_DB:g} dB — kiểm tra công nghệ, nhà "
               f"mạng và đơn vị của tệp đo. / {tech}: the offset {a:+.1f} dB is beyond "
               f"±{MAX_OFFSET_DB:g} dB — check the file's technology, operator and level units.")
        raise CalibrationError(msg)
    return Fit(
        technology=tech, los_class=cls, points_used=int(x.size), offset_db=round(a, 3),
        slope_db_per_decade=round(b, 3) if use_slope else None,
        bias_db_before=round(float(-y.mean()), 3), rmse_db_before=round(_rmse(y), 3),
        rmse_db_after=round(_rmse(y - (a + b * x)), 3),
        rmse_db_cv=round(cross_validated_rmse(x, y, use_slope, k, seed), 3), note=note,
    )


@dataclass
class Calibration:
    """Per-technology fits (applied) and per-LOS-class fits (reported) of one drive test."""

    name: str
    measurement_sha256: str
    fits: list[Fit]
    class_fits: list[Fit] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    overall: dict[str, Any] = field(default_factory=dict)
    created_utc: str = ""
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def correction(self) -> ModelCorrection:
        """What the coverage engine applies (``CoverageConfig(calibration=...)``)."""
        per = {f.technology: (f.offset_db, f.slope_db_per_decade or 0.0) for f in self.fits}
        return ModelCorrection(self.name, per, self.measurement_sha256)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able content (what is stored and what ``--json`` prints)."""
        d = asdict(self)
        d["fits"] = [asdict(f) for f in self.fits]
        d["class_fits"] = [asdict(f) for f in self.class_fits]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        try:
            return cls(
                name=str(d["name"]), measurement_sha256=str(d["measurement_sha256"]),
                fits=[Fit(**f) for f in d["fits"]],
                class_fits=[Fit(**f) for f in d.get("class_fits", [])],
                skipped=list(d.get("skipped", [])), overall=dict(d.get("overall", {})),
                created_utc=str(d.get("created_utc", "")), source=dict(d.get("source", {})),
            )
        except (KeyError, TypeError) as exc:
            msg = f"A stored calibration is malformed ({exc}); save it again."
            raise CalibrationError(msg) from None


def _usable(points: pd.DataFrame) -> pd.DataFrame:
    ok = np.isfinite(points["residual_db"].to_numpy(dtype=float)) & \
        np.isfinite(points["distance_m"].to_numpy(dtype=float))
    return points[ok]


def _too_few(counts: dict[str, int], min_points: int) -> str:
    have = ", ".join(f"{t}: {n}" for t, n in sorted(counts.items())) or "none"
    return (f"Cần ít nhất {min_points} điểm đo có dự báo cho mỗi công nghệ để hiệu chỉnh "
            f"(hiện có {have}). / Calibration needs at least {min_points} measured points "
            f"with a prediction per technology (have {have}).")


def calibrate(comparison, *, slope: bool = True, k_folds: int = K_FOLDS,
              min_points: int = MIN_POINTS, seed: int = 0, name: str = "",
              measurement_hash: str = "") -> Calibration:
    """Fit the correction per technology (and per LOS class where there are enough points).

    Parameters
    ----------
    comparison : analysis.measurements.Comparison
        From :func:`analysis.measurements.compare` on an *uncalibrated* coverage.
    slope : bool
        Also fit the log-distance slope.
    k_folds : int
        Folds of the cross-validated RMSE.
    min_points : int
        Points needed per fit (default :data:`MIN_POINTS`).
    name, measurement_hash : str
        Stored with the result (default hash: :func:`measurement_sha256` of the points).

    Raises
    ------
    CalibrationError
        No technology has ``min_points`` points with a prediction (the message says
        how many each has and how many are needed).
    """
    if getattr(comparison, "calibration", None):
        msg = (f"The comparison used calibration {comparison.calibration}; fit on the "
               f"uncalibrated model.")
        raise CalibrationError(msg)
    pts = _usable(comparison.points)
    counts = {str(t): int(n) for t, n in pts["technology"].value_counts().items()}
    fits, class_fits, skipped = [], [], []
    for tech in sorted(counts):
        g = pts[pts["technology"] == tech]
        x = log_distance(g["distance_m"].to_numpy(dtype=float))
        y = -g["residual_db"].to_numpy(dtype=float)
        if x.size < min_points:
            skipped.append({"technology": tech, "los_class": "all", "points": int(x.size),
                            "needed": int(min_points)})
            continue
        fits.append(_fit_group(tech, "all", x, y, slope, k_folds, seed))
        los = g["los"].astype(str).to_numpy()
        for cls in LOS_CLASSES:
            m = los == cls
            if int(m.sum()) >= min_points:
                class_fits.append(_fit_group(tech, cls, x[m], y[m], slope, k_folds, seed))
            else:
                skipped.append({"technology": tech, "los_class": cls, "points": int(m.sum()),
                                "needed": int(min_points)})
    if not fits:
        raise CalibrationError(_too_few(counts, min_points))
    cal = Calibration(
        name=name, measurement_sha256=measurement_hash or measurement_sha256(comparison.points),
        fits=fits, class_fits=class_fits, skipped=skipped,
        created_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    cal.overall = _overall(pts, cal, slope, k_folds, seed)
    return cal


def _overall(pts: pd.DataFrame, cal: Calibration, slope: bool, k: int, seed: int) -> dict:
    """Before/after/CV figures over every point of the fitted technologies."""
    fitted = {f.technology: f for f in cal.fits}
    g = pts[pts["technology"].isin(list(fitted))]
    y = -g["residual_db"].to_numpy(dtype=float)
    x = log_distance(g["distance_m"].to_numpy(dtype=float))
    tech = g["technology"].to_numpy()
    after = y.copy()
    cv_err = np.empty_like(y)
    for t, f in fitted.items():
        m = tech == t
        after[m] = y[m] - (f.offset_db + (f.slope_db_per_decade or 0.0) * x[m])
        cv_err[m] = _cv_errors(x[m], y[m], f.slope_db_per_decade is not None, k, seed)
    return {"points_used": int(y.size), "bias_db_before": round(float(-y.mean()), 3),
            "rmse_db_before": round(_rmse(y), 3), "rmse_db_after": round(_rmse(after), 3),
            "rmse_db_cv": round(_rmse(cv_err), 3), "slope_requested": bool(slope),
            "k_folds": int(k)}


def measurement_sha256(points: pd.DataFrame) -> str:
    """SHA-256 of a measurement set's content (technology, operator, level, cell, lon/lat)."""
    geom = points.geometry.to_crs("EPSG:4326")
    cols = {"technology": points["technology"].astype(str),
            "operator": points["operator"].astype(str) if "operator" in points else "",
            "rsrp_dbm": points["rsrp_dbm"].astype(float).round(2),
            "cell_id": points["cell_id"].astype(str) if "cell_id" in points else "",
            "lon": geom.x.round(7), "lat": geom.y.round(7)}
    text = pd.DataFrame(cols).to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- storage
_TABLE_SQL = """CREATE TABLE IF NOT EXISTS calibrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, created_utc TEXT NOT NULL,
    measurement_sha256 TEXT NOT NULL, technologies TEXT, points_used INTEGER,
    rmse_db_before DOUBLE, rmse_db_after DOUBLE, rmse_db_cv DOUBLE, content_json TEXT NOT NULL)"""


def _workspace(workspace):
    from geo.workspace import Workspace

    return workspace if isinstance(workspace, Workspace) else Workspace(workspace)


def _clean_name(name: str) -> str:
    n = str(name or "").strip()
    if not n or len(n) > 200:
        msg = "A calibration needs a name of 1–200 characters (--save NAME)."
        raise CalibrationError(msg)
    return n


def save_calibration(calibration: Calibration, workspace=None, *, name: str | None = None,
                     replace: bool = False) -> dict[str, Any]:
    """Keep ``calibration`` in the workspace GeoPackage (table ``calibrations``, JSON).

    Raises :class:`CalibrationError` when the name exists and ``replace`` is False.
    Returns the stored row (without the JSON content).
    """
    ws = _workspace(workspace)
    nm = _clean_name(name if name is not None else calibration.name)
    calibration.name = nm
    content = json.dumps(calibration.to_dict(), ensure_ascii=False, allow_nan=False)
    o = calibration.overall
    row = (nm, calibration.created_utc or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
           calibration.measurement_sha256, ",".join(f.technology for f in calibration.fits),
           int(o.get("points_used", 0)), o.get("rmse_db_before"), o.get("rmse_db_after"),
           o.get("rmse_db_cv"), content)
    with ws._write() as con:
        con.execute(_TABLE_SQL)
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                    "description, srs_id) VALUES ('calibrations','attributes','calibrations',"
                    "'Model calibrations fitted to drive tests', NULL)")
        exists = con.execute("SELECT id FROM calibrations WHERE name = ?", (nm,)).fetchone()
        if exists and not replace:
            msg = f"A calibration named {nm!r} exists already; choose another name or replace it."
            raise CalibrationError(msg)
        con.execute("DELETE FROM calibrations WHERE name = ?", (nm,))
        con.execute("INSERT INTO calibrations (name, created_utc, measurement_sha256, technologies,"
                    " points_used, rmse_db_before, rmse_db_after, rmse_db_cv, content_json)"
                    " VALUES (?,?,?,?,?,?,?,?,?)", row)
    return dict(zip(("name", "created_utc", "measurement_sha256", "technologies", "points_used",
                     "rmse_db_before", "rmse_db_after", "rmse_db_cv"), row[:-1], strict=True))


def _has_table(con) -> bool:
    return con is not None and con.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='calibrations'").fetchone() is not None


def load_calibration(name: str, workspace=None) -> Calibration:
    """The calibration saved as ``name`` (:class:`CalibrationError` when there is none)."""
    ws = _workspace(workspace)
    nm = _clean_name(name)
    with ws._read() as con:
        row = (con.execute("SELECT content_json FROM calibrations WHERE name = ?", (nm,)).fetchone()
               if _has_table(con) else None)
        names = ([r[0] for r in con.execute("SELECT name FROM calibrations ORDER BY name")]
                 if _has_table(con) else [])
    if row is None:
        known = ", ".join(names) or "none saved yet"
        msg = (f"Không có hiệu chỉnh {nm!r} trong {ws.path} / No calibration named {nm!r} in "
               f"{ws.path} (saved: {known}; make one with `lomsong measurements calibrate FILE "
               f"--save NAME`).")
        raise CalibrationError(msg)
    text = str(row[0])
    if len(text) > MAX_JSON_CHARS:
        msg = f"The stored calibration {nm!r} is larger than {MAX_JSON_CHARS} characters."
        raise CalibrationError(msg)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"The stored calibration {nm!r} is not valid JSON ({exc})."
        raise CalibrationError(msg) from None
    cal = Calibration.from_dict(data)
    try:
        cal.correction  # noqa: B018 - validates every technology, offset and slope
    except (CorrectionError, TypeError, ValueError) as exc:
        msg = f"The stored calibration {nm!r} cannot be applied: {exc}"
        raise CalibrationError(msg) from None
    return cal


def list_calibrations(workspace=None) -> pd.DataFrame:
    """Saved calibrations: name, created_utc, measurement_sha256, technologies, figures."""
    ws = _workspace(workspace)
    cols = ["name", "created_utc", "measurement_sha256", "technologies", "points_used",
            "rmse_db_before", "rmse_db_after", "rmse_db_cv"]
    with ws._read() as con:
        rows = (con.execute(f"SELECT {', '.join(cols)} FROM calibrations ORDER BY name").fetchall()
                if _has_table(con) else [])
    return pd.DataFrame(rows, columns=cols)


def delete_calibration(name: str, workspace=None) -> None:
    """Remove a saved calibration (:class:`CalibrationError` when there is none)."""
    ws = _workspace(workspace)
    nm = _clean_name(name)
    with ws._write() as con:
        con.execute(_TABLE_SQL)
        if con.execute("DELETE FROM calibrations WHERE name = ?", (nm,)).rowcount == 0:
            msg = f"No calibration named {nm!r} in {ws.path}."
            raise CalibrationError(msg)
