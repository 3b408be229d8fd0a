"""Whole-scan tuning and oracle compute at MICrONS size, next to the database fetch of the same traces.

    python benchmarks/bench_scan_tuning.py --units 8000 --frames 40000

Answers "is populating one scan dominated by the database or by the fit?": times ``direction_tuning`` (vector
selectivity, batched bi-von Mises fit, optional permutations) and ``oracle_scores`` on synthetic arrays of the
real shapes, and the fetch rate of Activity blobs from the embedded database measured on a slice of the scan.
"""

import argparse
import os
import tempfile
import time

import numpy as np

from nda_ext.compute.scan_arrays import ClipTrials, Monet2Trials, ScanTraces
from nda_ext.compute.scan_tuning import direction_tuning, oracle_scores


def synthetic_scan(n_units: int, n_frames: int, fps: float = 6.3, seed: int = 0):
    rng = np.random.default_rng(seed)
    frame_times = np.arange(n_frames) / fps
    traces = ScanTraces(unit_ids=np.arange(1, n_units + 1), traces=rng.gamma(1.0, 1.0, (n_units, n_frames)).astype(
        np.float32), frame_times=frame_times, delays_s=rng.uniform(0, 0.15, n_units), fps=fps)
    n_monet = 30
    starts = np.sort(rng.choice(np.arange(10, frame_times[-1] - 20, 16.0), n_monet, replace=False))
    monet = Monet2Trials(start_s=starts, onsets_s=np.tile(np.arange(16) * 15 / 16, (n_monet, 1)),
                         directions_deg=np.stack([rng.permutation(16) * 22.5 for _ in range(n_monet)]),
                         duration_s=np.full(n_monet, 15.0), n_dirs=np.full(n_monet, 16.0),
                         ori_fraction=np.ones(n_monet))
    clip_hashes = np.array([f"clip{c}" for _ in range(10) for c in range(6)])
    clip_starts = np.arange(60) * 11.0 + 5.0
    clips = ClipTrials(condition_hashes=clip_hashes, start_s=clip_starts, duration_s=np.full(60, 10.0))
    return traces, monet, clips


def fetch_rate(n_units: int, n_frames: int) -> float:
    """MB/s of fetching Activity-like blobs through DataJoint from the embedded database."""
    os.environ["NDA_EXT_HOME"] = tempfile.mkdtemp(prefix="nda_ext_bench_")
    os.environ.pop("DJ_HOST", None)
    import nda_ext
    from nda_ext import db
    from nda_ext.dj.insert import bulk_insert

    schemas = nda_ext.activate(prefix="benchfetch_")
    nda = schemas["nda"]
    rows = [{"session": 1, "scan_idx": 1, "unit_id": u, "trace": np.random.rand(n_frames).astype(np.float32)}
            for u in range(n_units)]
    from nda_ext.sources.mirror import insert_tables

    scan_rows = {"Scan": [{"session": 1, "scan_idx": 1, "nframes": n_frames, "nfields": 1, "fps": 6.3}],
                 "Field": [{"session": 1, "scan_idx": 1, "field": 1, "px_width": 1, "px_height": 1, "um_width": 1,
                            "um_height": 1, "field_x": 0, "field_y": 0, "field_z": 0}],
                 "Segmentation": [{"session": 1, "scan_idx": 1, "field": 1, "mask_id": u, "pixels": np.ones(1),
                                   "weights": np.ones(1)} for u in range(n_units)],
                 "Fluorescence": [{"session": 1, "scan_idx": 1, "field": 1, "mask_id": u,
                                   "trace": np.zeros(n_frames, np.float32)} for u in range(n_units)],
                 "ScanUnit": [{"session": 1, "scan_idx": 1, "unit_id": u, "field": 1, "mask_id": u, "um_x": 0,
                               "um_y": 0, "um_z": 0, "px_x": 0, "px_y": 0, "ms_delay": 0} for u in range(n_units)]}
    insert_tables(nda, scan_rows, progress=False)
    bulk_insert(nda.Activity(), rows)
    started = time.perf_counter()
    traces = (nda.Activity & {"session": 1}).to_arrays("trace")
    seconds = time.perf_counter() - started
    for module in reversed(list(schemas.values())):
        module.schema.drop(prompt=False)
    db.stop_embedded()
    return sum(t.nbytes for t in traces) / 1e6 / seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=8000)
    parser.add_argument("--frames", type=int, default=40000)
    parser.add_argument("--permutations", type=int, default=1000)
    args = parser.parse_args()
    traces, monet, clips = synthetic_scan(args.units, args.frames)
    method = {"direction_method": "bench", "latency_s": 0.1, "precision_deg": 1.0,
              "n_permutations": args.permutations, "min_directions": 5, "seed": 0}
    started = time.perf_counter()
    direction_tuning(traces, monet, method)
    tuning_s = time.perf_counter() - started
    started = time.perf_counter()
    oracle_scores(traces, clips)
    oracle_s = time.perf_counter() - started
    mbytes = traces.traces.nbytes / 1e6
    rate = fetch_rate(500, args.frames)
    print(f"{args.units} units x {args.frames} frames ({mbytes:.0f} MB of traces)")
    print(f"direction_tuning ({args.permutations} permutations): {tuning_s:.1f} s; oracle_scores: {oracle_s:.1f} s")
    print(f"Activity fetch from the embedded database: {rate:.0f} MB/s -> {mbytes / rate:.1f} s for this scan")


if __name__ == "__main__":
    main()
