"""Prediction quality against repeated responses: cc_abs, cc_max, cc_norm (docs/metrics.md, same names).

Repeat arrays are ``(n_units, n_repeats, n_samples)`` or ``(n_units, n_repeats, n_videos, n_frames)``; missing
repeats (or samples) are NaN. With a video axis, the first ``burnin`` frames of every video are dropped and the
videos are concatenated (cajal/fnn evaluation uses ``burnin=10``). All functions are vectorised over units.
"""
import numpy as np

__all__ = ["as_repeats", "pearson", "cc_abs", "cc_max", "cc_max_classic", "cc_norm", "prediction_quality"]


def as_repeats(x, burnin=0, name="responses"):
    """Reshape a repeat array to ``(n_units, n_repeats, n_samples)`` after dropping ``burnin`` frames per video.

    Args:
        x: array ``(n_units, n_repeats, n_samples)`` or ``(n_units, n_repeats, n_videos, n_frames)``.
        burnin: number of leading frames dropped from every video (or from the single sample axis).
        name: argument name used in error messages.

    Returns:
        float array ``(n_units, n_repeats, n_samples_kept)``.

    Raises:
        ValueError: if ``x`` is not 3-D or 4-D or ``burnin`` leaves no frame.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim not in (3, 4):
        raise ValueError(f"{name} must be (n_units, n_repeats, n_samples) or (n_units, n_repeats, n_videos, "
                         f"n_frames), got shape {x.shape}")
    if not 0 <= burnin < x.shape[-1]:
        raise ValueError(f"burnin must be in [0, {x.shape[-1]}) frames for {name}, got {burnin}")
    x = x[..., burnin:]
    return x.reshape(x.shape[0], x.shape[1], -1)


def pearson(a, b):
    """Pearson correlation along the last axis over the samples where both are finite.

    Args:
        a, b: arrays of the same shape ``(..., n_samples)``.

    Returns:
        array ``(...)``; NaN where fewer than 2 pairs or a zero variance.
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    both = np.isfinite(a) & np.isfinite(b)
    n = both.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        da = np.where(both, a - (np.where(both, a, 0).sum(-1) / n)[..., None], 0.0)
        db = np.where(both, b - (np.where(both, b, 0).sum(-1) / n)[..., None], 0.0)
        r = (da * db).sum(-1) / np.sqrt((da * da).sum(-1) * (db * db).sum(-1))
    return np.where(n >= 2, r, np.nan)


def _nan_mean_var(x, axis, ddof):
    """NaN-aware mean and variance along ``axis`` (NaN where fewer than ``ddof + 1`` finite values)."""
    valid = np.isfinite(x)
    n = valid.sum(axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, x, 0.0).sum(axis, keepdims=True) / n
        var = np.where(valid, (x - mean) ** 2, 0.0).sum(axis, keepdims=True) / (n - ddof)
    var = np.where(n > ddof, var, np.nan)
    return np.squeeze(mean, axis), np.squeeze(var, axis)


def cc_abs(responses, predictions, burnin=0):
    """Correlation between the trial-averaged response and the trial-averaged prediction.

    Args:
        responses: recorded repeats (see module docstring), NaN for missing repeats.
        predictions: model predictions with the same layout; the repeat axis may have size 1 (a prediction that
            does not depend on the trial).
        burnin: leading frames dropped per video.

    Returns:
        array ``(n_units,)``.
    """
    y = as_repeats(responses, burnin, "responses")
    p = as_repeats(predictions, burnin, "predictions")
    if p.shape[0] != y.shape[0] or p.shape[2] != y.shape[2]:
        raise ValueError(f"predictions {np.shape(predictions)} do not match responses {np.shape(responses)} in "
                         "units or samples")
    return pearson(_nan_mean_var(y, 1, 0)[0], _nan_mean_var(p, 1, 0)[0])


def cc_max_classic(responses, burnin=0):
    """Classic upper bound of the correlation (Schoppe et al. 2016) for complete repeats.

    ``cc_max = sqrt((N Var(ybar) - mean_n Var_t(y_n)) / ((N - 1) Var(ybar)))`` with N repeats (all variances over
    samples, ddof 0); NaN where the numerator is negative or a repeat has a NaN.

    Args:
        responses: recorded repeats (see module docstring).
        burnin: leading frames dropped per video.

    Returns:
        array ``(n_units,)``.
    """
    y = as_repeats(responses, burnin)
    n = y.shape[1]
    var_mean = y.mean(1).var(-1)
    mean_var = y.var(-1).mean(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (n * var_mean - mean_var) / ((n - 1) * var_mean)
    return np.sqrt(np.where(ratio >= 0, ratio, np.nan))


def cc_max(responses, burnin=0):
    """Upper bound of the correlation for variable repeat counts (cajal/foundation ``CCMax``).

    With ``t_s`` finite repeats at sample ``s`` (samples with none are skipped, S samples kept):
    ``n = sqrt((sum_s t_s - S) / sum_s (t_s - 1) / t_s^2)``; ``ybar`` the NaN-mean over repeats;
    ``P = Var_1(ybar)``; ``TP`` = mean over repeats of each repeat's NaN-aware ``Var_1`` over samples;
    ``SP = (n P - TP) / (n - 1)``; ``cc_max = sqrt(SP / Var_0(ybar))``, NaN when ``SP < 0``.
    With complete repeats ``n`` equals the repeat count and the result is :func:`cc_max_classic` times
    ``sqrt(S / (S - 1))`` (``P`` uses ddof 1, the denominator ddof 0, as in foundation).

    Args:
        responses: recorded repeats, NaN for missing repeats or samples.
        burnin: leading frames dropped per video.

    Returns:
        array ``(n_units,)``.
    """
    y = as_repeats(responses, burnin)
    t = np.isfinite(y).sum(1).astype(float)
    kept = t > 0
    s = kept.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.sqrt((t.sum(-1) - s) / np.where(kept, (t - 1) / t ** 2, 0.0).sum(-1))
        ybar = np.where(kept, _nan_mean_var(y, 1, 0)[0], np.nan)
        p = _nan_mean_var(ybar, -1, 1)[1]
        repeat_var = _nan_mean_var(y, -1, 1)[1]
        tp = _nan_mean_var(repeat_var, -1, 0)[0]
        sp = (n * p - tp) / (n - 1)
        result = np.sqrt(sp / _nan_mean_var(ybar, -1, 0)[1])
    return np.where(sp >= 0, result, np.nan)


def cc_norm(cc_abs_values, cc_max_values):
    """Normalised correlation ``cc_abs / cc_max`` (not clipped: values slightly above 1 occur)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(cc_abs_values, dtype=float) / np.asarray(cc_max_values, dtype=float)


def prediction_quality(responses, predictions, burnin=0):
    """``cc_abs``, ``cc_max`` (variable-repeat form) and ``cc_norm`` per unit, as a dict of ``(n_units,)`` arrays."""
    values = {"cc_abs": cc_abs(responses, predictions, burnin), "cc_max": cc_max(responses, burnin)}
    values["cc_norm"] = cc_norm(values["cc_abs"], values["cc_max"])
    return values
