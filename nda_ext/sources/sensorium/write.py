"""Write Sensorium dataset folders (2022 static images, 2023 videos) from arrays.

The folder layout is the one read by ``neuralpredictors`` (``FileTreeDataset``, ``MovieFileTreeDataset``) and the
Sensorium loaders::

    <root>/data/<key>/<i>.npy                 one file per trial i = 0..n_trials-1
    <root>/meta/neurons/<name>.npy            one value (or row) per neuron
    <root>/meta/trials/<name>.npy             one value per trial, indexed like the data files
    <root>/meta/statistics/<key>/<source>/<stat>.npy   source in ("all", "stimulus_frame"),
                                                       stat in ("mean", "std", "min", "max", "median")

Per-trial shapes: static ``images`` (1, H, W), ``responses`` (N,), ``behavior`` (3,), ``pupil_center`` (2,);
video ``videos`` (H, W, T), ``responses`` (N, T), ``behavior`` (2, T), ``pupil_center`` (2, T), time last.
Everything numeric is stored as float32 (``neuralpredictors.ToTensor`` casts to float32 anyway).

Statistics: computed (NaN-aware) over the trials whose tier is in ``statistics_tiers`` (default the training
tier, so test data never leaks into the normalisation) and written identically under ``all`` and
``stimulus_frame``. Stimulus statistics (images, videos) are scalars over all pixels and frames; responses,
behavior and pupil_center statistics are per channel, shape (C,) for static datasets and (C, 1) for video
datasets so that ``NeuroNormalizer`` broadcasts them over time as one value per neuron. (The official 2023
release normalised per video frame by an export bug; this writer does not reproduce that bug.)

Temporal resampling to 30 Hz and spatial resizing are the caller's job
(``nda_ext.compute.resample.resample``); this module only validates, lays out and writes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from nda_ext.sources.sensorium.tree import (
    MOTOR_COLUMNS,
    REQUIRED_NEURON_COLUMNS,
    STATIC_TIERS,
    STATISTICS,
    STATISTICS_SOURCES,
    TRIAL_FILE_NAMES,
    VIDEO_TIERS,
)


def write_video_dataset(
    path,
    videos,
    responses,
    behavior,
    pupil_center,
    neurons: pd.DataFrame,
    trials: pd.DataFrame,
    *,
    statistics_tiers: Sequence[str] = ("train",),
    overwrite: bool = False,
) -> Path:
    """Write a Sensorium 2023 video dataset folder.

    Trials of different length are NaN-padded at the end to the longest trial, as in the official release
    (the first NaN along time marks the end of a trial; ``CutVideos(max_frame=None)`` cuts there).

    Args:
        path: Folder to create, e.g. ``.../dynamic17797-4-7-Video-<hash>``. Written atomically: the tree is
            built in a temporary sibling folder and renamed into place, so a failure leaves nothing behind.
        videos: (n_trials, H, W, T) array or a list of (H, W, T) arrays, greyscale, 30 Hz, time last.
        responses: (n_trials, N, T) array or a list of (N, T) arrays, neuron order as in ``neurons``.
        behavior: (n_trials, 2, T) or list of (2, T): pupil dilation, running speed.
        pupil_center: (n_trials, 2, T) or list of (2, T): horizontal, vertical eye position.
        neurons: one row per neuron; ``unit_ids`` required, plus ``cell_motor_coordinates`` (sequences of 3,
            µm) or the columns ``cell_motor_x, cell_motor_y, cell_motor_z``; other columns (``area``,
            ``layer``, ``animal_ids``, ``sessions``, ``scan_idx``) are written as they are.
        trials: one row per trial in file order; ``tier`` (or ``tiers``) in ``VIDEO_TIERS`` and ``trial_idx``
            required; other columns (``condition_hashes``, ``types``, ...) are written as they are.
        statistics_tiers: tiers whose trials the statistics are computed from.
        overwrite: replace an existing folder at ``path``.

    Returns:
        The path of the written folder.

    Raises:
        ValueError: naming the argument, trial or column that does not fit the layout.
    """
    n_neurons = len(neurons)
    data = {
        "videos": _per_trial(videos, "videos", ndim=3),
        "responses": _per_trial(responses, "responses", ndim=2, channels=n_neurons),
        "behavior": _per_trial(behavior, "behavior", ndim=2, channels=2),
        "pupil_center": _per_trial(pupil_center, "pupil_center", ndim=2, channels=2),
    }
    _check_frame_counts(data)
    data = {key: _pad_time(arrays) for key, arrays in data.items()}
    return _write(path, data, "videos", neurons, trials, VIDEO_TIERS, (), statistics_tiers, overwrite)


def write_static_dataset(
    path,
    images,
    responses,
    behavior,
    pupil_center,
    neurons: pd.DataFrame,
    trials: pd.DataFrame,
    *,
    statistics_tiers: Sequence[str] = ("train",),
    overwrite: bool = False,
) -> Path:
    """Write a Sensorium 2022 static-image dataset folder.

    Args:
        path: Folder to create, e.g. ``.../static17797-4-7-GrayImageNet-<hash>``; written atomically.
        images: (n_trials, H, W) or (n_trials, 1, H, W) greyscale images (stored channel first).
        responses: (n_trials, N) responses, neuron order as in ``neurons``.
        behavior: (n_trials, 3): pupil dilation, its derivative, running speed.
        pupil_center: (n_trials, 2): horizontal, vertical eye position.
        neurons: as for :func:`write_video_dataset`.
        trials: one row per trial in file order; ``tier`` (or ``tiers``) in ``STATIC_TIERS``, ``trial_idx``
            and ``image_id`` (or ``frame_image_id``) required; other columns (``frame_image_class``,
            ``frame_trial_ts``, ...) are written as they are.
        statistics_tiers: tiers whose trials the statistics are computed from.
        overwrite: replace an existing folder at ``path``.

    Returns:
        The path of the written folder.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images: expected (n_trials, H, W) or (n_trials, 1, H, W), got {images.shape}")
    data = {
        "images": _per_trial(images, "images", ndim=3),
        "responses": _per_trial(responses, "responses", ndim=1, channels=len(neurons)),
        "behavior": _per_trial(behavior, "behavior", ndim=1, channels=3),
        "pupil_center": _per_trial(pupil_center, "pupil_center", ndim=1, channels=2),
    }
    return _write(path, data, "images", neurons, trials, STATIC_TIERS, ("image_id",), statistics_tiers, overwrite)


