"""Line of sight over a DEM: a radial sweep (R2-style) and a per-pixel (R3) baseline.

The coverage engine needs, for every cell around a station, whether the antenna sees it
and, when the terrain is in the way, how deep the path is in the shadow of the dominant
obstacle. Computing each cell's own profile (the "R3" algorithm of Franklin & Ray 1994)
costs O(R³) for a window of radius R cells; the radial sweep here costs O(R²): rays go
from the antenna to every cell of the window's perimeter and, walking outward, keep the
highest elevation angle seen so far, so each cell is decided in O(1) from the ray that
passes closest to its centre (the "R2" algorithm, same paper).

Geometry (both algorithms)
--------------------------
Distances are horizontal, in metres. The Earth's curvature is taken into account by the
effective-Earth-radius method (ITU-R P.452 / P.526, k = 4/3 for the median refractivity
gradient): a point at distance ``d`` from the antenna is lowered by

    ``δ(d) = d² / (2 k R_e)``,  R_e = 6 371 km,

so that straight lines stay straight. The antenna is at ``z0 = z(station) + h_tx``. The
elevation tangent of a ground sample at distance ``d`` is
``t = (z(d) − δ(d) − z0) / d``; a target at distance ``D`` with ``z_t = z(D) − δ(D) + h_rx``
is in line of sight when its tangent ``(z_t − z0)/D`` is at least the largest ground
tangent ``t_max`` at distances ``0 < d < D``.

Samples along a ray are taken at each crossing of the ray's major axis (row or column)
with linear interpolation between the two cells straddling it on the minor axis, as in
R3. Cells with no data (NaN) count as sea level (0 m).

Diffraction parameter
---------------------
For every cell the sweep also returns the Fresnel–Kirchhoff parameter of the dominant
obstacle (the ground sample with the largest tangent ``t_max``, at ``d1``), ITU-R
P.526-15 eq. (26):

    ``h = d1 (t_max − t_target)``  (its height above the antenna–cell line),
    ``v = h · sqrt(2 (d1 + d2) / (λ d1 d2))``,  d2 = D − d1.

``v > 0`` exactly when the cell is not in line of sight; ``v`` between −0.78 and 0 means
the line clears the obstacle but it still intrudes into the first Fresnel zone. Cells with
no obstacle before them (the first ring) get ``v = −inf``.

Bullington (``method="bullington"``)
-----------------------------------
The equivalent knife edge of ITU-R P.526-15 §4.5.1 on the ray's own profile, computed in
the sweep (no per-cell profile). In the lowered frame ``g = z − d²/(2 k R_e)`` the P.526
bulge ``d_i (d − d_i)/(2 a_e)`` differs from ``−d_i²/(2 a_e)`` by a term linear in
``d_i``, a shear that leaves heights above lines, intersections and arg-maxima unchanged:

* Tx-side slope S_tim (eq. 49) = the running maximum tangent ``t_max``;
* Rx-side slope S_rim (eq. 53) = ``max_i (g_i − g_rx)/(D − d_i)``, the tangent from the
  cell to the upper convex hull of the samples before it, kept by a monotone chain
  (amortised O(1) per sample, built only up to an obstructed cell that needs it) and
  found by walking uphill from the previous cell's tangent vertex (the slope is
  unimodal along the hull, so the walk is exact);
* obstructed (``t_max > t_target``): ``v_b`` of the edge where the two lines meet
  (eqs. 54–55), exact on the ray's profile;
* clear: eq. (51)'s largest ``v``, among the last 16 running-maximum samples (a sample
  below an earlier, nearer one never has the larger ``v``; on flat ground every sample
  is one, and the largest ``v`` lies ≈ 0.05 D before a 1.5 m handset: exact within
  16 cells of it). ``v_floor`` lets the sweep skip that scan where no sample can reach
  it (the engine passes J's −0.78 at the lowest band that uses the sweep: ``v`` ∝ λ^−1/2
  is least negative there, so a cell below it is below it at every higher band).

``J(v)`` of it is P.526's ``L_uc``; the eq. (57) correction is applied by the engine.
"""

from __future__ import annotations

import itertools
import math

import numba
import numpy as np

