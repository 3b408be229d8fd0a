"""Sensorium scores: hand-computed cases, per-neuron loop references, and the submission-table matching."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from nda_ext.compute.sensorium.metrics import (
    corr,
    correlation_to_average,
    fev,
    feve,
    oracle_corr_jackknife,
    repeat_reliability,
    score_predictions,
    single_trial_correlation,
    single_trial_correlation_video,
)


@pytest.fixture
def repeats():
    """20 images × 5 repeats, 7 neurons with graded reliability, plus an unrepeated image (left out)."""
    rng = np.random.default_rng(0)
    image_ids = np.r_[np.repeat(np.arange(20), 5), 99]
    signal = rng.normal(size=(21, 7)) * np.linspace(0.2, 2.0, 7)
    responses = signal[np.r_[np.repeat(np.arange(20), 5), 20]] + rng.normal(size=(101, 7))
    predictions = signal[np.r_[np.repeat(np.arange(20), 5), 20]] * 0.8 + rng.normal(scale=0.5, size=(101, 7))
    order = rng.permutation(101)
    return responses[order], predictions[order], image_ids[order]


def loop_pearson(x, y):
    return np.array([np.corrcoef(x[:, j], y[:, j])[0, 1] for j in range(x.shape[1])])


def grouped(responses, image_ids):
    """Per image list of (repeats, neurons) arrays, images shown once dropped."""
    return [responses[image_ids == i] for i in np.unique(image_ids) if (image_ids == i).sum() > 1]


def test_corr_hand_cases():
    x = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    np.testing.assert_allclose(corr(x, np.c_[[2.0, 4.0, 6.0], [3.0, 2.0, 1.0]]), [1.0, -1.0], atol=1e-7)
    assert corr(x, np.ones_like(x)).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="shape"):
        corr(x, x[:2])


def test_single_trial_correlation_matches_loop(repeats):
    responses, predictions, _ = repeats
    np.testing.assert_allclose(single_trial_correlation(responses, predictions), loop_pearson(responses, predictions),
                               atol=1e-7)
    constant = np.c_[responses[:, :1], np.zeros(len(responses))]
    assert single_trial_correlation(constant, predictions[:, :2])[1] == 0.0


def test_correlation_to_average_matches_loop(repeats):
    responses, predictions, image_ids = repeats
    images = [i for i in np.unique(image_ids) if (image_ids == i).sum() > 1]
    mean_r = np.array([responses[image_ids == i].mean(axis=0) for i in images])
    mean_p = np.array([predictions[image_ids == i].mean(axis=0) for i in images])
    np.testing.assert_allclose(correlation_to_average(responses, predictions, image_ids),
                               loop_pearson(mean_r, mean_p), atol=1e-7)


def test_fev_feve_hand_case():
    # one neuron, two images × two repeats: responses [1, 3 | 5, 7], prediction [2, 2 | 6, 6]
    responses = np.array([[1.0], [3.0], [5.0], [7.0]])
    predictions = np.array([[2.0], [2.0], [6.0], [6.0]])
    image_ids = np.array([0, 0, 1, 1])
    total_var = np.var([1, 3, 5, 7], ddof=1)  # 20/3
    noise_var = 2.0  # each image: var([1, 3], ddof=1) = 2
    np.testing.assert_allclose(fev(responses, image_ids), [(total_var - noise_var) / total_var])
    expected = 1 - (1.0 - noise_var) / (total_var - noise_var)
    np.testing.assert_allclose(feve(responses, predictions, image_ids), [expected])


def test_fev_feve_and_oracle_match_loops(repeats):
    responses, predictions, image_ids = repeats
    keep = np.isin(image_ids, np.unique(image_ids)[np.unique(image_ids, return_counts=True)[1] > 1])
    r, p = responses[keep], predictions[keep]
    groups = grouped(responses, image_ids)
    total_var = np.var(r, axis=0, ddof=1)
    noise_var = np.mean([g.var(axis=0, ddof=1) for g in groups], axis=0)
    np.testing.assert_allclose(fev(responses, image_ids), (total_var - noise_var) / total_var)
    mse = np.mean((r - p) ** 2, axis=0)
    np.testing.assert_allclose(feve(responses, predictions, image_ids), 1 - (mse - noise_var) / (total_var - noise_var))

    stacked, others = [], []
    for g in groups:
        for k in range(len(g)):
            stacked.append(g[k])
            others.append(np.delete(g, k, axis=0).mean(axis=0))
    np.testing.assert_allclose(oracle_corr_jackknife(responses, image_ids),
                               loop_pearson(np.array(stacked), np.array(others)), atol=1e-7)
    # reliability follows the planted signal-to-noise ratio: FEV ≈ a² / (a² + 1) for signal amplitude a
    amplitude = np.linspace(0.2, 2.0, 7)
    np.testing.assert_allclose(fev(responses, image_ids), amplitude**2 / (amplitude**2 + 1), atol=0.2)


def test_agreement_with_neuralpredictors(repeats, neuralpredictors):
    np_functions = neuralpredictors("measures.np_functions")
    responses, predictions, image_ids = repeats
    groups, predicted = grouped(responses, image_ids), grouped(predictions, image_ids)
    np.testing.assert_allclose(oracle_corr_jackknife(responses, image_ids),
                               np_functions.oracle_corr_jackknife(groups), rtol=1e-10)
    fev_np, feve_np = np_functions.fev(groups, predicted, return_exp_var=True)
    np.testing.assert_allclose(fev(responses, image_ids), fev_np, rtol=1e-10)
    np.testing.assert_allclose(feve(responses, predictions, image_ids), feve_np, rtol=1e-10)
    np.testing.assert_allclose(single_trial_correlation(responses, predictions),
                               np_functions.corr(responses, predictions, axis=0), rtol=1e-10)


def test_video_correlation_skips_burn_in_and_aligns_to_the_valid_frames():
    rng = np.random.default_rng(1)
    frames = [80, 65, 90]
    responses = [rng.normal(size=(4, t)) for t in frames]
    padded = [np.pad(r, ((0, 0), (0, 90 - r.shape[1])), constant_values=np.nan) for r in responses]
    # prediction = response on scored frames, garbage on burn-in frames; given with burn-in dropped or full length
    short = [r[:, 50:] for r in responses]
    full = [np.c_[rng.normal(size=(4, 50)) * 100, r[:, 50:]] for r in responses]
    np.testing.assert_allclose(single_trial_correlation_video(padded, short), 1.0, atol=1e-6)
    np.testing.assert_allclose(single_trial_correlation_video(padded, full), 1.0, atol=1e-6)
    # the layout the exporter writes: every trial on the 90-frame grid, NaN after the trial's last frame
    grid = [np.pad(f, ((0, 0), (0, 90 - f.shape[1])), constant_values=np.nan) for f in full]
    np.testing.assert_allclose(single_trial_correlation_video(padded, grid), 1.0, atol=1e-6)
    target = np.concatenate([r[:, 50:] for r in responses], axis=1).T
    noisy = [s + rng.normal(size=s.shape) for s in short]
    np.testing.assert_allclose(single_trial_correlation_video(padded, noisy),
                               loop_pearson(target, np.concatenate(noisy, axis=1).T), atol=1e-7)
    with pytest.raises(ValueError, match=r"predictions\[1\]"):
        single_trial_correlation_video(padded, [short[0], short[1][:, :5], short[2]])


@pytest.fixture
def static_dataset(repeats):
    responses, _, image_ids = repeats
    n_trials, n_neurons = responses.shape
    trials = pd.DataFrame({"tier": ["test"] * n_trials + ["train"] * 3,
                           "trial_idx": np.r_[np.arange(n_trials) * 3 + 1000, 1, 2, 3],
                           "image_id": np.r_[image_ids, 500, 501, 502]})
    neurons = pd.DataFrame({"unit_ids": np.array([40, 10, 30, 20, 70, 60, 50])[:n_neurons]})
    return SimpleNamespace(kind="static", trials=trials, neurons=neurons,
                           responses=np.r_[responses, np.zeros((3, n_neurons))])


def test_score_predictions_sorts_and_matches(static_dataset, repeats):
    responses, predictions, image_ids = repeats
    test = static_dataset.trials.iloc[: len(responses)]
    order = np.argsort(static_dataset.neurons["unit_ids"].to_numpy())
    shuffled_rows = np.random.default_rng(2).permutation(len(responses))
    table = pd.DataFrame({
        "trial_indices": test["trial_idx"].to_numpy()[shuffled_rows],
        "image_ids": image_ids[shuffled_rows],
        "prediction": list(predictions[shuffled_rows][:, order]),  # submitted in ascending neuron-id order
        "neuron_ids": [np.sort(static_dataset.neurons["unit_ids"].to_numpy())] * len(responses),
    })
    summary, per_neuron = score_predictions(table, static_dataset)
    np.testing.assert_allclose(per_neuron["single_trial_correlation"],
                               single_trial_correlation(responses, predictions)[order])
    np.testing.assert_allclose(per_neuron["feve"], feve(responses, predictions, image_ids)[order])
    assert per_neuron["unit_ids"].tolist() == sorted(static_dataset.neurons["unit_ids"])
    reliable = per_neuron["fev"] >= 0.15
    assert summary["feve"] == pytest.approx(per_neuron.loc[reliable, "feve"].mean())
    assert summary["n_neurons_feve"] == reliable.sum() < len(per_neuron)

    with pytest.raises(ValueError, match=r"trial_indices: missing \[\d+\] \(1\)"):
        score_predictions(table.iloc[1:], static_dataset)
    with pytest.raises(ValueError, match="duplicated"):
        score_predictions(pd.concat([table, table.iloc[:1]]), static_dataset)
    with pytest.raises(ValueError, match="image_ids: trial_idx"):
        score_predictions(table.assign(image_ids=np.roll(table["image_ids"], 1)), static_dataset)
    with pytest.raises(ValueError, match="neuron_ids: differ"):
        score_predictions(table.assign(neuron_ids=[np.arange(7)] * len(table)), static_dataset)


def test_score_predictions_video_by_file_number():
    rng = np.random.default_rng(3)
    responses = np.stack([rng.normal(size=(3, 70)) for _ in range(4)])
    dataset = SimpleNamespace(kind="video", neurons=pd.DataFrame({"unit_ids": [5, 6, 7]}), responses=responses,
                              trials=pd.DataFrame({"tier": ["train", "oracle", "oracle", "oracle"],
                                                   "trial_idx": [9, 8, 7, 6]}))
    table = pd.DataFrame({"trial_indices": ["3.npy", "1.npy", "2.npy"],
                          "prediction": [responses[i][::-1, 50:] for i in (3, 1, 2)],
                          "neuron_ids": [[7, 6, 5]] * 3})
    summary, per_neuron = score_predictions(table, dataset)
    assert summary["single_trial_correlation"] == pytest.approx(1.0, abs=1e-6)


def test_repeat_reliability_picks_the_first_tier_with_repeats(repeats):
    responses, _, image_ids = repeats
    # the "test" tier shows each image once; the repeated trials are labelled "oracle", one stray trial "train"
    tiers = np.where(image_ids == 99, "train", "oracle").astype(object)
    first = {i: np.flatnonzero(image_ids == i)[0] for i in np.unique(image_ids)}
    once = np.array(list(first.values()))
    tiers[once] = "test"
    found = repeat_reliability(tiers, image_ids, responses, ("test", "oracle", "train"))
    assert found["tier"] == "oracle"
    assert found["n_images"] == 20 and found["n_trials"] == 80  # 4 of the 5 repeats of each image
    keep = tiers == "oracle"
    groups = [responses[keep & (image_ids == i)] for i in range(20)]
    # leave-one-out oracle from its definition: each trial against the mean of the other repeats of its image
    loo = np.concatenate([(g.sum(0) - g) / (len(g) - 1) for g in groups])
    expected = loop_pearson(np.concatenate(groups), loo)
    np.testing.assert_allclose(found["oracle"], expected, atol=1e-10)
    with pytest.raises(ValueError, match="no tier of"):
        repeat_reliability(tiers, image_ids, responses, ("test", "train"))
