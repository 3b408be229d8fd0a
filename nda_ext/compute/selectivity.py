"""Orientation and direction selectivity indices (docs/metrics.md: "gOSI" to "DSI"), vectorised over units.

All angles in degrees in the package convention (0 = rightward motion, counter-clockwise positive);
``pref_ori`` in [0, 180), ``pref_dir`` in [0, 360). Curves are arrays ``(n_units, n_dir)`` sampled at
``directions_deg`` ``(n_dir,)``; a 1-D curve is treated as one unit and scalars are returned.
"""
import numpy as np

from nda_ext.compute.vonmises import bi_von_mises

__all__ = ["global_selectivity", "classic_osi_dsi", "fit_osi_dsi", "orientation_difference"]


def orientation_difference(a, b) -> np.ndarray:
    """Circular difference of orientations (deg, period 180), in [0, 90]."""
    delta = np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) % 180.0
    return np.minimum(delta, 180.0 - delta)


def _curves(curves, directions_deg):
    curves = np.asarray(curves, dtype=float)
    directions_deg = np.asarray(directions_deg, dtype=float).ravel()
    if curves.shape[-1] != directions_deg.size:
        raise ValueError(f"curves has {curves.shape[-1]} directions but directions_deg has {directions_deg.size}")
    return curves, directions_deg


def global_selectivity(curves, directions_deg):
    """Vector-sum (global) selectivity: gOSI, gDSI and preferred orientation/direction.

    ``gosi = |sum_k r_k e^{2i theta_k}| / sum_k r_k``, ``gdsi = |sum_k r_k e^{i theta_k}| / sum_k r_k``,
    ``pref_ori = arg(sum_k r_k e^{2i theta_k}) / 2 mod 180``, ``pref_dir = arg(sum_k r_k e^{i theta_k}) mod 360``.

    Args:
        curves: mean responses ``(n_units, n_dir)``.
        directions_deg: directions in degrees ``(n_dir,)``.

    Returns:
        dict with ``gosi``, ``gdsi`` (dimensionless, in [0, 1]; NaN where ``sum_k r_k <= 0``, where a response
        is negative (the definition needs ``r_k >= 0``; clip activity at 0 first, as foundation does) or where the
        curve has a NaN),
        ``pref_ori`` (deg, [0, 180)) and ``pref_dir`` (deg, [0, 360)), each of shape ``(n_units,)``.
    """
    curves, directions_deg = _curves(curves, directions_deg)
    theta = np.deg2rad(directions_deg)
    total = curves.sum(-1)
    ori_vec = curves @ np.exp(2j * theta)
    dir_vec = curves @ np.exp(1j * theta)
    with np.errstate(invalid="ignore", divide="ignore"):
        positive = (total > 0) & ~(curves < 0).any(-1)
        gosi = np.where(positive, np.abs(ori_vec) / total, np.nan)
        gdsi = np.where(positive, np.abs(dir_vec) / total, np.nan)
    return {
        "gosi": gosi,
        "gdsi": gdsi,
        "pref_ori": (np.rad2deg(np.angle(ori_vec)) / 2.0) % 180.0,
        "pref_dir": np.rad2deg(np.angle(dir_vec)) % 360.0,
    }


def _periodic_interp(curves, directions_deg, query_deg):
    """Linear interpolation of curves ``(n_units, n_dir)`` at per-unit angles ``query_deg`` ``(n_units, m)``."""
    order = np.argsort(directions_deg % 360.0)
    xs = directions_deg[order] % 360.0
    ys = curves[..., order]
    xs_ext = np.concatenate([xs[-1:] - 360.0, xs, xs[:1] + 360.0])
    ys_ext = np.concatenate([ys[..., -1:], ys, ys[..., :1]], -1)
    q = np.asarray(query_deg, dtype=float) % 360.0
    right = np.searchsorted(xs_ext, q, side="right").clip(1, xs_ext.size - 1)
    x0, x1 = xs_ext[right - 1], xs_ext[right]
    y0 = np.take_along_axis(ys_ext, right - 1, -1)
    y1 = np.take_along_axis(ys_ext, right, -1)
    return y0 + (y1 - y0) * (q - x0) / (x1 - x0)


