"""Oracle, cc_abs, cc_max (classic and variable repeats) and cc_norm against hand values and simple loops."""
import numpy as np
import pytest

from nda_ext.compute.correlation import as_repeats, cc_abs, cc_max, cc_max_classic, cc_norm, prediction_quality
from nda_ext.compute.oracle import oracle_clips, oracle_correlation, oracle_raster, oracle_trials


def test_oracle_clips_exact_count_in_first_occurrence_order():
    hashes = ["c", "a", "b", "a", "c", "d", "a", "c", "b", "e"]
    np.testing.assert_array_equal(oracle_clips(hashes, n_repeats=3), ["c", "a"])
    np.testing.assert_array_equal(oracle_clips(hashes, n_repeats=2), ["b"])
    clips, index = oracle_trials(hashes, n_repeats=3)
    np.testing.assert_array_equal(index, [[0, 1], [4, 3], [7, 6]])


def test_oracle_closed_form_two_repeats():
    # with 2 repeats the leave-one-out mean of each repeat is the other one: pooled r of (x1, x2) vs (x2, x1)
    x1, x2 = np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0])
    expected = np.corrcoef(np.r_[x1, x2], np.r_[x2, x1])[0, 1]
    np.testing.assert_allclose(oracle_correlation(np.stack([x1, x2])[None]), [expected])
    np.testing.assert_allclose(expected, 0.5)


def _loop_oracle(x):
    pairs = []
    for u in range(x.shape[0]):
        a, b = [], []
        for r in range(x.shape[1]):
            for s in range(x.shape[2]):
                others = [x[u, q, s] for q in range(x.shape[1]) if q != r and np.isfinite(x[u, q, s])]
                if np.isfinite(x[u, r, s]) and others:
                    a.append(x[u, r, s])
                    b.append(np.mean(others))
        pairs.append(np.corrcoef(a, b)[0, 1])
    return np.array(pairs)


def _random_repeats(rng, n_units=5, n_repeats=6, n_videos=3, n_frames=20):
    signal = rng.normal(size=(n_units, 1, n_videos, n_frames))
    x = signal + rng.normal(0, 1.5, (n_units, n_repeats, n_videos, n_frames))
    for u in range(n_units):
        x[u, n_repeats - u:] = np.nan  # unequal repeat counts per unit
    x[1, 0, 1, 3:7] = np.nan  # a partially missing repeat
    return x


def test_oracle_matches_loop_with_nan_padded_repeats():
    x = _random_repeats(np.random.default_rng(0))
    np.testing.assert_allclose(oracle_correlation(x), _loop_oracle(as_repeats(x)), rtol=1e-10)


def test_oracle_raster_interpolates_and_normalises():
    times = np.arange(100.0) * 0.5
    traces = np.stack([times * 2.0, -times])
    index = np.array([[0, 1], [2, 3]])
    start, end = np.array([1.0, 10.0, 20.0, 30.0]), np.array([2.0, 11.0, 21.0, 31.0])
    raster = oracle_raster(traces, times, start, end, index, n_frames=3, normalize=False)
    assert raster.shape == (2, 2, 2, 3)
    np.testing.assert_allclose(raster[0, 1, 0], [40.0, 41.0, 42.0])
    normalised = oracle_raster(traces, times + 0.25, start, end, index, n_frames=3)
    np.testing.assert_allclose(normalised.reshape(2, 2, -1).min(-1), 0.0)
    np.testing.assert_allclose(normalised.reshape(2, 2, -1).max(-1), 1.0)


def test_cc_max_classic_closed_form():
    # ybar = (0, 1, 0, 1), Var = 0.25; repeat variances 0 and 1 -> mean 0.5; (2*0.25 - 0.5)/(1*0.25) = 0
    x = np.array([[[0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0]]])
    np.testing.assert_allclose(cc_max_classic(x), [1.0])
    noisy = np.array([[[0.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 2.0]]])
    np.testing.assert_allclose(cc_max_classic(noisy), [0.0])


def _loop_cc_max(y):
    out = []
    for x in y:
        keep = np.isfinite(x).any(0)
        x = x[:, keep]
        t = np.isfinite(x).sum(0)
        n = np.sqrt((t.sum() - t.size) / np.sum((t - 1) / t ** 2))
        ybar = np.array([np.mean(col[np.isfinite(col)]) for col in x.T])
        p = np.var(ybar, ddof=1)
        tp = np.mean([np.var(row[np.isfinite(row)], ddof=1) for row in x if np.isfinite(row).sum() > 1])
        sp = (n * p - tp) / (n - 1)
        out.append(np.sqrt(sp / np.var(ybar)) if sp >= 0 else np.nan)
    return np.array(out)


def test_cc_max_variable_repeats_matches_loop_and_relates_to_classic():
    rng = np.random.default_rng(1)
    x = _random_repeats(rng)
    np.testing.assert_allclose(cc_max(x, burnin=2), _loop_cc_max(as_repeats(x, burnin=2)), rtol=1e-10)
    complete = rng.normal(size=(4, 1, 50)) + rng.normal(0, 0.7, (4, 8, 50))
    # complete repeats: CCMax differs from the classic form only by its ddof-1 signal power, sqrt(S / (S - 1))
    np.testing.assert_allclose(cc_max(complete), cc_max_classic(complete) * np.sqrt(50 / 49), rtol=1e-10)
    pure_noise = np.random.default_rng(2).normal(size=(1, 3, 40))
    pure_noise[0, :, 0] = [10.0, -10.0, 0.0]
    assert np.isnan(cc_max(pure_noise)[0])


def test_cc_abs_and_cc_norm_match_loop():
    rng = np.random.default_rng(3)
    x = _random_repeats(rng)
    prediction = rng.normal(size=(x.shape[0], 1) + x.shape[2:])
    burnin = 4
    got = prediction_quality(x, prediction, burnin=burnin)
    for u in range(x.shape[0]):
        ybar = np.concatenate([np.nanmean(x[u, :, v, burnin:], 0) for v in range(x.shape[2])])
        pbar = prediction[u, 0, :, burnin:].ravel()
        np.testing.assert_allclose(got["cc_abs"][u], np.corrcoef(ybar, pbar)[0, 1], rtol=1e-10)
    np.testing.assert_allclose(got["cc_norm"], got["cc_abs"] / got["cc_max"])
    np.testing.assert_allclose(cc_norm([0.5, 0.54], [0.5, 0.5]), [1.0, 1.08])
    np.testing.assert_allclose(cc_abs(x, x, burnin=burnin)[:1], [1.0])


def test_cc_abs_closed_form_and_shape_errors():
    y = np.array([[[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, 5.0, 2.0]]])  # mean over repeats (2, 3, 2)
    np.testing.assert_allclose(cc_abs(y, np.array([[[0.0, 1.0, 0.0]]])), [1.0])
    with pytest.raises(ValueError, match="predictions"):
        cc_abs(y, np.zeros((1, 1, 4)))
    with pytest.raises(ValueError, match="burnin"):
        cc_max(y, burnin=3)
