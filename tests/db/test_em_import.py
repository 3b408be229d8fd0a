"""em schema on both backends: the demo snapshot and a mocked CAVE server populate it; planted truth is recovered."""

import caveclient
import numpy as np
import pandas as pd
import pytest
import responses

import nda_ext.em as em_api
from nda_ext.compute.em.edges import root_to_nucleus
from nda_ext.demo.em import write_demo_snapshot
from nda_ext.schemas.em.progress import ID_COLUMNS, VALUE_COLUMNS
from nda_ext.sources import cave
from nda_ext.sources.cave import tables as ct
from nda_ext.sources.cave.synapses import plan_chunks
from nda_ext.sources.cave.testing import mock_client, server_from_snapshot

SNAPSHOT_VERSION, MOCK_VERSION = 1718, 1719
NO_SLEEP = cave.RetryPolicy(max_retries=2, backoff=0.0, sleep=lambda s: None)
EDGE_COLUMNS = ["pre_nucleus_id", "post_nucleus_id", "n_synapses", "sum_size"]


@pytest.fixture(scope="session")
def demo_snapshot(demo_dataset, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo_cave")
    truth = write_demo_snapshot(demo_dataset, path=path, mat_version=SNAPSHOT_VERSION)
    return path, truth


@pytest.fixture(scope="session")
def em_imported(demo_loaded, demo_snapshot):
    path, _ = demo_snapshot
    em_api.import_version(SNAPSHOT_VERSION, source=path, functional=(ct.FUNCTIONAL_TABLE, ct.FUNCTIONAL_V3_TABLE),
                          schemas=demo_loaded)
    return demo_loaded


@pytest.fixture
def no_sleep():
    previous = em_api.set_retry_policy(NO_SLEEP)
    yield
    em_api.set_retry_policy(previous)


@pytest.fixture
def mocked_cave(demo_snapshot, no_sleep):
    """A mocked CAVE server holding the demo snapshot as version 1719, installed as the client factory."""
    path, _ = demo_snapshot
    caveclient.set_session_defaults(max_retries=0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        server = server_from_snapshot(path, mat_version=MOCK_VERSION)
        client = mock_client(server)
        server.register(rsps)
        previous = cave.set_client_factory(lambda datastack, version: client)
        yield server
        cave.set_client_factory(previous)
    caveclient.set_session_defaults()


def test_snapshot_import_recovers_planted_connectivity(em_imported, demo_snapshot):
    _, truth = demo_snapshot
    em = em_imported["em"]
    row = (em.Materialization & {"mat_version": SNAPSHOT_VERSION}).fetch1()
    assert row["source_kind"] == "snapshot" and row["timestamp"].startswith("2026-03-07")
    assert row["client_version"] == "nda_ext demo snapshot" and (row["voxel_x"], row["voxel_z"]) == (4.0, 40.0)
    edges = em_api.connectivity(SNAPSHOT_VERSION, schemas=em_imported)
    pd.testing.assert_frame_equal(edges[EDGE_COLUMNS], truth["planted_edges"], check_dtype=False)
    nuclei = em_api.api.frame(em.Nucleus.Cell & {"mat_version": SNAPSHOT_VERSION}, ["nucleus_id", "pt_root_id"])
    roots = root_to_nucleus(nuclei)
    assert (roots.reindex(edges["pre_pt_root_id"]).to_numpy() == edges["pre_nucleus_id"].to_numpy()).all()
    synapses = em_api.connectivity(SNAPSHOT_VERSION, per_synapse=True, schemas=em_imported)
    assert len(synapses) == truth["planted_edges"]["n_synapses"].sum()
    assert synapses["synapse_id"].is_unique


def test_connectivity_between_given_cells_by_nucleus_or_root_id(em_imported, demo_snapshot):
    _, truth = demo_snapshot
    planted = truth["planted_edges"]
    pre = planted["pre_nucleus_id"].unique()[:5]
    post = planted["post_nucleus_id"].unique()[:40]
    expected = planted[planted.pre_nucleus_id.isin(pre) & planted.post_nucleus_id.isin(post)].reset_index(drop=True)
    by_nucleus = em_api.connectivity(SNAPSHOT_VERSION, pre=pre, post=post, schemas=em_imported)
    pd.testing.assert_frame_equal(by_nucleus[EDGE_COLUMNS], expected, check_dtype=False)
    roots = truth["matches"].set_index("nucleus_id")["pt_root_id"]
    all_edges = em_api.connectivity(SNAPSHOT_VERSION, schemas=em_imported)
    root_of = pd.concat([all_edges.set_index("pre_nucleus_id")["pre_pt_root_id"],
                         all_edges.set_index("post_nucleus_id")["post_pt_root_id"]])
    root_of = root_of[~root_of.index.duplicated()]
    by_root = em_api.connectivity(SNAPSHOT_VERSION, pre=root_of.reindex(pre).to_numpy(),
                                  post=root_of.reindex(post).to_numpy(), schemas=em_imported)
    pd.testing.assert_frame_equal(by_root, by_nucleus)
    assert len(roots)
    with pytest.raises(ValueError, match="neither nucleus ids nor root ids"):
        em_api.connectivity(SNAPSHOT_VERSION, pre=[123], schemas=em_imported)


def test_coregistration_links_nda_units_and_angles_agree(em_imported, demo_snapshot, demo_dataset):
    _, truth = demo_snapshot
    em = em_imported["em"]
    key = {"mat_version": SNAPSHOT_VERSION}
    matches = truth["matches"]
    assert (em.Coregistration & key).fetch1("n_in_nda") == len(matches)
    linked = em_api.api.frame(em.Coregistration.Unit * em_imported["nda"].ScanUnit & key,
                              ["session", "scan_idx", "unit_id", "nucleus_id", "um_z"])
    assert len(linked) == len(matches)
    # mixed angle units: the radian v3 table and the degree digital-twin table agree after import
    v3 = em_api.api.frame(em.FunctionalProperties.Unit & dict(key, cave_table=ct.FUNCTIONAL_V3_TABLE),
                          ["nucleus_id", "session", "scan_idx", "unit_id", "pref_ori", "pref_dir"])
    twin = em_api.api.frame(em.FunctionalProperties.Unit & dict(key, cave_table=ct.FUNCTIONAL_TABLE),
                            ["nucleus_id", "session", "scan_idx", "unit_id", "pref_ori", "pref_dir"])
    both = v3.merge(twin, on=["nucleus_id", "session", "scan_idx", "unit_id"]).merge(
        demo_dataset.truth[["session", "scan_idx", "unit_id", "pref_ori", "pref_dir"]].rename(
            columns={"pref_ori": "planted_ori", "pref_dir": "planted_dir"}), on=["session", "scan_idx", "unit_id"])
    assert len(both) == len(matches)
    for column, planted, period in (("pref_ori", "planted_ori", 180), ("pref_dir", "planted_dir", 360)):
        for got in (both[f"{column}_x"], both[f"{column}_y"]):
            gap = np.abs(got - both[planted]) % period
            assert np.minimum(gap, period - gap).max() < 1e-6
    assert (em.FunctionalProperties & dict(key, cave_table=ct.FUNCTIONAL_V3_TABLE)).fetch1(
        "angle_convention") == "bcm_v3_radians"


def test_unit_table_from_database(em_imported, demo_snapshot):
    path, truth = demo_snapshot
    nuclei = cave.SnapshotSource(path).nuclei()
    units = em_api.unit_table(SNAPSHOT_VERSION, functional="best_only", schemas=em_imported)
    shared = nuclei.pt_root_id.duplicated(keep=False) & (nuclei.pt_root_id != 0)
    assert units.attrs["n_multisoma_nuclei"] == shared.sum() > 0
    assert units.attrs["n_zero_root"] == (nuclei.pt_root_id == 0).sum() > 0
    assert len(units) == len(nuclei) - shared.sum() - (nuclei.pt_root_id == 0).sum()
    assert units["nucleus_id"].is_unique and units["in_nda"].sum() == truth["matches"]["nucleus_id"].nunique()
    assert units.loc[units.tuning_type == "matched", "pref_ori"].notna().all()
    assert set(units["brain_area"]) >= {"WM", "V1"} and units["brain_area"].map(type).eq(str).all()
    matched = em_api.unit_table(SNAPSHOT_VERSION, functional="match", schemas=em_imported)
    assert (matched["tuning_type"] == "matched").sum() == len(truth["matches"])
    rates = em_api.scan_rates(units, {"session": 4, "scan_idx": 7}, schemas=em_imported)
    at_scan = ((units.session == 4) & (units.scan_idx == 7)).fillna(False).to_numpy(bool)
    assert rates.shape[0] == len(units) and (np.abs(rates[at_scan]).sum(axis=1) > 0).all()
    assert not rates[~at_scan].any()


def test_cave_source_through_mocked_server_populates_em(em_imported, mocked_cave):
    em = em_imported["em"]
    em_api.import_version(MOCK_VERSION, schemas=em_imported)
    row = (em.Materialization & {"mat_version": MOCK_VERSION}).fetch1()
    assert row["source_kind"] == "cave" and row["client_version"] == f"caveclient {caveclient.__version__}"
    for table, part in (("Nucleus", "Cell"), ("CellType", "Cell"), ("Proofreading", "Root"), ("BrainArea", "Cell"),
                        ("Coregistration", "Match"), ("FunctionalProperties", "Unit")):
        rows = {v: len(getattr(getattr(em, table), part) & {"mat_version": v, "cave_table": ct.FUNCTIONAL_TABLE}
                       if table == "FunctionalProperties" else getattr(getattr(em, table), part) & {"mat_version": v})
                for v in (SNAPSHOT_VERSION, MOCK_VERSION)}
        assert rows[MOCK_VERSION] == rows[SNAPSHOT_VERSION] > 0, table
    a = em_api.unit_table(SNAPSHOT_VERSION, functional="match", schemas=em_imported)
    b = em_api.unit_table(MOCK_VERSION, functional="match", schemas=em_imported)
    pd.testing.assert_frame_equal(a, b, check_like=True, obj="unit table")


def chunk_fault(chunk):
    """503 for every synapse query overlapping ``chunk`` (so also its halves)."""
    pre, post = set(chunk.pre.tolist()), set(chunk.post.tolist())

    def fault(body):
        ids = (body.get("filter_in_dict") or {}).get(ct.SYNAPSE_TABLE)
        if ids and pre & set(ids["pre_pt_root_id"]) and post & set(ids["post_pt_root_id"]):
            return 503
        return None
    return fault


def synapse_queries(server):
    return [(tuple(b["filter_in_dict"][ct.SYNAPSE_TABLE]["pre_pt_root_id"]),
             tuple(b["filter_in_dict"][ct.SYNAPSE_TABLE]["post_pt_root_id"]))
            for b in server.query_bodies if ct.SYNAPSE_TABLE in (b.get("filter_in_dict") or {})]


def test_failing_chunk_fails_make_inserts_nothing_and_retry_resumes(em_imported, mocked_cave, demo_snapshot):
    """Pitfalls 1 and 4: a middle chunk that never succeeds fails the make loudly (jobs table), no edges are
    inserted, a retry fetches only the missing chunks, and a stale chunk row cannot leak into the result."""
    _, truth = demo_snapshot
    em, server = em_imported["em"], mocked_cave
    if not em.Nucleus & {"mat_version": MOCK_VERSION}:
        em_api.import_version(MOCK_VERSION, schemas=em_imported)
    nuclei = em_api.api.frame(em.Nucleus.Cell & {"mat_version": MOCK_VERSION}, ["nucleus_id", "pt_root_id"])
    roots = root_to_nucleus(nuclei).index.to_numpy()
    chunks = plan_chunks(roots, roots, 80)
    assert len(chunks) >= 9
    position = len(chunks) // 2
    bad = chunks[position]
    server.fault = chunk_fault(bad)
    with pytest.raises(cave.SynapseDownloadError, match=bad.chunk_id):
        em_api.connectivity(MOCK_VERSION, chunk_size=80, schemas=em_imported)
    key = (em.CellSet & {"mat_version": MOCK_VERSION}).fetch1("KEY")
    assert not em.Connectivity & key and not em.Connectivity.Edge & key
    error = (em.Connectivity.jobs.errors & key).fetch1("error_message")
    assert "SynapseDownloadError" in error and bad.chunk_id in error
    recorded = set((em.SynapseChunk & key).to_arrays("chunk_id"))
    assert recorded == {c.chunk_id for c in chunks[:position]}
    # a stale chunk of roots outside the set must not leak into the result
    stale = np.array([[1, 7, 9]], np.int64)
    em.SynapseChunk.insert1(dict(key, chunk_id="syn-stale", n_rows=1, ids=stale, values=np.ones((1, 4))))
    server.fault = None
    server.query_bodies.clear()
    edges = em_api.connectivity(MOCK_VERSION, chunk_size=80, schemas=em_imported)
    pd.testing.assert_frame_equal(edges[EDGE_COLUMNS], truth["planted_edges"], check_dtype=False)
    retried = synapse_queries(server)
    assert retried == [(tuple(c.pre.tolist()), tuple(c.post.tolist())) for c in chunks[position:]]
    assert not em.Connectivity.jobs.errors & key
    assert (em.Connectivity & key).fetch1("n_chunks") == len(chunks) + 1
    assert ID_COLUMNS[0] == "synapse_id" and len(VALUE_COLUMNS) == 4


def test_pia_frame_depth_of_matched_cells_equals_their_2p_depth(em_imported, demo_snapshot, demo_dataset):
    from nda_ext.demo.em import demo_units

    units = em_api.unit_table(SNAPSHOT_VERSION, functional="best_only", schemas=em_imported)
    matched = units.dropna(subset=["unit_id"]).astype({"session": int, "scan_idx": int, "unit_id": int})
    depth_2p = demo_units(demo_dataset).set_index(["session", "scan_idx", "unit_id"])["um_z"]
    both = matched.set_index(["session", "scan_idx", "unit_id"]).join(depth_2p, how="inner")
    assert len(both) > 50
    error = np.abs(both.depth_um - both.um_z)  # a few nuclei are matched by a second unit from another field
    assert (error < 10).mean() > 0.9 and error.median() < 5
    wm = units[units.brain_area == "WM"]
    assert (wm.depth_um > 850).all() and (wm.layer == "WM").all()
