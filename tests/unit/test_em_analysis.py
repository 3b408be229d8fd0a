"""Pure EM analysis helpers (no database): pia frame, layers, unit table, filters, matrices, plots.

The microns-combiner pitfalls (docs/cave.md: "microns-combiner") each have a test named ``test_pitfall_*``.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from nda_ext.compute.em.units import combine_units
from nda_ext.compute.selectivity import orientation_difference
from nda_ext.em import (
    LAYERS,
    MINNIE65_BOUNDARIES_UM,
    adjacency_matrix,
    assign_layers,
    filter_connections,
    filter_neurons,
    like_to_like,
    pia_frame_um,
    rate_matrix,
    remap,
    synapses_by_id,
)
from nda_ext.plot.connectivity import plot_connectivity_matrix, plot_like_to_like
from nda_ext.sources import cave
from nda_ext.sources.cave import tables as ct
from nda_ext.sources.demo.em_snapshot import write_snapshot

AXON = ["none", "axon_column_truncated", "axon_interareal", "axon_partially_extended", "axon_fully_extended"]


def test_pia_frame_check_value_and_rotation():
    np.testing.assert_allclose(pia_frame_um([[228816, 239776, 19593]]), [[828.19, 638.55, 783.72]], atol=0.01)
    a, b = pia_frame_um([[100_000, 200_000, 20_000], [100_000, 200_000 + 25_000, 20_000]])
    theta = np.deg2rad(5)
    np.testing.assert_allclose(b - a, [100 * np.sin(theta) * np.sign(b[0] - a[0]), 100 * np.cos(theta), 0], atol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        pia_frame_um([1, 2, 3])


def test_layers_from_depth_borders_and_nan():
    depth = np.array([-5, 0, 70.9, 71, 249, 250, 359, 360, 508, 509, 827, 828, 2000, np.nan])
    assert assign_layers(depth).tolist() == ["L1", "L1", "L1", "L2/3", "L2/3", "L4", "L4", "L5", "L5", "L6", "L6",
                                             "WM", "WM", ""]
    assert LAYERS[-1] == "WM" and len(MINNIE65_BOUNDARIES_UM) == len(LAYERS) - 1
    with pytest.raises(ValueError, match="strictly increasing"):
        assign_layers(depth, (10, 5, 20, 30, 40))
    with pytest.raises(ValueError, match="labels needs"):
        assign_layers(depth, (10, 20), ("a", "b"))


def test_pitfall_layers_monotone_subset_invariant_and_case_blind():
    """Pitfalls 7-9: layers do not depend on cell-type counts or spelling (WM glia 'oligo'/'pericyte'), on the
    subset of cells, and are monotone in depth."""
    rng = np.random.default_rng(0)
    depth = rng.uniform(-10, 1000, 2000)
    labels = assign_layers(depth)
    order = np.argsort(depth)
    rank = np.array([LAYERS.index(label) for label in labels[order]])
    assert (np.diff(rank) >= 0).all()
    subset = rng.random(len(depth)) < 0.05
    assert (assign_layers(depth[subset]) == labels[subset]).all()
    deep_glia = units_fixture()
    wm = deep_glia[deep_glia["cell_type"].isin(["oligo", "pericyte"])]
    assert (wm["layer"] == "WM").all() and len(wm) == 2


def voxels_at_depth(depth_um):
    """Voxel positions whose pia-frame depth is ``depth_um`` (x = 700 um, z = 800 um)."""
    from standard_transform import minnie_ds

    um = np.column_stack([np.full(len(depth_um), 700.0), depth_um, np.full(len(depth_um), 800.0)])
    return minnie_ds.transform("vx").invert(um)


def frames():
    """Tiny per-table frames: 8 nuclei (one root 0, one multi-soma pair), 2 deep glia, matches, properties."""
    ids = np.arange(101, 109)
    roots = np.array([11, 12, 13, 14, 15, 15, 0, 18])
    voxels = voxels_at_depth([30, 120, 300, 400, 600, 610, 50, 900])
    nuclei = pd.DataFrame({"nucleus_id": ids, "pt_root_id": roots, "pt_position_x": voxels[:, 0],
                           "pt_position_y": voxels[:, 1], "pt_position_z": voxels[:, 2], "volume": 200.0})
    types = pd.DataFrame({"nucleus_id": [101, 102, 103, 104, 108, 105],
                          "classification_system": ["inhibitory_neuron", "excitatory_neuron", "excitatory_neuron",
                                                    "excitatory_neuron", "nonneuron", "nonneuron"],
                          "cell_type": ["BC", "23P", "4P", "5P-IT", "oligo", "pericyte"]})
    areas = pd.DataFrame({"nucleus_id": ids, "brain_area": ["V1", "V1", "RL", "V1", "V1", "V1", "V1", "WM"],
                          "boundary_distance": 50.0})
    proof = pd.DataFrame({"pt_root_id": [11, 12, 13], "status_axon": [True, True, False],
                          "status_dendrite": [True, False, True], "strategy_axon": ["axon_fully_extended",
                                                                                   "axon_partially_extended", "none"],
                          "strategy_dendrite": ["dendrite_extended", "none", "dendrite_clean"]})
    coreg = pd.DataFrame({"nucleus_id": [102, 102, 103], "session": [4, 5, 4], "scan_idx": [7, 6, 7],
                          "unit_id": [1, 9, 2], "field": 1, "residual": 2.0, "score": 5.0})
    func = pd.DataFrame({"nucleus_id": [102, 102, 103], "session": [4, 5, 4], "scan_idx": [7, 6, 7],
                         "unit_id": [1, 9, 2], "pref_ori": [10.0, 20.0, 100.0], "pref_dir": [10.0, 200.0, 280.0],
                         "gosi": 0.3, "gdsi": 0.1, "cc_abs": [0.2, 0.5, 0.4]})
    return dict(nuclei=nuclei, cell_types=types, brain_areas=areas, proofreading=proof, coregistration=coreg,
                functional_properties=func)


def units_fixture(functional="best_only"):
    tables = frames()
    tables["nuclei"].loc[4:5, "pt_root_id"] = [15, 16]  # no multi-soma: both glia stay
    tables["nuclei"].loc[4:5, ["pt_position_x", "pt_position_y", "pt_position_z"]] = voxels_at_depth([900, 950])
    return combine_units(**tables, functional=functional)


def test_unit_table_exclusions_joins_and_modes():
    units = combine_units(**frames(), functional="best_only")
    assert units.attrs == {"n_zero_root": 1, "n_multisoma_nuclei": 2, "n_multisoma_objects": 1,
                           "functional": "best_only"}
    assert units["nucleus_id"].tolist() == [101, 102, 103, 104, 108]
    row = units.set_index("nucleus_id")
    assert (row.loc[102, "session"], row.loc[102, "scan_idx"], row.loc[102, "unit_id"]) == (5, 6, 9)
    assert row.loc[102, "pref_ori"] == 20.0 and row.loc[104, "tuning_type"] == "not_matched"
    assert row.loc[104, "strategy_axon"] == "none" and not row.loc[104, "status_axon"]
    assert pd.isna(row.loc[104, "unit_id"]) and str(units["unit_id"].dtype) == "Int64"
    assert row.loc[101, "layer"] == "L1" and row.loc[102, "layer"] == "L2/3" and row.loc[108, "layer"] == "WM"
    np.testing.assert_allclose(row["depth_um"], [30, 120, 300, 400, 900], atol=1e-6)
    match = combine_units(**frames(), functional="match")
    assert match["nucleus_id"].tolist() == [101, 102, 102, 103, 104, 108]
    assert match.loc[match.nucleus_id == 102, "pref_ori"].tolist() == [10.0, 20.0]
    none = combine_units(**frames(), functional="none")
    assert "unit_id" not in none.columns and none["tuning_type"].tolist().count("matched") == 2
    with pytest.raises(ValueError, match="functional must be one of"):
        combine_units(**frames(), functional="best")


def test_pitfall_best_only_keeps_nda_unit_column():
    """Pitfall 11: every mode names the unit column ``unit_id`` (the nda key)."""
    for mode in ("match", "all", "best_only"):
        assert {"session", "scan_idx", "unit_id"} <= set(combine_units(**frames(), functional=mode).columns)


def test_pitfall_proofreading_filters_not_inverted():
    """Pitfall 6: ax_extended selects fully extended axons (not everything else)."""
    rng = np.random.default_rng(1)
    units = pd.DataFrame({"nucleus_id": np.arange(200), "strategy_axon": rng.choice(AXON, 200),
                          "strategy_dendrite": rng.choice(["none", "dendrite_clean", "dendrite_extended"], 200)})
    checks = {"ax_extended": units.strategy_axon == "axon_fully_extended", "ax_non": units.strategy_axon == "none",
              "ax_clean": units.strategy_axon != "none", "dn_extended": units.strategy_dendrite == "dendrite_extended",
              "dn_non": units.strategy_dendrite == "none", "dn_clean": units.strategy_dendrite != "none"}
    for selector, expected in checks.items():
        got = filter_neurons(units, proofread=selector)
        assert 0 < len(got) < len(units)
        assert got["nucleus_id"].tolist() == units.loc[expected, "nucleus_id"].tolist(), selector
    with pytest.raises(ValueError, match="proofread must be one of"):
        filter_neurons(units, proofread="axon")


def test_pitfall_angles_in_one_convention(tmp_path):
    """Pitfall 10: both functional tables come out in degrees, our convention, whatever their source units."""
    rng = np.random.default_rng(2)
    n = 60
    ori = rng.uniform(0, 180, n)
    units = pd.DataFrame({"session": 4, "scan_idx": 7, "unit_id": np.arange(1, n + 1), "um_x": rng.uniform(0, 300, n),
                          "um_y": rng.uniform(0, 300, n), "um_z": rng.uniform(100, 500, n), "pref_ori": ori,
                          "pref_dir": (ori + 180 * (rng.random(n) < 0.5)) % 360, "planted_gosi": 0.3,
                          "brain_area": "V1", "is_soma": True})
    write_snapshot(tmp_path, units, n_extra_cells=20)
    source = cave.SnapshotSource(tmp_path)
    v3 = source.functional_properties(ct.FUNCTIONAL_V3_TABLE).set_index("unit_id")
    twin = source.functional_properties(ct.FUNCTIONAL_TABLE).set_index("unit_id")
    np.testing.assert_allclose(v3["pref_ori"], twin.loc[v3.index, "pref_ori"], atol=1e-9)
    assert v3["pref_dir"].max() > 2 * np.pi and (v3["pref_ori"] < 180).all()


def naive_matrix(units, edges, weight):
    n = len(units)
    position = {nid: i for i, nid in enumerate(units["nucleus_id"])}
    dense = np.zeros((n, n))
    for row in edges.itertuples():
        if row.pre_nucleus_id in position and row.post_nucleus_id in position:
            dense[position[row.post_nucleus_id], position[row.pre_nucleus_id]] += getattr(row, weight)
    return dense


def random_network(seed=3, n=30):
    rng = np.random.default_rng(seed)
    units = pd.DataFrame({"nucleus_id": rng.permutation(np.arange(1000, 1000 + n)),
                          "pref_ori": rng.uniform(0, 180, n), "layer": rng.choice(["L2/3", "L4"], n),
                          "brain_area": rng.choice(["V1", "RL"], n), "tuning_type": "matched",
                          "session": 4, "scan_idx": 7, "unit_id": np.arange(1, n + 1)})
    pairs = rng.choice(n * n, 200, replace=False)
    edges = pd.DataFrame({"pre_nucleus_id": 1000 + pairs // n, "post_nucleus_id": 1000 + pairs % n,
                          "n_synapses": rng.integers(1, 5, 200), "sum_size": rng.uniform(10, 500, 200)})
    edges = edges[edges.pre_nucleus_id != edges.post_nucleus_id]
    extra = pd.DataFrame({"pre_nucleus_id": [5], "post_nucleus_id": [1000], "n_synapses": [3], "sum_size": [1.0]})
    return units, pd.concat([edges, extra], ignore_index=True)


def test_adjacency_and_currents_against_loops():
    units, edges = random_network()
    for weight in ("n_synapses", "sum_size"):
        np.testing.assert_allclose(adjacency_matrix(units, edges, weight).toarray(), naive_matrix(units, edges, weight))
    remapped_units, kept = remap(units, edges)
    assert remapped_units["index"].tolist() == list(range(len(units))) and len(kept) == len(edges) - 1
    traces = pd.DataFrame({"session": 4, "scan_idx": 7, "unit_id": units["unit_id"][::-1].to_numpy(),
                           "trace": list(np.random.default_rng(4).normal(size=(len(units), 50)))})
    rates = rate_matrix(units.assign(unit_id=units["unit_id"].where(units.index != 0)), traces)
    assert not rates[0].any()
    by_unit = dict(zip(traces["unit_id"], traces["trace"]))
    np.testing.assert_allclose(rates[1], by_unit[units["unit_id"][1]])
    currents = adjacency_matrix(units, edges) @ rates
    dense = naive_matrix(units, edges, "n_synapses")
    for i in range(len(units)):
        np.testing.assert_allclose(currents[i], sum(dense[i, j] * rates[j] for j in range(len(units))))
    with pytest.raises(ValueError, match="repeated nucleus_id"):
        adjacency_matrix(pd.concat([units, units.iloc[:1]]), edges)


def test_filter_connections_and_synapses_by_id_against_loops():
    units, edges = random_network()
    got = filter_connections(units, edges, layer=("L2/3", None), brain_area=("V1", ["V1", "RL"]))
    cell = units.set_index("nucleus_id")
    expected = [i for i, r in edges.iterrows() if r.pre_nucleus_id in cell.index and r.post_nucleus_id in cell.index
                and cell.loc[r.pre_nucleus_id, "layer"] == "L2/3" and cell.loc[r.pre_nucleus_id, "brain_area"] == "V1"]
    assert got.index.tolist() == expected and len(expected) > 0
    pre, post = units["nucleus_id"][:5], units["nucleus_id"][5:15]
    both = synapses_by_id(edges, pre, post)
    either = synapses_by_id(edges, pre, post, both=False)
    assert both.index.tolist() == [i for i, r in edges.iterrows()
                                   if r.pre_nucleus_id in set(pre) and r.post_nucleus_id in set(post)]
    assert either.index.tolist() == [i for i, r in edges.iterrows()
                                     if r.pre_nucleus_id in set(pre) or r.post_nucleus_id in set(post)]
    assert synapses_by_id(edges, pre_ids=pre).pre_nucleus_id.isin(pre).all()
    with pytest.raises(ValueError, match="needs pre_ids"):
        synapses_by_id(edges)
    with pytest.raises(ValueError, match="pair"):
        filter_connections(units, edges, layer="L2/3")


def test_like_to_like_against_loop_and_plots():
    units, edges = random_network(n=25)
    summary = like_to_like(units, edges, n_bins=3)
    counts = np.zeros(3)
    connected = np.zeros(3)
    columns = ["pre_nucleus_id", "post_nucleus_id", "n_synapses"]
    linked = {(a, b): s for a, b, s in edges[columns].itertuples(index=False)}
    for a, oa in zip(units.nucleus_id, units.pref_ori):
        for b, ob in zip(units.nucleus_id, units.pref_ori):
            if a == b:
                continue
            k = min(int(orientation_difference(oa, ob) // 30), 2)
            counts[k] += 1
            connected[k] += (a, b) in linked
    assert summary["n_pairs"].tolist() == counts.tolist() and summary["n_connected"].tolist() == connected.tolist()
    ax = plot_connectivity_matrix(units, edges, sort_by="pref_ori")
    assert ax.images[0].get_array().shape == (len(units), len(units))
    assert plot_connectivity_matrix(units, edges, sort_by="brain_area").get_xticklabels()
    assert len(plot_like_to_like(units, edges).lines) >= 1