from geo import parallel
from geo.constants import EARTH_RADIUS_M, K_FACTOR

__all__ = [
    "VIEWSHED_OVERSAMPLE",
    "SWEEP_METHODS",
    "EARTH_RADIUS_M",
    "K_FACTOR",
    "viewshed",
    "sweep_window",
    "curvature_drop_m",
    "sea_level_for_nodata",
]


VIEWSHED_OVERSAMPLE = 3  # rays per perimeter cell in viewshed(): ≥ 99 % agreement with R3
SWEEP_METHODS = ("dominant", "bullington")  # which Fresnel parameter sweep_window returns


def curvature_drop_m(d_m, k_factor: float = K_FACTOR):
    """Apparent drop of the ground at distance ``d_m`` from the observer.

    ``δ = d² / (2 k R_e)`` (effective Earth radius, ITU-R P.526-15 §4.3 / P.452), metres.
    At 10 km and k = 4/3: 5.89 m.
    """
    return np.asarray(d_m, dtype=float) ** 2 / (2.0 * k_factor * EARTH_RADIUS_M)


# ----------------------------------------------------------------------------- kernels
@numba.njit(cache=True, nogil=True, inline="always")
def _z(elev, r, c):
    v = elev[r, c]
    if v != v:  # NaN: no data = sea level
        return 0.0
    return float(v)


@numba.njit(cache=True, nogil=True, inline="always")
def _hull_push(hd, hg, n, d, g):
    """Add ``(d, g)`` (d increasing) to the upper convex hull ``hd/hg[:n]`` (monotone
    chain, Andrew 1979); returns the new length. Amortised O(1)."""
    while n >= 2:
        cross = (hd[n - 1] - hd[n - 2]) * (g - hg[n - 2]) - (hg[n - 1] - hg[n - 2]) * (d - hd[n - 2])
        if cross < 0.0:  # a right turn: the last vertex stays on the upper hull
            break
        n -= 1
    hd[n] = d
    hg[n] = g
    return n + 1


@numba.njit(cache=True, nogil=True, inline="always")
def _rx_slope(hd, hg, n, dd, zt, k):
    """Rx-side slope ``max_i (g_i − zt)/(dd − d_i)`` over the hull vertices (the tangent
    from the cell to the upper hull) and its vertex. The slope is unimodal along the
    chain (the cell lies beyond every vertex), so a walk uphill from any vertex ends at
    the maximum: it starts at ``k``, the previous cell's vertex on the same ray (the
    tangent moves little from cell to cell: O(1) steps, not a binary search)."""
    if k > n - 1:
        k = n - 1
    if k < 0:
        k = 0
    # slope to vertex k+1 > slope to vertex k ⇔ (both denominators > 0) cross-multiplied
    while k + 1 < n and (hg[k + 1] - zt) * (dd - hd[k]) > (hg[k] - zt) * (dd - hd[k + 1]):
        k += 1
    while k > 0 and (hg[k - 1] - zt) * (dd - hd[k]) > (hg[k] - zt) * (dd - hd[k - 1]):
        k -= 1
    return (hg[k] - zt) / (dd - hd[k]), k


@numba.njit(cache=True, nogil=True, inline="always")
def _bullington_edge_v(z0, zt, dd, t_max, t_tgt, hd, hg, n_hull, lam, k_hull):
    """Obstructed cell (``t_max > t_tgt``) at ``dd``: v_b of ITU-R P.526-15 §4.5.1, the
    equivalent edge where the Tx-side line (slope ``t_max``, eq. (49)) meets the Rx-side
    line (slope from :func:`_rx_slope`, eq. (53)), eqs. (54)–(55) (lowered frame).
    Returns ``v_b`` and the hull vertex of the Rx-side line (the next cell's start)."""
    s_r, k_hull = _rx_slope(hd, hg, n_hull, dd, zt, k_hull)
    d_b = (zt - z0 + s_r * dd) / (t_max + s_r)
    lo = 1e-3 * dd
    if d_b < lo:
        d_b = lo
    elif d_b > dd - lo:
        d_b = dd - lo
    h_b = d_b * (t_max - t_tgt)
    return h_b * math.sqrt(2.0 * dd / (lam * d_b * (dd - d_b))), k_hull