def zip_dataset(path, zip_path=None) -> Path:
    """Zip a dataset folder the way the Sensorium releases are shipped (members under the folder's name).

    Args:
        path: dataset folder.
        zip_path: archive to write; default ``<path>.zip``.

    Returns:
        The archive path.
    """
    path = Path(path)
    zip_path = Path(zip_path) if zip_path is not None else path.with_name(path.name + ".zip")
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path.parent).as_posix())
    return zip_path


def dataset_statistics(arrays: Sequence[np.ndarray], stimulus: bool) -> dict[str, np.ndarray]:
    """Min, max, mean, median and std (ddof 0) of per-trial arrays, NaN-aware.

    Args:
        arrays: per-trial arrays, channels first and (for videos) time last.
        stimulus: True for images/videos (scalar statistics over every value), False for per-channel data
            (statistics over trials and time; 2-D per-trial arrays keep a trailing singleton time axis).

    Returns:
        Dict ``stat -> float32 array``.
    """
    if stimulus:
        values = np.concatenate([np.ravel(a) for a in arrays])
        axis, keepdims = None, False
    else:
        values = np.stack(arrays) if arrays[0].ndim == 1 else np.concatenate(arrays, axis=-1)
        axis, keepdims = (0 if arrays[0].ndim == 1 else -1), arrays[0].ndim > 1
    reducers = {"mean": np.nanmean, "std": np.nanstd, "min": np.nanmin, "max": np.nanmax, "median": np.nanmedian}
    return {
        name: np.asarray(reducers[name](values, axis=axis, keepdims=keepdims), dtype=np.float32)
        for name in STATISTICS
    }


def _per_trial(values, name: str, ndim: int, channels: int | None = None) -> list[np.ndarray]:
    """Split an array (trials first) or a list into float32 per-trial arrays and check their shapes."""
    arrays = [np.asarray(v, dtype=np.float32) for v in values]
    for i, a in enumerate(arrays):
        if a.ndim != ndim or (channels is not None and a.shape[0] != channels):
            expected = f"{ndim}-D" + (f" with {channels} rows" if channels is not None else "")
            raise ValueError(f"{name}[{i}]: expected a {expected} array per trial, got shape {a.shape}")
    return arrays


def _check_frame_counts(data: Mapping[str, list[np.ndarray]]) -> None:
    frames = {key: np.array([a.shape[-1] for a in arrays]) for key, arrays in data.items()}
    reference = frames["videos"]
    for key, counts in frames.items():
        if len(counts) != len(reference):
            raise ValueError(f"{key}: {len(counts)} trials, but videos has {len(reference)}")
        bad = np.flatnonzero(counts != reference)
        if bad.size:
            i = bad[0]
            raise ValueError(f"{key}[{i}]: {counts[i]} frames, but videos[{i}] has {reference[i]}")


