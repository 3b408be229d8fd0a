"""Trial schedule of a demo scan: counts, order, display timing and ``Trial`` rows.

Timing model: the stimulus clock equals the behaviour clock (both s from scan start). The display refreshes at
``DemoConfig.condition_fps`` on a grid ``k / condition_fps`` and every trial starts on that grid, one condition
frame per flip. The screen is black until ``LOADING_ONSET_S``, grey (128) until the first trial, holds each
trial's last frame through the inter-trial gap and is black after the last trial.

Order: 10 oracle blocks (the 6 oracle clips, the first-shown clip always first in its block, the other 5
shuffled) interleaved with 11 groups of the shuffled once-shown trials (Monet2, Trippy, non-repeated clips), so the
nda oracle recipe (hashes shown exactly ``oracle_repeats`` times; 6 consecutive trials from each showing of the
first oracle hash) finds exactly the oracle clips.
"""

import dataclasses

import numpy as np

LOADING_ONSET_S = 1.0
LEAD_IN_S = 3.0
TAIL_S = 2.0
GAP_RANGE_S = (0.15, 0.35)
BLACK, GREY = -1, -2


def trial_frames(cfg):
    """Display frames per trial for each condition table."""
    return {
        "Clip": int(round(cfg.clip_duration_s * cfg.condition_fps)),
        "Monet2": int(round(cfg.monet2_duration_s * cfg.condition_fps)),
        "Trippy": int(round(cfg.trippy_duration_s * cfg.condition_fps)),
    }


