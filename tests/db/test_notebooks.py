"""Every tutorial notebook runs top to bottom on the embedded database with a small demo."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "tutorial_notebooks").glob("*.ipynb"))
def drop_prefixed_schemas(prefix: str) -> None:
    """Drop the notebooks' schemas on the embedded server directly (re-activating here would re-bind the
    schema modules that other tests hold)."""
    import psycopg2

    from nda_ext import db

    info = db.embedded_status()
    if info is None:
        return
    conn = psycopg2.connect(host=info.socket_dir, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",))
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')
    conn.close()


SMALL_DEMO = {"NDA_EXT_DEMO_UNITS": "60", "NDA_EXT_DEMO_DURATION_S": "600", "NDA_EXT_DEMO_SCANS": "2"}


@pytest.fixture(scope="module")
def notebook_env(test_home):
    """Environment of the notebook kernels: the tests' embedded server, a notebook prefix, a small demo."""
    env = {"NDA_EXT_HOME": str(test_home), "NDA_EXT_PREFIX": "nb_", "MPLBACKEND": "Agg", **SMALL_DEMO}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    os.environ.pop("DJ_HOST", None)
    yield env
    drop_prefixed_schemas("nb_")
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, notebook_env, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
              if o.get("output_type") == "error"]
    assert not errors