@numba.njit(cache=True, nogil=True, inline="always")
def _clear_q(rec_d, rec_t, n_rec, k_start, dd, t_tgt, num, den):
    """Clear cell: the running-maximum sample of smallest ``q_k = a_k² d_k/(dd − d_k)``
    (``a_k = t_tgt − t_k``), i.e. of the largest eq. (51) ``v_k = −sqrt(2 dd q_k/λ)``.

    ``num/den`` is the newest sample's q; returns ``(num, den, k)`` of the best (ratios
    compared by cross-multiplying: no division). A local descent from ``k_start`` (the
    previous cell's answer on the same ray: the arg-min moves slowly along a ray). Along
    smooth ground ``q_k`` is unimodal and the descent exact; on rough terrain the running
    maxima are few and far apart (the tests measure the difference to the full maximum).
    """
    last = n_rec - 1
    best_k = last
    k = min(max(k_start, 0), last - 1)
    a = t_tgt - rec_t[k]
    if a * a * rec_d[k] * den < num * (dd - rec_d[k]):
        num = a * a * rec_d[k]
        den = dd - rec_d[k]
        best_k = k
    for step in (-1, 1):
        j = best_k + step
        while 0 <= j < last:
            a = t_tgt - rec_t[j]
            if a * a * rec_d[j] * den >= num * (dd - rec_d[j]):
                break
            num = a * a * rec_d[j]
            den = dd - rec_d[j]
            best_k = j
            j += step
    return num, den, best_k


