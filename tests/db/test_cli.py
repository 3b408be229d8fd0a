"""The `nda-ext` command line: embedded server lifecycle, status report, unknown tables."""

import os
import shutil
import subprocess
import sys
import tempfile

import psycopg2


def nda_ext(*args, env=None, check=True):
    result = subprocess.run([sys.executable, "-m", "nda_ext.cli", *args], env=dict(os.environ, **(env or {})),
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_embedded_server_outlives_the_process_that_started_it():
    home = tempfile.mkdtemp(prefix="nda_ext_cli_")  # not pytest's root-only basetemp: the server has its own user
    env = {"NDA_EXT_HOME": home}
    env_without_host = {k: v for k, v in os.environ.items() if not k.startswith("DJ_")}
    try:
        started = subprocess.run([sys.executable, "-m", "nda_ext.cli", "db", "start"],
                                 env=dict(env_without_host, **env),
                                 capture_output=True, text=True, timeout=300)
        assert started.returncode == 0 and "running" in started.stdout, started.stderr
        status = nda_ext("db", "status", env=env).stdout
        assert "embedded PostgreSQL: running" in status
        socket_dir = status.split("socket ")[1].split(" ")[0]
        connection = psycopg2.connect(host=socket_dir, user="postgres", dbname="postgres")
        with connection.cursor() as cursor:
            cursor.execute("SHOW listen_addresses")
            assert cursor.fetchone()[0] == ""  # Unix socket only, no TCP listener
        connection.close()
    finally:
        assert "stopped" in nda_ext("db", "stop", env=env).stdout
    assert "embedded PostgreSQL: stopped" in nda_ext("db", "status", env=env).stdout
    shutil.rmtree(home, ignore_errors=True)


def test_status_lists_tables_and_populate_rejects_unknown_names(backend, pipeline):
    env = dict(backend.env)
    report = nda_ext("status", env=env, check=False)
    assert "tuning.DirectionTuning" in report.stdout and "done" in report.stdout
    bad = nda_ext("populate", "NoSuchTable", env=env, check=False)
    assert bad.returncode != 0 and "NoSuchTable" in bad.stderr and "tuning.Oracle" in bad.stderr
