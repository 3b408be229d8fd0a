"""Synapse download throughput: 1M synthetic rows through the mocked CAVE path and SnapshotSource.

Run: ``PYTHONPATH=. python benchmarks/bench_cave_download.py [n_rows]``. Reports rows/s of

* ``CaveSource.synapses``: real caveclient, chunked queries served by the `responses` mock
  (Arrow IPC, zstd), row-cap splitting active, in-memory progress store;
* ``SnapshotSource.synapses``: one filtered pass over ``synapses_pni_2.feather``;
* baseline: ``pandas.read_feather`` + ``isin`` of the same file (the simplest correct reader),

and the two ratios against the baseline, measured in the same process.
"""

import sys
import tempfile
import time
from pathlib import Path

import caveclient
import numpy as np
import pandas as pd
import responses

from nda_ext.sources import cave
from nda_ext.sources.cave import tables as ct
from nda_ext.sources.cave.testing import MockMaterializationServer, mock_client


def synthetic_synapses(n_rows: int, n_roots: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    roots = 864_691_135_000_000_000 + np.sort(rng.choice(10**9, n_roots, replace=False))
    frame = pd.DataFrame({"id": np.arange(n_rows, dtype=np.int64) + 10**8, "valid": True,
                          "pre_pt_root_id": rng.choice(roots, n_rows), "post_pt_root_id": rng.choice(roots, n_rows),
                          "size": rng.integers(1, 2000, n_rows)})
    for side in ("pre", "post", "ctr"):
        for axis in "xyz":
            frame[f"{side}_pt_position_{axis}"] = rng.integers(0, 10**6, n_rows).astype(np.float64)
    return frame, roots


def timed(label: str, n_rows: int, run) -> float:
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    print(f"{label:<28s} {len(result):>9d} rows  {seconds:7.2f} s  {len(result) / seconds:12,.0f} rows/s")
    return seconds


def main(n_rows: int = 1_000_000) -> None:
    table, roots = synthetic_synapses(n_rows, n_roots=2000)
    no_sleep = cave.RetryPolicy(backoff=0.0, sleep=lambda s: None)
    with tempfile.TemporaryDirectory() as folder:
        table.to_feather(Path(folder) / f"{ct.SYNAPSE_TABLE}.feather")
        snapshot = cave.SnapshotSource(folder, mat_version=1718)
        pd.read_feather(Path(folder) / f"{ct.SYNAPSE_TABLE}.feather")  # warm the page cache for all readers
        base = timed("baseline read_feather+isin", n_rows, lambda: (lambda f: f[f.pre_pt_root_id.isin(roots)
                     & f.post_pt_root_id.isin(roots)])(pd.read_feather(Path(folder) / f"{ct.SYNAPSE_TABLE}.feather")))
        snap = timed("SnapshotSource.synapses", n_rows,
                     lambda: snapshot.synapses(roots, roots, remove_autapses=False))
        caveclient.set_session_defaults(max_retries=0)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = MockMaterializationServer({ct.SYNAPSE_TABLE: table}, row_cap=200_000)
            source = cave.CaveSource(client=mock_client(server))
            server.register(mock)
            live = timed("CaveSource.synapses (mock)", n_rows,
                         lambda: source.synapses(roots, roots, chunk_size=1000, remove_autapses=False, retry=no_sleep))
            capped = sum("Limited query" in c.response.headers.get("Warning", "") for c in mock.calls)
            print(f"queries: {len(server.query_bodies)} ({capped} capped and split)")
        caveclient.set_session_defaults()
    print(f"ratio vs baseline: snapshot {base / snap:.2f}x, mocked CAVE {base / live:.2f}x (>1 = faster)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
