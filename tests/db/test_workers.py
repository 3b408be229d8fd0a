"""`nda-ext worker` processes sharing one database: every key made once, errors recorded, retry works."""

import os
import re
import subprocess
import sys

import pytest

from nda_ext.dj.pipeline import deploy, status


def run_workers(backend, n=2, tables=()):
    env = dict(os.environ, **backend.env, DJ_CREATE_TABLES="false")
    command = [sys.executable, "-m", "nda_ext.cli", "worker", *tables]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(n)]
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    return sum(int(re.search(r"made (\d+) keys", out).group(1)) for out in outputs), outputs


@pytest.fixture
def broken_method(demo_loaded):
    tuning = demo_loaded["tuning"]
    row = dict((tuning.DirectionMethod & {"direction_method": "fast"}).fetch1(), direction_method="broken",
               precision_deg=0.0, description="zero precision: every make fails")
    tuning.DirectionMethod.insert1(row)
    yield row
    (tuning.DirectionTuning & {"direction_method": "broken"}).delete(prompt=False)
    (tuning.DirectionMethod & {"direction_method": "broken"}).delete(prompt=False)


def test_two_workers_make_every_key_once_and_record_errors(backend, demo_loaded, broken_method):
    tuning = demo_loaded["tuning"]
    deploy(demo_loaded)
    names = ["tuning.DirectionTuning", "tuning.Oracle"]
    tuning.DirectionTuning.delete(prompt=False)
    tuning.Oracle.delete(prompt=False)
    made, outputs = run_workers(backend, tables=names)

    table = status(demo_loaded, names).set_index("table")
    n_scans = len(demo_loaded["nda"].Scan())
    assert table.loc["tuning.Oracle", "done"] == table.loc["tuning.Oracle", "total"] == n_scans
    good = n_scans * 2  # default and fast methods
    assert table.loc["tuning.DirectionTuning", "done"] == good
    assert made == good + n_scans, outputs               # each key made by exactly one of the workers
    assert table.loc["tuning.DirectionTuning", "errors"] == n_scans
    errors = tuning.DirectionTuning.jobs.errors.to_dicts()
    assert all("precision_deg" in e["error_message"] for e in errors)
    assert all("Traceback" in str(e["error_stack"]) or "make" in str(e["error_stack"]) for e in errors)

    # fix the settings, clear the errors, run again: the failed keys are made
    tuning.DirectionMethod.update1(dict(broken_method, precision_deg=1.0))
    tuning.DirectionTuning.jobs.errors.delete()
    made_again, _ = run_workers(backend, tables=names)
    assert made_again == n_scans
    table = status(demo_loaded, names).set_index("table")
    assert table.loc["tuning.DirectionTuning", "done"] == table.loc["tuning.DirectionTuning", "total"]
    assert table.errors.sum() == 0
