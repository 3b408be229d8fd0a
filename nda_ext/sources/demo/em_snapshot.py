"""Demo CAVE snapshot: synthetic MICrONS-like tables built around the demo's functional units.

:func:`write_snapshot` writes one ``<table>.feather`` per CAVE table plus ``manifest.json`` into a
folder that :class:`~nda_ext.sources.cave.SnapshotSource` reads (and that
:func:`~nda_ext.sources.cave.testing.server_from_snapshot` serves through a mocked CAVE). Frames
hold what ``query_table(..., split_positions=True)`` returns: CAVE column names, positions in
voxels of 4 x 4 x 40 nm, reference tables joined to ``nucleus_detection_v0`` (``id`` = annotation
id, ``target_id`` = nucleus id, ``id_ref``/``valid_ref`` from the nucleus table).

What is planted (and returned, so tests can check recovery exactly):

* a fraction of soma units matched one-to-one to a nucleus at their position, a few nuclei matched
  by two units (multi-unit), extra unmatched cells, a few multi-soma objects (two nuclei, one root),
  a few nuclei off any segment (root 0), non-neuronal cells, a few white-matter ``"WM"`` area labels;
* cell types by depth (23P, 4P, 5P-IT, 5P-ET, 5P-NP, 6P-IT, 6P-CT; BC, MC, BPC, NGC; glia),
  proofreading status/strategy, area assignment with boundary distance (µm);
* ``coregistration_manual_v4``, ``digital_twin_properties_bcm_coreg_v4`` (degrees, our convention)
  and ``functional_properties_v3_bcm`` (radians, 0 = horizontal bar moving up, clockwise) rows for
  the matched units;
* ``synapses_pni_2`` with a like-to-like rule (:mod:`~nda_ext.sources.demo.em_synapses`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from nda_ext.sources.cave import tables as ct
from nda_ext.sources.demo.em_synapses import plant_synapses

ROOT_BASE = 864_691_135_000_000_000
"""MICrONS root ids are 18-digit numbers starting with 8646911350..."""
PIA_FRAME_OFFSET_UM = np.array([800.0, 0.0, 800.0])
"""Where the 2P field centre lands in the pia frame (x, depth, z in um), inside the minnie65 volume."""
VERSION_TIMESTAMPS = {1300: "2025-01-13T00:00:00+00:00", 1507: "2025-07-31T00:00:00+00:00",
                      1621: "2025-11-25T00:00:00+00:00", 1718: "2026-03-07T08:10:01+00:00",
                      1822: "2026-06-27T00:00:00+00:00"}
UNIT_COLUMNS = ["session", "scan_idx", "unit_id", "um_x", "um_y", "um_z", "pref_ori", "pref_dir",
                "planted_gosi", "brain_area", "is_soma"]
_EXCITATORY = [(0, 250, ["23P"]), (250, 360, ["4P"]), (360, 510, ["5P-IT", "5P-ET", "5P-NP"]),
               (510, np.inf, ["6P-IT", "6P-CT"])]
_INHIBITORY = ["BC", "MC", "BPC", "NGC"]
_GLIA = ["astrocyte", "oligo", "microglia", "OPC", "pericyte"]
_AXON_STRATEGIES = ["none", "axon_column_truncated", "axon_interareal", "axon_partially_extended",
                    "axon_fully_extended"]
_DENDRITE_STRATEGIES = ["none", "dendrite_clean", "dendrite_extended"]


def _unique_ints(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    drawn = np.unique(rng.integers(low, high, size=2 * n + 16))
    return rng.permutation(drawn)[:n].astype(np.int64)


def _pia_transform():
    from standard_transform import minnie_ds

    return minnie_ds.transform("vx")


def _voxels(um: np.ndarray) -> np.ndarray:
    """2P microns (x, y, depth) -> EM voxels, a fixed demo registration that puts the 2P depth at the same depth
    below pia in minnie65's pia frame (the inverse of ``standard_transform``'s voxel transform)."""
    pia_frame = np.column_stack([um[:, 0], um[:, 2], um[:, 1]]) + PIA_FRAME_OFFSET_UM
    return np.round(_pia_transform().invert(pia_frame))


def _depth_um(voxels: np.ndarray) -> np.ndarray:
    """Depth below pia (um) of EM voxel positions."""
    return _pia_transform().apply(voxels)[:, 1]


def _cell_types(rng, depth_um: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    system = np.where(kind == "glia", "nonneuron",
                      np.where(rng.random(len(kind)) < 0.8, "excitatory_neuron", "inhibitory_neuron"))
    cell_type = rng.choice(_INHIBITORY, size=len(kind)).astype(object)
    cell_type[kind == "glia"] = rng.choice(_GLIA, size=int((kind == "glia").sum()))
    for low, high, names in _EXCITATORY:
        rows = (system == "excitatory_neuron") & (depth_um >= low) & (depth_um < high)
        cell_type[rows] = rng.choice(names, size=int(rows.sum()))
    return system, cell_type.astype(str)


def _check_units(units: pd.DataFrame) -> None:
    missing = [c for c in UNIT_COLUMNS if c not in units.columns]
    if missing:
        raise KeyError(f"units lacks column(s) {missing}; expected {UNIT_COLUMNS}")
    if units.duplicated(["session", "scan_idx", "unit_id"]).any():
        raise ValueError("units has duplicated (session, scan_idx, unit_id) rows")
    if int(units["is_soma"].sum()) < 2:
        raise ValueError("units needs at least two rows with is_soma=True to match nuclei")


def _match_units(rng, units: pd.DataFrame, match_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Pick matched units.

    Returns:
        ``(primary, multi)``: unit rows that each get their own nucleus, and ``(unit row, index into
        primary)`` pairs of second units matched to an already matched nucleus (multi-unit cells).
    """
    soma = np.flatnonzero(units["is_soma"].to_numpy(bool))
    soma = rng.permutation(soma)
    n_primary = max(1, int(round(match_fraction * len(soma))))
    primary, spare = soma[:n_primary], soma[n_primary:]
    n_multi = min(len(spare), max(1, n_primary // 20))
    owners = rng.choice(n_primary, size=n_multi, replace=False)
    return primary, np.column_stack([spare[:n_multi], owners]).astype(np.int64)


def _build_cells(rng, units: pd.DataFrame, primary: np.ndarray, n_extra_cells: int) -> pd.DataFrame:
    """One row per nucleus: ids, root, soma position (voxels), kind, hidden orientation, area."""
    um = units[["um_x", "um_y", "um_z"]].to_numpy(np.float64)
    low, high = um.min(axis=0) - 50, um.max(axis=0) + 50
    extra_um = rng.uniform(low, high, size=(n_extra_cells, 3))
    matched_xyz = _voxels(um[primary] + rng.normal(0, 2.0, size=(len(primary), 3)))
    n = len(primary) + n_extra_cells
    kind = np.array(["matched"] * len(primary) + ["extra"] * n_extra_cells, dtype=object)
    extra = np.arange(len(primary), n)
    specials = rng.permutation(extra)
    n_few = max(1, n_extra_cells // 40)
    kind[specials[: 2 * n_few]] = "multisoma"
    kind[specials[2 * n_few: 3 * n_few]] = "zero_root"
    kind[specials[3 * n_few: 3 * n_few + max(1, n_extra_cells // 10)]] = "glia"
    roots = ROOT_BASE + _unique_ints(rng, 0, 10**9, n)
    multisoma = specials[: 2 * n_few]
    roots[multisoma[1::2]] = roots[multisoma[0::2]]
    roots[kind == "zero_root"] = 0
    xyz = np.vstack([matched_xyz, _voxels(extra_um)])
    area = np.concatenate([units["brain_area"].to_numpy(str)[primary],
                           rng.choice(np.unique(units["brain_area"].to_numpy(str)), size=n_extra_cells)])
    wm = specials[-n_few:]
    wm_um = extra_um[wm - len(primary)].copy()
    wm_um[:, 2] = rng.uniform(900, 950, size=len(wm))
    xyz[wm] = _voxels(wm_um)
    area = area.astype(object)
    area[wm] = "WM"
    ori = np.concatenate([units["pref_ori"].to_numpy(np.float64)[primary], rng.uniform(0, 180, n_extra_cells)])
    return pd.DataFrame({"nucleus_id": _unique_ints(rng, 100_000, 1_000_000, n), "pt_root_id": roots,
                         "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2], "kind": kind, "ori": ori,
                         "brain_area": area.astype(str)})


def _annotation(rng, target: pd.Series, columns: dict) -> pd.DataFrame:
    n = len(target)
    return pd.DataFrame({"id": np.arange(1, n + 1, dtype=np.int64), "valid": np.ones(n, bool),
                         "target_id": target.to_numpy(np.int64), **columns})


def _functional_tables(rng, units: pd.DataFrame, matches: pd.DataFrame) -> dict[str, pd.DataFrame]:
    u = units.iloc[matches["unit_row"].to_numpy()]
    n = len(u)
    keys = {c: u[c].to_numpy(np.int64) for c in ("session", "scan_idx", "unit_id")}
    field = u["field"].to_numpy(np.int64) if "field" in u.columns else np.ones(n, np.int64)
    gosi = u["planted_gosi"].to_numpy(np.float64)
    gdsi = gosi * rng.uniform(0.2, 0.8, n)
    cc_abs, cc_max = rng.uniform(0.2, 0.6, n), rng.uniform(0.65, 0.95, n)
    ori, direction = u["pref_ori"].to_numpy(np.float64) % 180, u["pref_dir"].to_numpy(np.float64) % 360
    target = matches["nucleus_id"]
    return {
        ct.COREGISTRATION_TABLE: _annotation(rng, target, {**keys, "field": field,
                                                           "residual": rng.gamma(2.0, 1.5, n),
                                                           "score": rng.normal(6.0, 3.0, n)}),
        ct.FUNCTIONAL_TABLE: _annotation(rng, target, {
            **keys, "cc_abs": cc_abs, "cc_max": cc_max, "cc_norm": cc_abs / cc_max,
            "OSI": np.clip(1.5 * gosi, 0, 1), "DSI": np.clip(1.5 * gdsi, 0, 1), "gOSI": gosi, "gDSI": gdsi,
            "pref_ori": ori, "pref_dir": direction,
            "readout_loc_x": rng.uniform(-1, 1, n), "readout_loc_y": rng.uniform(-1, 1, n)}),
        ct.FUNCTIONAL_V3_TABLE: _annotation(rng, target, {
            **keys, "pref_ori": np.deg2rad((90.0 - ori) % 180), "pref_dir": np.deg2rad((90.0 - direction) % 360),
            "gOSI": gosi, "gDSI": gdsi, "cc_abs": cc_abs}),
    }


def _proofreading(rng, cells: pd.DataFrame) -> pd.DataFrame:
    neurons = cells[cells["kind"].isin(["matched", "extra"])]
    chosen = neurons.sample(frac=0.3, random_state=rng.integers(2**31)).sort_values("nucleus_id")
    n = len(chosen)
    valid_id = chosen["pt_root_id"].to_numpy(np.int64).copy()
    changed = rng.random(n) < 0.1
    valid_id[changed] = ROOT_BASE + _unique_ints(rng, 10**9, 2 * 10**9, int(changed.sum()))
    strategy_axon = rng.choice(_AXON_STRATEGIES, size=n, p=[0.02, 0.03, 0.05, 0.65, 0.25])
    strategy_dendrite = rng.choice(_DENDRITE_STRATEGIES, size=n, p=[0.05, 0.6, 0.35])
    return pd.DataFrame({"id": np.arange(1, n + 1), "valid": np.ones(n, bool),
                         "pt_supervoxel_id": _unique_ints(rng, 88 * 10**15, 90 * 10**15, n),
                         "pt_root_id": chosen["pt_root_id"].to_numpy(np.int64),
                         "pt_position_x": chosen["x"].to_numpy(), "pt_position_y": chosen["y"].to_numpy(),
                         "pt_position_z": chosen["z"].to_numpy(), "valid_id": valid_id,
                         "status_dendrite": strategy_dendrite != "none", "status_axon": strategy_axon != "none",
                         "strategy_dendrite": strategy_dendrite, "strategy_axon": strategy_axon})


def write_snapshot(path, units: pd.DataFrame, *, seed: int = 0, mat_version: int = 1718, n_extra_cells: int = 200,
                   like_to_like: float = 0.8, p_connect: float = 0.05, extra_synapses: float = 1.5,
                   match_fraction: float = 0.7, datastack: str = "minnie65_public") -> dict:
    """Write a demo CAVE snapshot for ``units`` and return the planted truth.

    Args:
        path: output folder (created; existing table files are overwritten).
        units: one row per functional unit: ``session, scan_idx, unit_id``, ``um_x, um_y, um_z``
            (2P microns; ``um_z`` = depth below pia), ``pref_ori, pref_dir`` (degrees, our
            convention), ``planted_gosi``, ``brain_area``, ``is_soma`` (bool); optional ``field``.
        seed: random seed (same seed and inputs -> identical files).
        mat_version: materialization version recorded in the manifest.
        n_extra_cells: nuclei not matched to any unit.
        like_to_like: orientation-rule strength in [0, 1] (0 = no rule).
        p_connect: base connection probability between connectable cells.
        extra_synapses: mean Poisson number of synapses beyond the first per connected pair.
        match_fraction: fraction of soma units matched to a nucleus.
        datastack: datastack name recorded in the manifest.

    Returns:
        dict with ``path``, ``mat_version``, ``timestamp``, ``tables`` (name -> row count),
        ``matches`` (``session, scan_idx, unit_id, nucleus_id, pt_root_id``, one row per matched
        unit), ``planted_edges`` (``pre_nucleus_id, post_nucleus_id, n_synapses, sum_size``: what
        :func:`~nda_ext.sources.cave.synapses.synapse_edges` recovers from the synapse table with
        :func:`~nda_ext.sources.cave.synapses.root_to_nucleus` of the nucleus table) and
        ``like_to_like``.
    """
    _check_units(units)
    if n_extra_cells < 8:
        raise ValueError(f"n_extra_cells must be >= 8 (room for the planted special cells), got {n_extra_cells}")
    rng = np.random.default_rng(seed)
    units = units.reset_index(drop=True)
    primary, multi = _match_units(rng, units, match_fraction)
    cells = _build_cells(rng, units, primary, n_extra_cells)
    matches = pd.DataFrame({"unit_row": np.concatenate([primary, multi[:, 0]]),
                            "cell": np.concatenate([np.arange(len(primary)), multi[:, 1]])})
    matches["nucleus_id"] = cells["nucleus_id"].to_numpy()[matches["cell"]]
    depth = _depth_um(cells[["x", "y", "z"]].to_numpy(float))
    system, cell_type = _cell_types(rng, depth, np.where(cells["kind"] == "glia", "glia", "neuron"))
    nuclei = pd.DataFrame({"id": cells["nucleus_id"], "valid": True,
                           "volume": rng.gamma(20.0, 12.0, len(cells)).round(2),
                           "pt_supervoxel_id": _unique_ints(rng, 88 * 10**15, 90 * 10**15, len(cells)),
                           "pt_root_id": cells["pt_root_id"], "pt_position_x": cells["x"],
                           "pt_position_y": cells["y"], "pt_position_z": cells["z"]})
    typed = ~cells["kind"].isin(["multisoma", "zero_root"]).to_numpy()
    annotations = {
        ct.CELL_TYPE_TABLE: _annotation(rng, cells["nucleus_id"][typed], {
            "classification_system": system[typed], "cell_type": cell_type[typed]}),
        ct.AREA_TABLE: _annotation(rng, cells["nucleus_id"], {
            "tag": cells["brain_area"].to_numpy(), "value": rng.gamma(2.0, 60.0, len(cells)).round(3)}),
        **_functional_tables(rng, units, matches),
    }
    connectable = cells[cells["kind"].isin(["matched", "extra"]).to_numpy() & (system != "nonneuron")]
    noise = {"orphan": ROOT_BASE + _unique_ints(rng, 2 * 10**9, 3 * 10**9, 20),
             "multisoma": cells.loc[cells["kind"] == "multisoma", "pt_root_id"].unique()}
    synapses, planted = plant_synapses(rng, connectable, p_connect=p_connect, like_to_like=like_to_like,
                                       extra_synapses=extra_synapses, noise_roots=noise)
    tables = {ct.NUCLEUS_TABLE: nuclei, ct.PROOFREADING_TABLE: _proofreading(rng, cells), ct.SYNAPSE_TABLE: synapses,
              **{name: ct.join_reference(frame, nuclei) for name, frame in annotations.items()}}
    timestamp = VERSION_TIMESTAMPS.get(mat_version, "2026-01-01T00:00:00+00:00")
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.reset_index(drop=True).to_feather(out / f"{name}.feather")
    manifest = {"datastack": datastack, "mat_version": int(mat_version), "timestamp": timestamp,
                "client_version": "nda_ext demo snapshot", "voxel_resolution": list(ct.VOXEL_RESOLUTION),
                "seed": seed, "like_to_like": like_to_like,
                "tables": {name: {"file": f"{name}.feather", "rows": len(frame),
                                  "reference_table": ct.NUCLEUS_TABLE if name in annotations else None}
                           for name, frame in tables.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    unit_keys = units.iloc[matches["unit_row"].to_numpy()][["session", "scan_idx", "unit_id"]].reset_index(drop=True)
    matched = unit_keys.assign(nucleus_id=matches["nucleus_id"].to_numpy(),
                               pt_root_id=cells["pt_root_id"].to_numpy()[matches["cell"]])
    return {"path": str(out), "mat_version": int(mat_version), "timestamp": timestamp,
            "tables": {name: len(frame) for name, frame in tables.items()}, "matches": matched,
            "planted_edges": planted, "like_to_like": like_to_like}
