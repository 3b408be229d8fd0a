"""Database fixtures: every test here runs on the embedded PostgreSQL and on a MySQL-family server."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from servers import PrivateMariaDB, find_mariadbd, raise_packet_limit

BACKENDS = ("postgresql", "mysql")


@dataclass
class Backend:
    """A test database server: its name, URL (None for the embedded server) and subprocess environment."""

    name: str
    url: str | None
    env: dict = field(default_factory=dict)
    prefix: str = ""
    connection: object = None

    def connect(self):
        from nda_ext import db

        return db.use_embedded() if self.url is None else db.use_server(self.url)


@pytest.fixture(scope="session")
def test_home():
    """A private NDA_EXT_HOME: the embedded PostgreSQL of the tests lives (and is stopped) here.

    Not under pytest's basetemp, which is private to root: the server runs as its own system user.
    """
    home = Path(tempfile.mkdtemp(prefix="nda_ext_home_"))
    previous = os.environ.get("NDA_EXT_HOME")
    os.environ["NDA_EXT_HOME"] = str(home)
    yield home
    from nda_ext import db

    db.stop_embedded()
    shutil.rmtree(home, ignore_errors=True)
    if previous is None:
        os.environ.pop("NDA_EXT_HOME", None)
    else:
        os.environ["NDA_EXT_HOME"] = previous


@pytest.fixture(scope="session")
def mysql_url():
    """URL of a MySQL-family server: NDA_EXT_TEST_MYSQL, else a private mariadbd; skipped (failed in CI) if neither."""
    url = os.environ.get("NDA_EXT_TEST_MYSQL")
    if url:
        raise_packet_limit(url)
        yield url
        return
    binary = find_mariadbd()
    if binary is None:
        message = "no MySQL-family server: set NDA_EXT_TEST_MYSQL=mysql://user:pw@host:port or install mariadbd"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # not under pytest's basetemp: that folder is private to root, and mariadbd runs as the mysql user
    workdir = Path(tempfile.mkdtemp(prefix="nda_ext_mariadb_"))
    server = PrivateMariaDB(workdir).start(binary)
    yield server.url
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, test_home):
    """One test server per parameter; tests using it run once per backend."""
    if request.param == "postgresql":
        env = {"NDA_EXT_HOME": str(test_home)}
        yield Backend("postgresql", None, env)
        return
    from nda_ext.db import parse_url

    url = request.getfixturevalue("mysql_url")
    settings = parse_url(url)
    env = {"DJ_HOST": settings["host"], "DJ_PORT": str(settings["port"]), "DJ_USER": settings["user"],
           "DJ_PASS": settings["password"], "DJ_BACKEND": "mysql", "DJ_USE_TLS": "false"}
    yield Backend("mysql", url, env)


def _drop_all(schemas: dict) -> None:
    for module in reversed(list(schemas.values())):
        if getattr(module, "schema", None) is not None and module.schema.exists:
            module.schema.drop(prompt=False)


@pytest.fixture(scope="session")
def pipeline(backend):
    """All schemas activated under a per-run test prefix on ``backend``; dropped at teardown."""
    import nda_ext

    connection = backend.connect()
    prefix = f"test{os.getpid()}_"
    schemas = nda_ext.activate(prefix=prefix, connection=connection)
    backend.env["NDA_EXT_PREFIX"] = prefix
    backend.prefix, backend.connection = prefix, connection
    yield schemas
    _drop_all(nda_ext.activate(prefix=prefix, connection=connection))


@pytest.fixture(autouse=True)
def rebind_schemas(request):
    """Re-bind the schema modules to this backend's test schemas before each test that uses them.

    Schema modules are process-wide singletons; a test that activates them elsewhere (e.g. attached to a legacy
    nda) must not leave the next test talking to the wrong schemas.
    """
    if "pipeline" in request.fixturenames or "demo_loaded" in request.fixturenames:
        import nda_ext

        backend = request.getfixturevalue("backend")
        request.getfixturevalue("pipeline")
        nda_ext.activate(prefix=backend.prefix, connection=backend.connection)


#: The demo size the database tests use: small, but with enough Monet2 and oracle trials for the science checks.
TEST_DEMO = {"n_units": 120, "duration_s": 600.0, "scans": ((4, 7), (5, 6))}


@pytest.fixture(scope="session")
def demo_dataset():
    """A generated demo dataset (no database), shared by both backends."""
    from nda_ext.sources.demo import DemoConfig, generate

    return generate(DemoConfig(seed=1, **TEST_DEMO))


@pytest.fixture(scope="session")
def demo_loaded(backend, pipeline, demo_dataset):
    """The schemas with the demo dataset loaded."""
    import nda_ext
    from nda_ext.sources.demo.load import load

    schemas = nda_ext.activate(prefix=backend.prefix, connection=backend.connection)
    load(schemas, demo_dataset, "test", progress=False)
    return schemas
