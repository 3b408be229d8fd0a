"""Legacy (DataJoint 0.12) nda schemas: read-only attach with transparent blob decoding, extensions populating
from it, and copying scans into the mirror.

The legacy schema is made the way DataJoint 0.12 declared nda: raw SQL DDL from ``nda_v8_tables.json`` (native
types, ``#`` Lookup prefix, comments without type tags, ``longblob``/``blob``), rows from the demo generator with
blobs packed by ``dj.blob.pack`` (``mYm``, ``dj0`` and ``ZL123`` formats). It lives on the MySQL-family test
server only; the extensions attach to it through an account granted SELECT on it and ALL on a test prefix.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymysql
import pytest

from nda_ext.compute.scan_arrays import Monet2Trials, ScanTraces
from nda_ext.compute.scan_tuning import direction_tuning
from nda_ext.compute.selectivity import orientation_difference
from nda_ext.db import parse_url
from nda_ext.sources.legacy_nda import (
    NDA_TABLES,
    CopyVerificationError,
    LegacyReadOnlyError,
    LegacySchemaError,
    attach,
    copy_scans,
    fill_legacy_schema,
    legacy_ddl,
)
from nda_ext.sources.legacy_nda import copy as legacy_copy
from nda_ext.sources.legacy_nda.schema import table_name

SPEC = json.loads(((Path(__file__).parents[1] / "data") / "nda_v8_tables.json").read_text())
LEGACY_DEMO = {"seed": 3, "n_units": 30, "duration_s": 600.0, "fps": 3.0, "scans": ((6, 2),)}  # small: fast copies
SCAN = {"session": 6, "scan_idx": 2}
FAST = {"direction_method": "fast"}


def key_of(row: dict, last: str) -> dict:
    """The primary key of a unit (session, scan_idx, unit_id) or coregistration (stack, transform_id) row."""
    names = ("session", "scan_idx") if last == "unit_id" else ("stack_session", "stack_idx")
    return {name: row[name] for name in (*names, last)}


@dataclass
class LegacyServer:
    root_url: str
    reader_url: str  # SELECT on the legacy schema, ALL on `prefix%`
    schema: str
    prefix: str
    tables: dict
    created_ddl: dict | None = None

    def root(self):
        s = parse_url(self.root_url)
        return pymysql.connect(host=s["host"], port=s["port"], user=s["user"], password=s["password"])

    def reader_connection(self):
        import datajoint as dj

        s = parse_url(self.reader_url)
        return dj.Instance(host=s["host"], user=s["user"], password=s["password"], port=s["port"],
                           backend="mysql", use_tls=False).connection

    def ddl(self) -> dict:
        """``SHOW CREATE TABLE`` of every table in the legacy schema."""
        conn = self.root()
        with conn.cursor() as cursor:
            cursor.execute(f"SHOW TABLES FROM `{self.schema}`")
            names = sorted(row[0] for row in cursor.fetchall())
            result = {}
            for name in names:
                cursor.execute(f"SHOW CREATE TABLE `{self.schema}`.`{name}`")
                result[name] = cursor.fetchone()[1]
        conn.close()
        return result


@pytest.fixture(scope="module")
def legacy_tables():
    from nda_ext.sources.demo import DemoConfig, generate
    from nda_ext.sources.demo.load import nda_oracle_rows

    dataset = generate(DemoConfig(**LEGACY_DEMO))
    return dict(dataset.tables, Oracle=nda_oracle_rows(dataset.tables)), dataset.truth


@pytest.fixture(scope="module")
def legacy(mysql_url, legacy_tables):
    """The legacy-shaped nda schema and a reader account; dropped at the end."""
    tables, _truth = legacy_tables
    pid = os.getpid()
    server = LegacyServer(mysql_url, "", f"legacy{pid}_nda", f"test{pid}_lg_", tables)
    settings = parse_url(mysql_url)
    user, password = f"reader{pid}", "reader-pw"
    server.reader_url = f"mysql://{user}:{password}@{settings['host']}:{settings['port']}/{server.schema}"
    escaped_prefix = server.prefix.replace("_", "\\_")  # LIKE pattern of the test schemas
    conn = server.root()
    with conn.cursor() as cursor:
        for statement in legacy_ddl(server.schema, SPEC):
            cursor.execute(statement)
        for host in ("localhost", "127.0.0.1", "%"):
            cursor.execute(f"CREATE USER IF NOT EXISTS '{user}'@'{host}' IDENTIFIED BY '{password}'")
            cursor.execute(f"GRANT SELECT ON `{server.schema}`.* TO '{user}'@'{host}'")
            cursor.execute(f"GRANT ALL ON `{escaped_prefix}%`.* TO '{user}'@'{host}'")
    fill_legacy_schema(conn, server.schema, SPEC, tables)
    server.created_ddl = server.ddl()
    yield server
    with conn.cursor() as cursor:
        cursor.execute("SHOW DATABASES LIKE %s", (escaped_prefix + "%",))
        leftovers = [row[0] for row in cursor.fetchall()]  # extension schemas referencing the legacy tables
        cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
        for name in [*leftovers, server.schema]:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
        for host in ("localhost", "127.0.0.1", "%"):
            cursor.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
    conn.close()


def _bound_state():
    from nda_ext import schemas

    return {name: (m, m.schema.database, m.schema.connection, m.__dict__.get("nda"))
            for name, m in schemas.modules().items()}


def _restore(state) -> None:
    """Re-bind the schema modules as they were (other tests hold them through the ``pipeline`` fixture)."""
    from nda_ext.schemas import _bind

    for name, (module, database, connection, nda) in state.items():
        if name != "nda" and database is not None:
            module.nda = nda
            module.schema.database = None
            _bind(module.schema, database, connection, None, {"nda": nda})


@pytest.fixture(scope="module")
def attached(legacy):
    """Extension schemas activated on the legacy nda (reader account), populated; restored afterwards."""
    import nda_ext

    state = _bound_state()
    connection = legacy.reader_connection()
    schemas = nda_ext.activate(prefix=legacy.prefix, nda=legacy.schema, connection=connection)
    schemas["tuning"].Oracle.populate()
    schemas["tuning"].DirectionTuning.populate(FAST)
    schemas["export"].PopulationPsd.populate({"psd_params": "default"})
    yield schemas
    for name, module in reversed(list(schemas.items())):
        if name != "nda" and module.schema.exists:
            module.schema.drop(prompt=False)
    _restore(state)


def test_legacy_schema_is_shaped_like_datajoint_012(legacy):
    names = set(legacy.created_ddl)
    assert names == {table_name(n, SPEC[n]["tier"]) for n in NDA_TABLES}
    assert "#scan_include" in names and "raw_manual_pupil" in names and "~lineage" not in names
    assert all(":" not in line.split("COMMENT")[-1] for ddl in legacy.created_ddl.values() for line in ddl.splitlines()
               if "COMMENT '" in line), "legacy comments carry no DataJoint 2 type tags"
    assert "`onsets` blob NOT NULL" in legacy.created_ddl["monet2"]
    conn = legacy.root()
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT movie FROM `{legacy.schema}`.`stimulus`")
        movie = cursor.fetchone()[0]
        cursor.execute(f"SELECT ms.onsets FROM `{legacy.schema}`.`monet2` ms LIMIT 1")
        onsets = cursor.fetchone()[0]
        cursor.execute(f"SELECT transform_args FROM `{legacy.schema}`.`coregistration` LIMIT 1")
        transform = cursor.fetchone()[0]
    conn.close()
    assert movie[:5] == b"ZL123" and onsets[:3] == b"mYm" and transform[:3] == b"dj0"


def test_attach_decodes_every_blob_and_joins(legacy, attached):
    nda = attached["nda"]
    assert all(isinstance(getattr(nda, name), type) for name in NDA_TABLES)
    tables = legacy.tables
    movie = (nda.Stimulus & SCAN).fetch1("movie")
    np.testing.assert_array_equal(movie, tables["Stimulus"][0]["movie"])
    assert movie.dtype == np.uint8
    unit = tables["Activity"][7]
    np.testing.assert_array_equal((nda.Activity & key_of(unit, "unit_id")).fetch1("trace"), unit["trace"])
    coreg = tables["Coregistration"][0]
    decoded = (nda.Coregistration & key_of(coreg, "transform_id")).fetch1("transform_args")
    assert decoded.keys() == coreg["transform_args"].keys()
    monet = {r["condition_hash"]: r for r in tables["Monet2"]}
    hashes, onsets, fps = (nda.Trial * nda.Monet2 & SCAN).to_arrays("condition_hash", "onsets", "fps")
    assert len(hashes) == sum(t["type"] == "stimulus.Monet2" for t in tables["Trial"])
    np.testing.assert_array_equal(onsets[0], monet[hashes[0]]["onsets"])
    assert isinstance(fps[0], float) and fps[0] == monet[hashes[0]]["fps"]
    frame = (nda.Trial * nda.Clip & SCAN).to_pandas()
    assert len(frame) == sum(t["type"] == "stimulus.Clip" for t in tables["Trial"])
    assert isinstance(frame["stim_times"].iloc[0], np.ndarray) and isinstance(frame["duration"].iloc[0], float)


def test_attached_tables_refuse_writes(attached):
    nda = attached["nda"]
    with pytest.raises(LegacyReadOnlyError, match="never modifies"):
        nda.Scan.insert1({"session": 99, "scan_idx": 1, "nframes": 1, "nfields": 1, "fps": 1.0})
    with pytest.raises(LegacyReadOnlyError):
        (nda.Oracle & SCAN).delete(prompt=False)
    with pytest.raises(LegacyReadOnlyError):
        nda.Trial.drop(prompt=False)


def test_attach_names_missing_schema_and_tables(legacy):
    connection = legacy.reader_connection()
    with pytest.raises(LegacySchemaError, match="'no_such_nda' does not exist"):
        attach("no_such_nda", connection=connection)
    with pytest.raises(LegacySchemaError, match=r"not an nda v8 schema: missing tables \['Scan'"):
        attach("information_schema", connection=connection)


def _arrays_from_rows(tables) -> tuple[ScanTraces, Monet2Trials]:
    """The generator's rows as compute inputs, without any database in between."""
    units = sorted(tables["ScanUnit"], key=lambda r: r["unit_id"])
    activity = {r["unit_id"]: r["trace"] for r in tables["Activity"]}
    traces = ScanTraces(unit_ids=np.array([u["unit_id"] for u in units]),
                        traces=np.stack([activity[u["unit_id"]] for u in units]).astype(np.float32),
                        frame_times=np.asarray(tables["ScanTimes"][0]["frame_times"], float),
                        delays_s=np.array([u["ms_delay"] for u in units], float) / 1000.0,
                        fps=float(np.float32(tables["Scan"][0]["fps"])))
    monet = {r["condition_hash"]: r for r in tables["Monet2"]}
    trials = sorted((t for t in tables["Trial"] if t["type"] == "stimulus.Monet2"), key=lambda t: t["trial_idx"])
    conditions = [monet[t["condition_hash"]] for t in trials]
    column = lambda name: np.array([float(c[name]) for c in conditions])
    return traces, Monet2Trials(start_s=np.array([t["start_frame_time"] for t in trials], float),
                                onsets_s=np.stack([c["onsets"] for c in conditions]).astype(float),
                                directions_deg=np.stack([c["directions"] for c in conditions]).astype(float),
                                duration_s=column("duration"), n_dirs=column("n_dirs"),
                                ori_fraction=np.array([float(np.float32(c["ori_fraction"])) for c in conditions]))


