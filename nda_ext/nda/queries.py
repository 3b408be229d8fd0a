"""Helpers nda users rely on: a trial's stimulus frames and a unit's oracle raster."""

from __future__ import annotations

import numpy as np

from nda_ext.compute.oracle import oracle_raster, oracle_trials


def trial_movie(nda, trial_key: dict) -> np.ndarray:
    """Stimulus frames of one trial, uint8 90 x 160 x frames, from ``Stimulus.movie[:, :, start_idx:end_idx + 1]``.

    Args:
        nda: The bound nda module (mirror or attached legacy schema).
        trial_key: session, scan_idx, trial_idx.
    """
    start, end = (nda.Trial & trial_key).fetch1("start_idx", "end_idx")
    movie = (nda.Stimulus & trial_key).fetch1("movie")
    return movie[:, :, int(start):int(end) + 1]


def unit_sample_times(nda, unit_key: dict) -> np.ndarray:
    """Sample times of one unit in s: ``ScanTimes.frame_times + ScanUnit.ms_delay / 1000``."""
    frame_times = (nda.ScanTimes & unit_key).fetch1("frame_times")
    ms_delay = (nda.ScanUnit & unit_key).fetch1("ms_delay")
    return np.asarray(frame_times, dtype=float) + float(ms_delay) / 1000.0


def fetch_oracle_raster(nda, unit_key: dict, n_repeats: int = 10) -> tuple[np.ndarray, float | None]:
    """Oracle raster (repeats x clips x frames, min-max normalised per repeat) and ``Oracle.pearson`` of a unit.

    Follows nda v8's ``fetch_oracle_raster``: oracle clips are the conditions shown exactly ``n_repeats`` times,
    each trial sampled at ``round(fps * duration)`` points between its first and last flip.
    """
    scan_key = {"session": unit_key["session"], "scan_idx": unit_key["scan_idx"]}
    hashes, starts, ends, fps, duration = (nda.Trial * nda.Clip & scan_key).to_arrays(
        "condition_hash", "start_frame_time", "end_frame_time", "fps", "duration", order_by="trial_idx")
    clips, index = oracle_trials(hashes, n_repeats)
    if not clips.size:
        raise ValueError(f"scan {scan_key}: no clip is shown exactly {n_repeats} times")
    index = index[:, np.argsort(clips)[::-1]]  # nda's scan-independent order: condition_hash descending
    n_frames = int(np.round(fps.astype(float) * duration.astype(float))[index].min())
    trace = np.asarray((nda.Activity & unit_key).fetch1("trace"), float)[None, :]
    raster = oracle_raster(trace, unit_sample_times(nda, unit_key), starts, ends, index, n_frames)[0]
    pearson = (nda.Oracle & unit_key).to_arrays("pearson")
    return raster, (float(pearson[0]) if len(pearson) else None)


def field_masks(nda, field_key: dict, mask_type: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Masks of a field as an image stack (px_height x px_width x n_masks, float32) and their mask_ids.

    Segmentation pixels are 1-based column-major (Fortran) indices, as in nda.
    """
    height, width = (nda.Field & field_key).fetch1("px_height", "px_width")
    query = nda.Segmentation * nda.MaskClassification & field_key
    if mask_type is not None:
        query &= {"mask_type": mask_type}
    mask_ids, pixels, weights = query.to_arrays("mask_id", "pixels", "weights", order_by="mask_id")
    masks = np.zeros((int(height) * int(width), len(mask_ids)), np.float32)
    for i, (pix, w) in enumerate(zip(pixels, weights)):
        masks[np.asarray(pix, int).ravel() - 1, i] = np.asarray(w, np.float32).ravel()
    return masks.reshape(int(height), int(width), -1, order="F"), np.asarray(mask_ids)
