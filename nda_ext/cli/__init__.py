"""The ``nda-ext`` command line: demo, db, deploy, populate, worker, status, ingest, export.

* :mod:`~nda_ext.cli.pipeline`: demo, db, deploy, populate, worker, status.
* :mod:`~nda_ext.cli.bridges`: ingest (legacy nda, Sensorium) and export (Sensorium, PSD).

Commands import what they run when they run, so ``nda-ext --help`` stays fast.
"""

from __future__ import annotations

import argparse

from nda_ext.cli.bridges import add_bridge_commands
from nda_ext.cli.pipeline import add_pipeline_commands


def build_parser() -> argparse.ArgumentParser:
    """The ``nda-ext`` parser with every command."""
    parser = argparse.ArgumentParser(prog="nda-ext", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add_pipeline_commands(sub)
    add_bridge_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``nda-ext`` command; returns its exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)
