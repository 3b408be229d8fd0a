"""Planted like-to-like synapses for the demo CAVE snapshot.

Connection probability between two connectable cells grows with the similarity of their
preferred orientations::

    p(pre -> post) = p_connect * (1 + like_to_like * cos(2 * (ori_pre - ori_post)))

(orientations in degrees, so the difference is converted to radians; ``like_to_like`` in [0, 1]).
A connected pair gets ``1 + Poisson(extra_synapses)`` synapses with log-normal PSD sizes (voxels).
Rows that real data also holds and that :func:`~nda_ext.sources.cave.synapses.synapse_edges`
must exclude are added on top: autapses, root id 0 partners, partners without a nucleus
(orphan fragments) and multi-soma objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_BLOCK = 1024
_SPREAD_VOXELS = np.array([12_500.0, 12_500.0, 1_250.0])
"""Standard deviation of a synapse around its postsynaptic soma: 50 µm in x/y/z, in voxels."""


def connect_like_to_like(rng: np.random.Generator, ori: np.ndarray, *, p_connect: float, like_to_like: float,
                         extra_synapses: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw connected pairs among cells with preferred orientations ``ori`` (degrees).

    Returns:
        ``(pre_index, post_index, n_synapses)`` for every connected ordered pair (no self pairs).
    """
    if not 0 <= like_to_like <= 1:
        raise ValueError(f"like_to_like must be in [0, 1], got {like_to_like}")
    if not 0 <= p_connect * (1 + like_to_like) <= 1:
        raise ValueError(f"p_connect * (1 + like_to_like) must be <= 1, got p_connect={p_connect}")
    n = len(ori)
    pre_parts, post_parts = [], []
    for start in range(0, n, _BLOCK):
        rows = np.arange(start, min(start + _BLOCK, n))
        delta = np.deg2rad(ori[rows, None] - ori[None, :])
        prob = p_connect * (1.0 + like_to_like * np.cos(2.0 * delta))
        prob[np.arange(len(rows)), rows] = 0.0
        pre, post = np.nonzero(rng.random(prob.shape) < prob)
        pre_parts.append(rows[pre])
        post_parts.append(post)
    pre = np.concatenate(pre_parts) if pre_parts else np.empty(0, np.int64)
    post = np.concatenate(post_parts) if post_parts else np.empty(0, np.int64)
    return pre, post, 1 + rng.poisson(extra_synapses, size=len(pre))


def _positions(rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    return np.round(centres + rng.normal(size=centres.shape) * _SPREAD_VOXELS)


def plant_synapses(rng: np.random.Generator, cells: pd.DataFrame, *, p_connect: float, like_to_like: float,
                   extra_synapses: float, noise_roots: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synapse rows (``synapses_pni_2`` columns) and the planted edges.

    Args:
        rng: random generator.
        cells: connectable cells, columns ``nucleus_id, pt_root_id, ori`` (degrees) and
            ``x, y, z`` (soma, voxels); roots unique and non-zero.
        p_connect: base connection probability.
        like_to_like: strength of the orientation rule, [0, 1].
        extra_synapses: mean of the Poisson number of synapses beyond the first per connected pair.
        noise_roots: ``{"orphan": roots without nucleus, "multisoma": roots of multi-soma objects}``;
            rows with them, autapses and root-0 rows are added and are not planted edges.

    Returns:
        ``(synapses, planted)``: synapse rows in random order with unique ids, and planted edges
        ``pre_nucleus_id, post_nucleus_id, n_synapses, sum_size`` sorted by (pre, post).
    """
    roots = cells["pt_root_id"].to_numpy(np.int64)
    centres = cells[["x", "y", "z"]].to_numpy(np.float64)
    pre, post, counts = connect_like_to_like(rng, cells["ori"].to_numpy(np.float64), p_connect=p_connect,
                                             like_to_like=like_to_like, extra_synapses=extra_synapses)
    pre_rows, post_rows = np.repeat(pre, counts), np.repeat(post, counts)
    n_noise = max(4, len(pre_rows) // 200)
    part = rng.integers(0, len(cells), size=(3, n_noise))
    others = np.concatenate([noise_roots["orphan"], noise_roots["multisoma"]])
    zero = np.zeros(n_noise, np.int64)
    noise = [  # (pre roots, post roots, cells the rows sit near)
        (roots[part[0]], roots[part[0]], part[0]),  # autapses
        (rng.choice(others, n_noise), roots[part[1]], part[1]),  # from orphan / multi-soma objects
        (roots[part[1]], rng.choice(others, n_noise), part[1]),  # onto orphan / multi-soma objects
        (zero, roots[part[2]], part[2]),  # from root id 0
        (roots[part[2]], zero, part[2]),  # onto root id 0
    ]
    pre_root = np.concatenate([roots[pre_rows]] + [n[0] for n in noise])
    post_root = np.concatenate([roots[post_rows]] + [n[1] for n in noise])
    near = np.concatenate([post_rows] + [n[2] for n in noise])
    size = np.maximum(1, np.round(rng.lognormal(5.0, 0.8, size=len(pre_root)))).astype(np.int64)
    ctr = _positions(rng, centres[near])
    offset = rng.integers(5, 40, size=(len(ctr), 3)) * np.array([1, 1, 0])
    order = rng.permutation(len(pre_root))
    synapse_id = np.sort(rng.choice(np.arange(100_000_000, 100_000_000 + 20 * len(order) + 100),
                                    size=len(order), replace=False))
    columns = {"id": synapse_id, "valid": np.ones(len(order), bool)}
    for side, root, position in (("pre", pre_root, ctr - offset), ("post", post_root, ctr + offset)):
        supervoxel = rng.integers(88_000_000_000_000_000, 90_000_000_000_000_000, size=len(root))
        columns[f"{side}_pt_supervoxel_id"] = np.where(root == 0, 0, supervoxel)[order]
        columns[f"{side}_pt_root_id"] = root[order]
        columns.update({f"{side}_pt_position_{a}": position[order, i] for i, a in enumerate("xyz")})
    columns["size"] = size[order]
    columns.update({f"ctr_pt_position_{a}": ctr[order, i] for i, a in enumerate("xyz")})
    nucleus = cells["nucleus_id"].to_numpy(np.int64)
    planted = pd.DataFrame({"pre_nucleus_id": nucleus[pre_rows], "post_nucleus_id": nucleus[post_rows],
                            "size": size[: len(pre_rows)].astype(np.float64)})
    planted = (planted.groupby(["pre_nucleus_id", "post_nucleus_id"], sort=True)
               .agg(n_synapses=("size", "size"), sum_size=("size", "sum")).reset_index())
    planted["n_synapses"] = planted["n_synapses"].astype(np.int64)
    return pd.DataFrame(columns), planted
