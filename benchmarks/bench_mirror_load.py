"""Demo generation and mirror load at scale, and embedded-server start-up (run by hand, prints a report).

    python benchmarks/bench_mirror_load.py --units 8000 --frames 40000

Insert rates are reported as ratios against DataJoint's plain ``insert(rows)`` of the same Activity rows in the
same process (one statement, the default), so they compare across machines.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=20000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="nda_ext_bench_"))
    os.environ["NDA_EXT_HOME"] = str(home)
    os.environ.pop("DJ_HOST", None)

    from nda_ext import db

    started = time.perf_counter()
    db.start_embedded()
    cold = time.perf_counter() - started
    db.stop_embedded()
    warm = db.start_embedded().startup_s
    print(f"embedded PostgreSQL: cold init + start {cold:.2f} s, warm start {warm:.2f} s")

    import nda_ext
    from nda_ext.sources.demo import DemoConfig, generate
    from nda_ext.sources.mirror import insert_tables

    fps = 6.3
    started = time.perf_counter()
    dataset = generate(DemoConfig(scans=((4, 7),), n_units=args.units, duration_s=args.frames / fps, fps=fps))
    print(f"generate {args.units} units x {args.frames} frames: {time.perf_counter() - started:.1f} s")

    schemas = nda_ext.activate(prefix="bench_")
    nda = schemas["nda"]
    started = time.perf_counter()
    counts = insert_tables(nda, dataset.tables, progress=True)
    total = time.perf_counter() - started
    activity_mb = sum(r["trace"].nbytes for r in dataset.tables["Activity"]) / 1e6
    print(f"mirror load: {sum(counts.values())} rows in {total:.1f} s")

    rows = dataset.tables["Activity"]
    (nda.Activity & {"session": 4}).delete(prompt=False)
    started = time.perf_counter()
    from nda_ext.dj.insert import bulk_insert

    bulk_insert(nda.Activity(), rows)
    ours = time.perf_counter() - started
    (nda.Activity & {"session": 4}).delete(prompt=False)
    started = time.perf_counter()
    nda.Activity.insert(rows)
    plain = time.perf_counter() - started
    print(f"Activity {len(rows)} rows ({activity_mb:.0f} MB): bulk_insert {ours:.2f} s "
          f"({activity_mb / ours:.0f} MB/s), "
          f"plain insert {plain:.2f} s; ratio plain/bulk = {plain / ours:.2f}")
    for module in reversed(list(schemas.values())):
        module.schema.drop(prompt=False)
    db.stop_embedded()


if __name__ == "__main__":
    main()