def classic_osi_dsi(curves, directions_deg, pref_dir_deg=None):
    """Classic ratio indices from a sampled curve (raw means or a fitted curve on a grid).

    ``osi = (R_pref - R_orth) / (R_pref + R_orth)`` with ``R_orth`` the mean response at pref +/- 90 deg;
    ``dsi = (R_pref - R_null) / (R_pref + R_null)`` with ``R_null`` the response at pref + 180 deg. Responses away
    from the sampled directions are linearly interpolated on the circle.

    Args:
        curves: responses ``(n_units, n_dir)``.
        directions_deg: directions in degrees ``(n_dir,)``.
        pref_dir_deg: preferred direction per unit in degrees ``(n_units,)``; default: the direction of the maximum
            response of each curve.

    Returns:
        dict with ``osi``, ``dsi`` and the ``pref_dir`` used (deg), each ``(n_units,)``.
    """
    curves, directions_deg = _curves(curves, directions_deg)
    curves2d = np.atleast_2d(curves)
    if pref_dir_deg is None:
        finite = np.isfinite(curves2d)
        best = np.argmax(np.where(finite, curves2d, -np.inf), -1)
        pref = np.where(finite.any(-1), directions_deg[best], np.nan)
    else:
        pref = np.broadcast_to(np.asarray(pref_dir_deg, dtype=float).ravel(), curves2d.shape[:1])
    at = _periodic_interp(curves2d, directions_deg, pref[:, None] + np.array([0.0, 90.0, 270.0, 180.0]))
    r_pref, r_orth, r_null = at[:, 0], at[:, 1:3].mean(-1), at[:, 3]
    with np.errstate(invalid="ignore", divide="ignore"):
        result = {"osi": (r_pref - r_orth) / (r_pref + r_orth), "dsi": (r_pref - r_null) / (r_pref + r_null),
                  "pref_dir": pref % 360.0}
    return {key: value.reshape(curves.shape[:-1]) for key, value in result.items()}


def fit_osi_dsi(mu_deg, phi, kappa, scale, bias):
    """Fit-based OSI/DSI of cajal/foundation (docs/metrics.md: "OSI", "DSI") from bi-von Mises parameters.

    With fitted curve ``f`` and preferred direction ``mu``: ``pref_ori = mu mod 180``, ``orth = pref_ori + 90``;
    ``R_pref = (f(pref_ori) + f(pref_ori + 180)) / 2``, ``R_orth = (f(orth) + f(orth + 180)) / 2``;
    ``osi = (R_pref - R_orth) / (R_pref + R_orth)``; ``dsi = 1 - f(mu + 180) / f(mu)``.

    Args:
        mu_deg, phi, kappa, scale, bias: bi-von Mises parameters ``(n_units,)`` as returned by
            :func:`nda_ext.compute.vonmises.fit_bi_von_mises` (``mu`` in degrees).

    Returns:
        dict with ``osi`` and ``dsi`` ``(n_units,)``.
    """
    mu = np.asarray(mu_deg, dtype=float)
    pref_ori = mu % 180.0
    angles = np.stack([pref_ori, pref_ori + 180.0, pref_ori + 90.0, pref_ori + 270.0, mu, mu + 180.0], -1)
    params = [np.asarray(p, dtype=float)[..., None] for p in (phi, kappa, scale, bias)]
    f = bi_von_mises(angles, mu[..., None], *params)
    r_pref = (f[..., 0] + f[..., 1]) / 2.0
    r_orth = (f[..., 2] + f[..., 3]) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"osi": (r_pref - r_orth) / (r_pref + r_orth), "dsi": 1.0 - f[..., 5] / f[..., 4]}