@numba.njit(cache=True, nogil=True)
def _sweep(elev, res_m, row, col, h_tx_m, h_rx_m, max_dist_m, k_factor, wavelength_m,
           r_lo, r_hi, c_lo, c_hi, v_out, oversample=1, method=0, v_floor=-np.inf,
           p_lo=0, p_hi=-1):
    """Radial sweep over the window ``elev[r_lo:r_hi, c_lo:c_hi]`` (see module docstring).

    ``elev`` holds no NaN (:func:`sweep_window` passes a copy with no data at sea level).
    Writes into ``v_out`` (window shape, float32, NaN-filled by the caller: NaN stays
    beyond ``max_dist_m``) the Fresnel parameter of each cell its rays decide (``-inf``
    with no obstacle): of the dominant obstacle (``method`` 0) or of the Bullington
    equivalent edge (``method`` 1, module docstring). With ``wavelength_m <= 0`` it
    writes the tangent excess ``t_max − t_target`` instead (> 0 ⇔ not in line of
    sight), which is what :func:`viewshed` needs. Only the rays ``p_lo ≤ p < p_hi`` of
    the perimeter (``p_hi`` < 0: to the end) are walked: disjoint ray ranges may run on
    several threads (:func:`_ray_chunks` says in which order).
    """
    n_rows, n_cols = elev.shape
    # Bullington state of the current ray (method 1): the upper convex hull of the
    # lowered ground samples (d, z − d²/2a_e) since the running maximum, and every
    # running-maximum sample (distance, tangent)
    hull_d = np.empty(int(math.ceil(max_dist_m / res_m)) + 3)
    hull_g = np.empty_like(hull_d)
    raw_g = np.empty_like(hull_d)  # lowered ground height of every sample of the ray
    rec_d = np.empty_like(hull_d)
    rec_t = np.empty_like(hull_d)
    # clear cells: v below v_floor needs no exact value; q·dd ≥ q_cut ⇔ v ≤ v_floor
    q_cut = np.inf
    if v_floor < 0.0 and wavelength_m > 0.0:
        q_cut = v_floor * v_floor * wavelength_m / 2.0
    inv_2kr = 1.0 / (2.0 * k_factor * EARTH_RADIUS_M)
    z0 = float(elev[row, col]) + h_tx_m
    rad = int(math.ceil(max_dist_m / res_m)) + 1
    max_d2 = (max_dist_m / res_m) ** 2
    n_side = 2 * rad * oversample  # rays per side of the perimeter square
    n_perim = 4 * n_side
    inv_t = np.empty(rad + 1)
    inv_t[0] = 0.0
    for t in range(1, rad + 1):
        inv_t[t] = 1.0 / t
    if p_hi < 0 or p_hi > n_perim:
        p_hi = n_perim
    for p in range(p_lo, p_hi):
        # perimeter cell p of the square of half-size rad, walked clockwise
        side = p // n_side
        k = (p % n_side) / oversample
        if side == 0:
            dr, dc = -rad, -rad + k
        elif side == 1:
            dr, dc = -rad + k, rad
        elif side == 2:
            dr, dc = rad, rad - k
        else:
            dr, dc = rad - k, -rad
        row_major = abs(dr) >= abs(dc)
        n = rad
        step_r = dr / n
        step_c = dc / n
        step_len = math.sqrt(step_r * step_r + step_c * step_c) * res_m
        inv_step_len = 1.0 / step_len
        t_max = -np.inf
        d1_max = 0.0
        n_hull = 0
        n_rec = 0
        k_best = 0
        k_hull = 0
        t_built = 1  # samples from this step on are not in the hull yet (built lazily)
        for t in range(1, n + 1):
            fr = row + step_r * t
            fc = col + step_c * t
            ri = int(math.floor(fr + 0.5))
            ci = int(math.floor(fc + 0.5))
            if ri < 0 or ri >= n_rows or ci < 0 or ci >= n_cols:
                break  # the grid is convex: the ray never comes back
            di = ri - row
            dj = ci - col
            cell_d2 = float(di * di + dj * dj)
            if cell_d2 > max_d2:
                break
            # --- decide the cell (from obstacles strictly before it)
            if r_lo <= ri < r_hi and c_lo <= ci < c_hi:
                off = abs(fc - ci) if row_major else abs(fr - ri)
                wi = ri - r_lo
                wj = ci - c_lo
                # the ray passing closest to the cell centre decides it: neighbouring
                # rays are t/(rad·oversample) cells apart at step t: it is within half that
                if off * (rad * oversample) <= 0.5 * t + 1e-9:
                    dd = math.sqrt(cell_d2) * res_m
                    zt = float(elev[ri, ci]) - dd * dd * inv_2kr + h_rx_m
                    t_tgt = (zt - z0) / dd
                    if t_max == -np.inf:
                        v_out[wi, wj] = -np.inf
                    elif wavelength_m <= 0.0:
                        v_out[wi, wj] = t_max - t_tgt
                    elif method == 1 and t_max > t_tgt:
                        # the hull is only needed here: bring it up to the previous sample
                        for tb in range(t_built, t):
                            n_hull = _hull_push(hull_d, hull_g, n_hull, step_len * tb,
                                                raw_g[tb])
                        t_built = t
                        v, k_hull = _bullington_edge_v(z0, zt, dd, t_max, t_tgt, hull_d,
                                                       hull_g, n_hull, wavelength_m, k_hull)
                        v_out[wi, wj] = v
                    elif method == 1:
                        # clear: the largest eq. (51) v of the running maxima, searched
                        # only where the nearest could reach v_floor (a_k ≥ a_last)
                        d1 = d1_max
                        if d1 > dd * 0.999:
                            d1 = dd * 0.999
                        a = t_tgt - t_max
                        num = a * a * d1
                        den = dd - d1
                        if n_rec > 1 and a * a * rec_d[0] * dd < q_cut * (dd - rec_d[0]):
                            num, den, k_best = _clear_q(rec_d, rec_t, n_rec, k_best, dd,
                                                        t_tgt, num, den)
                        v_out[wi, wj] = -math.sqrt(2.0 * dd * num / (wavelength_m * den))
                    else:
                        d1 = d1_max
                        if d1 > dd * 0.999:
                            d1 = dd * 0.999
                        d2 = dd - d1
                        h = d1 * (t_max - t_tgt)
                        v_out[wi, wj] = h * math.sqrt(2.0 * dd / (wavelength_m * d1 * d2))
            # --- the ground sample at this step, for the cells beyond
            ds = step_len * t
            if row_major:
                c0 = int(math.floor(fc))
                w = fc - c0
                if c0 < 0:
                    zg = float(elev[ri, 0])
                elif c0 + 1 >= n_cols:
                    zg = float(elev[ri, n_cols - 1])
                else:
                    zg = (1.0 - w) * float(elev[ri, c0]) + w * float(elev[ri, c0 + 1])
            else:
                r0 = int(math.floor(fr))
                w = fr - r0
                if r0 < 0:
                    zg = float(elev[0, ci])
                elif r0 + 1 >= n_rows:
                    zg = float(elev[n_rows - 1, ci])
                else:
                    zg = (1.0 - w) * float(elev[r0, ci]) + w * float(elev[r0 + 1, ci])
            g_low = zg - ds * ds * inv_2kr
            tg = (g_low - z0) * (inv_step_len * inv_t[t])
            if tg > t_max:
                t_max = tg
                d1_max = ds
                if method == 1:
                    rec_d[n_rec] = ds
                    rec_t[n_rec] = tg
                    n_rec += 1
            if method == 1:
                # S_rim's arg-max is never before the dominant sample (a sample under the
                # Tx-side line is under the line from the cell through that sample too):
                # the hull restarts at each new running maximum
                raw_g[t] = g_low
                if d1_max == ds:
                    n_hull = 0
                    k_hull = 0
                    t_built = t


