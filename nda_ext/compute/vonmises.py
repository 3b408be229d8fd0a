"""Batched bi-von Mises (double von Mises) direction tuning fits (docs/metrics.md: "Bi-von Mises fit").

Model, with ``theta`` and ``mu`` in radians::

    f(theta) = scale * [phi * exp(kappa * (cos(theta - mu) - 1))
                        + (1 - phi) * exp(kappa * (cos(theta - mu - pi) - 1))] + bias

with bounds ``phi in [0, 1]``, ``kappa >= 0``, ``scale >= 0``, ``bias >= 0`` (cajal/foundation ``BiVonMises``).
After fitting, ``phi > 0.5`` keeps ``mu``; otherwise ``mu <- mu + pi`` and ``phi <- 1 - phi``, so ``phi >= 0.5`` and
``mu`` is the preferred direction. ``mse = chisqr / ndata`` over all finite input points.

Solver (all units at once, no per-unit loop): writing ``a1 = scale * phi``, ``a2 = scale * (1 - phi)`` the model is
linear in ``(a1, a2, bias)`` with the box ``a1, a2, bias >= 0``, which is exactly the original box. For fixed
``(mu, kappa)`` that 3-variable non-negative least-squares problem is solved in closed form (best feasible
active set). The remaining 2-D problem in ``(mu, log kappa)`` is searched on a grid (the reduced cost has period pi
in ``mu``); from the best grid point of each of a few ``kappa`` bands (multi-start over ``mu`` and ``kappa``) a
batched Newton method (exact gradient and Hessian of the reduced cost, Levenberg-Marquardt damping) refines the
variable-projection cost, and the best end point is kept. ``kappa`` is searched in ``[KAPPA_MIN, KAPPA_MAX]``; at
``KAPPA_MAX`` a bump is about 1 deg wide, so the cap does not change fits of sampled tuning curves.
"""
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["bi_von_mises", "fit_bi_von_mises", "BiVonMisesFit", "KAPPA_MIN", "KAPPA_MAX"]

KAPPA_MIN = 1e-2
KAPPA_MAX = 1e4
_SUBSETS = ((0, 1, 2), (0, 1), (0, 2), (1, 2), (0,), (1,), (2,))


def bi_von_mises(directions_deg, mu_deg, phi, kappa, scale, bias):
    """Evaluate the bi-von Mises curve; arguments broadcast (e.g. params ``(n_units, 1)``, directions ``(n_dir,)``).

    Args:
        directions_deg: stimulus directions in degrees.
        mu_deg: preferred direction in degrees.
        phi: weight of the bump at ``mu`` (the other bump, at ``mu + 180``, has ``1 - phi``).
        kappa: concentration (dimensionless, per radian).
        scale: amplitude (response units).
        bias: baseline (response units).

    Returns:
        Response array of the broadcast shape.
    """
    c = np.cos(np.deg2rad(np.asarray(directions_deg, dtype=float) - mu_deg))
    return scale * (phi * np.exp(kappa * (c - 1.0)) + (1.0 - phi) * np.exp(kappa * (-c - 1.0))) + bias


