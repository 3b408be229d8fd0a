"""One scan of the nda tables (mirror or attached legacy schema) as the twin's ``ScanData``.

Everything is on the scan's frame clock (``Scan.fps``): ``Stimulus.movie`` is the frame on screen at each scan
frame, ``ManualPupil`` / ``Treadmill`` are resampled to the scan frames, ``Activity`` traces are per unit.
The oracle clips (conditions shown exactly ``n_repeats`` times, the test set of ``twin.Performance``) are held
out of the training loss through ``ScanData.train_mask``.
"""

from __future__ import annotations

import numpy as np

from nda_ext.compute.oracle import oracle_trials
from nda_ext.compute.scan_arrays import ScanTraces
from nda_ext.compute.unit_keys import scan_key
from nda_ext.model.data import ScanData
from nda_ext.nda.scan_data import fetch_scan_traces


def _vector(value, n_frames: int, name: str) -> np.ndarray:
    x = np.asarray(value, dtype=np.float32).ravel()
    if x.size != n_frames:
        raise ValueError(f"{name} has {x.size} samples, expected Scan.nframes={n_frames}")
    return x


def fetch_behaviour(nda, key: dict, n_frames: int) -> np.ndarray | None:
    """Behaviour (T, 4) on the scan clock: pupil centre x, y (px), pupil radius (``pupil_maj_r``, px) and
    treadmill speed (``|treadmill_velocity|``, cm/s); NaN columns where a table has no row, None when neither has.
    """
    scan = scan_key(key)
    pupil = nda.ManualPupil & scan
    tread = nda.Treadmill & scan
    if not pupil and not tread:
        return None
    columns = np.full((n_frames, 4), np.nan, np.float32)
    if pupil:
        x, y, radius = pupil.fetch1("pupil_x", "pupil_y", "pupil_maj_r")
        for j, (name, value) in enumerate((("ManualPupil.pupil_x", x), ("ManualPupil.pupil_y", y),
                                           ("ManualPupil.pupil_maj_r", radius))):
            columns[:, j] = _vector(value, n_frames, name)
    if tread:
        columns[:, 3] = np.abs(_vector(tread.fetch1("treadmill_velocity"), n_frames, "Treadmill.treadmill_velocity"))
    return columns


def oracle_frame_mask(nda, key: dict, n_frames: int, fps: float, n_repeats: int = 10,
                      margin_s: float = 1.0) -> np.ndarray:
    """(T,) bool, True for scan frames outside every oracle trial (``Trial.start_idx`` .. ``end_idx`` plus
    ``margin_s`` for the response to decay); all True when the scan has no oracle clips."""
    hashes, start, end = (nda.Trial * nda.Clip & scan_key(key)).to_arrays(
        "condition_hash", "start_idx", "end_idx", order_by="trial_idx")
    mask = np.ones(n_frames, bool)
    if not len(hashes):
        return mask
    _, index = oracle_trials(np.asarray(hashes).astype(str), n_repeats)
    margin = int(np.ceil(margin_s * fps))
    frames = np.arange(n_frames)
    for first, last in zip(np.asarray(start)[index.ravel()], np.asarray(end)[index.ravel()]):
        mask[(frames >= first) & (frames <= last + margin)] = False
    return mask


def fetch_scan_data(nda, key: dict, unit_ids=None, *, hold_out_oracle: bool = True,
                    traces: ScanTraces | None = None) -> ScanData:
    """Stimulus, behaviour and activity of one scan as ``ScanData``.

    Args:
        nda: the bound nda module.
        key: mapping with ``session`` and ``scan_idx``.
        unit_ids: units in readout order (response column j = readout_id j); default all units by unit_id.
        hold_out_oracle: exclude the oracle trials from ``train_mask``.
        traces: the scan's ``fetch_scan_traces`` result when the caller has it already.

    Raises:
        ValueError: naming the unit ids without Activity, or a table whose length disagrees with Scan.nframes.
    """
    scan = scan_key(key)
    traces = fetch_scan_traces(nda, scan) if traces is None else traces
    n_frames = traces.traces.shape[1]
    movie = np.asarray((nda.Stimulus & scan).fetch1("movie"))
    if movie.ndim != 3 or movie.shape[-1] != n_frames:
        raise ValueError(f"scan {scan}: Stimulus.movie must be H x W x nframes={n_frames}, got {movie.shape}")
    columns = np.arange(len(traces.unit_ids))
    if unit_ids is not None:
        unit_ids = np.asarray(unit_ids, dtype=np.int64)
        position = {int(u): i for i, u in enumerate(traces.unit_ids)}
        missing = [int(u) for u in unit_ids if int(u) not in position]
        if missing:
            raise ValueError(f"scan {scan}: unit_id {missing[:5]} ({len(missing)} in all) have no Activity trace")
        columns = np.array([position[int(u)] for u in unit_ids], dtype=np.int64)
    mask = oracle_frame_mask(nda, scan, n_frames, traces.fps) if hold_out_oracle else None
    return ScanData(session=scan["session"], scan_idx=scan["scan_idx"],
                    frames=np.ascontiguousarray(np.moveaxis(movie, -1, 0).astype(np.uint8, copy=False)),
                    behaviour=fetch_behaviour(nda, scan, n_frames), responses=traces.traces[columns].T,
                    unit_ids=traces.unit_ids[columns], fps=traces.fps, train_mask=mask)
