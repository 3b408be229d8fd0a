"""Monet2 epochs, direction curves, selectivity indices and permutation tests (no database)."""
import numpy as np
import pytest

from nda_ext.compute.epochs import direction_curves, monet2_segments, segment_responses
from nda_ext.compute.permutation import selectivity_permutation_test
from nda_ext.compute.scan_arrays import Monet2Trials, ScanTraces
from nda_ext.compute.scan_tuning import direction_tuning
from nda_ext.compute.selectivity import classic_osi_dsi, fit_osi_dsi, global_selectivity
from nda_ext.compute.vonmises import bi_von_mises

DIRS = np.arange(16) * 22.5


def test_monet2_segments_times_and_direction_convention():
    onsets = np.array([[0.0, 1.0, 2.0], [0.5, 1.5, 2.5]])
    directions = np.array([[0.0, 90.0, 180.0], [270.0, 45.0, 100.0]])
    start, end, direction = monet2_segments(onsets, directions, duration_s=3.0, n_dirs=3, ori_fraction=0.5,
                                            trial_start_s=np.array([10.0, 20.0]))
    np.testing.assert_allclose(start, [10, 11, 12, 20.5, 21.5, 22.5])
    np.testing.assert_allclose(end - start, 0.5)
    np.testing.assert_allclose(direction, [90, 0, 270, 180, 45, 350])


def test_monet2_segments_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="directions_deg"):
        monet2_segments(np.zeros(3), np.zeros(4), 15.0, 16, 1.0)


def _naive_segment_responses(traces, times, start, end, latency):
    out = np.full((traces.shape[0], start.size), np.nan)
    for u in range(traces.shape[0]):
        t = times if times.ndim == 1 else times[u]
        for k in range(start.size):
            sel = (t >= start[k] + latency) & (t < end[k] + latency) & np.isfinite(traces[u])
            if sel.any():
                out[u, k] = traces[u, sel].mean()
    return out


