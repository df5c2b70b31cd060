"""Synthetic relief for tests, benchmarks and peer comparisons (one generator, seeded).

:func:`fractal_relief_m` makes rough "Trường Sơn-like" terrain with a 1/f^β power spectrum,
scaled to 0…``relief_m`` metres — the fine-terrain case the engine, ITM and SPLAT! are
compared on (docs/models.md §5).
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["fractal_relief_m"]


def fractal_relief_m(shape: tuple[int, int], seed: int = 2025, relief_m: float = 2000.0,
                     beta: float = 1.6, low_memory: bool = False) -> np.ndarray:
    """Seeded spectral (1/f^β) relief, 0…``relief_m`` metres, float32.

    Parameters
    ----------
    shape : (rows, cols)
    seed : int
        Seed of the random phases and amplitudes (same seed, same terrain).
    relief_m : float
        Height of the highest cell above the lowest.
    beta : float
        Spectral exponent: larger is smoother.
    low_memory : bool
        FFT in float32 (scipy, all cores) for province-size grids at 30 m; a different random
        stream from the float64 path, so the two give different (equally rough) terrain.
    """
    rng = np.random.default_rng(seed)
    if low_memory:
        from scipy import fft

        ky = fft.fftfreq(shape[0]).astype(np.float32)[:, None]
        kx = fft.rfftfreq(shape[1]).astype(np.float32)[None, :]
        k = np.sqrt(ky**2 + kx**2)
        k[0, 0] = 1.0
        spec = (rng.standard_normal(k.shape, dtype=np.float32)
                + 1j * rng.standard_normal(k.shape, dtype=np.float32)) / k**beta
        del k
        spec[0, 0] = 0
        z = fft.irfft2(spec, s=shape, workers=os.cpu_count()).astype(np.float32)
        del spec
        z -= z.min()
        z *= relief_m / z.max()
        return z
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.rfftfreq(shape[1])[None, :]
    k = np.hypot(ky, kx)
    k[0, 0] = 1.0
    spec = (rng.standard_normal(k.shape) + 1j * rng.standard_normal(k.shape)) / k**beta
    spec[0, 0] = 0.0
    z = np.fft.irfft2(spec, s=shape)
    z = (z - z.min()) / (z.max() - z.min()) * relief_m
    return z.astype(np.float32)
