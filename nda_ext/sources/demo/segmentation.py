"""Demo masks, summary images and per-field quality traces.

Masks are Gaussian footprints (somas round, artifacts elongated) stored like CaImAn/nda: ``pixels`` are 1-based
indices into the field image in column-major (Fortran) order, ``weights`` float32 with unit L2 norm.
"""

import numpy as np
from scipy.signal import lfilter

SOMA_RADIUS_UM = 6.5


def footprints(cfg, rng, units):
    """Pixels (1-based Fortran indices, int64) and weights (float32) of every unit's mask.

    Args:
        cfg: DemoConfig (field_shape, field_um).
        rng: numpy Generator.
        units: DataFrame from ``anatomy.place_units`` (cx, cy, is_soma).

    Returns:
        (pixels, weights): lists with one 1-D array per unit, in the order of ``units``.
    """
    height, width = cfg.field_shape
    um_per_px = cfg.field_um[0] / height
    sigma = max(0.6 * SOMA_RADIUS_UM / um_per_px, 0.7)
    elongation = np.where(units["is_soma"], rng.uniform(0.8, 1.25, len(units)), rng.uniform(2.0, 3.0, len(units)))
    half = int(np.ceil(2.5 * sigma * 3.0))
    dy, dx = np.mgrid[-half:half + 1, -half:half + 1]
    cx, cy = units["cx"].to_numpy()[:, None], units["cy"].to_numpy()[:, None]
    cols = np.round(cx).astype(int) + dx.ravel()[None]
    rows = np.round(cy).astype(int) + dy.ravel()[None]
    sx, sy = sigma * elongation[:, None], sigma / np.sqrt(elongation)[:, None]
    weight = np.exp(-0.5 * (((cols - cx) / sx) ** 2 + ((rows - cy) / sy) ** 2))
    keep = (weight > 0.05) & (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    weight = np.where(keep, weight, 0.0)
    weight /= np.linalg.norm(weight, axis=1, keepdims=True)
    index = cols * height + rows + 1
    return ([index[i, keep[i]] for i in range(len(units))],
            [weight[i, keep[i]].astype(np.float32) for i in range(len(units))])


def field_images(cfg, rng, pixels, weights, brightness):
    """(correlation, average) float32 images (H, W) of one field from its masks.

    Args:
        pixels, weights: masks of the field (see :func:`footprints`).
        brightness: mean fluorescence of each mask (same order), a.u.
    """
    height, width = cfg.field_shape
    index = np.concatenate(pixels) - 1
    shape = np.concatenate([w / w.max() for w in weights])
    level = np.repeat(np.asarray(brightness, dtype=float), [w.size for w in weights])
    flat_avg = np.bincount(index, shape * level, minlength=height * width)
    flat_corr = np.bincount(index, 0.8 * shape, minlength=height * width)
    yy, xx = np.mgrid[0:height, 0:width]
    vignette = 1 - 0.3 * (((yy - height / 2) / height) ** 2 + ((xx - width / 2) / width) ** 2)
    average = flat_avg.reshape((height, width), order="F") + 60 * vignette + rng.normal(0, 4, (height, width))
    correlation = np.clip(flat_corr.reshape((height, width), order="F") + 0.1 + rng.normal(0, 0.05, (height, width)),
                          -1, 1)
    return correlation.astype(np.float32), average.astype(np.float32)


def _random_walk(rng, n, sd, rho=0.98):
    """Stationary AR(1) process with marginal standard deviation ``sd``."""
    innovations = rng.normal(0, sd * np.sqrt(1 - rho ** 2), n)
    innovations[0] = rng.normal(0, sd)
    return lfilter([1.0], [1.0, -rho], innovations)


def quality_rows(cfg, rng, field, average, nframes):
    """``RasterCorrection``, ``MotionCorrection`` and ``MeanIntensity`` rows of one field.

    Shifts are px (float32 per frame); intensities (float32 per frame) drift slowly and dip twice, as when
    immersion water is lost.
    """
    key = {k: field[k] for k in ("session", "scan_idx", "field")}
    y_shifts = _random_walk(rng, nframes, 1.5).astype(np.float32)
    x_shifts = _random_walk(rng, nframes, 1.0).astype(np.float32)
    intensity = float(average.mean()) * (1 + _random_walk(rng, nframes, 0.02, rho=0.999))
    for start in rng.integers(0, max(nframes - 60, 1), 2):
        intensity[start:start + 60] *= 0.7
    return (
        dict(key, raster_phase=float(rng.normal(0, 0.005))),
        dict(key, y_shifts=y_shifts, x_shifts=x_shifts, y_std=float(y_shifts.std()), x_std=float(x_shifts.std())),
        dict(key, intensities=intensity.astype(np.float32)),
    )
