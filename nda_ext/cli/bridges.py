"""``nda-ext ingest ...`` and ``nda-ext export ...``: the real-data bridges on the command line.

``nda_ext.cli.build_parser`` adds them with :func:`add_bridge_commands`::

    nda-ext ingest nda --from mysql://user:pw@host:3306[/microns_phase3_nda] --scan 4 7 [--scan 5 6]
    nda-ext ingest sensorium PATH [--name NAME]
    nda-ext export sensorium --scan 4 7 --out DIR [--kind video|static] [--params NAME] [--overwrite]
    nda-ext export psd --out summary.csv [--params default] [--populate]
"""

from __future__ import annotations


def cmd_ingest_nda(args) -> int:
    from nda_ext.sources.legacy_nda import copy_scans

    report = copy_scans(args.source, [tuple(s) for s in args.scan], progress=not args.quiet, schema=args.schema)
    totals = report.groupby(["session", "scan_idx"])[["copied", "skipped", "mbytes"]].sum()
    print(totals.to_string())
    print(f"copied {int(report['copied'].sum())} rows, {report['mbytes'].sum():.1f} MB in "
          f"{report.attrs['seconds']:.1f} s ({report.attrs['rows_per_s']:.0f} rows/s, "
          f"{report.attrs['mbytes_per_s']:.1f} MB/s); row counts verified")
    return 0


def cmd_ingest_sensorium(args) -> int:
    from nda_ext.sources.sensorium import ingest

    print(f"dataset {ingest(args.path, name=args.name)} imported; `nda-ext populate sensorium.Oracle` scores it")
    return 0


def cmd_export_sensorium(args) -> int:
    from nda_ext.export import sensorium

    for session, scan_idx in args.scan:
        folder = sensorium((session, scan_idx), args.out, kind=args.kind, params=args.params,
                           overwrite=args.overwrite)
        print(folder)
    return 0


def cmd_export_psd(args) -> int:
    from nda_ext.export import psd_csv
    from nda_ext.schemas import activate

    schemas = activate()
    if args.populate:
        schemas["export"].PopulationPsd.populate({"psd_params": args.params}, display_progress=True)
    print(psd_csv(args.out, args.params, schemas=schemas))
    return 0


def add_bridge_commands(subparsers) -> None:
    """Add the ``ingest`` and ``export`` commands to the ``nda-ext`` sub-parsers."""
    ingest = subparsers.add_parser("ingest", help="bring real data in: scans from a legacy nda server, Sensorium")
    ingest_sub = ingest.add_subparsers(dest="source_kind", required=True)
    nda = ingest_sub.add_parser("nda", help="copy scans from a legacy (DataJoint 0.12) nda server into the mirror")
    nda.add_argument("--from", dest="source", required=True, metavar="URL",
                     help="mysql://user:password@host:port[/schema] (SELECT rights suffice)")
    nda.add_argument("--scan", nargs=2, type=int, action="append", required=True, metavar=("SESSION", "SCAN_IDX"),
                     help="a scan to copy; repeat for more")
    nda.add_argument("--schema", default=None, help="legacy schema (default from the URL, else microns_phase3_nda)")
    nda.add_argument("--quiet", action="store_true", help="no progress bar")
    nda.set_defaults(func=cmd_ingest_nda)
    sens = ingest_sub.add_parser("sensorium", help="import a Sensorium 2022 static dataset (folder or zip)")
    sens.add_argument("path")
    sens.add_argument("--name", default=None, help="dataset name (default <animal>-<session>-<scan>)")
    sens.set_defaults(func=cmd_ingest_sensorium)

    export = subparsers.add_parser("export", help="write Sensorium folders or PSD summaries")
    export_sub = export.add_subparsers(dest="target", required=True)
    sensorium = export_sub.add_parser("sensorium", help="a scan as a Sensorium 2023 video / 2022 static dataset")
    sensorium.add_argument("--scan", nargs=2, type=int, action="append", required=True,
                           metavar=("SESSION", "SCAN_IDX"))
    sensorium.add_argument("--out", required=True, help="parent folder of the dataset folders")
    sensorium.add_argument("--kind", choices=["video", "static"], default="video")
    sensorium.add_argument("--params", default=None, help="export.SensoriumParams name (default <kind>_default)")
    sensorium.add_argument("--overwrite", action="store_true")
    sensorium.set_defaults(func=cmd_export_sensorium)
    psd = export_sub.add_parser("psd", help="population-rate PSDs per scan and area as a CSV (automind layout)")
    psd.add_argument("--out", required=True, help="CSV file to write")
    psd.add_argument("--params", default="default", help="export.PsdParams name")
    psd.add_argument("--populate", action="store_true", help="populate export.PopulationPsd first")
    psd.set_defaults(func=cmd_export_psd)