@numba.njit(cache=True, nogil=True)
def _viewshed_r3_kernel(elev, res_m, row, col, h_tx_m, h_rx_m, max_dist_m, k_factor, out):
    """Per-pixel line of sight: each cell's own profile (R3). O(R³)."""
    n_rows, n_cols = elev.shape
    inv_2kr = 1.0 / (2.0 * k_factor * EARTH_RADIUS_M)
    z0 = _z(elev, row, col) + h_tx_m
    rad = int(math.ceil(max_dist_m / res_m)) + 1
    max_d2 = (max_dist_m / res_m) ** 2
    for ri in range(max(0, row - rad), min(n_rows, row + rad + 1)):
        for ci in range(max(0, col - rad), min(n_cols, col + rad + 1)):
            dr = ri - row
            dc = ci - col
            d2c = float(dr * dr + dc * dc)
            if d2c > max_d2:
                continue
            if dr == 0 and dc == 0:
                out[ri, ci] = True
                continue
            dd = math.sqrt(d2c) * res_m
            zt = _z(elev, ri, ci) - dd * dd * inv_2kr + h_rx_m
            t_tgt = (zt - z0) / dd
            row_major = abs(dr) >= abs(dc)
            n = abs(dr) if row_major else abs(dc)
            step_r = dr / n
            step_c = dc / n
            step_len = math.sqrt(step_r * step_r + step_c * step_c) * res_m
            visible = True
            for t in range(1, n):
                fr = row + step_r * t
                fc = col + step_c * t
                if row_major:
                    r_ = row + (t if dr > 0 else -t)
                    c0 = int(math.floor(fc))
                    w = fc - c0
                    c1 = min(c0 + 1, n_cols - 1)
                    zg = (1.0 - w) * _z(elev, r_, c0) + w * _z(elev, r_, c1)
                else:
                    c_ = col + (t if dc > 0 else -t)
                    r0 = int(math.floor(fr))
                    w = fr - r0
                    r1 = min(r0 + 1, n_rows - 1)
                    zg = (1.0 - w) * _z(elev, r0, c_) + w * _z(elev, r1, c_)
                ds = step_len * t
                if (zg - ds * ds * inv_2kr - z0) / ds > t_tgt:
                    visible = False
                    break
            out[ri, ci] = visible


# ----------------------------------------------------------------------------- public
def sea_level_for_nodata(elevation_m: np.ndarray) -> np.ndarray:
    """The sweep's convention, in place: no data (NaN) is sea level, 0 m (±inf become the
    largest finite values, as :func:`numpy.nan_to_num`). Returns the same array; the
    common all-finite case costs one ``isfinite`` pass, not ``nan_to_num``'s four."""
    if not np.isfinite(elevation_m).all():
        np.nan_to_num(elevation_m, nan=0.0, copy=False)
    return elevation_m


