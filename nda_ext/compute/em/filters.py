"""Selecting cells and connections (microns-combiner's ``filters``, with its inverted tests fixed).

Cells are rows of the unit table (:func:`nda_ext.em.unit_table`); connections are edge frames with
``pre_nucleus_id`` and ``post_nucleus_id`` (:func:`nda_ext.em.connectivity`) or per-synapse frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

PROOFREAD = {
    "ax_non": ("strategy_axon", lambda s: s == "none"),
    "ax_clean": ("strategy_axon", lambda s: s != "none"),
    "ax_extended": ("strategy_axon", lambda s: s == "axon_fully_extended"),
    "dn_non": ("strategy_dendrite", lambda s: s == "none"),
    "dn_clean": ("strategy_dendrite", lambda s: s != "none"),
    "dn_extended": ("strategy_dendrite", lambda s: s == "dendrite_extended"),
}
"""Proofreading selectors: ``ax_non``/``dn_non`` = not proofread, ``ax_clean``/``dn_clean`` = any
strategy, ``ax_extended`` = axon fully extended, ``dn_extended`` = dendrite extended."""
TUNING = ("matched", "not_matched")


def _as_list(value) -> list:
    return [value] if isinstance(value, str) or not isinstance(value, Sequence) else list(value)


def _require(frame: pd.DataFrame, column: str, argument: str) -> pd.Series:
    if column not in frame.columns:
        raise KeyError(f"{argument}= needs column {column!r} in the unit table; got {list(frame.columns)}")
    return frame[column]


def neuron_mask(units: pd.DataFrame, *, layer=None, brain_area=None, cell_type=None, classification_system=None,
                proofread=None, tuning=None) -> np.ndarray:
    """Boolean mask of the units meeting every given criterion (None = no criterion).

    Args:
        units: unit table.
        layer: layer label(s), e.g. 'L2/3' or ['L4', 'L5'].
        brain_area: area label(s), e.g. 'V1'.
        cell_type: cell type label(s), e.g. '23P' (the ``cell_type`` column).
        classification_system: coarse class(es), e.g. 'excitatory_neuron'.
        proofread: selector(s) of :data:`PROOFREAD`, all required.
        tuning: 'matched' or 'not_matched' (the ``tuning_type`` column).

    Raises:
        ValueError: unknown ``proofread`` or ``tuning`` value.
        KeyError: the unit table lacks the column a criterion needs.
    """
    mask = np.ones(len(units), dtype=bool)
    for argument, column, value in (("layer", "layer", layer), ("brain_area", "brain_area", brain_area),
                                    ("cell_type", "cell_type", cell_type),
                                    ("classification_system", "classification_system", classification_system)):
        if value is not None:
            mask &= _require(units, column, argument).isin(_as_list(value)).to_numpy()
    for selector in [] if proofread is None else _as_list(proofread):
        if selector not in PROOFREAD:
            raise ValueError(f"proofread must be one of {sorted(PROOFREAD)}, got {selector!r}")
        column, test = PROOFREAD[selector]
        mask &= test(_require(units, column, "proofread")).to_numpy(bool)
    if tuning is not None:
        if tuning not in TUNING:
            raise ValueError(f"tuning must be one of {TUNING}, got {tuning!r}")
        mask &= (_require(units, "tuning_type", "tuning") == tuning).to_numpy()
    return mask


def filter_neurons(units: pd.DataFrame, **criteria) -> pd.DataFrame:
    """Rows of ``units`` meeting every criterion of :func:`neuron_mask` (attrs kept)."""
    return units[neuron_mask(units, **criteria)]


def synapses_by_id(connections: pd.DataFrame, pre_ids=None, post_ids=None, both: bool = True,
                   id_kind: str = "nucleus_id") -> pd.DataFrame:
    """Connections from ``pre_ids`` and/or onto ``post_ids``.

    Args:
        connections: edge or synapse frame with ``pre_<id_kind>`` and ``post_<id_kind>`` columns.
        pre_ids: presynaptic ids (iterable) or None.
        post_ids: postsynaptic ids (iterable) or None.
        both: with both id sets given, True keeps connections from a pre id AND onto a post id,
            False those from a pre id OR onto a post id.
        id_kind: 'nucleus_id' or 'pt_root_id'.

    Raises:
        ValueError: neither ``pre_ids`` nor ``post_ids`` given.
    """
    if pre_ids is None and post_ids is None:
        raise ValueError("synapses_by_id needs pre_ids, post_ids or both")
    pre_hit = connections[f"pre_{id_kind}"].isin(np.asarray(list(pre_ids))) if pre_ids is not None else None
    post_hit = connections[f"post_{id_kind}"].isin(np.asarray(list(post_ids))) if post_ids is not None else None
    if pre_hit is None or post_hit is None:
        return connections[pre_hit if post_hit is None else post_hit]
    return connections[(pre_hit & post_hit) if both else (pre_hit | post_hit)]


def filter_connections(units: pd.DataFrame, connections: pd.DataFrame, **criteria) -> pd.DataFrame:
    """Connections whose presynaptic cell meets the pre criteria and postsynaptic cell the post criteria.

    Args:
        units: unit table (``nucleus_id`` and the criteria's columns).
        connections: edge or synapse frame with ``pre_nucleus_id`` and ``post_nucleus_id``.
        **criteria: :func:`neuron_mask` keywords, each a ``(pre, post)`` pair; None on a side means no
            criterion there, e.g. ``layer=("L2/3", None), proofread=("ax_clean", "dn_clean")``.

    Raises:
        ValueError: a criterion is not a (pre, post) pair.
    """
    sides = {"pre": {}, "post": {}}
    for name, value in criteria.items():
        if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
            raise ValueError(f"{name}= must be a (pre, post) pair, got {value!r}")
        sides["pre"][name], sides["post"][name] = value
    pre_cells = units.loc[neuron_mask(units, **sides["pre"]), "nucleus_id"]
    post_cells = units.loc[neuron_mask(units, **sides["post"]), "nucleus_id"]
    return synapses_by_id(connections, pre_cells, post_cells, both=True)
