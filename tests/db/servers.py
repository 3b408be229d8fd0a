"""Test database servers: the embedded PostgreSQL in a temporary home, and a MySQL-family server.

The MySQL-family server is, in order: the one named by ``NDA_EXT_TEST_MYSQL`` (``mysql://user:pw@host:port``),
else a private ``mariadbd`` started here in a temporary data directory when the binary exists.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pymysql

MARIADBD_CANDIDATES = ("mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_mariadbd() -> str | None:
    for candidate in MARIADBD_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


class PrivateMariaDB:
    """A throw-away mariadbd on 127.0.0.1:<free port> with root and no password."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.datadir = self.workdir / "data"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mysql://root:@127.0.0.1:{self.port}"

    def start(self, binary: str) -> PrivateMariaDB:
        self.workdir.mkdir(parents=True, exist_ok=True)
        as_root = os.geteuid() == 0
        user_args = ["--user=mysql"] if as_root else []
        if as_root:
            shutil.chown(self.workdir, "mysql", "mysql")
        install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        subprocess.run([install, "--no-defaults", f"--datadir={self.datadir}",
                        "--auth-root-authentication-method=normal",
                        *user_args], check=True, capture_output=True)
        log = open(self.workdir / "server.log", "w")
        self.process = subprocess.Popen(
            [binary, "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.workdir / 'mysqld.sock'}",
             f"--port={self.port}", "--bind-address=127.0.0.1", "--max-allowed-packet=1G",
             "--innodb-buffer-pool-size=256M", "--skip-log-bin", *user_args],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="").close()
                return self
            except pymysql.err.OperationalError:
                if self.process.poll() is not None:
                    log = (self.workdir / "server.log").read_text()[-2000:]
                    raise RuntimeError(f"mariadbd exited: {log}") from None
                time.sleep(0.2)
        raise RuntimeError("mariadbd did not accept connections within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def raise_packet_limit(url: str) -> None:
    """Allow the large stimulus blobs (nda's own server runs with max_allowed_packet=1G)."""
    from nda_ext.db import parse_url

    settings = parse_url(url)
    conn = pymysql.connect(host=settings["host"], port=settings["port"], user=settings["user"],
                           password=settings["password"])
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT @@global.max_allowed_packet")
            if cursor.fetchone()[0] < 1 << 30:
                cursor.execute("SET GLOBAL max_allowed_packet = 1073741824")
    finally:
        conn.close()