def _check_inputs(elevation_m, resolution_m, row, col, max_distance_m):
    elev = np.asarray(elevation_m)
    if elev.ndim != 2:
        msg = f"elevation_m must be a 2-D array; got shape {elev.shape}."
        raise ValueError(msg)
    if not (resolution_m > 0):
        msg = f"resolution_m must be > 0 metres; got {resolution_m!r}."
        raise ValueError(msg)
    if not (0 <= row < elev.shape[0] and 0 <= col < elev.shape[1]):
        msg = f"Observer cell (row={row}, col={col}) is outside the {elev.shape} array."
        raise ValueError(msg)
    if not (max_distance_m > 0):
        msg = f"max_distance_m must be > 0 metres; got {max_distance_m!r}."
        raise ValueError(msg)
    return np.ascontiguousarray(elev, dtype=np.float32)


def sweep_window(
    elevation_m: np.ndarray, resolution_m: float, row: int, col: int,
    observer_height_m: float, target_height_m: float, max_distance_m: float,
    window: tuple[slice, slice] | None = None, wavelength_m: float = 0.0,
    k_factor: float = K_FACTOR, oversample: int = 1, method: str = "dominant",
    v_floor: float = -math.inf, threads: int = 1,
) -> np.ndarray:
    """Radial line-of-sight sweep; the dominant-obstacle parameter of every cell.

    Parameters
    ----------
    elevation_m : numpy.ndarray
        2-D ground elevation on a square-cell grid (NaN = sea level).
    resolution_m : float
        Cell size, metres.
    row, col : int
        Observer cell.
    observer_height_m, target_height_m : float
        Antenna heights above ground of the observer (transmitter) and of the targets.
    max_distance_m : float
        Horizontal reach; cells farther than this are NaN.
    window : (slice, slice), optional
        Part of the array to return (default: the whole array). Rays still walk the
        terrain outside it.
    wavelength_m : float
        > 0: return the Fresnel parameter ``v`` of the dominant obstacle (module
        docstring); 0: return the tangent excess ``t_max − t_target`` (> 0 ⇔ hidden).
    k_factor : float
        Effective Earth-radius factor (4/3).
    oversample : int
        Rays per perimeter cell. Each cell is decided by the ray passing closest to its
        centre, at most ``0.5/oversample`` cell away at the window's edge: 1 is fastest
        (≈ 98–99 % of cells agree with the per-pixel baseline on very rough terrain),
        3 agrees on ≥ 99 % at 3× the cost.
    method : {"dominant", "bullington"}
        Which ``v`` (``wavelength_m`` > 0): of the dominant obstacle (the sample with the
        largest elevation tangent), or of the Bullington construction of ITU-R P.526-15
        §4.5.1 on the ray's own profile (module docstring): ``J(v)`` of it is that
        method's ``L_uc``; it is ``> 0`` exactly where the dominant ``v`` is.
    v_floor : float
        ``method="bullington"``, clear cells: a ``v`` below this may be returned as any
        value below it (e.g. −0.78, where J(v) = 0, scaled to ``wavelength_m``); −inf:
        exact.
    threads : int
        Walk the rays on this many threads (one site's map: :func:`geo.coverage.station_map`;
        the province engine runs sites, not rays, in parallel). The result does not
        depend on it.

    Returns
    -------
    numpy.ndarray
        float32 of the window's shape: ``v`` (or tangent excess); ``-inf`` where no
        obstacle precedes the cell; NaN beyond ``max_distance_m``.
    """
    elev = _check_inputs(elevation_m, resolution_m, row, col, max_distance_m)
    if method not in SWEEP_METHODS:
        msg = f"method={method!r}: expected one of {', '.join(SWEEP_METHODS)}."
        raise ValueError(msg)
    if window is None:
        window = (slice(0, elev.shape[0]), slice(0, elev.shape[1]))
    rs, cs = window
    r_lo, r_hi, _ = rs.indices(elev.shape[0])
    c_lo, c_hi, _ = cs.indices(elev.shape[1])
    out = np.full((r_hi - r_lo, c_hi - c_lo), np.nan, dtype=np.float32)
    if r_lo <= row < r_hi and c_lo <= col < c_hi:
        out[row - r_lo, col - c_lo] = -np.inf
    # work on a compact copy of the square the rays can reach (cache-friendly, no NaN)
    rad = int(math.ceil(max_distance_m / resolution_m)) + 1
    s_r0, s_r1 = max(0, row - rad), min(elev.shape[0], row + rad + 1)
    s_c0, s_c1 = max(0, col - rad), min(elev.shape[1], col + rad + 1)
    sub = sea_level_for_nodata(elev[s_r0:s_r1, s_c0:s_c1].copy())
    oversample = int(max(1, oversample))
    args = (sub, float(resolution_m), int(row) - s_r0, int(col) - s_c0,
            float(observer_height_m), float(target_height_m), float(max_distance_m),
            float(k_factor), float(wavelength_m), r_lo - s_r0, r_hi - s_r0, c_lo - s_c0,
            c_hi - s_c0, out, oversample, SWEEP_METHODS.index(method), float(v_floor))
    phases = _ray_chunks(8 * rad * oversample)
    if threads <= 1:
        for lo, hi in itertools.chain(*phases):
            _sweep(*args, lo, hi)
    else:
        pool = parallel.pool(threads)
        for phase in phases:
            list(pool.map(lambda c: _sweep(*args, c[0], c[1]), phase))
    return out


