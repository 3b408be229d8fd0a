"""Cut one nda scan into Sensorium trials: tiers, 30 Hz video trials and static-image presentations (no database).

Time base: every time is in s from scan start; the stimulus movie and the behaviour traces are sampled at
``frame_times`` (field 1), unit ``i`` at ``frame_times + delays_s[i]`` (nda's per-unit clock). Temporal resampling
uses :func:`nda_ext.compute.resample.resample` (Hamming low-pass when downsampling, then linear interpolation);
frames are resized with :func:`nda_ext.compute.resample.resize_frames` (area averaging when shrinking).

Behaviour channels (names used in the export parameters):
``pupil_dilation`` (ManualPupil.pupil_maj_r, px), ``pupil_dilation_derivative`` (its time derivative, px/s),
``running_speed`` (absolute Treadmill.treadmill_velocity, cm/s); pupil centre = (pupil_x, pupil_y), px.
NaN behaviour samples (no pupil fit) are replaced by the channel's mean over the trial (0 when all are NaN), so
NaN only ever marks the end of a video trial.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from nda_ext.compute.resample import resample, resize_frames

BEHAVIOR_CHANNELS = ("pupil_dilation", "pupil_dilation_derivative", "running_speed")
#: Depth boundaries (um below the cortical surface, motor z) between L1 | L2/3 | L4 | L5 | L6 (approximate, V1).
LAYER_BOUNDS_UM = (100.0, 350.0, 500.0, 700.0)
LAYER_NAMES = ("L1", "L2/3", "L4", "L5", "L6")


@dataclass
class ScanRecording:
    """One scan as arrays.

    Attributes:
        frame_times: (T,) s, field-1 volume times.
        traces: (N, T) unit activity; ``delays_s`` (N,) per-unit scan delay, s.
        movie: (H, W, T) stimulus sampled at ``frame_times``.
        pupil_dilation, pupil_x, pupil_y, treadmill_velocity: (T,) behaviour at ``frame_times``.
    """

    frame_times: np.ndarray
    traces: np.ndarray
    delays_s: np.ndarray
    movie: np.ndarray
    pupil_dilation: np.ndarray
    pupil_x: np.ndarray
    pupil_y: np.ndarray
    treadmill_velocity: np.ndarray
    fps: float = field(init=False)

    def __post_init__(self):
        self.fps = float(1.0 / np.median(np.diff(self.frame_times)))


@dataclass(frozen=True)
class ExportSettings:
    """Export parameters (one row of ``export.SensoriumParams``)."""

    target_fps: float = 30.0
    frame_height: int = 36
    frame_width: int = 64
    max_frames: int = 300
    trial_types: tuple = ("stimulus.Clip",)
    oracle_repeats: int = 10
    validation_fraction: float = 0.1
    static_window_s: float = 0.5
    latency_s: float = 0.1
    behavior_channels: tuple = ("pupil_dilation", "running_speed")
    seed: int = 0


def layer_of_depth(depth_um) -> np.ndarray:
    """Cortical layer name of each depth (um below the surface) from :data:`LAYER_BOUNDS_UM`."""
    return np.asarray(LAYER_NAMES)[np.searchsorted(LAYER_BOUNDS_UM, np.asarray(depth_um, float))]


def assign_tiers(condition_hashes, types, kind: str, settings: ExportSettings) -> np.ndarray:
    """Sensorium tier of each trial.

    Trials of a type not in ``settings.trial_types`` get ``"none"``. A condition shown at least
    ``oracle_repeats`` times is a repeated stimulus: tier ``"oracle"`` (video) or ``"test"`` (static). Other
    conditions go to ``"train"``; for static exports a deterministic ``validation_fraction`` of them (by a CRC32
    of condition hash and seed) to ``"validation"``.
    """
    hashes, types = np.asarray(condition_hashes).astype(str), np.asarray(types).astype(str)
    chosen = np.isin(types, list(settings.trial_types))
    _, inverse, counts = np.unique(np.where(chosen, hashes, ""), return_inverse=True, return_counts=True)
    repeated = chosen & (counts[inverse] >= settings.oracle_repeats)
    tiers = np.where(repeated, "oracle" if kind == "video" else "test", "train").astype(object)
    if kind == "static":
        draws = np.array([zlib.crc32(f"{h}/{settings.seed}".encode()) % 10_000 for h in hashes]) / 10_000
        tiers[~repeated & (draws < settings.validation_fraction)] = "validation"
    tiers[~chosen] = "none"
    return tiers.astype(str)


def resample_units(traces, frame_times, delays_s, target_times) -> np.ndarray:
    """Unit traces (N, T) on their own clocks resampled at ``target_times`` (F,) -> (N, F).

    Units scanned with the same delay share one call (a scan has a few hundred distinct ``ms_delay`` values).
    """
    traces = np.asarray(traces, np.float32)
    out = np.empty((traces.shape[0], len(target_times)), np.float32)
    delays, groups = np.unique(np.round(np.asarray(delays_s, float), 6), return_inverse=True)
    for group, delay in enumerate(delays):
        rows = groups == group
        out[rows] = resample(traces[rows], frame_times + delay, target_times, axis=-1, lowpass=True)
    return out


def _window(recording: ScanRecording, start: float, stop: float, margin_s: float) -> slice:
    """Source samples covering [start - margin, stop + margin] (keeps per-trial work small)."""
    times = recording.frame_times
    first = max(0, int(np.searchsorted(times, start - margin_s)) - 1)
    return slice(first, min(len(times), int(np.searchsorted(times, stop + margin_s)) + 2))


def _behavior(recording: ScanRecording, rows: slice, target_times, names) -> np.ndarray:
    times = recording.frame_times[rows]
    pupil = recording.pupil_dilation[rows]
    sources = {"pupil_dilation": pupil, "running_speed": np.abs(recording.treadmill_velocity[rows]),
               "pupil_dilation_derivative": np.gradient(pupil, times),
               "pupil_x": recording.pupil_x[rows], "pupil_y": recording.pupil_y[rows]}
    unknown = sorted(set(names) - set(sources))
    if unknown:
        raise ValueError(f"behavior_channels: unknown {unknown}; choose from {BEHAVIOR_CHANNELS}")
    values = resample(np.stack([sources[n] for n in names]), times, target_times, lowpass=True)
    finite = np.isfinite(values)
    sums, n = np.where(finite, values, 0).sum(-1, keepdims=True), finite.sum(-1, keepdims=True)
    means = np.divide(sums, n, out=np.zeros_like(sums), where=n > 0)
    return np.where(finite, values, means).astype(np.float32)


def video_trial(recording: ScanRecording, start: float, stop: float, settings: ExportSettings) -> dict:
    """One trial at ``target_fps`` from ``start`` (s) for ``min(stop - start, max_frames / fps)`` seconds.

    Returns:
        ``videos`` (h, w, F), ``responses`` (N, F), ``behavior`` (len(behavior_channels), F), ``pupil_center``
        (2, F), float32, F = number of target frames.
    """
    n_frames = int(min(settings.max_frames, np.floor((stop - start) * settings.target_fps) + 1))
    target = start + np.arange(n_frames) / settings.target_fps
    margin = 2.0 + float(np.max(recording.delays_s, initial=0.0))
    rows = _window(recording, target[0], target[-1], margin)
    times = recording.frame_times[rows]
    # resizing and temporal interpolation are both linear and commute: resize the few source frames first
    frames = resize_frames(np.moveaxis(recording.movie[:, :, rows], -1, 0),
                           (settings.frame_height, settings.frame_width))
    movie = resample(np.moveaxis(frames, 0, -1).astype(np.float32), times, target, lowpass=True)
    responses = resample_units(recording.traces[:, rows], times, recording.delays_s, target)
    return {"videos": movie, "responses": responses,
            "behavior": _behavior(recording, rows, target, settings.behavior_channels),
            "pupil_center": _behavior(recording, rows, target, ("pupil_x", "pupil_y"))}


def static_presentations(recording: ScanRecording, starts, stops, settings: ExportSettings,
                         points: int = 8) -> dict:
    """Cut trials into consecutive ``static_window_s`` presentations, one image and one response vector each.

    Window k of a trial starts at ``start + k * static_window_s`` (only whole windows inside the trial). The
    image is the stimulus frame nearest the window's middle; responses average the units over ``points`` samples
    in ``[t + latency_s, t + latency_s + static_window_s]``; behaviour and pupil centre average over the window.

    Returns:
        ``trial`` (M,) index of the source trial, ``window`` (M,) window number, ``start_s`` (M,), ``images``
        (M, h, w), ``responses`` (M, N), ``behavior`` (M, C), ``pupil_center`` (M, 2).
    """
    width = settings.static_window_s
    counts = np.floor((np.asarray(stops, float) - np.asarray(starts, float)) / width + 1e-9).astype(int)
    trial = np.repeat(np.arange(len(counts)), np.maximum(counts, 0))
    window = np.concatenate([np.arange(c) for c in np.maximum(counts, 0)]) if len(trial) else np.zeros(0, int)
    begin = np.asarray(starts, float)[trial] + window * width
    offsets = (np.arange(points) + 0.5) / points * width
    grid = (begin[:, None] + settings.latency_s + offsets[None, :]).ravel()
    responses = resample_units(recording.traces, recording.frame_times, recording.delays_s, np.sort(grid))
    responses = responses[:, np.argsort(np.argsort(grid))].reshape(len(recording.traces), len(begin), points)
    middle = np.clip(np.searchsorted(recording.frame_times, begin + width / 2), 0, len(recording.frame_times) - 1)
    images = resize_frames(np.moveaxis(recording.movie[:, :, middle], -1, 0),
                           (settings.frame_height, settings.frame_width))
    behaviour_grid = (begin[:, None] + offsets[None, :]).ravel()
    every = slice(0, len(recording.frame_times))
    order = np.argsort(behaviour_grid)
    names = tuple(settings.behavior_channels)
    behavior = _behavior(recording, every, behaviour_grid[order], names)[:, np.argsort(order)]
    pupil = _behavior(recording, every, behaviour_grid[order], ("pupil_x", "pupil_y"))[:, np.argsort(order)]
    mean = lambda x: x.reshape(x.shape[0], len(begin), points).mean(axis=-1).T
    return {"trial": trial, "window": window, "start_s": begin, "images": images.astype(np.float32),
            "responses": np.nanmean(responses, axis=-1).T.astype(np.float32), "behavior": mean(behavior),
            "pupil_center": mean(pupil)}
