"""Import of 1M synapse rows into ``em.Connectivity`` (edges + per-synapse rows): fast path vs plain insert.

Run: ``PYTHONPATH=. python benchmarks/bench_em_import.py [n_rows] [mysql://user:pw@host:port]`` (default: the
embedded PostgreSQL under a temporary NDA_EXT_HOME). Reports rows/s (synapse rows) of

* ``Connectivity.populate`` from a snapshot folder (one filtered file pass);
* ``Connectivity.populate`` from the mocked CAVE server (real caveclient, chunked queries, chunks kept in
  ``em.SynapseChunk``);
* inserting the same per-synapse rows into ``Connectivity.Synapse`` with :func:`nda_ext.dj.bulk.fast_insert`
  (COPY on PostgreSQL, executemany on MySQL) and with DataJoint's ``insert(chunk_size=10_000)``, each in one
  transaction, and their ratio, measured in the same process.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import caveclient
import numpy as np
import pandas as pd
import responses

from nda_ext.sources.cave import tables as ct

VERSION_SNAPSHOT, VERSION_MOCK = 1718, 1719


def write_tables(folder: Path, n_rows: int, n_cells: int, seed: int = 0) -> None:
    """A minimal snapshot: ``n_cells`` single-soma nuclei and ``n_rows`` synapses among them."""
    rng = np.random.default_rng(seed)
    roots = 864_691_135_000_000_000 + np.sort(rng.choice(10**9, n_cells, replace=False))
    nuclei = pd.DataFrame({"id": np.arange(100_000, 100_000 + n_cells), "valid": True, "volume": 250.0,
                           "pt_supervoxel_id": np.arange(n_cells) + 88 * 10**15, "pt_root_id": roots,
                           "pt_position_x": rng.uniform(1e5, 3e5, n_cells),
                           "pt_position_y": rng.uniform(1e5, 3e5, n_cells),
                           "pt_position_z": rng.uniform(1.5e4, 2.5e4, n_cells)})
    pre, post = rng.choice(roots, n_rows), rng.choice(roots, n_rows)
    post = np.where(pre == post, roots[(np.searchsorted(roots, post) + 1) % n_cells], post)
    synapses = pd.DataFrame({"id": np.arange(n_rows, dtype=np.int64) + 10**8, "valid": True, "pre_pt_root_id": pre,
                             "post_pt_root_id": post, "size": rng.integers(1, 2000, n_rows)})
    for axis in "xyz":
        synapses[f"ctr_pt_position_{axis}"] = rng.integers(0, 10**6, n_rows).astype(np.float64)
    tables = {ct.NUCLEUS_TABLE: nuclei, ct.SYNAPSE_TABLE: synapses}
    for name, frame in tables.items():
        frame.to_feather(folder / f"{name}.feather")
    (folder / "manifest.json").write_text(json.dumps({
        "datastack": "minnie65_public", "mat_version": VERSION_SNAPSHOT, "timestamp": "2026-03-07T08:10:01+00:00",
        "client_version": "benchmark", "voxel_resolution": list(ct.VOXEL_RESOLUTION),
        "tables": {n: {"file": f"{n}.feather", "rows": len(f), "reference_table": None} for n, f in tables.items()}}))


def import_synapses(em, version: int, source, chunk_size: int) -> tuple[float, int]:
    """Register ``version``, import its nuclei, then time Connectivity.populate of all cells with synapses kept."""
    from nda_ext.sources.cave.materialization import materialization_row

    em.Materialization.insert1(materialization_row(source))
    em.Nucleus.populate({"mat_version": version})
    ids = (em.Nucleus.Cell & {"mat_version": version}).to_arrays("nucleus_id")
    key = {"mat_version": version, "cell_set": "all"}
    em.CellSet.insert1(dict(key, pre_nucleus_ids=ids, post_nucleus_ids=ids, chunk_size=chunk_size, keep_synapses=True))
    start = time.perf_counter()
    em.Connectivity.populate(key, suppress_errors=False, display_progress=False)
    return time.perf_counter() - start, len(em.Connectivity.Synapse & key)


def insert_only(em, connection, key: dict) -> dict:
    """Re-insert the stored synapse rows of ``key`` with the fast path and with DataJoint's insert."""
    from nda_ext.dj.bulk import fast_insert

    part = em.Connectivity.Synapse
    names = part.heading.names
    rows = pd.DataFrame(dict(zip(names, (part & key).to_arrays(*names))))
    timings = {}
    for label, run in (("fast_insert", lambda: fast_insert(part(), rows)),
                       ("dj insert(chunk_size=10000)",
                        lambda: part().insert(rows.to_dict("records"), chunk_size=10_000, allow_direct_insert=True))):
        (part & key).delete_quick()
        start = time.perf_counter()
        with connection.transaction:
            run()
        timings[label] = time.perf_counter() - start
    return {"rows": len(rows), **timings}


def main(n_rows: int = 1_000_000, url: str | None = None) -> None:
    import nda_ext
    from nda_ext import db
    from nda_ext.em import set_retry_policy
    from nda_ext.sources import cave
    from nda_ext.sources.cave.testing import mock_client, server_from_snapshot

    with tempfile.TemporaryDirectory() as home:
        if not url:
            os.environ["NDA_EXT_HOME"] = home  # a private embedded server, stopped at the end
        connection = db.use_server(url) if url else db.use_embedded()
        schemas = nda_ext.activate(prefix="bench_em_", connection=connection)
        em = schemas["em"]
        folder = Path(home) / "snapshot"
        folder.mkdir()
        write_tables(folder, n_rows, n_cells=3000)
        set_retry_policy(cave.RetryPolicy(backoff=0.0, sleep=lambda s: None))
        try:
            print(f"backend: {connection.adapter.backend}; {n_rows:,} synapse rows among 3000 cells")
            seconds, n = import_synapses(em, VERSION_SNAPSHOT, cave.SnapshotSource(folder), chunk_size=500)
            print(f"{'populate from snapshot':<32s} {n:>9,d} rows {seconds:7.2f} s {n / seconds:12,.0f} rows/s")
            caveclient.set_session_defaults(max_retries=0)
            with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
                server = server_from_snapshot(folder, mat_version=VERSION_MOCK)
                client = mock_client(server)
                server.register(mock)
                cave.set_client_factory(lambda datastack, version: client)
                seconds, n = import_synapses(em, VERSION_MOCK, cave.CaveSource(version=VERSION_MOCK), chunk_size=1000)
            print(f"{'populate from mocked CAVE':<32s} {n:>9,d} rows {seconds:7.2f} s {n / seconds:12,.0f} rows/s "
                  f"({len(server.query_bodies)} queries)")
            timings = insert_only(em, connection, {"mat_version": VERSION_SNAPSHOT, "cell_set": "all"})
            for label in ("fast_insert", "dj insert(chunk_size=10000)"):
                print(f"{'insert only: ' + label:<32s} {timings['rows']:>9,d} rows {timings[label]:7.2f} s "
                      f"{timings['rows'] / timings[label]:12,.0f} rows/s")
            print(f"fast_insert speed-up over DataJoint insert: "
                  f"{timings['dj insert(chunk_size=10000)'] / timings['fast_insert']:.1f}x")
        finally:
            for module in reversed(list(schemas.values())):
                if module.schema.exists:
                    module.schema.drop(prompt=False)
            if not url:
                db.stop_embedded()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, sys.argv[2] if len(sys.argv) > 2 else None)