def plan_counts(cfg):
    """Number of Monet2, Trippy and non-repeated Clip trials per scan that fit ``cfg.duration_s``.

    Returns:
        dict with keys ``Monet2``, ``Trippy``, ``Clip`` (non-repeated clips; the oracle clips come on top).

    Raises:
        ValueError: if ``duration_s`` is too short for the oracle blocks and the minimum Monet2 trials.
    """
    frames = trial_frames(cfg)
    max_gap = int(np.ceil(GAP_RANGE_S[1] * cfg.condition_fps))
    cost = {table: n + max_gap for table, n in frames.items()}
    available = int(np.floor((cfg.duration_s - LEAD_IN_S - TAIL_S) * cfg.condition_fps))
    n_monet2 = max(cfg.monet2_min_trials, int(round(cfg.monet2_fraction * available / cost["Monet2"])))
    n_trippy = max(1, int(round(cfg.trippy_fraction * available / cost["Trippy"]))) if cfg.trippy_fraction else 0
    left = (available - cfg.n_oracle_clips * cfg.oracle_repeats * cost["Clip"]
            - n_monet2 * cost["Monet2"] - n_trippy * cost["Trippy"])
    if left < 0:
        need = cfg.duration_s - left / cfg.condition_fps
        raise ValueError(f"DemoConfig.duration_s={cfg.duration_s} s is too short for the oracle blocks, "
                         f"{n_monet2} Monet2 and {n_trippy} Trippy trials; need at least {need:.0f} s")
    return {"Monet2": n_monet2, "Trippy": n_trippy, "Clip": left // cost["Clip"]}


def trial_order(rng, oracle_hashes, once_shown, repeats):
    """Order of (table, condition_hash) pairs for one scan (see module docstring).

    Args:
        rng: numpy Generator.
        oracle_hashes: condition hashes of the oracle clips; the first is shown first in every block.
        once_shown: (table, condition_hash) pairs shown once each.
        repeats: number of oracle blocks.
    """
    once = [once_shown[i] for i in rng.permutation(len(once_shown))]
    groups = np.array_split(np.arange(len(once)), repeats + 1)
    order = [once[i] for i in groups[0]]
    for group in groups[1:]:
        rest = [oracle_hashes[1 + i] for i in rng.permutation(len(oracle_hashes) - 1)]
        order += [("Clip", h) for h in [oracle_hashes[0], *rest]]
        order += [once[i] for i in group]
    return order


@dataclasses.dataclass(frozen=True)
class DisplayPlan:
    """What the screen showed at each display flip ``k`` (time ``k / fps``, s).

    Attributes:
        fps: display rate, Hz.
        trial: trial index shown at each flip, or BLACK (-1) / GREY (-2).
        frame: frame index within that trial's condition movie (0 for black/grey).
        starts: first flip of each trial.
        lengths: condition frames of each trial.
    """

    fps: float
    trial: np.ndarray
    frame: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray


def display_plan(rng, lengths, cfg):
    """Lay trials of ``lengths`` condition frames out on the display grid with random inter-trial gaps."""
    fps = cfg.condition_fps
    lengths = np.asarray(lengths, dtype=np.int64)
    gaps = np.round(rng.uniform(*GAP_RANGE_S, lengths.size) * fps).astype(np.int64)
    starts = int(round(LEAD_IN_S * fps)) + np.concatenate([[0], np.cumsum(lengths + gaps)[:-1]])
    n_flips = int(np.ceil(cfg.duration_s * fps)) + 1
    if starts[-1] + lengths[-1] > n_flips - int(TAIL_S * fps):
        raise ValueError(f"trials do not fit DemoConfig.duration_s={cfg.duration_s} s")
    trial = np.full(n_flips, BLACK, dtype=np.int64)
    trial[int(round(LOADING_ONSET_S * fps)):starts[0]] = GREY
    frame = np.zeros(n_flips, dtype=np.int64)
    ends = np.append(starts[1:], starts[-1] + lengths[-1])
    for i, (start, end, length) in enumerate(zip(starts, ends, lengths)):
        trial[start:end] = i
        frame[start:end] = np.minimum(np.arange(end - start), length - 1)
    return DisplayPlan(fps=float(fps), trial=trial, frame=frame, starts=starts, lengths=lengths)


def trial_rows(scan_key, order, plan, frame_times):
    """``Trial`` rows of one scan.

    Args:
        scan_key: dict with session and scan_idx.
        order: (table, condition_hash) per trial.
        plan: the scan's DisplayPlan.
        frame_times: scan frame times, s.

    Returns:
        list of dicts with the v8 Trial attributes; start_idx is the scan frame nearest the first flip,
        end_idx the next trial's start_idx - 1 (last trial: start_idx + median start_idx step - 1).
    """
    stim_times = [(start + np.arange(n)) / plan.fps for start, n in zip(plan.starts, plan.lengths)]
    firsts = np.array([t[0] for t in stim_times])
    right = np.clip(np.searchsorted(frame_times, firsts), 1, frame_times.size - 1)
    nearer_left = firsts - frame_times[right - 1] < frame_times[right] - firsts
    start_idx = right - nearer_left
    step = int(np.median(np.diff(start_idx))) if start_idx.size > 1 else 1
    end_idx = np.append(start_idx[1:], min(start_idx[-1] + step, frame_times.size)) - 1
    return [
        dict(scan_key, trial_idx=i, type=f"stimulus.{table}", start_idx=int(start_idx[i]), end_idx=int(end_idx[i]),
             start_frame_time=float(times[0]), end_frame_time=float(times[-1]), stim_times=times,
             condition_hash=condition)
        for i, ((table, condition), times) in enumerate(zip(order, stim_times))
    ]


def frame_directions(trials, monet2_rows, frame_times):
    """Monet2 motion direction (our convention, degrees) at each scan frame; NaN outside Monet2 segments.

    A frame belongs to segment j of a Monet2 trial when ``start_frame_time + onsets[j] <= t < start_frame_time +
    onsets[j] + duration / n_dirs * ori_fraction`` (metrics recipe, no latency).
    """
    labels = np.full(frame_times.size, np.nan)
    for trial in trials:
        if trial["type"] != "stimulus.Monet2":
            continue
        cond = monet2_rows[trial["condition_hash"]]
        length = cond["duration"] / cond["n_dirs"] * cond["ori_fraction"]
        onsets = trial["start_frame_time"] + cond["onsets"]
        segment = np.searchsorted(onsets, frame_times, side="right") - 1
        inside = (segment >= 0) & (frame_times < onsets[np.maximum(segment, 0)] + length)
        labels[inside] = (90.0 - cond["directions"][segment[inside]]) % 360.0
    return labels