@pytest.mark.parametrize("per_unit", [False, True])
def test_segment_responses_matches_naive_loop(per_unit):
    rng = np.random.default_rng(0)
    frame_times = np.cumsum(rng.uniform(0.1, 0.2, 400))
    traces = rng.normal(size=(7, 400))
    traces[2, 50:120] = np.nan
    times = frame_times + rng.uniform(0, 0.15, (7, 1)) if per_unit else frame_times
    start = np.sort(rng.uniform(-5, frame_times[-1] + 5, 60))
    end = start + rng.uniform(0.05, 2.0, 60)
    got = segment_responses(traces, times, start, end, latency_s=0.1, chunk_size=3)
    expected = _naive_segment_responses(traces, times, start, end, 0.1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    assert np.isnan(got).any()
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_segment_responses_window_is_half_open():
    traces = np.arange(5.0)[None]
    got = segment_responses(traces, np.arange(5.0), np.array([1.0]), np.array([3.0]))
    assert got[0, 0] == 1.5


def test_segment_responses_rejects_unsorted_times():
    with pytest.raises(ValueError, match="sample_times"):
        segment_responses(np.zeros((1, 3)), np.array([0.0, 2.0, 1.0]), [0.0], [1.0])


def test_direction_curves_nan_aware_means_and_counts():
    responses = np.array([[1.0, 3.0, np.nan, 10.0, 20.0], [np.nan, np.nan, 5.0, 1.0, 1.0]])
    directions = np.array([0.2, 359.8, 90.0, 90.0, 180.0])
    dirs, mean, count = direction_curves(responses, directions, precision_deg=1.0)
    np.testing.assert_allclose(dirs, [0, 90, 180])
    np.testing.assert_array_equal(count, [2, 2, 1])
    np.testing.assert_allclose(mean, [[2.0, 10.0, 20.0], [np.nan, 3.0, 1.0]])


def test_global_selectivity_closed_form():
    dirs = np.array([0.0, 90.0, 180.0, 270.0])
    curves = np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 0.0, 1.0]])
    out = global_selectivity(curves, dirs)
    np.testing.assert_allclose(out["gosi"][:3], [1.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(out["gdsi"][:3], [1.0, 0.0, 0.0], atol=1e-12)
    # unit 3: orientation vector = 2 e^{i pi} + e^{i 3pi} = -3 -> gosi 1, pref_ori 90; direction vector = 2i - i = i
    np.testing.assert_allclose([out["gosi"][3], out["gdsi"][3]], [1.0, 1.0 / 3.0])
    np.testing.assert_allclose([out["pref_ori"][3], out["pref_dir"][3]], [90.0, 90.0])
    assert out["pref_ori"][0] == 0.0 and out["pref_dir"][0] == 0.0


def test_global_selectivity_pref_angles_of_planted_curves():
    mu = np.array([10.0, 100.0, 200.0, 315.0])
    curves = bi_von_mises(DIRS, mu[:, None], 1.0, 2.0, 1.0, 0.1)
    out = global_selectivity(curves, DIRS)
    np.testing.assert_allclose(out["pref_dir"], mu, atol=1e-6)
    np.testing.assert_allclose(out["pref_ori"], mu % 180, atol=1e-6)
    assert np.isnan(global_selectivity(np.zeros((1, 16)), DIRS)["gosi"][0])


def test_classic_osi_dsi_closed_form():
    curve = np.array([[4.0, 1.0, 2.0, 1.0]])
    out = classic_osi_dsi(curve, [0.0, 90.0, 180.0, 270.0])
    np.testing.assert_allclose([out["osi"][0], out["dsi"][0], out["pref_dir"][0]], [3 / 5, 2 / 6, 0.0])
    between = classic_osi_dsi(curve, [0.0, 90.0, 180.0, 270.0], pref_dir_deg=[45.0])
    # R_pref = 2.5, R_orth = mean(f(135), f(315)) = 2.0, R_null = f(225) = 1.5
    np.testing.assert_allclose([between["osi"][0], between["dsi"][0]], [0.5 / 4.5, 1.0 / 4.0])


def test_fit_osi_dsi_matches_direct_evaluation():
    params = dict(mu_deg=np.array([30.0, 250.0]), phi=np.array([0.8, 1.0]), kappa=np.array([2.0, 5.0]),
                  scale=np.array([2.0, 1.0]), bias=np.array([0.5, 0.1]))
    out = fit_osi_dsi(**params)
    for u in range(2):
        def f(angle, u=u):
            return bi_von_mises(angle, *(value[u] for value in params.values()))
        mu = params["mu_deg"][u]
        ori = mu % 180
        r_pref, r_orth = (f(ori) + f(ori + 180)) / 2, (f(ori + 90) + f(ori + 270)) / 2
        np.testing.assert_allclose(out["osi"][u], (r_pref - r_orth) / (r_pref + r_orth))
        np.testing.assert_allclose(out["dsi"][u], 1 - f(mu + 180) / f(mu))


def test_permutation_test_tuned_small_untuned_uniform():
    rng = np.random.default_rng(3)
    directions = np.tile(DIRS, 10)
    n_untuned = 200
    responses = rng.gamma(2.0, 1.0, (n_untuned + 1, directions.size))
    responses[0] += 4 * bi_von_mises(directions, 60.0, 1.0, 3.0, 1.0, 0.0)
    out = selectivity_permutation_test(responses, directions, n_perm=199, seed=0)
    assert out["gosi_p"][0] == out["gdsi_p"][0] == 1 / 200
    for key in ("gosi_p", "gdsi_p"):
        p = out[key][1:]
        assert 0.4 < p.mean() < 0.6
        assert 0.05 < np.mean(p <= 0.1) < 0.16
    repeat = selectivity_permutation_test(responses[:5], directions, n_perm=199, seed=0)
    np.testing.assert_array_equal(repeat["gosi_p"], out["gosi_p"][:5])


def test_permutation_test_matches_loop_with_nan():
    rng = np.random.default_rng(4)
    dirs = np.array([0.0, 90.0, 180.0, 270.0])
    labels = np.tile(np.arange(4), 4)
    responses = rng.gamma(2.0, 1.0, (3, labels.size))
    responses[1, 3] = np.nan
    out = selectivity_permutation_test(responses, dirs[labels], n_perm=50, seed=7)
    shuffled = np.random.default_rng(7).permuted(np.broadcast_to(labels, (50, labels.size)), axis=1)
    for u in range(3):
        for key in ("gosi", "gdsi"):
            obs = global_selectivity(direction_curves(responses[u], dirs[labels])[1], dirs)[key]
            null = np.array([global_selectivity(direction_curves(responses[u], dirs[s])[1], dirs)[key]
                             for s in shuffled])
            np.testing.assert_allclose(out[f"{key}_p"][u], (1 + np.sum(null >= obs)) / 51)


def test_plots_return_axes_with_data():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from nda_ext.plot import plot_pref_ori_histogram, plot_quality_distribution, plot_tuning_curve

    fit = dict(mu=40.0, phi=0.8, kappa=2.0, scale=1.0, bias=0.2)
    curve = bi_von_mises(DIRS, *fit.values())
    ax = plot_tuning_curve(DIRS, curve, fit=fit, sem=np.full(16, 0.1))
    assert len(ax.lines) >= 2
    assert ax.name == "rectilinear"
    polar = plot_tuning_curve(DIRS, curve, fit=fit, polar=True)
    assert polar.name == "polar"
    df = pd.DataFrame({"brain_area": ["V1", "V1", "RL"], "pref_ori": [10.0, 100.0, np.nan],
                       "oracle": [0.2, 0.5, np.nan], "cc_norm": [0.4, 0.6, 0.7]})
    hist = plot_pref_ori_histogram(df)
    assert [t.get_text() for t in hist.get_legend().get_texts()] == ["RL (n=0)", "V1 (n=2)"]
    assert len(plot_quality_distribution(df, columns=["oracle", "cc_norm"]).patches) == 2
    with pytest.raises(KeyError, match="pref_dir"):
        plot_pref_ori_histogram(df, ori_col="pref_dir")
    plt.close("all")


def _planted_orientation_scan(n_units=60, n_trials=24, fps=10.0, seed=3):
    """A scan of orientation cells (phi = 0.5: equal responses to both directions of motion), Monet2 trials of
    16 directions x 0.5 s, traces = bi-von Mises response to the direction shown plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    n_dirs, seg = 16, 0.5
    monet = (rng.permuted(np.tile(np.arange(n_dirs) * 22.5, (n_trials, 1)), axis=1))
    onsets = np.tile(np.arange(n_dirs) * seg, (n_trials, 1))
    start = 1.0 + np.arange(n_trials) * (n_dirs * seg + 1.0)
    trials = Monet2Trials(start_s=start, onsets_s=onsets, directions_deg=monet,
                          duration_s=np.full(n_trials, n_dirs * seg), n_dirs=np.full(n_trials, n_dirs),
                          ori_fraction=np.ones(n_trials))
    t = np.arange(int((start[-1] + n_dirs * seg + 2) * fps)) / fps
    seg_start, seg_end, ours = monet2_segments(onsets, monet, n_dirs * seg, n_dirs, 1.0, start)
    pref = rng.uniform(0, 360, n_units)
    traces = np.full((n_units, t.size), 0.2)
    for s0, s1, d in zip(seg_start, seg_end, ours):
        window = (t >= s0) & (t < s1)
        traces[:, window] = bi_von_mises(d, pref, 0.5, 2.0, 1.0, 0.2)[:, None]
    traces += rng.normal(scale=0.3, size=traces.shape)
    scan = ScanTraces(unit_ids=np.arange(1, n_units + 1), traces=traces, frame_times=t,
                      delays_s=np.zeros(n_units), fps=fps)
    return scan, trials


def _curve(params, direction_deg):
    """The bi-von Mises curve written out from its definition (docs/metrics.md, "Bi-von Mises fit")."""
    c = np.cos(np.deg2rad(direction_deg - params["mu"]))
    return params["scale"] * (params["phi"] * np.exp(params["kappa"] * (c - 1))
                              + (1 - params["phi"]) * np.exp(params["kappa"] * (-c - 1))) + params["bias"]


def _fit_osi_dsi(params):
    """Fit-based OSI / DSI of cajal/foundation (docs/metrics.md, "Fit-based OSI and DSI")."""
    ori = params["mu"] % 180
    r_pref = (_curve(params, ori) + _curve(params, ori + 180)) / 2
    r_orth = (_curve(params, ori + 90) + _curve(params, ori + 270)) / 2
    return (r_pref - r_orth) / (r_pref + r_orth), 1 - _curve(params, params["mu"] + 180) / _curve(params, params["mu"])


def test_recorded_osi_dsi_are_the_fit_based_indices_at_mu():
    scan, trials = _planted_orientation_scan()
    method = {"direction_method": "test", "latency_s": 0.0, "precision_deg": 0.01, "n_permutations": 0,
              "min_directions": 8, "seed": 0, "clip_negative": True}
    _, units = direction_tuning(scan, trials, method)
    fitted = [u for u in units if u["fit_success"]]
    assert len(fitted) > 0.9 * len(units)
    osi = np.array([u["osi"] for u in fitted])
    assert (osi >= 0).all()  # at mu the fitted curve has its maximum, so R_pref >= R_orth
    planted_osi, _ = _fit_osi_dsi({"mu": 0.0, "phi": 0.5, "kappa": 2.0, "scale": 1.0, "bias": 0.2})
    assert abs(np.median(osi) - planted_osi) < 0.1
    for u in fitted:
        expected_osi, expected_dsi = _fit_osi_dsi(u)
        np.testing.assert_allclose([u["osi"], u["dsi"]], [expected_osi, expected_dsi], rtol=1e-9)


def test_negative_activity_is_clipped_and_gosi_stays_in_unit_range():
    # r = 2 at 0 deg and -0.1 elsewhere: unclipped, the vector index is 4.2, outside its [0, 1] definition
    curve = np.r_[2.0, np.full(15, -0.1)]
    assert np.isnan(global_selectivity(curve[None], DIRS)["gosi"][0])
    np.testing.assert_allclose(global_selectivity(np.maximum(curve, 0)[None], DIRS)["gosi"], [1.0])
    scan, trials = _planted_orientation_scan(n_units=20)
    method = {"direction_method": "test", "latency_s": 0.0, "precision_deg": 0.01, "n_permutations": 0,
              "min_directions": 8, "seed": 0, "clip_negative": True}
    scan.traces -= 0.5  # baseline below 0: responses to non-preferred directions are negative
    _, clipped = direction_tuning(scan, trials, method)
    _, raw = direction_tuning(scan, trials, dict(method, clip_negative=False))
    assert all(0 <= u["gosi"] <= 1 for u in clipped)
    assert all(u["gosi"] is None for u in raw)  # negative curves: the index is undefined
    assert all(u["mean_responses"].min() >= 0 for u in clipped)


def test_default_precision_keeps_the_monet2_grid():
    monet = np.arange(16) * 22.5
    directions, _, counts = direction_curves(np.ones((1, 16)), (90 - monet) % 360)
    np.testing.assert_allclose(directions, np.arange(16) * 22.5)
    assert (np.asarray(counts) == 1).all()