@dataclass(frozen=True)
class BiVonMisesFit:
    """Per-unit bi-von Mises fit results, arrays of shape ``(n_units,)``.

    Attributes:
        mu: preferred direction, degrees in [0, 360) (package convention of the input directions).
        phi: weight of the bump at ``mu``, in [0.5, 1].
        kappa: concentration (dimensionless, per radian).
        scale: amplitude, response units.
        bias: baseline, response units.
        mse: ``chisqr / ndata`` (response units squared).
        success: True when the solver converged.
        reason: '' on success; 'nan' (no finite value), 'too_few_directions', 'zero' (all zero), 'flat' (equal
            direction means) with NaN parameters; 'not_converged' (parameters kept) otherwise.
    """

    mu: np.ndarray
    phi: np.ndarray
    kappa: np.ndarray
    scale: np.ndarray
    bias: np.ndarray
    mse: np.ndarray
    success: np.ndarray
    reason: np.ndarray

    def curve(self, directions_deg):
        """Fitted responses ``(n_units, n_dir)`` at ``directions_deg`` ``(n_dir,)``."""
        return bi_von_mises(np.asarray(directions_deg, dtype=float), *(
            getattr(self, name)[:, None] for name in ("mu", "phi", "kappa", "scale", "bias")))

    def as_dict(self):
        """Field name -> array."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _nnls3(g, h, yy):
    """Closed-form non-negative least squares in 3 variables, elementwise over arrays.

    Minimises ``yy - 2 h.a + a.G.a`` over ``a >= 0`` by taking the best feasible unconstrained solution over all
    active sets. ``g`` maps index pairs ``(i, j)``, i <= j, to Gram entries; ``h`` is a list of 3 arrays.

    Returns:
        ``(a, cost)`` with ``a`` of shape ``(3,) + shape``.
    """
    shape = np.broadcast(yy, *h, *g.values()).shape
    best_cost = np.broadcast_to(yy, shape).astype(float)
    best = np.zeros((3,) + shape)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for subset in _SUBSETS:
            a = _solve(g, h, subset)
            feasible = np.ones(shape, bool)
            for value in a:
                feasible &= np.isfinite(value) & (value >= 0)
            cost = yy - sum(h[i] * value for i, value in zip(subset, a))
            better = feasible & (cost < best_cost)
            best_cost = np.where(better, cost, best_cost)
            for i, value in zip(subset, a):
                best[i] = np.where(better, value, best[i])
            for i in set(range(3)) - set(subset):
                best[i] = np.where(better, 0.0, best[i])
    return best, best_cost


def _solve(g, h, subset, rcond=1e-12):
    """Unconstrained solution of the Gram system restricted to ``subset`` (NaN where singular)."""
    def m(i, j):
        return g[(min(i, j), max(i, j))]

    if len(subset) == 1:
        (i,) = subset
        return [np.where(m(i, i) > 0, h[i] / m(i, i), np.nan)]
    if len(subset) == 2:
        i, j = subset
        det = m(i, i) * m(j, j) - m(i, j) ** 2
        det = np.where(det > rcond * m(i, i) * m(j, j), det, np.nan)
        return [(m(j, j) * h[i] - m(i, j) * h[j]) / det, (m(i, i) * h[j] - m(i, j) * h[i]) / det]
    cof = [[m((r + 1) % 3, (c + 1) % 3) * m((r + 2) % 3, (c + 2) % 3)
            - m((r + 1) % 3, (c + 2) % 3) * m((r + 2) % 3, (c + 1) % 3) for c in range(3)] for r in range(3)]
    det = sum(m(0, c) * cof[0][c] for c in range(3))
    det = np.where(det > rcond * m(0, 0) * m(1, 1) * m(2, 2), det, np.nan)
    return [sum(cof[c][r] * h[c] for c in range(3)) / det for r in range(3)]


def _bumps(theta, mu, kappa):
    """Bump profiles ``e1, e2`` at angles ``theta`` for (broadcast) ``mu``, ``kappa``."""
    c = np.cos(theta - mu)
    return np.exp(kappa * (c - 1.0)), np.exp(kappa * (-c - 1.0))


def _gram(weights, total, e1, e2, kappa, reduce):
    """Gram entries of the design ``[e1, e2, 1]`` under ``weights``; ``reduce(weights, feature)`` sums over
    directions and ``total`` is the summed weight, shaped to broadcast with ``kappa`` (``e1 * e2 = exp(-2 kappa)``).
    """
    return {(0, 0): reduce(weights, e1 * e1), (1, 1): reduce(weights, e2 * e2), (0, 1): np.exp(-2.0 * kappa) * total,
            (0, 2): reduce(weights, e1), (1, 2): reduce(weights, e2), (2, 2): total}


def _grid_starts(theta, weights, wmean, yy, n_mu, kappa_grid, n_bands):
    """Multi-start points: per band of ``kappa_grid``, the best ``mu`` in [0, pi) x band grid point of every unit.

    Returns:
        ``(mu, log_kappa)``, each ``(n_bands, n_units)``.
    """
    mu = np.repeat(np.arange(n_mu) * np.pi / n_mu, kappa_grid.size)
    kappa = np.tile(kappa_grid, n_mu)
    e1, e2 = _bumps(theta[None, :], mu[:, None], kappa[:, None])

    def reduce(w, feature):
        return w @ feature.T

    g = _gram(weights, weights.sum(-1, keepdims=True), e1, e2, kappa[None, :], reduce)
    h = [wmean @ e1.T, wmean @ e2.T, np.broadcast_to(wmean.sum(-1, keepdims=True), (weights.shape[0], mu.size))]
    _, cost = _nnls3(g, h, yy[:, None])
    band = np.tile(np.arange(kappa_grid.size) * n_bands // kappa_grid.size, n_mu)
    best = np.stack([np.where(band == b, cost, np.inf).argmin(-1) for b in range(n_bands)])
    return mu[best], np.log(kappa[best])


def _reduced(theta, weights, means, mu, log_kappa):
    """Variable-projection cost with its exact gradient and Hessian in ``(mu, log kappa)``.

    The cost is ``F = sum_d w_d (mean_d - f_d)^2`` with ``(a1, a2, bias)`` solved by NNLS. By the envelope theorem
    the gradient is the partial derivative at fixed coefficients; the Hessian is the Schur complement of the full
    Hessian over the free (positive) coefficients.

    Returns:
        ``(cost (n,), grad (n, 2), hess (n, 2, 2), a (3, n))``.
    """
    kappa = np.exp(log_kappa)[:, None]
    delta = theta[None, :] - mu[:, None]
    c, s = np.cos(delta), np.sin(delta)
    e1, e2 = np.exp(kappa * (c - 1.0)), np.exp(-kappa * (c + 1.0))

    def reduce(w, feature):
        return np.einsum("nd,nd->n", w, feature)

    g = _gram(weights, weights.sum(-1), e1, e2, kappa[:, 0], reduce)
    wm = weights * means
    a, _ = _nnls3(g, [reduce(wm, e1), reduce(wm, e2), wm.sum(-1)], reduce(wm, means))
    a1, a2 = a[0][:, None], a[1][:, None]
    r = means - a1 * e1 - a2 * e2 - a[2][:, None]
    wr = weights * r
    d1 = np.stack([kappa * s * e1, kappa * (c - 1.0) * e1], -1)
    d2 = np.stack([-kappa * s * e2, -kappa * (c + 1.0) * e2], -1)
    jac = a1[..., None] * d1 + a2[..., None] * d2
    k1, k2 = 1.0 + kappa * (c - 1.0), 1.0 - kappa * (c + 1.0)
    second = np.stack([
        a1 * e1 * kappa * (kappa * s * s - c) + a2 * e2 * kappa * (kappa * s * s + c),
        a1 * kappa * s * e1 * k1 - a2 * kappa * s * e2 * k2,
        a1 * kappa * (c - 1.0) * e1 * k1 - a2 * kappa * (c + 1.0) * e2 * k2], -1)
    design = np.stack([e1, e2, np.ones_like(e1)], -1)
    d_design = np.stack([d1, d2, np.zeros_like(d1)], -1)
    wjac = weights[..., None] * jac
    wr_row = wr[:, None, :]
    pp = wjac.transpose(0, 2, 1) @ jac
    curv = (wr_row @ second)[:, 0]
    pp -= np.stack([curv[:, [0, 1]], curv[:, [1, 2]]], 1)
    pa = wjac.transpose(0, 2, 1) @ design - (wr_row @ d_design.reshape(*d_design.shape[:2], 6)).reshape(-1, 2, 3)
    free = a > 0
    both = free.T[:, :, None] & free.T[:, None, :]
    aa = np.where(both, (weights[..., None] * design).transpose(0, 2, 1) @ design, np.eye(3))
    pa = np.where(free.T[:, None, :], pa, 0.0)
    hess = 2.0 * (pp - pa @ np.linalg.solve(aa, pa.transpose(0, 2, 1)))
    grad = -2.0 * (wr_row @ jac)[:, 0]
    return reduce(wr, r), grad, hess, a


def _newton(theta, weights, means, mu, log_kappa, max_iter, ftol):
    """Batched Newton method with Levenberg-Marquardt damping on ``(mu, log kappa)``.

    Returns:
        ``(mu, log_kappa, a, cost, converged)``.
    """
    bounds = (np.log(KAPPA_MIN), np.log(KAPPA_MAX))
    params = np.stack([mu, np.clip(log_kappa, *bounds)], -1)
    cost, grad, hess, a = _reduced(theta, weights, means, params[:, 0], params[:, 1])
    lam = np.full(mu.shape, 1e-3)
    converged = np.zeros(mu.shape, bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(~converged)
        if idx.size == 0:
            break
        p, g, h = params[idx], grad[idx], hess[idx]
        scale = np.abs(np.diagonal(h, 0, 1, 2)) + 1e-12 * np.abs(h).max((1, 2))[:, None] + 1e-300
        damped = h + lam[idx, None, None] * scale[:, None, :] * np.eye(2)
        det = damped[:, 0, 0] * damped[:, 1, 1] - damped[:, 0, 1] ** 2
        positive = (det > 0) & (damped[:, 0, 0] > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = -np.stack([damped[:, 1, 1] * g[:, 0] - damped[:, 0, 1] * g[:, 1],
                              damped[:, 0, 0] * g[:, 1] - damped[:, 0, 1] * g[:, 0]], -1) / det[:, None]
        step = np.where(positive[:, None], step, 0.0)
        trial = np.stack([p[:, 0] + step[:, 0], np.clip(p[:, 1] + step[:, 1], *bounds)], -1)
        new_cost, new_grad, new_hess, new_a = _reduced(theta, weights[idx], means[idx], trial[:, 0], trial[:, 1])
        accept = positive & (new_cost < cost[idx])
        small = (cost[idx] - new_cost <= ftol * cost[idx]) | (np.abs(trial - p).max(-1) < 1e-10)
        done = (accept & small) | (~accept & (lam[idx] > 1e10)) | (positive & (new_cost <= 1e-28))
        take = idx[accept]
        params[take], cost[take], grad[take], hess[take], a[:, take] = \
            trial[accept], new_cost[accept], new_grad[accept], new_hess[accept], new_a[:, accept]
        lam[idx] = np.where(accept, lam[idx] * 0.3, lam[idx] * 10.0)
        converged[idx[done]] = True
    return params[:, 0], params[:, 1], a, cost, converged


def _group_directions(directions_deg, responses):
    """Per-unit weights (finite counts), means and within-direction sum of squares per unique direction."""
    unique, labels = np.unique(np.round(directions_deg % 360.0, 6), return_inverse=True)
    onehot = (labels[:, None] == np.arange(unique.size)).astype(float)
    valid = np.isfinite(responses)
    y0 = np.where(valid, responses, 0.0)
    weights = valid.astype(float) @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(weights > 0, (y0 @ onehot) / weights, 0.0)
    within = (np.where(valid, responses - means[:, labels], 0.0) ** 2).sum(-1)
    return np.deg2rad(unique), weights, means, within, valid


def _reasons(responses, valid, weights, means, min_directions):
    """Reason string per unit why it cannot be fitted ('' when it can)."""
    n_dirs = (weights > 0).sum(-1)
    has = weights > 0
    with np.errstate(invalid="ignore"):
        spread = np.where(has, means, -np.inf).max(-1) - np.where(has, means, np.inf).min(-1)
    magnitude = np.abs(means).max(-1)
    zero = ~np.any(valid & (responses != 0), -1)
    return np.select(
        [~valid.any(-1), n_dirs < min_directions, zero, spread <= 1e-12 * magnitude],
        ["nan", "too_few_directions", "zero", "flat"], default="")


def fit_bi_von_mises(directions_deg, responses, *, min_directions=5, n_mu=16,
                     kappa_grid=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0), n_kappa_starts=3, max_iter=300,
                     ftol=1e-9, chunk_size=4096):
    """Fit the bi-von Mises model to every unit at once (least squares; bounds and conventions in
    docs/metrics.md, "Bi-von Mises fit").

    Points may be one mean per direction (the foundation recipe) or single-segment responses with repeated
    directions; both give the same least-squares problem on the per-direction means weighted by their finite
    counts, and ``mse`` is over all finite input points. NaN responses are ignored.

    Args:
        directions_deg: direction of every point in degrees, shape ``(n_points,)``.
        responses: responses ``(n_units, n_points)`` (or ``(n_points,)`` for one unit).
        min_directions: units with fewer distinct finite directions are not fitted (5 parameters).
        n_mu: number of grid starts for ``mu`` over [0, 180) deg.
        kappa_grid: grid values of ``kappa`` (ascending).
        n_kappa_starts: the grid is split into this many consecutive ``kappa`` bands; the solver starts from the best
            grid point of every band and keeps the best result (multi-start against narrow-bump local minima).
        max_iter: maximum Newton iterations per start.
        ftol: relative cost decrease at which a unit counts as converged.
        chunk_size: units per chunk of the grid search (bounds its memory).

    Returns:
        :class:`BiVonMisesFit` with arrays ``(n_units,)``; ``mu`` in degrees.

    Raises:
        ValueError: if the shapes of ``directions_deg`` and ``responses`` disagree.
    """
    directions_deg = np.asarray(directions_deg, dtype=float).ravel()
    responses = np.atleast_2d(np.asarray(responses, dtype=float))
    if responses.ndim != 2 or responses.shape[1] != directions_deg.size:
        raise ValueError(f"responses must have shape (n_units, {directions_deg.size}) to match directions_deg, "
                         f"got {responses.shape}")
    theta, weights, means, within, valid = _group_directions(directions_deg, responses)
    reason = _reasons(responses, valid, weights, means, min_directions).astype(object)
    n_units = responses.shape[0]
    out = {name: np.full(n_units, np.nan) for name in ("mu", "phi", "kappa", "scale", "bias", "mse")}
    success = np.zeros(n_units, bool)
    kappa_grid = np.asarray(kappa_grid, dtype=float)
    idx = np.flatnonzero(reason == "")
    unit = np.abs(means[idx]).max(-1)
    w, m = weights[idx], means[idx] / unit[:, None]
    starts = np.concatenate([np.stack(_grid_starts(theta, w[c], (w * m)[c], (w * m * m)[c].sum(-1), n_mu, kappa_grid,
                                                   n_kappa_starts), -1)
                             for c in np.array_split(np.arange(idx.size), max(1, -(-idx.size // chunk_size)))], 1)
    n_starts = starts.shape[0]
    mu, log_kappa, a, cost, converged = _newton(theta, np.tile(w, (n_starts, 1)), np.tile(m, (n_starts, 1)),
                                                starts[..., 0].ravel(), starts[..., 1].ravel(), max_iter, ftol)
    best = cost.reshape(n_starts, -1).argmin(0) * idx.size + np.arange(idx.size)
    mu, log_kappa, a, cost, converged = mu[best], log_kappa[best], a[:, best] * unit, cost[best] * unit ** 2, \
        converged[best]
    scale = a[0] + a[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(scale > 0, a[0] / scale, 1.0)
    flip = phi <= 0.5
    out["mu"][idx] = np.rad2deg(np.where(flip, mu + np.pi, mu)) % 360.0
    out["phi"][idx] = np.where(flip, 1.0 - phi, phi)
    out["kappa"][idx] = np.exp(log_kappa)
    out["scale"][idx], out["bias"][idx] = scale, a[2]
    out["mse"][idx] = (cost + within[idx]) / valid[idx].sum(-1)
    success[idx] = converged
    reason[idx] = np.where(converged, "", "not_converged")
    return BiVonMisesFit(success=success, reason=reason.astype(str), **out)
