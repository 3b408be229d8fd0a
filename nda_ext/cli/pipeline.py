"""``nda-ext demo|db|deploy|populate|worker|status``: the pipeline on the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def _activate(create_tables: bool | None = None):
    from nda_ext.schemas import activate

    return activate(create_tables=create_tables)


def cmd_db(args) -> int:
    from nda_ext import db

    if args.action == "start":
        info = db.start_embedded()
        print(f"embedded PostgreSQL running (pid {info.pid}, socket {info.socket_dir}, data {db.pgdata()}, "
              f"ready in {info.startup_s:.2f} s)")
    elif args.action == "stop":
        print("stopped" if db.stop_embedded() else "not running")
    else:
        info = db.embedded_status()
        where = "shared server (DJ_HOST / datajoint.json)" if not db.uses_embedded() else "embedded PostgreSQL"
        print(f"nda_ext uses: {where}")
        state = f"running, pid {info.pid}, socket {info.socket_dir}" if info else "stopped"
        print(f"embedded PostgreSQL: {state}"
              f" (data {db.pgdata()})")
    return 0


def cmd_deploy(args) -> int:
    from nda_ext.dj.pipeline import deploy

    schemas = _activate(create_tables=True)
    declared = deploy(schemas)
    print(f"schemas: {', '.join(m.schema.database for m in schemas.values() if hasattr(m, 'schema'))}")
    print(f"job tables declared: {len(declared)}")
    return 0


def cmd_populate(args) -> int:
    from nda_ext.dj.pipeline import populate, select

    if args.workers > 1:
        schemas = _activate()
        select(schemas, args.tables)  # fail early on unknown names
        from nda_ext.dj.pipeline import deploy

        deploy(schemas)
        command = [sys.executable, "-m", "nda_ext.cli", "worker", *args.tables]
        procs = [subprocess.Popen(command) for _ in range(args.workers)]
        codes = [p.wait() for p in procs]
        return max(codes)
    results = populate(_activate(), args.tables)
    failed = sum(len(r["error_list"]) for r in results.values())
    for name, result in results.items():
        print(f"{name}: {result['success_count']} made, {len(result['error_list'])} errors")
    return 1 if failed else 0


def cmd_worker(args) -> int:
    from nda_ext.dj.pipeline import work

    schemas = _activate(create_tables=False)
    made = work(schemas, args.tables, max_idle_passes=args.idle_passes, sleep_s=args.sleep)
    print(f"worker {os.getpid()}: made {made} keys")
    return 0


def cmd_status(args) -> int:
    import pandas as pd

    from nda_ext.dj.pipeline import status

    table = status(_activate(), args.tables)
    with pd.option_context("display.max_colwidth", 120, "display.width", 200):
        print(table.to_string(index=False))
    return 1 if table.errors.sum() else 0


def cmd_demo(args) -> int:
    from nda_ext.demo import run_demo

    started = time.perf_counter()
    summary = run_demo(units=args.units, duration_s=args.duration, seed=args.seed, figures=args.figures,
                       scans=args.scans)
    print(summary)
    print(f"demo finished in {time.perf_counter() - started:.1f} s")
    return 0


def add_pipeline_commands(sub) -> None:
    """Add the ``demo``, ``db``, ``deploy``, ``populate``, ``worker`` and ``status`` commands to ``sub``."""
    demo = sub.add_parser("demo", help="build the demo dataset on the embedded database and populate everything")
    demo.add_argument("--units", type=int, default=None, help="units per scan (default: laptop size)")
    demo.add_argument("--duration", type=float, default=None, help="scan duration, s")
    demo.add_argument("--scans", type=int, default=None, help="number of scans")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--figures", default="nda_ext_figures", help="folder for the figures")
    demo.set_defaults(func=cmd_demo)

    dbp = sub.add_parser("db", help="embedded PostgreSQL server")
    dbp.add_argument("action", choices=["start", "stop", "status"])
    dbp.set_defaults(func=cmd_db)

    sub.add_parser("deploy", help="declare every schema and job table (once, before workers)").set_defaults(
        func=cmd_deploy)

    pop = sub.add_parser("populate", help="populate tables (all by default)")
    pop.add_argument("tables", nargs="*", help="Table or schema.Table names")
    pop.add_argument("--workers", type=int, default=1, help="run N worker processes with job reservation")
    pop.set_defaults(func=cmd_populate)

    worker = sub.add_parser("worker", help="reserve and make jobs until nothing is left (cluster-safe)")
    worker.add_argument("tables", nargs="*")
    worker.add_argument("--idle-passes", type=int, default=1, help="stop after N passes that made nothing")
    worker.add_argument("--sleep", type=float, default=0.0, help="seconds to wait between idle passes")
    worker.set_defaults(func=cmd_worker)

    stat = sub.add_parser("status", help="done / total / errors per table")
    stat.add_argument("tables", nargs="*")
    stat.set_defaults(func=cmd_status)
