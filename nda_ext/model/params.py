"""Parameter sets of trained twins: ``{"config": TwinConfig fields, "train": train() keyword arguments}``.

Kept free of torch so the ``twin`` schema can declare its lookup contents without importing it.
"""

from __future__ import annotations

import hashlib
import json

TRAIN_ARGUMENTS = ("epochs", "lr", "clip_len", "batch", "seed", "burnin", "weight_decay", "locate")
"""Keys allowed in ``params["train"]`` (keyword arguments of ``nda_ext.model.train.train``)."""

DEFAULT_PARAMS = {
    "config": {"height": 18, "width": 32, "temporal_kernel": 4, "channels": [32], "kernels": [9], "strides": [2],
               "hidden": 16, "recurrent_kernel": 3, "perspective_hidden": 8, "max_shift": 0.2,
               "modulation_hidden": 16},
    "train": {"epochs": 15, "lr": 0.01, "clip_len": 16, "batch": 4, "seed": 0, "burnin": 3, "weight_decay": 0.0,
              "locate": True},
}
"""Demo default: the demo's planted units see the movie at 18 x 32 pixels through a 4-frame temporal kernel; on the
demo (2 scans x 300 units x 10 min) 15 epochs take about 1.5 min on one CPU core."""


def check_params(params: dict) -> dict:
    """``params`` with both sections present and only known training arguments.

    Raises:
        ValueError: naming the missing section or the unknown keys.
    """
    if not isinstance(params, dict) or set(params) != {"config", "train"}:
        raise ValueError(f"params must be a dict with exactly the keys 'config' and 'train', got "
                         f"{sorted(params) if isinstance(params, dict) else type(params).__name__}")
    unknown = set(params["train"]) - set(TRAIN_ARGUMENTS)
    if unknown:
        raise ValueError(f"params['train'] has unknown keys {sorted(unknown)}; allowed: {list(TRAIN_ARGUMENTS)}")
    return {"config": dict(params["config"]), "train": dict(params["train"])}


def params_hash(params: dict) -> str:
    """MD5 of the canonical JSON (sorted keys) of ``params``."""
    return hashlib.md5(json.dumps(check_params(params), sort_keys=True).encode()).hexdigest()


def paramset_row(paramset_idx: int, params: dict, description: str = "") -> dict:
    """A ``twin.ParamSet`` row."""
    return {"paramset_idx": int(paramset_idx), "params": check_params(params), "params_hash": params_hash(params),
            "description": description}