def _pad_time(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """NaN-pad per-trial arrays along the last (time) axis to the longest trial."""
    n_frames = max(a.shape[-1] for a in arrays)
    pad = lambda a: np.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, n_frames - a.shape[-1])], constant_values=np.nan)
    return [a if a.shape[-1] == n_frames else pad(a) for a in arrays]


def _write(path, data, stimulus_key, neurons, trials, tiers, required_trial_columns, statistics_tiers, overwrite):
    n_trials = {key: len(arrays) for key, arrays in data.items()}
    if len(set(n_trials.values())) != 1:
        raise ValueError(f"inconsistent trial counts across data keys: {n_trials}")
    trial_meta = _trial_meta(trials, n_trials[stimulus_key], tiers, required_trial_columns)
    neuron_meta = _neuron_meta(neurons)
    selected = np.isin(trial_meta["tiers"], list(statistics_tiers))
    if not selected.any():
        raise ValueError(f"statistics_tiers={tuple(statistics_tiers)}: no trial has one of these tiers")
    statistics = {
        key: dataset_statistics([a for a, keep in zip(arrays, selected) if keep], stimulus=key == stimulus_key)
        for key, arrays in data.items()
    }
    return _atomic_tree(path, overwrite, data, neuron_meta, trial_meta, statistics)


def _trial_meta(trials: pd.DataFrame, n_trials: int, tiers, required) -> dict[str, np.ndarray]:
    meta = {TRIAL_FILE_NAMES.get(c, c): _column_array(trials[c], f"trials.{c}") for c in trials.columns}
    for column in ("tier", "trial_idx", *required):
        if TRIAL_FILE_NAMES.get(column, column) not in meta:
            raise ValueError(f"trials: missing column {column!r} (have {list(trials.columns)})")
    if len(trials) != n_trials:
        raise ValueError(f"trials: {len(trials)} rows, but the data have {n_trials} trials")
    unknown = sorted(set(meta["tiers"]) - set(tiers))
    if unknown:
        raise ValueError(f"trials.tier: unknown tiers {unknown}; expected values in {tiers}")
    return meta


def _neuron_meta(neurons: pd.DataFrame) -> dict[str, np.ndarray]:
    columns = [c for c in neurons.columns if c not in MOTOR_COLUMNS]
    meta = {c: _column_array(neurons[c], f"neurons.{c}") for c in columns}
    if set(MOTOR_COLUMNS) <= set(neurons.columns):
        meta["cell_motor_coordinates"] = neurons[list(MOTOR_COLUMNS)].to_numpy(dtype=np.float32)
    missing = [c for c in (*REQUIRED_NEURON_COLUMNS, "cell_motor_coordinates") if c not in meta]
    if missing:
        raise ValueError(f"neurons: missing columns {missing} (cell_motor_coordinates may be given as {MOTOR_COLUMNS})")
    if meta["cell_motor_coordinates"].shape != (len(neurons), 3):
        raise ValueError(f"neurons.cell_motor_coordinates: expected ({len(neurons)}, 3), got "
                         f"{meta['cell_motor_coordinates'].shape}")
    return meta


def _column_array(column: pd.Series, name: str) -> np.ndarray:
    """A DataFrame column as an array ``np.load`` reads without pickle (strings -> unicode, sequences -> 2-D)."""
    values = column.to_numpy()
    if values.dtype != object:
        return values
    first = values[0] if len(values) else ""
    if isinstance(first, (str, bytes)):
        return values.astype(str)
    if np.ndim(first) == 1:
        return np.stack(values).astype(np.float32)
    raise ValueError(f"{name}: cannot store values of type {type(first).__name__} (need numbers, strings or sequences)")


def _atomic_tree(path, overwrite, data, neuron_meta, trial_meta, statistics) -> Path:
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for key, arrays in data.items():
            folder = staging / "data" / key
            folder.mkdir(parents=True)
            for i, array in enumerate(arrays):
                np.save(folder / f"{i}.npy", array)
        _save_all(staging / "meta" / "neurons", neuron_meta)
        _save_all(staging / "meta" / "trials", trial_meta)
        for key, stats in statistics.items():
            for source in STATISTICS_SOURCES:
                _save_all(staging / "meta" / "statistics" / key / source, stats)
        _replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path


def _save_all(folder: Path, arrays: Mapping[str, np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array, allow_pickle=False)


def _replace(staging: Path, path: Path) -> None:
    """Rename ``staging`` to ``path``; an existing ``path`` is moved aside first and removed afterwards."""
    if not path.exists():
        os.rename(staging, path)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
    os.rename(path, old / path.name)
    os.rename(staging, path)
    shutil.rmtree(old)
