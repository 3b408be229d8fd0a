"""Sensorium 2022/2023 prediction scores and repeat-based reliability, vectorised over neurons.

Definitions follow ``neuralpredictors.measures.np_functions`` and the Sensorium scoring code (docs/metrics.md:
"Sensorium correlation" to "SNR"):

* ``corr``: z-score both signals along the sample axis (population std, ddof 0, ``eps`` added to the std),
  mean of the product. Correlation scores turn NaN into 0, as the Sensorium score helpers do.
* Repeat-based quantities (correlation to average, FEV/FEVE, jackknife oracle) group trials by stimulus id;
  stimuli shown only once carry no noise estimate and are left out of them.

Array convention: responses and predictions are (n_trials, n_neurons) for static data; video trials are lists
of (n_neurons, T) arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEV_THRESHOLD = 0.15
VIDEO_SKIP = 50


def corr(y1, y2, axis=0, eps: float = 1e-8) -> np.ndarray:
    """Pearson correlation along ``axis`` (Sensorium/neuralpredictors form).

    Args:
        y1, y2: arrays of the same shape.
        axis: sample axis (default 0: rows are samples, columns neurons).
        eps: added to each standard deviation (ddof 0).

    Returns:
        Correlations with ``axis`` removed.
    """
    y1, y2 = np.asarray(y1, dtype=float), np.asarray(y2, dtype=float)
    if y1.shape != y2.shape:
        raise ValueError(f"corr: y1 has shape {y1.shape}, y2 has shape {y2.shape}")
    z1 = (y1 - y1.mean(axis=axis, keepdims=True)) / (y1.std(axis=axis, keepdims=True) + eps)
    z2 = (y2 - y2.mean(axis=axis, keepdims=True)) / (y2.std(axis=axis, keepdims=True) + eps)
    return (z1 * z2).mean(axis=axis)


def single_trial_correlation(responses, predictions) -> np.ndarray:
    """Sensorium 2022 single-trial correlation per neuron: ``corr`` across trials, NaN -> 0.

    Args:
        responses, predictions: (n_trials, n_neurons), rows matched.

    Returns:
        (n_neurons,) correlations.
    """
    return np.nan_to_num(corr(responses, predictions, axis=0))


def single_trial_correlation_video(responses, predictions, skip: int = VIDEO_SKIP) -> np.ndarray:
    """Sensorium 2023 single-trial correlation per neuron.

    Each response trial is cut at its first NaN frame (its ``n_valid`` frames, as ``CutVideos`` does) and frames
    before ``skip`` are dropped. A prediction is first cut to the trial's valid frames when it is at least that
    long (so one on the full NaN-padded grid, the exporter's layout, lines up frame by frame), then aligned to the
    last ``n_valid - skip`` frames (as the Sensorium 2023 scoring aligns a model output that lacks its first
    frames). All (trial, frame) samples are pooled per neuron.

    Args:
        responses: list of (n_neurons, T_i) recorded responses (NaN-padded after the trial end allowed).
        predictions: list of (n_neurons, P_i) predictions with P_i >= n_valid - skip: on the full grid, on the
            valid frames, or with the first ``skip`` frames already dropped.
        skip: burn-in frames excluded from scoring (50 in Sensorium 2023).

    Returns:
        (n_neurons,) correlations, NaN -> 0.
    """
    if len(responses) != len(predictions):
        raise ValueError(f"responses has {len(responses)} trials, predictions {len(predictions)}")
    targets, outputs = [], []
    for i, (response, prediction) in enumerate(zip(responses, predictions)):
        response, prediction = np.asarray(response, dtype=float), np.asarray(prediction, dtype=float)
        n_valid = _frames_before_nan(response)
        n_scored = max(n_valid - skip, 0)
        if prediction.shape[0] != response.shape[0] or prediction.shape[1] < n_scored:
            raise ValueError(f"predictions[{i}]: shape {prediction.shape}, need ({response.shape[0]}, >= {n_scored})")
        prediction = prediction[:, :n_valid]
        targets.append(response[:, skip:n_valid])
        outputs.append(prediction[:, prediction.shape[1] - n_scored:])
    return np.nan_to_num(corr(np.concatenate(targets, axis=1), np.concatenate(outputs, axis=1), axis=1))


def correlation_to_average(responses, predictions, image_ids) -> np.ndarray:
    """Correlation between repeat-averaged responses and repeat-averaged predictions, across stimuli.

    Args:
        responses, predictions: (n_trials, n_neurons).
        image_ids: (n_trials,) stimulus id of each trial (``frame_image_id``).

    Returns:
        (n_neurons,) correlations, NaN -> 0.
    """
    groups = _RepeatGroups(image_ids)
    return np.nan_to_num(corr(groups.mean(responses), groups.mean(predictions), axis=0))


def fev(responses, image_ids) -> np.ndarray:
    """Fraction of explainable variance per neuron: ``(total_var - noise_var) / total_var``.

    ``total_var`` is the variance (ddof 1) of all repeat responses, ``noise_var`` the mean over stimuli of
    the within-stimulus variance (ddof 1).
    """
    total_var, noise_var, _ = _variances(responses, image_ids)
    return (total_var - noise_var) / total_var


def feve(responses, predictions, image_ids) -> np.ndarray:
    """Fraction of explainable variance explained per neuron.

    ``FEVE = 1 - (MSE - noise_var) / (total_var - noise_var)`` with the MSE between prediction and response
    over the repeat trials. Average it over neurons with ``fev >= FEV_THRESHOLD`` (see :func:`score_static`).
    """
    total_var, noise_var, groups = _variances(responses, image_ids)
    residual = groups.repeated(np.asarray(responses, dtype=float) - np.asarray(predictions, dtype=float))
    mse = np.mean(residual**2, axis=0)
    return 1 - (mse - noise_var) / (total_var - noise_var)


def oracle_corr_jackknife(responses, image_ids) -> np.ndarray:
    """Leave-one-out (jackknife) oracle per neuron: each repeat correlated with the mean of the other repeats of
    the same stimulus, pooled over stimuli. Underestimates the true oracle.

    Args:
        responses: (n_trials, n_neurons).
        image_ids: (n_trials,) stimulus ids.

    Returns:
        (n_neurons,) oracle correlations.
    """
    groups = _RepeatGroups(image_ids)
    repeats = groups.repeated(np.asarray(responses, dtype=float))
    counts = groups.counts[groups.inverse][:, None]
    others = (groups.sums(responses)[groups.inverse] - repeats) / (counts - 1)
    return corr(repeats, others, axis=0)


def repeat_reliability(tiers, image_ids, responses, repeat_tiers) -> dict:
    """Jackknife oracle and FEV per neuron on the first of ``repeat_tiers`` that repeats an image.

    Args:
        tiers: (n_trials,) tier label of each trial.
        image_ids: (n_trials,) image shown in each trial.
        responses: (n_trials, n_neurons).
        repeat_tiers: tiers to try, in order of preference (e.g. ``("test", "oracle", "validation", "train")``).

    Returns:
        ``{"tier", "n_images", "n_trials", "oracle" (n_neurons,), "fev" (n_neurons,)}`` over the trials of the chosen
        tier whose image is shown at least twice.

    Raises:
        ValueError: No tier in ``repeat_tiers`` shows any image twice.
    """
    tiers, image_ids, responses = np.asarray(tiers), np.asarray(image_ids), np.asarray(responses)
    for tier in repeat_tiers:
        rows = tiers == tier
        ids, counts = np.unique(image_ids[rows], return_counts=True)
        if (counts >= 2).any():
            keep = rows & np.isin(image_ids, ids[counts >= 2])
            return {"tier": tier, "n_images": int((counts >= 2).sum()), "n_trials": int(keep.sum()),
                    "oracle": oracle_corr_jackknife(responses[keep], image_ids[keep]),
                    "fev": fev(responses[keep], image_ids[keep])}
    raise ValueError(f"no tier of {list(repeat_tiers)} has repeated images; the oracle needs repeats")


def score_static(responses, predictions, image_ids, fev_threshold: float = FEV_THRESHOLD):
    """All Sensorium 2022 scores for matched arrays.

    Returns:
        (summary, per_neuron): ``summary`` a Series with ``single_trial_correlation``,
        ``correlation_to_average``, ``feve`` (mean over neurons with ``fev >= fev_threshold``), ``fev``
        (mean) and ``n_neurons_feve``; ``per_neuron`` a DataFrame with the per-neuron values.
    """
    per_neuron = pd.DataFrame({
        "single_trial_correlation": single_trial_correlation(responses, predictions),
        "correlation_to_average": correlation_to_average(responses, predictions, image_ids),
        "fev": fev(responses, image_ids),
        "feve": feve(responses, predictions, image_ids),
    })
    reliable = per_neuron["fev"] >= fev_threshold
    summary = pd.Series({
        "single_trial_correlation": per_neuron["single_trial_correlation"].mean(),
        "correlation_to_average": per_neuron["correlation_to_average"].mean(),
        "feve": per_neuron.loc[reliable, "feve"].mean(),
        "fev": per_neuron["fev"].mean(),
        "n_neurons_feve": int(reliable.sum()),
    })
    return summary, per_neuron


def score_predictions(predictions: pd.DataFrame, dataset, tier: str | None = None, fev_threshold=FEV_THRESHOLD):
    """Score a Sensorium submission-style predictions table against a dataset.

    Trials and neurons are matched the way the Sensorium evaluation does: both sides sorted by trial index and
    neuron id, then checked for an exact match (no missing, extra or duplicated trials; identical neuron ids).

    Args:
        predictions: one row per trial with ``trial_indices``, ``prediction`` and ``neuron_ids`` (a list per
            row), and optionally ``image_ids`` (checked against the dataset). Static datasets: ``trial_indices``
            are ``trial_idx`` values and ``prediction`` has one value per neuron. Video datasets:
            ``trial_indices`` are file numbers (``3`` or ``"3.npy"``) and ``prediction`` is neurons × frames
            (first ``VIDEO_SKIP`` frames dropped or not, see :func:`single_trial_correlation_video`).
        dataset: an object with ``kind`` ("static"/"video"), ``trials`` (``tier``, ``trial_idx``, ``image_id``),
            ``neurons`` (``unit_ids``) and ``responses``, e.g. ``nda_ext.sources.sensorium.read_static_dataset``.
        tier: tier scored; default ``"test"`` (static) or ``"oracle"`` (video).
        fev_threshold: FEV below which neurons are left out of the FEVE average.

    Returns:
        (summary, per_neuron) as :func:`score_static`; video datasets score ``single_trial_correlation`` only.
        ``per_neuron`` is in ascending ``unit_ids`` order with a ``unit_ids`` column.

    Raises:
        ValueError: naming the missing/extra/duplicated trials, the mismatched image ids or neuron ids.
    """
    video = dataset.kind == "video"
    tier = tier or ("oracle" if video else "test")
    trials = dataset.trials[dataset.trials["tier"] == tier]
    if trials.empty:
        raise ValueError(f"dataset has no trials in tier {tier!r}")
    truth_ids = trials.index.to_numpy() if video else trials["trial_idx"].to_numpy()
    given = predictions["trial_indices"]
    given_ids = given.map(lambda v: int(str(v).removesuffix(".npy"))).to_numpy() if video else given.to_numpy()
    _check_same_ids("trial_indices", given_ids, truth_ids)
    rows = np.argsort(given_ids, kind="stable")
    truth = trials.iloc[np.argsort(truth_ids, kind="stable")]
    if "image_ids" in predictions and not video:
        given_images, shown = predictions["image_ids"].to_numpy()[rows], truth["image_id"].to_numpy()
        bad = np.flatnonzero(given_images != shown)
        if bad.size:
            raise ValueError(f"image_ids: trial_idx {truth['trial_idx'].iloc[bad[0]]} has image "
                             f"{given_images[bad[0]]}, the dataset shows {shown[bad[0]]}")
    neuron_order = _neuron_order(predictions["neuron_ids"], dataset.neurons["unit_ids"].to_numpy())
    unit_order = np.argsort(dataset.neurons["unit_ids"].to_numpy(), kind="stable")
    responses = np.asarray(dataset.responses)[truth.index.to_numpy()][:, unit_order]
    predicted = [np.asarray(predictions["prediction"].iloc[r], dtype=float)[neuron_order] for r in rows]
    unit_ids = dataset.neurons["unit_ids"].to_numpy()[unit_order]
    if video:
        per_neuron = pd.DataFrame({"single_trial_correlation": single_trial_correlation_video(responses, predicted)})
        summary = pd.Series({"single_trial_correlation": per_neuron["single_trial_correlation"].mean()})
    else:
        summary, per_neuron = score_static(responses, np.stack(predicted), truth["image_id"].to_numpy(), fev_threshold)
    per_neuron.insert(0, "unit_ids", unit_ids)
    return summary, per_neuron


def _check_same_ids(name: str, given: np.ndarray, expected: np.ndarray) -> None:
    values, counts = np.unique(given, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"{name}: duplicated {values[counts > 1][:5].tolist()}")
    missing, extra = np.setdiff1d(expected, given), np.setdiff1d(given, expected)
    if missing.size or extra.size:
        raise ValueError(f"{name}: missing {missing[:5].tolist()} ({missing.size}), "
                         f"not in the tier {extra[:5].tolist()} ({extra.size})")


def _neuron_order(neuron_ids: pd.Series, unit_ids: np.ndarray) -> np.ndarray:
    """Column order that sorts each prediction row by neuron id, after checking every row lists ``unit_ids``."""
    ids = np.stack(neuron_ids.to_numpy())
    if ids.shape != (len(neuron_ids), len(unit_ids)) or (ids != ids[0]).any():
        raise ValueError(f"neuron_ids: every row must list the same {len(unit_ids)} neuron ids")
    order = np.argsort(ids[0], kind="stable")
    if not np.array_equal(ids[0][order], np.sort(unit_ids)):
        raise ValueError(f"neuron_ids: differ from the dataset's unit_ids "
                         f"(not in dataset: {np.setdiff1d(ids[0], unit_ids)[:5].tolist()}, "
                         f"missing: {np.setdiff1d(unit_ids, ids[0])[:5].tolist()})")
    return order


class _RepeatGroups:
    """Trials grouped by stimulus id, restricted to stimuli shown at least twice."""

    def __init__(self, image_ids):
        image_ids = np.asarray(image_ids)
        _, inverse, counts = np.unique(image_ids, return_inverse=True, return_counts=True)
        self.mask = counts[inverse] >= 2
        if not self.mask.any():
            raise ValueError("image_ids: no stimulus is repeated; repeat-based scores need repeats")
        _, self.inverse, self.counts = np.unique(image_ids[self.mask], return_inverse=True, return_counts=True)

    def repeated(self, values) -> np.ndarray:
        return np.asarray(values, dtype=float)[self.mask]

    def sums(self, values) -> np.ndarray:
        values = self.repeated(values)
        sums = np.zeros((len(self.counts),) + values.shape[1:])
        np.add.at(sums, self.inverse, values)
        return sums

    def mean(self, values) -> np.ndarray:
        return self.sums(values) / self.counts[:, None]


def _variances(responses, image_ids):
    groups = _RepeatGroups(image_ids)
    repeats = groups.repeated(responses)
    total_var = np.var(repeats, axis=0, ddof=1)
    squared = (repeats - groups.mean(responses)[groups.inverse]) ** 2
    within = np.zeros((len(groups.counts), repeats.shape[1]))
    np.add.at(within, groups.inverse, squared)
    noise_var = np.mean(within / (groups.counts[:, None] - 1), axis=0)
    return total_var, noise_var, groups


def _frames_before_nan(response: np.ndarray) -> int:
    nan_frames = np.flatnonzero(np.isnan(response).any(axis=0))
    return int(nan_frames[0]) if nan_frames.size else response.shape[1]
