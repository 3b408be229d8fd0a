"""CAVE source layer against a real caveclient (CAVEclientMock) and a `responses` server."""

import json
from collections import Counter

import caveclient
import numpy as np
import pandas as pd
import pytest
import requests
import responses

from nda_ext.sources import cave
from nda_ext.sources.cave import tables as ct
from nda_ext.sources.cave.synapses import plan_chunks
from nda_ext.sources.cave.testing import MockMaterializationServer, mock_client, server_from_snapshot
from nda_ext.sources.demo.em_snapshot import write_snapshot

NO_SLEEP = cave.RetryPolicy(max_retries=3, backoff=0.0, sleep=lambda s: None)
ROOTS = 864_691_135_000_000_000 + np.arange(1, 41, dtype=np.int64) * 7919


@pytest.fixture
def rsps():
    """A `responses` mock; caveclient's own urllib3 retries off so our retry layer is what is tested."""
    caveclient.set_session_defaults(max_retries=0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
    caveclient.set_session_defaults()


def nucleus_table():
    n = len(ROOTS)
    return pd.DataFrame({"id": np.arange(200_001, 200_001 + n), "valid": True, "volume": np.linspace(100, 300, n),
                         "pt_supervoxel_id": np.arange(n) + 88 * 10**15, "pt_root_id": ROOTS,
                         "pt_position_x": np.arange(n) * 10.0, "pt_position_y": np.arange(n) * 20.0,
                         "pt_position_z": np.arange(n) * 1.0})


def synapse_table(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    pool = np.concatenate([ROOTS, [0]])
    frame = pd.DataFrame({"id": rng.permutation(n) + 10**8, "valid": True,
                          "pre_pt_root_id": rng.choice(pool, n), "post_pt_root_id": rng.choice(pool, n),
                          "size": rng.integers(1, 500, n)})
    for side in ("pre", "post", "ctr"):
        for axis in "xyz":
            frame[f"{side}_pt_position_{axis}"] = rng.integers(0, 10**5, n).astype(float)
    return frame


def expected_synapses(table, pre, post, remove_autapses=True):
    """Independent expectation: plain pandas filtering of the server's table."""
    rows = table[table.pre_pt_root_id.isin(pre) & table.post_pt_root_id.isin(post)
                 & (table.pre_pt_root_id != 0) & (table.post_pt_root_id != 0)]
    if remove_autapses:
        rows = rows[rows.pre_pt_root_id != rows.post_pt_root_id]
    return sorted(rows["id"].tolist())


def start(rsps, tables, **kwargs):
    server = MockMaterializationServer(tables, reference_tables={
        name: ct.NUCLEUS_TABLE for name in tables if "target_id" in tables[name].columns}, **kwargs)
    client = mock_client(server)
    server.register(rsps)
    return server, cave.CaveSource(client=client)


def query_calls(rsps):
    return [json.loads(c.request.body) for c in rsps.calls if c.request.method == "POST"]


def synapse_calls(rsps):
    return [(tuple(b["filter_in_dict"][ct.SYNAPSE_TABLE]["pre_pt_root_id"]),
             tuple(b["filter_in_dict"][ct.SYNAPSE_TABLE]["post_pt_root_id"]))
            for b in query_calls(rsps) if ct.SYNAPSE_TABLE in (b.get("filter_in_dict") or {})]


def test_nuclei_and_coregistration(rsps):
    nuclei = nucleus_table()
    coreg = pd.DataFrame({"id": [1, 2, 3], "valid": True, "target_id": nuclei["id"].iloc[[5, 5, 9]].to_numpy(),
                          "session": [4, 5, 4], "scan_idx": [7, 3, 7], "unit_id": [11, 12, 13], "field": [1, 2, 3],
                          "residual": [1.5, 2.5, 3.5], "score": [4.0, -1.0, 6.0]})
    server, source = start(rsps, {ct.NUCLEUS_TABLE: nuclei, ct.COREGISTRATION_TABLE: coreg})
    got = source.nuclei()
    assert got["nucleus_id"].tolist() == nuclei["id"].tolist()
    assert got["pt_root_id"].tolist() == ROOTS.tolist()
    np.testing.assert_array_equal(got[["pt_position_x", "pt_position_y", "pt_position_z"]],
                                  nuclei[["pt_position_x", "pt_position_y", "pt_position_z"]])
    assert got.attrs["source"] == "cave" and got.attrs["mat_version"] == 1718
    assert got.attrs["client_version"] == f"caveclient {caveclient.__version__}"
    assert got.attrs["timestamp"].startswith("2024-06-05")

    matched = source.coregistration()
    assert matched["nucleus_id"].tolist() == [nuclei["id"][5]] * 2 + [nuclei["id"][9]]
    assert matched["pt_root_id"].tolist() == [ROOTS[5]] * 2 + [ROOTS[9]]
    assert matched[["session", "scan_idx", "unit_id", "field"]].values.tolist() == [[4, 7, 11, 1], [5, 3, 12, 2],
                                                                                    [4, 7, 13, 3]]
    body = query_calls(rsps)[-1]
    assert body["tables"] == [[ct.COREGISTRATION_TABLE, "target_id"], [ct.NUCLEUS_TABLE, "id"]]
    assert body["desired_resolution"] == [4.0, 4.0, 40.0]


def test_table_read_truncated_at_cap_raises(rsps):
    server, source = start(rsps, {ct.NUCLEUS_TABLE: nucleus_table()}, row_cap=10)
    with pytest.raises(cave.CaveDownloadError, match="nucleus_detection_v0.*row cap"):
        source.nuclei()


def test_capped_chunk_is_split_until_complete(rsps):
    table = synapse_table()
    server, source = start(rsps, {ct.SYNAPSE_TABLE: table}, row_cap=400)
    store = cave.InMemoryProgressStore()
    got = source.synapses(ROOTS, ROOTS, chunk_size=20, store=store, retry=NO_SLEEP)
    assert got["synapse_id"].tolist() == expected_synapses(table, ROOTS, ROOTS)
    capped = [c for c in rsps.calls if "Limited query" in c.response.headers.get("Warning", "")]
    assert capped, "the test must exercise the row cap"
    assert sum(key.endswith(".split") for key in store.frames) == len(capped)
    assert len(synapse_calls(rsps)) == len(plan_chunks(ROOTS, ROOTS, 20)) + 2 * len(capped)


def test_5xx_and_transport_errors_are_retried_with_backoff(rsps):
    table = synapse_table()
    server, source = start(rsps, {ct.SYNAPSE_TABLE: table})
    failures = iter([503, requests.ConnectionError("reset"), requests.exceptions.ReadTimeout("slow"), 502])
    server.fault = lambda body: next(failures, None)
    slept = []
    retry = cave.RetryPolicy(max_retries=4, backoff=0.5, factor=2.0, sleep=slept.append)
    got = source.synapses(ROOTS, ROOTS, chunk_size=100, retry=retry)
    assert got["synapse_id"].tolist() == expected_synapses(table, ROOTS, ROOTS)
    assert slept == [0.5, 1.0, 2.0, 4.0]


def test_client_error_is_not_retried(rsps):
    server, source = start(rsps, {ct.SYNAPSE_TABLE: synapse_table()})
    server.fault = lambda body: 400
    with pytest.raises(cave.SynapseDownloadError, match="non-retryable") as info:
        source.synapses(ROOTS, ROOTS, chunk_size=100, retry=NO_SLEEP)
    assert info.value.last_error.response.status_code == 400
    assert len(synapse_calls(rsps)) == 1


def failing_on(chunk):
    """A fault answering 503 to every query overlapping ``chunk`` (also to its halves)."""
    def fault(body):
        ids = body["filter_in_dict"][ct.SYNAPSE_TABLE]
        overlaps = set(ids["pre_pt_root_id"]) & set(chunk.pre.tolist()) and set(ids["post_pt_root_id"]) & set(
            chunk.post.tolist())
        return 503 if overlaps else None
    return fault


def test_chunk_that_never_succeeds_raises_and_keeps_completed_chunks(rsps):
    table = synapse_table()
    server, source = start(rsps, {ct.SYNAPSE_TABLE: table})
    chunks = plan_chunks(ROOTS, ROOTS, 10)
    bad = chunks[5]
    server.fault = failing_on(bad)
    store = cave.InMemoryProgressStore()
    with pytest.raises(cave.SynapseDownloadError) as info:
        source.synapses(ROOTS, ROOTS, chunk_size=10, store=store, retry=NO_SLEEP)
    assert info.value.chunk_ids == [bad.chunk_id]
    assert bad.chunk_id in str(info.value) and "503" in str(info.value)
    assert isinstance(info.value.last_error, requests.HTTPError)
    assert set(store.frames) == {c.chunk_id for c in chunks[:5]}
    for chunk in chunks[:5]:
        stored = store.frames[chunk.chunk_id]
        assert sorted(stored["synapse_id"]) == expected_synapses(table, chunk.pre, chunk.post, False)
    assert synapse_calls(rsps).count((tuple(bad.pre.tolist()), tuple(bad.post.tolist()))) == 4


def test_resume_after_interruption_skips_completed_and_split_chunks(rsps, tmp_path):
    table = synapse_table()
    server, source = start(rsps, {ct.SYNAPSE_TABLE: table}, row_cap=150)
    chunks = plan_chunks(ROOTS, ROOTS, 20)
    server.fault = failing_on(chunks[-1])
    with pytest.raises(cave.SynapseDownloadError):
        source.synapses(ROOTS, ROOTS, chunk_size=20, store=cave.DirectoryProgressStore(tmp_path), retry=NO_SLEEP)
    first_run = synapse_calls(rsps)
    answered = {call for call in first_run[:-1] if call != first_run[-1]}
    server.fault = None
    rsps.calls.reset()
    got = source.synapses(ROOTS, ROOTS, chunk_size=20, store=cave.DirectoryProgressStore(tmp_path), retry=NO_SLEEP)
    assert got["synapse_id"].tolist() == expected_synapses(table, ROOTS, ROOTS)
    second_run = synapse_calls(rsps)
    assert second_run and not answered & set(second_run)
    last = chunks[-1]
    assert all(set(pre) <= set(last.pre.tolist()) and set(post) <= set(last.post.tolist()) for pre, post in second_run)


def test_root_zero_never_queried_and_autapses(rsps):
    table = synapse_table()
    server, source = start(rsps, {ct.SYNAPSE_TABLE: table})
    ids = np.concatenate([[0], ROOTS])
    kept = source.synapses(ids, ids, chunk_size=100, remove_autapses=False, retry=NO_SLEEP)
    assert all(0 not in pre and 0 not in post for pre, post in synapse_calls(rsps))
    assert kept["synapse_id"].tolist() == expected_synapses(table, ROOTS, ROOTS, remove_autapses=False)
    assert (kept.pre_pt_root_id == kept.post_pt_root_id).any()
    dropped = source.synapses(ids, ids, chunk_size=100, retry=NO_SLEEP)
    assert dropped["synapse_id"].tolist() == expected_synapses(table, ROOTS, ROOTS)
    assert source.synapses([], ROOTS).empty


def test_functional_angles_converted_from_both_tables(rsps):
    nuclei = nucleus_table()
    base = {"id": [1, 2, 3, 4], "valid": True, "target_id": nuclei["id"][:4].to_numpy(), "session": 4,
            "scan_idx": 7, "unit_id": [1, 2, 3, 4], "gOSI": 0.3, "gDSI": 0.1, "cc_abs": 0.5}
    v3 = pd.DataFrame({**base, "pref_ori": [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4],
                       "pref_dir": [0, np.pi / 2, np.pi, 3 * np.pi / 2]})
    twin = pd.DataFrame({**base, "pref_ori": [90.0, 45.0, 180.0, 135.0], "pref_dir": [90.0, 0.0, 270.0, 540.0],
                         "cc_max": 0.8, "cc_norm": 0.6, "OSI": 0.4, "DSI": 0.2, "readout_loc_x": 0.1,
                         "readout_loc_y": -0.2})
    server, source = start(rsps, {ct.NUCLEUS_TABLE: nuclei, ct.FUNCTIONAL_V3_TABLE: v3, ct.FUNCTIONAL_TABLE: twin})
    # v3: 0 = horizontal bar moving up (our 90), clockwise; so 90 deg clockwise = rightward motion (our 0)
    old = source.functional_properties(ct.FUNCTIONAL_V3_TABLE)
    np.testing.assert_allclose(old["pref_dir"], [90, 0, 270, 180], atol=1e-9)
    np.testing.assert_allclose(old["pref_ori"], [90, 45, 0, 135], atol=1e-9)
    new = source.functional_properties()
    np.testing.assert_allclose(new["pref_ori"], [90, 45, 0, 135])
    np.testing.assert_allclose(new["pref_dir"], [90, 0, 270, 180])
    assert {"osi", "dsi", "cc_norm", "readout_loc_x"} <= set(new.columns) and "cc_norm" not in old.columns
    with pytest.raises(ValueError, match="unknown functional-properties table 'my_table'"):
        ct.angle_convention("my_table")


def test_snapshot_and_cave_sources_return_identical_frames(rsps, tmp_path):
    rng = np.random.default_rng(3)
    n = 120
    units = pd.DataFrame({"session": 4, "scan_idx": 7, "unit_id": np.arange(1, n + 1), "um_x": rng.uniform(0, 300, n),
                          "um_y": rng.uniform(0, 300, n), "um_z": rng.uniform(100, 400, n),
                          "pref_ori": rng.uniform(0, 180, n), "pref_dir": rng.uniform(0, 360, n),
                          "planted_gosi": rng.uniform(0, 0.5, n), "brain_area": rng.choice(["V1", "RL"], n),
                          "is_soma": rng.random(n) < 0.9})
    write_snapshot(tmp_path, units, n_extra_cells=40)
    snapshot = cave.SnapshotSource(tmp_path)
    server = server_from_snapshot(tmp_path, row_cap=300)
    client = mock_client(server)
    server.register(rsps)
    live = cave.CaveSource(client=client)
    for method, args in [("nuclei", ()), ("cell_types", ()), ("proofreading", ()), ("brain_areas", ()),
                         ("coregistration", ()), ("functional_properties", ()),
                         ("functional_properties", (ct.FUNCTIONAL_V3_TABLE,))]:
        a, b = getattr(snapshot, method)(*args), getattr(live, method)(*args)
        pd.testing.assert_frame_equal(a, b, obj=method)
        assert a.attrs["mat_version"] == b.attrs["mat_version"] == 1718
    roots = snapshot.nuclei()["pt_root_id"]
    a = snapshot.synapses(roots, roots)
    b = live.synapses(roots, roots, chunk_size=60, retry=NO_SLEEP)
    assert any("Limited query" in c.response.headers.get("Warning", "") for c in rsps.calls)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["source"] == "snapshot" and b.attrs["source"] == "cave"


def test_client_factory_is_used_and_restored(rsps):
    server = MockMaterializationServer({ct.NUCLEUS_TABLE: nucleus_table()})
    client = mock_client(server)
    server.register(rsps)
    seen = []
    previous = cave.set_client_factory(lambda datastack, version: seen.append((datastack, version)) or client)
    try:
        source = cave.CaveSource(version=1718)
        assert seen == [("minnie65_public", 1718)] and source.client is client
        assert len(source.nuclei()) == len(ROOTS)
        with pytest.raises(ValueError, match="pinned to version 1718, expected 1300"):
            cave.CaveSource(version=1300)
        with pytest.raises(ValueError, match="datastack"):
            cave.CaveSource("other_stack")
    finally:
        cave.set_client_factory(previous)


def naive_edges(frame, id_map):
    """Independent reference: a Python loop over synapse rows."""
    count, size = Counter(), Counter()
    for pre, post, s in frame[["pre_pt_root_id", "post_pt_root_id", "size"]].itertuples(index=False):
        if pre == post or pre == 0 or post == 0 or pre not in id_map or post not in id_map:
            continue
        count[id_map[pre], id_map[post]] += 1
        size[id_map[pre], id_map[post]] += s
    return sorted((k[0], k[1], count[k], float(size[k])) for k in count)


def test_synapse_edges_against_naive_loop():
    table = synapse_table(n=3000, seed=5)
    nuclei = nucleus_table().rename(columns={"id": "nucleus_id"})
    nuclei.loc[3, "pt_root_id"] = nuclei.loc[4, "pt_root_id"]  # a multi-soma object: excluded
    id_map = cave.root_to_nucleus(nuclei)
    assert ROOTS[4] not in id_map.index and len(id_map) == len(ROOTS) - 2
    edges = cave.synapse_edges(table, id_map)
    assert list(edges.columns) == ["pre_nucleus_id", "post_nucleus_id", "n_synapses", "sum_size"]
    assert [tuple(r) for r in edges.itertuples(index=False)] == naive_edges(table, id_map.to_dict())
    by_root = cave.synapse_edges(table)
    assert by_root["n_synapses"].sum() == ((table.pre_pt_root_id != table.post_pt_root_id)
                                           & (table.pre_pt_root_id != 0) & (table.post_pt_root_id != 0)).sum()
    with pytest.raises(ValueError, match="several nuclei"):
        cave.synapse_edges(table, pd.Series([1, 2], index=[ROOTS[0], ROOTS[0]]))


@pytest.mark.parametrize("file_format", ["feather", "parquet"])
def test_directory_store_round_trip(tmp_path, file_format):
    store = cave.DirectoryProgressStore(tmp_path, file_format=file_format)
    frame = pd.DataFrame({"synapse_id": [1, 2], "pre_pt_root_id": [3, 4]})
    assert not store.done("a")
    store.record("a", frame)
    store.record("b", frame.iloc[:0])
    assert store.done("a") and store.done("b")
    pd.testing.assert_frame_equal(cave.DirectoryProgressStore(tmp_path, file_format).load_all(), frame)
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(ValueError, match="chunk_id"):
        store.done("../x")