def test_extensions_populate_from_legacy(legacy, legacy_tables, attached):
    nda, tuning = attached["nda"], attached["tuning"]
    tables, truth = legacy_tables
    assert len(tuning.Oracle.Unit & SCAN) == len(tables["ScanUnit"])
    ours = tuning.Oracle.Unit().to_pandas()["pearson"]
    recorded = nda.Oracle().to_pandas()["pearson"].reindex(ours.index)
    np.testing.assert_allclose(ours.to_numpy(), recorded.to_numpy(), atol=1e-6)  # nda's own recipe, float32 column
    fitted = (tuning.DirectionTuning.Unit & FAST).to_pandas()
    traces, trials = _arrays_from_rows(tables)
    method = (tuning.DirectionMethod & FAST).fetch1()
    _master, expected = direction_tuning(traces, trials, method)
    np.testing.assert_allclose(fitted["gdsi"].to_numpy(float), [u["gdsi"] for u in expected], rtol=1e-6)
    joined = tuning.DirectionTuning.Unit * nda.ScanUnit * nda.AreaMembership & FAST
    assert len(joined) == len(tables["ScanUnit"])
    planted = truth.set_index("unit_id")
    tuned = planted.index[(planted["planted_gosi"] > 0.3) & planted["is_soma"]]
    recovered = fitted.reset_index("unit_id").set_index("unit_id").loc[tuned, "pref_ori"]
    assert np.median(orientation_difference(recovered, planted.loc[tuned, "pref_ori"])) < 15
    psd = attached["export"].PopulationPsd.Area & SCAN & {"brain_area": "all"}
    assert psd.fetch1("n_units") == sum(r["mask_type"] == "soma" for r in tables["MaskClassification"])