RAY_CHUNKS = 8  # the perimeter's rays are walked in this many ranges (fixed: see _ray_chunks)


def _ray_chunks(n_perim: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The sweep's ray ranges in two phases: even-numbered ranges, then odd ones.

    A cell is written by the ray passing closest to its centre — by two neighbouring rays
    on a tie — so only neighbouring ranges share cells. Within a phase no two ranges are
    neighbours (the count is even, the perimeter a loop): a phase's ranges may run on
    any number of threads at once, and a tie goes to the same ray however many threads
    ran, single-threaded runs included (they walk the same two phases in order).
    """
    edges = [round(i * n_perim / RAY_CHUNKS) for i in range(RAY_CHUNKS + 1)]
    chunks = [(edges[i], edges[i + 1]) for i in range(RAY_CHUNKS)]
    return chunks[0::2], chunks[1::2]


def viewshed(
    elevation_m: np.ndarray, resolution_m: float, row: int, col: int,
    observer_height_m: float, target_height_m: float, max_distance_m: float,
    k_factor: float = K_FACTOR,
) -> np.ndarray:
    """Cells in line of sight of an observer, by radial sweep (R2-style, O(R²)).

    Parameters
    ----------
    elevation_m : numpy.ndarray
        2-D ground elevation (m) on a square-cell grid; NaN counts as sea level.
    resolution_m : float
        Cell size, metres.
    row, col : int
        Observer cell.
    observer_height_m, target_height_m : float
        Heights above ground of the observer's antenna and of the targets, metres.
    max_distance_m : float
        Horizontal radius; cells beyond it are False.
    k_factor : float
        Effective Earth-radius factor (default 4/3).

    Returns
    -------
    numpy.ndarray of bool
        Same shape as ``elevation_m``; True where the straight line from the observer
        to the target (on the 4/3-Earth) clears every ground sample between them.

    Notes
    -----
    See the module docstring for the geometry. Agrees with the per-pixel baseline
    :func:`_viewshed_r3` on all but a small fraction of cells (those whose decision
    hinges on sub-cell differences between the sweep ray and the cell's own line).
    """
    excess = sweep_window(elevation_m, resolution_m, row, col, observer_height_m,
                          target_height_m, max_distance_m, k_factor=k_factor,
                          oversample=VIEWSHED_OVERSAMPLE)
    with np.errstate(invalid="ignore"):
        return ~(excess > 0) & ~np.isnan(excess)


def _viewshed_r3(
    elevation_m: np.ndarray, resolution_m: float, row: int, col: int,
    observer_height_m: float, target_height_m: float, max_distance_m: float,
    k_factor: float = K_FACTOR,
) -> np.ndarray:
    """Baseline: each cell's own line-of-sight profile (R3, O(R³)); same contract as
    :func:`viewshed`. For tests and the benchmark's speed-up figure only."""
    elev = _check_inputs(elevation_m, resolution_m, row, col, max_distance_m)
    out = np.zeros(elev.shape, dtype=np.bool_)
    _viewshed_r3_kernel(elev, float(resolution_m), int(row), int(col),
                        float(observer_height_m), float(target_height_m),
                        float(max_distance_m), float(k_factor), out)
    return out
