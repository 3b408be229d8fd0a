"""Read Sensorium 2022 static-image and 2023 video datasets (folders or released zips) into arrays and DataFrames.

The layout is described in :mod:`nda_ext.sources.sensorium.write`. Readers load the metadata, responses,
behavior and pupil center eagerly (small) and the stimuli (images or videos) only on request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nda_ext.sources.sensorium.tree import (
    MOTOR_COLUMNS,
    STATISTICS,
    TRIAL_FILE_NAMES,
    DatasetTree,
    SensoriumFormatError,
)

__all__ = ["SensoriumDataset", "SensoriumFormatError", "read_static_dataset", "read_video_dataset"]

IMAGE_ID_FILES = ("frame_image_id", "image_id", "colorframeprojector_image_id")
REQUIRED_NEURON_FILES = ("unit_ids",)
_TRIAL_COLUMNS = {stem: column for column, stem in TRIAL_FILE_NAMES.items()}


@dataclass
class SensoriumDataset:
    """One Sensorium recording read from disk.

    Attributes:
        path: the folder or zip it was read from.
        kind: ``"static"`` (2022 images) or ``"video"`` (2023 videos).
        neurons: one row per neuron in response order: ``unit_ids``, ``area``, ``layer``, ``animal_ids``,
            ``sessions``, ``scan_idx`` where present, ``cell_motor_x/y/z`` (µm) from ``cell_motor_coordinates``.
        trials: one row per data file, index ``trial`` = file number; ``tier``, ``trial_idx``, ``image_id``
            (static) and every other ``meta/trials`` variable under its file name.
        responses: (n_trials, N) static, (n_trials, N, T) video (NaN after each trial's end).
        behavior: (n_trials, 3) static, (n_trials, 2, T) video.
        pupil_center: (n_trials, 2) static, (n_trials, 2, T) video.
        statistics: ``{data_key: {source: {stat: array}}}`` from ``meta/statistics``.
    """

    path: Path
    kind: str
    neurons: pd.DataFrame
    trials: pd.DataFrame
    responses: np.ndarray
    behavior: np.ndarray
    pupil_center: np.ndarray
    statistics: dict = field(repr=False)
    _tree: DatasetTree = field(repr=False)

    def __repr__(self) -> str:
        tiers = self.trials["tier"].value_counts().to_dict()
        return (f"SensoriumDataset({self.kind}, {self.path.name}: {len(self.trials)} trials {tiers}, "
                f"{len(self.neurons)} neurons, responses {self.responses.shape})")

    @property
    def stimulus_key(self) -> str:
        """``"images"`` for static datasets, ``"videos"`` for video datasets."""
        return "images" if self.kind == "static" else "videos"

    def stimuli(self, trials=None) -> np.ndarray:
        """Load stimuli from disk.

        Args:
            trials: file numbers to load (default all, in file order).

        Returns:
            (n, 1, H, W) images or (n, H, W, T) videos, float as stored.
        """
        trials = np.arange(len(self.trials)) if trials is None else np.atleast_1d(trials)
        arrays = [self._tree.load(f"data/{self.stimulus_key}/{int(i)}.npy") for i in trials]
        return np.stack(arrays)


def read_static_dataset(path) -> SensoriumDataset:
    """Read a Sensorium 2022 static-image dataset (folder or ``.zip``).

    Args:
        path: dataset folder or released zip.

    Returns:
        A :class:`SensoriumDataset` with ``kind="static"``; images load lazily with ``.stimuli()``.

    Raises:
        SensoriumFormatError: naming the file for a truncated or unreadable ``.npy``, a missing meta file,
            data folders with different trial counts, or arrays whose shapes disagree with the metadata.
    """
    return _read(path, "static")


def read_video_dataset(path) -> SensoriumDataset:
    """Read a Sensorium 2023 video dataset (folder or ``.zip``); videos load lazily with ``.stimuli()``.

    Raises:
        SensoriumFormatError: as :func:`read_static_dataset`.
    """
    return _read(path, "video")


def _read(path, kind: str) -> SensoriumDataset:
    tree = DatasetTree(path)
    stimulus_key = "images" if kind == "static" else "videos"
    n_trials = _trial_count(tree, (stimulus_key, "responses", "behavior", "pupil_center"))
    trials = _trials(tree, n_trials, kind)
    neurons = _neurons(tree)
    arrays = {key: _stack(tree, key, n_trials) for key in ("responses", "behavior", "pupil_center")}
    if arrays["responses"].shape[1] != len(neurons):
        raise SensoriumFormatError(
            f"{tree.describe('data/responses/0.npy')}: {arrays['responses'].shape[1]} neurons, but "
            f"{tree.describe('meta/neurons/unit_ids.npy')} lists {len(neurons)}")
    return SensoriumDataset(path=tree.path, kind=kind, neurons=neurons, trials=trials,
                            statistics=_statistics(tree), _tree=tree, **arrays)


def _trial_count(tree: DatasetTree, keys) -> int:
    counts = {key: len(tree.list(f"data/{key}")) for key in keys}
    missing = [k for k, c in counts.items() if c == 0]
    if missing:
        raise SensoriumFormatError(f"{tree.describe('data')}: missing or empty data folders {missing}")
    if len(set(counts.values())) != 1:
        raise SensoriumFormatError(f"{tree.describe('data')}: inconsistent trial counts across folders {counts}")
    n_trials = next(iter(counts.values()))
    for key in keys:
        stems = tree.list(f"data/{key}")
        if stems != sorted(str(i) for i in range(n_trials)):
            raise SensoriumFormatError(f"{tree.describe('data/' + key)}: files are not named "
                                       f"0.npy … {n_trials - 1}.npy")
    return n_trials


def _meta_columns(tree: DatasetTree, folder: str, n: int, expected: str, rename: dict) -> dict[str, np.ndarray]:
    """Every ``<folder>/<stem>.npy`` as columns (renamed by ``rename``); each must hold ``n`` entries."""
    columns = {}
    for stem in tree.list(folder):
        values = tree.load(f"{folder}/{stem}.npy")
        if len(values) != n:
            raise SensoriumFormatError(f"{tree.describe(f'{folder}/{stem}.npy')}: {len(values)} entries, "
                                       f"but {expected}")
        columns.update(_columns(rename.get(stem, stem), values))
    return columns


def _trials(tree: DatasetTree, n_trials: int, kind: str) -> pd.DataFrame:
    columns = _meta_columns(tree, "meta/trials", n_trials, f"the data have {n_trials} trials", _TRIAL_COLUMNS)
    if "tier" not in columns:
        raise SensoriumFormatError(f"{tree.describe('meta/trials/tiers.npy')}: file is missing")
    if kind == "static":
        present = [s for s in IMAGE_ID_FILES if _TRIAL_COLUMNS.get(s, s) in columns]
        if not present:
            raise SensoriumFormatError(f"{tree.describe('meta/trials/frame_image_id.npy')}: file is missing "
                                       f"(also looked for {IMAGE_ID_FILES[1:]})")
        columns["image_id"] = columns.pop(_TRIAL_COLUMNS.get(present[0], present[0]))
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n_trials, name="trial"))
    frame["tier"] = frame["tier"].astype(str)
    return frame


def _neurons(tree: DatasetTree) -> pd.DataFrame:
    for stem in REQUIRED_NEURON_FILES:
        if not tree.exists(f"meta/neurons/{stem}.npy"):
            raise SensoriumFormatError(f"{tree.describe(f'meta/neurons/{stem}.npy')}: file is missing")
    n_neurons = len(tree.load("meta/neurons/unit_ids.npy"))
    columns = _meta_columns(tree, "meta/neurons", n_neurons, f"unit_ids has {n_neurons}", {})
    frame = pd.DataFrame(columns)
    return frame[["unit_ids", *(c for c in frame.columns if c != "unit_ids")]]


def _columns(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """A meta array as DataFrame columns: 1-D as is, (n, k) split into ``name_0 … name_{k-1}``
    (``cell_motor_coordinates`` into ``cell_motor_x/y/z``)."""
    if values.ndim == 1:
        return {name: values}
    flat = values.reshape(len(values), -1)
    names = MOTOR_COLUMNS if name == "cell_motor_coordinates" and flat.shape[1] == 3 else [
        f"{name}_{j}" for j in range(flat.shape[1])]
    return dict(zip(names, flat.T))


def _stack(tree: DatasetTree, key: str, n_trials: int) -> np.ndarray:
    arrays = tree.load_many(f"data/{key}", n_trials)
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        odd = next(i for i, a in enumerate(arrays) if a.shape != arrays[0].shape)
        raise SensoriumFormatError(f"{tree.describe(f'data/{key}/{odd}.npy')}: shape {arrays[odd].shape}, "
                                   f"but data/{key}/0.npy has {arrays[0].shape}")
    return np.stack(arrays)


def _statistics(tree: DatasetTree) -> dict:
    root = "meta/statistics"
    return {
        key: {source: {stem: tree.load(f"{root}/{key}/{source}/{stem}.npy")
                       for stem in tree.list(f"{root}/{key}/{source}") if stem in STATISTICS}
              for source in tree.folders(f"{root}/{key}")}
        for key in tree.folders(root)
    }

