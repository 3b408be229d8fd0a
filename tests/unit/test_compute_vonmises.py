"""Batched bi-von Mises fit against planted parameters and a per-unit scipy curve_fit reference."""
import warnings

import numpy as np
import pytest
from scipy.optimize import curve_fit

from nda_ext.compute.selectivity import fit_osi_dsi
from nda_ext.compute.vonmises import bi_von_mises, fit_bi_von_mises

DIRS = np.arange(16) * 22.5


def _planted(rng, n):
    return dict(mu=rng.uniform(0, 360, n), phi=rng.uniform(0.55, 1.0, n), kappa=rng.uniform(0.8, 6.0, n),
                scale=rng.uniform(0.5, 3.0, n), bias=rng.uniform(0.05, 1.0, n))


def _curves(params, directions=DIRS):
    return bi_von_mises(directions, *(params[k][:, None] for k in ("mu", "phi", "kappa", "scale", "bias")))


def _angle_error(a, b, period=360.0):
    return np.abs((a - b + period / 2) % period - period / 2)


def test_model_closed_form_values():
    # phi = 1: peak scale + bias at mu, scale * exp(-2 kappa) + bias opposite
    f = bi_von_mises(np.array([30.0, 210.0, 120.0]), 30.0, 1.0, 2.0, 3.0, 0.5)
    np.testing.assert_allclose(f, [3.5, 3 * np.exp(-4) + 0.5, 3 * np.exp(-2) + 0.5])


def test_recovers_planted_parameters_without_noise():
    params = _planted(np.random.default_rng(0), 60)
    fit = fit_bi_von_mises(DIRS, _curves(params))
    assert fit.success.all()
    assert np.all(fit.phi >= 0.5)
    np.testing.assert_array_less(_angle_error(fit.mu, params["mu"]), 1e-4)
    for key in ("phi", "kappa", "scale", "bias"):
        np.testing.assert_allclose(getattr(fit, key), params[key], rtol=1e-4, atol=1e-6)
    np.testing.assert_array_less(fit.mse, 1e-12)


def test_flip_convention_for_second_bump_dominant():
    fit = fit_bi_von_mises(DIRS, bi_von_mises(DIRS, 40.0, 0.2, 3.0, 2.0, 0.3))
    np.testing.assert_allclose([fit.mu[0], fit.phi[0]], [220.0, 0.8], atol=1e-5)


def test_single_trial_points_equal_weighted_mean_fit():
    rng = np.random.default_rng(1)
    params = _planted(rng, 20)
    directions = np.tile(DIRS, 5)
    trials = _curves(params, directions) + rng.normal(0, 0.3, (20, directions.size))
    trials[3, :7] = np.nan
    fit = fit_bi_von_mises(directions, trials)
    assert fit.success.all()
    residual = trials - fit.curve(directions)
    np.testing.assert_allclose(fit.mse, np.nanmean(residual ** 2, -1), rtol=1e-10)


def _reference_mse(directions_deg, y):
    """Per-unit scipy curve_fit with the foundation initialisation and bounds (independent implementation)."""
    x = np.deg2rad(directions_deg)

    def model(x, mu, phi, kappa, scale, bias):
        return scale * (phi * np.exp(kappa * (np.cos(x - mu) - 1))
                        + (1 - phi) * np.exp(kappa * (np.cos(x - mu - np.pi) - 1))) + bias

    out = np.full(y.shape[0], np.inf)
    for i, r in enumerate(y):
        u = max(r.min(), r.max() / 100)
        p0 = [x[np.argmax(r)], 0.5, 1.0, 2 * (r.max() - u), max(u, 0.0)]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p, _ = curve_fit(model, x, r, p0=p0, maxfev=5000,
                                 bounds=([-np.inf, 0, 0, 0, 0], [np.inf, 1, np.inf, np.inf, np.inf]))
            out[i] = np.mean((model(x, *p) - r) ** 2)
        except RuntimeError:
            pass
    return out


def test_batched_fit_at_least_as_good_as_curve_fit():
    rng = np.random.default_rng(2)
    n = 300
    params = _planted(rng, n)
    y = _curves(params) + rng.normal(0, 1, (n, 16)) * rng.uniform(0.05, 0.8, (n, 1))
    fit = fit_bi_von_mises(DIRS, y)
    reference = _reference_mse(DIRS, y)
    assert np.isfinite(reference).mean() > 0.95
    ok = fit.mse <= reference * (1 + 1e-5) + 1e-10
    assert ok.mean() >= 0.99
    assert fit.success.mean() >= 0.97
    np.testing.assert_allclose(fit.mse, np.mean((y - fit.curve(DIRS)) ** 2, -1), rtol=1e-9)
    assert np.all((fit.phi >= 0.5) & (fit.phi <= 1) & (fit.kappa >= 0) & (fit.scale >= 0) & (fit.bias >= 0))


def test_degenerate_units_get_nan_and_reason():
    rng = np.random.default_rng(3)
    good = _curves(_planted(rng, 1))[0]
    few = np.full(16, np.nan)
    few[:3] = [1.0, 2.0, 0.5]
    partial = good.copy()
    partial[::4] = np.nan
    y = np.stack([good, np.zeros(16), np.full(16, 2.5), np.full(16, np.nan), few, partial])
    fit = fit_bi_von_mises(DIRS, y)
    np.testing.assert_array_equal(fit.reason, ["", "zero", "flat", "nan", "too_few_directions", ""])
    np.testing.assert_array_equal(fit.success, [True, False, False, False, False, True])
    for key in ("mu", "phi", "kappa", "scale", "bias", "mse"):
        value = getattr(fit, key)
        assert np.isnan(value[1:5]).all() and np.isfinite(value[[0, 5]]).all()


def test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="directions_deg"):
        fit_bi_von_mises(DIRS, np.zeros((3, 15)))


def test_fit_based_indices_of_planted_unit():
    fit = fit_bi_von_mises(DIRS, bi_von_mises(DIRS, 75.0, 1.0, 4.0, 2.0, 0.0))
    out = fit_osi_dsi(fit.mu, fit.phi, fit.kappa, fit.scale, fit.bias)
    # phi = 1, bias 0: dsi = 1 - exp(-8); R_pref = (1 + e^-8)/2 * A, R_orth = e^-4 * A
    r_pref, r_orth = (1 + np.exp(-8)) / 2, np.exp(-4)
    np.testing.assert_allclose(out["dsi"], 1 - np.exp(-8), rtol=1e-6)
    np.testing.assert_allclose(out["osi"], (r_pref - r_orth) / (r_pref + r_orth), rtol=1e-6)
