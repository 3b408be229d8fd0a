"""Permutation (label-shuffle) tests of orientation and direction selectivity.

Definition: docs/metrics.md, "Permutation p-values".
"""
import numpy as np

from nda_ext.compute.epochs import direction_labels
from nda_ext.compute.selectivity import global_selectivity

__all__ = ["selectivity_permutation_test"]


def _curves_for_labels(values, valid, labels, n_dir):
    """NaN-aware direction means ``(n_units, n_label_sets, n_dir)`` for label sets ``labels`` ``(n_sets, n_seg)``."""
    onehot = (labels[:, :, None] == np.arange(n_dir)).transpose(1, 0, 2).reshape(labels.shape[1], -1)
    sums = (values @ onehot).reshape(values.shape[0], labels.shape[0], n_dir)
    if valid.all():
        counts = onehot.sum(0).reshape(1, labels.shape[0], n_dir)
    else:
        counts = (valid.astype(float) @ onehot).reshape(values.shape[0], labels.shape[0], n_dir)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def selectivity_permutation_test(responses, directions_deg, n_perm=1000, seed=0, precision_deg=1.0,
                                 max_elements=2 ** 24):
    """Shuffle direction labels across single-segment responses; p-values of gOSI and gDSI per unit.

    The same ``n_perm`` label permutations (seeded) are applied to every unit. NaN responses are left out of the
    direction means (a shuffled curve with an empty direction gives a NaN index, which never counts as exceeding).
    ``p = (1 + #{null >= observed}) / (1 + n_perm)``.

    Args:
        responses: single-segment responses ``(n_units, n_segments)``.
        directions_deg: direction of every segment in degrees ``(n_segments,)``.
        n_perm: number of permutations.
        seed: seed of ``numpy.random.default_rng``.
        precision_deg: directions are rounded to this precision before grouping.
        max_elements: permutations are processed in chunks of about this many ``unit x perm x direction`` values.

    Returns:
        dict of arrays ``(n_units,)``: ``gosi``, ``gdsi`` (observed), ``gosi_p``, ``gdsi_p`` (NaN where the observed
        index is NaN).

    Raises:
        ValueError: if the segment counts of ``responses`` and ``directions_deg`` differ.
    """
    responses = np.atleast_2d(np.asarray(responses, dtype=float))
    directions, labels = direction_labels(directions_deg, precision_deg)
    if responses.shape[1] != labels.size:
        raise ValueError(f"responses has {responses.shape[1]} segments but directions_deg has {labels.size}")
    valid = np.isfinite(responses)
    values = np.where(valid, responses, 0.0)
    n_dir = directions.size

    def indices(label_sets):
        curves = _curves_for_labels(values, valid, label_sets, n_dir)
        out = global_selectivity(curves.reshape(-1, n_dir), directions)
        return {key: out[key].reshape(curves.shape[:2]) for key in ("gosi", "gdsi")}

    observed = {key: value[:, 0] for key, value in indices(labels[None, :]).items()}
    exceed = {key: np.zeros(responses.shape[0]) for key in observed}
    rng = np.random.default_rng(seed)
    chunk = max(1, max_elements // max(1, responses.shape[0] * n_dir))
    for first in range(0, n_perm, chunk):
        shuffled = rng.permuted(np.broadcast_to(labels, (min(chunk, n_perm - first), labels.size)), axis=1)
        for key, null in indices(shuffled).items():
            exceed[key] += (null >= observed[key][:, None]).sum(-1)
    result = dict(observed)
    for key in observed:
        result[f"{key}_p"] = np.where(np.isfinite(observed[key]), (1.0 + exceed[key]) / (1.0 + n_perm), np.nan)
    return result
