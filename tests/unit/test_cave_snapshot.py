"""Demo CAVE snapshot writer: planted truth is recoverable through SnapshotSource."""

import json

import numpy as np
import pandas as pd
import pytest

from nda_ext.compute.selectivity import orientation_difference
from nda_ext.sources import cave
from nda_ext.sources.cave import tables as ct
from nda_ext.sources.demo.em_snapshot import write_snapshot


def demo_units(n=250, seed=1):
    rng = np.random.default_rng(seed)
    ori = rng.uniform(0, 180, n)
    return pd.DataFrame({"session": 4, "scan_idx": np.where(np.arange(n) < n // 2, 7, 9),
                         "unit_id": np.arange(1, n + 1), "um_x": rng.uniform(0, 400, n),
                         "um_y": rng.uniform(0, 400, n), "um_z": rng.uniform(80, 600, n), "pref_ori": ori,
                         "pref_dir": (ori + 180 * (rng.random(n) < 0.5)) % 360,
                         "planted_gosi": rng.uniform(0, 0.6, n), "brain_area": rng.choice(["V1", "AL", "LM"], n),
                         "is_soma": rng.random(n) < 0.9})


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    path = tmp_path_factory.mktemp("snapshot")
    units = demo_units()
    truth = write_snapshot(path, units, seed=7, like_to_like=0.8, n_extra_cells=150)
    return path, units, truth, cave.SnapshotSource(path)


def test_planted_edges_equal_synapse_edges_of_written_file(snapshot):
    path, _, truth, source = snapshot
    raw = pd.read_feather(path / f"{ct.SYNAPSE_TABLE}.feather")
    id_map = cave.root_to_nucleus(source.nuclei())
    pd.testing.assert_frame_equal(cave.synapse_edges(raw, id_map), truth["planted_edges"])
    roots = source.nuclei()["pt_root_id"]
    pd.testing.assert_frame_equal(cave.synapse_edges(source.synapses(roots, roots), id_map), truth["planted_edges"])


def test_synapse_file_holds_the_rows_that_must_be_excluded(snapshot):
    path, _, truth, source = snapshot
    raw = pd.read_feather(path / f"{ct.SYNAPSE_TABLE}.feather")
    assert (raw.pre_pt_root_id == raw.post_pt_root_id).sum() > 0
    assert ((raw.pre_pt_root_id == 0) | (raw.post_pt_root_id == 0)).sum() > 0
    assert raw["id"].is_unique and raw["pre_pt_root_id"].dtype == np.int64
    assert raw.loc[raw.pre_pt_root_id != 0, "pre_pt_root_id"].between(864691135 * 10**9, 864691139 * 10**9).all()
    assert len(raw) > truth["planted_edges"]["n_synapses"].sum()


def test_like_to_like_rule_is_planted(snapshot):
    _, units, truth, source = snapshot
    ori = source.functional_properties().drop_duplicates("nucleus_id").set_index("nucleus_id")["pref_ori"]
    edges = truth["planted_edges"]
    connected = set(zip(edges.pre_nucleus_id, edges.post_nucleus_id))
    ids = ori.index.to_numpy()
    pre, post = np.meshgrid(ids, ids, indexing="ij")
    off = pre != post
    delta = orientation_difference(ori.loc[pre[off]].to_numpy(), ori.loc[post[off]].to_numpy())
    linked = np.array([(a, b) in connected for a, b in zip(pre[off], post[off])])
    assert linked[delta < 22.5].mean() > 2.5 * linked[delta > 67.5].mean()


def test_matches_and_special_cells(snapshot):
    _, units, truth, source = snapshot
    matches = truth["matches"]
    coreg = source.coregistration()
    key = ["session", "scan_idx", "unit_id", "nucleus_id", "pt_root_id"]
    pd.testing.assert_frame_equal(coreg[key].sort_values(key).reset_index(drop=True),
                                  matches[key].sort_values(key).reset_index(drop=True))
    assert matches["nucleus_id"].duplicated().any(), "some nuclei are matched by two units"
    assert units.merge(matches, on=["session", "scan_idx", "unit_id"])["is_soma"].all()
    nuclei = source.nuclei()
    assert (nuclei["pt_root_id"] == 0).any()
    assert nuclei.loc[nuclei.pt_root_id != 0, "pt_root_id"].duplicated().any(), "multi-soma objects"
    assert len(nuclei) == len(set(matches.nucleus_id)) + 150
    assert "WM" in set(source.brain_areas()["brain_area"])
    types = source.cell_types()
    assert {"excitatory_neuron", "inhibitory_neuron", "nonneuron"} == set(types["classification_system"])
    assert {"23P", "4P", "BC", "MC"} <= set(types["cell_type"])
    proof = source.proofreading()
    assert proof["strategy_axon"].isin(["none", "axon_column_truncated", "axon_interareal",
                                        "axon_partially_extended", "axon_fully_extended"]).all()
    assert (proof["valid_id"] != proof["pt_root_id"]).any()


def circular_gap(a, b, period):
    d = np.abs(np.asarray(a) - np.asarray(b)) % period
    return np.minimum(d, period - d)


@pytest.mark.parametrize("table", [ct.FUNCTIONAL_TABLE, ct.FUNCTIONAL_V3_TABLE])
def test_functional_tables_recover_unit_angles(snapshot, table):
    _, units, truth, source = snapshot
    got = source.functional_properties(table).merge(units, on=["session", "scan_idx", "unit_id"],
                                                    suffixes=("", "_unit"))
    assert len(got) == len(truth["matches"])
    assert circular_gap(got.pref_ori, got.pref_ori_unit, 180).max() < 1e-9
    assert circular_gap(got.pref_dir, got.pref_dir_unit, 360).max() < 1e-9
    np.testing.assert_allclose(got["gosi"], got["planted_gosi"])


def test_raw_tables_use_cave_conventions(snapshot):
    path, _, truth, _ = snapshot
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["mat_version"] == 1718 and manifest["voxel_resolution"] == [4.0, 4.0, 40.0]
    v3 = pd.read_feather(path / f"{ct.FUNCTIONAL_V3_TABLE}.feather")
    assert v3["pref_dir"].max() <= 2 * np.pi and {"id", "target_id", "id_ref", "pt_root_id"} <= set(v3.columns)
    twin = pd.read_feather(path / f"{ct.FUNCTIONAL_TABLE}.feather")
    assert twin["pref_dir"].max() > 2 * np.pi
    assert (twin["target_id"] == twin["id_ref"]).all()
    assert truth["tables"] == {name: entry["rows"] for name, entry in manifest["tables"].items()}


def test_same_seed_same_files(tmp_path):
    units = demo_units(n=60, seed=2)
    a = write_snapshot(tmp_path / "a", units, seed=3, n_extra_cells=20)
    b = write_snapshot(tmp_path / "b", units, seed=3, n_extra_cells=20)
    for name in a["tables"]:
        pd.testing.assert_frame_equal(pd.read_feather(tmp_path / "a" / f"{name}.feather"),
                                      pd.read_feather(tmp_path / "b" / f"{name}.feather"))
    pd.testing.assert_frame_equal(a["planted_edges"], b["planted_edges"])


def test_no_rule_without_like_to_like(tmp_path):
    units = demo_units(n=200, seed=4)
    truth = write_snapshot(tmp_path, units, like_to_like=0.0, n_extra_cells=100, p_connect=0.1)
    source = cave.SnapshotSource(tmp_path)
    ori = source.nuclei()[["nucleus_id"]].merge(source.functional_properties()[["nucleus_id", "pref_ori"]])
    ori = ori.drop_duplicates("nucleus_id").set_index("nucleus_id")["pref_ori"]
    edges = truth["planted_edges"]
    edges = edges[edges.pre_nucleus_id.isin(ori.index) & edges.post_nucleus_id.isin(ori.index)]
    delta = circular_gap(ori.loc[edges.pre_nucleus_id].to_numpy(), ori.loc[edges.post_nucleus_id].to_numpy(), 180)
    assert 0.35 < (delta < 45).mean() < 0.65


def test_input_errors_name_the_problem(tmp_path):
    with pytest.raises(KeyError, match="planted_gosi"):
        write_snapshot(tmp_path, demo_units(20).drop(columns="planted_gosi"))
    with pytest.raises(ValueError, match="like_to_like"):
        write_snapshot(tmp_path, demo_units(20), like_to_like=1.5)
    write_snapshot(tmp_path, demo_units(20))
    with pytest.raises(FileNotFoundError, match="aibs_metamodel_mtypes_v661_v2"):
        cave.SnapshotSource(tmp_path).cell_types("aibs_metamodel_mtypes_v661_v2")
    with pytest.raises(ValueError, match="mat_version"):
        cave.SnapshotSource(tmp_path / "..")


def test_reads_public_dump_layout(tmp_path, snapshot):
    """csv.gz dumps with header files, one text position column, reference tables not joined."""
    path, _, _, source = snapshot
    dump = tmp_path / "v1718"
    dump.mkdir()
    for name, raw_columns in [(ct.NUCLEUS_TABLE, None), (ct.CELL_TYPE_TABLE, ["id", "valid", "target_id",
                                                                              "classification_system", "cell_type"])]:
        frame = pd.read_feather(path / f"{name}.feather")
        frame = frame[raw_columns] if raw_columns else frame
        if "pt_position_x" in frame.columns:
            frame["pt_position"] = ["POINT Z ({} {} {})".format(*map(int, p)) for p in
                                    frame[["pt_position_x", "pt_position_y", "pt_position_z"]].to_numpy()]
            frame = frame.drop(columns=["pt_position_x", "pt_position_y", "pt_position_z"])
        frame.to_csv(dump / f"{name}_merged.csv.gz", header=False, index=False)
        pd.DataFrame({0: frame.columns, 1: "text"}).to_csv(dump / f"{name}_merged_header.csv", header=False,
                                                           index=False)
    dumped = cave.SnapshotSource(dump)
    assert dumped.mat_version == 1718 and dumped.client_version == "static dump"
    pd.testing.assert_frame_equal(dumped.nuclei(), source.nuclei())
    pd.testing.assert_frame_equal(dumped.cell_types(), source.cell_types())