def test_legacy_tables_never_altered(legacy, attached):
    assert legacy.ddl() == legacy.created_ddl


@pytest.fixture
def copy_target(pipeline, legacy):
    """The test pipeline's mirror; the copied scan and its own conditions are removed afterwards."""
    nda = pipeline["nda"]
    yield nda
    hashes = [{"condition_hash": t["condition_hash"]} for t in legacy.tables["Trial"]]
    (nda.Scan & SCAN).delete(prompt=False)
    # keys first: DataJoint 2.3.5's MySQL cascade fails on an antijoin restriction
    for orphans in ((nda.Stack - nda.Registration).keys(), ((nda.Condition & hashes) - nda.Trial).keys()):
        if orphans:
            (getattr(nda, "Stack" if "stack_idx" in orphans[0] else "Condition") & orphans).delete(prompt=False)


def test_copy_scans_into_mirror(legacy, copy_target, backend):
    nda = copy_target
    report = copy_scans(legacy.reader_url, [(6, 2)], nda=nda, progress=False)
    copied = report.set_index("table")
    shared = {"Stack", "Coregistration", "Clip", "Monet2", "Trippy"}  # may already be in the mirror (demo data)
    for name in NDA_TABLES:
        row = copied.loc[name]
        assert row["copied"] + row["skipped"] == row["source_rows"], name
        assert name in shared or row["skipped"] == 0, name
    assert copied.loc["Activity", "source_rows"] == LEGACY_DEMO["n_units"]
    assert report.attrs["mbytes_per_s"] > 0
    tables = legacy.tables
    np.testing.assert_array_equal((nda.Stimulus & SCAN).fetch1("movie"), tables["Stimulus"][0]["movie"])
    unit = tables["Activity"][3]
    np.testing.assert_array_equal((nda.Activity & key_of(unit, "unit_id")).fetch1("trace"), unit["trace"])
    assert len(nda.Trial * nda.Monet2 & SCAN) == sum(t["type"] == "stimulus.Monet2" for t in tables["Trial"])
    assert set((nda.AreaMembership & SCAN).to_arrays("brain_area")) <= {"V1", "LM", "AL", "RL"}

    removed = (nda.Activity & SCAN).keys(limit=5)
    (nda.Activity & removed).delete(prompt=False)
    again = copy_scans(legacy.reader_url, [SCAN], nda=nda, progress=False).set_index("table")
    assert again.loc["Activity", "copied"] == 5 and again["copied"].sum() == 5
    assert again.loc["Trial", "skipped"] == len(tables["Trial"])

    (nda.UnitHash & (nda.UnitHash & SCAN).keys(limit=3)).delete(prompt=False)
    command = [sys.executable, "-m", "nda_ext.cli", "ingest", "nda", "--from", legacy.reader_url,
               "--scan", "6", "2", "--quiet"]
    result = subprocess.run(command, env={**os.environ, **backend.env}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "copied 3 rows" in result.stdout and "row counts verified" in result.stdout
    assert len(nda.UnitHash & SCAN) == LEGACY_DEMO["n_units"]


def test_copy_names_table_whose_counts_differ(legacy, copy_target, backend, monkeypatch):
    if backend.name != "postgresql":
        pytest.skip("copy logic, checked once (on the embedded default destination)")
    def lossy(nda, tables, **kwargs):
        rows = {name: (r[:-1] if name == "UnitHash" else r) for name, r in tables.items()}
        return insert_tables(nda, rows, **kwargs)

    insert_tables = legacy_copy.insert_tables
    monkeypatch.setattr(legacy_copy, "insert_tables", lossy)
    with pytest.raises(CopyVerificationError, match=r"UnitHash: source \d+ rows, mirror \d+"):
        copy_scans(legacy.reader_url, [SCAN], nda=copy_target, progress=False, chunk_bytes=1 << 30)


def test_copy_rejects_unknown_scan(legacy, copy_target):
    with pytest.raises(ValueError, match=r"not in .*Scan"):
        copy_scans(legacy.reader_url, [(42, 1)], nda=copy_target, progress=False)
