"""The live CAVE source: the one client factory every consumer goes through, and :class:`CaveSource`.

Public entry points:

* :func:`get_client` / :func:`set_client_factory`: every consumer obtains its ``CAVEclient``
  through :func:`get_client`; deployments and tests install their own factory
  (``factory(datastack, version) -> CAVEclient``).
* :class:`CaveSource`: live queries (``query_table`` with ``split_positions=True`` and
  ``desired_resolution=[4, 4, 40]``, so positions are voxels).
* :class:`SnapshotSource`: a folder of table files (public static dumps or
  :func:`nda_ext.sources.demo.em_snapshot.write_snapshot` output) answering the same methods with
  the same frames.
* :func:`synapse_edges`, :func:`root_to_nucleus`, progress stores and :class:`RetryPolicy` for
  the synapse download (:mod:`nda_ext.sources.cave.synapses`).

Tokens: the default factory lets caveclient read its own token files
(``~/.cloudvolume/secrets/*cave-secret.json``) unless ``auth_token=`` is given. Tokens are never
stored on a source, printed or logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from nda_ext.sources.cave import tables as ct
from nda_ext.sources.cave.base import EmSource
from nda_ext.sources.cave.files import SnapshotSource
from nda_ext.sources.cave.progress import DirectoryProgressStore, InMemoryProgressStore, ProgressStore
from nda_ext.sources.cave.synapses import CaveDownloadError, RetryPolicy, SynapseDownloadError, call_with_retry

__all__ = [
    "CaveSource", "SnapshotSource", "EmSource", "get_client", "set_client_factory", "RetryPolicy",
    "ProgressStore", "InMemoryProgressStore", "DirectoryProgressStore", "CaveDownloadError",
    "SynapseDownloadError",
]

DEFAULT_DATASTACK = "minnie65_public"
ClientFactory = Callable[[str, "int | None"], object]
_client_factory: ClientFactory | None = None
_CAP_WARNING = re.compile(r"Limited query to (\d+) rows")


def default_client_factory(datastack: str, version: int | None, auth_token: str | None = None):
    """``CAVEclient(datastack, version=version)``; the token comes from caveclient's own files
    unless ``auth_token`` is given."""
    from caveclient import CAVEclient

    return CAVEclient(datastack, version=version, auth_token=auth_token)


def set_client_factory(factory: ClientFactory | None) -> ClientFactory | None:
    """Install the factory :func:`get_client` uses; ``None`` restores the default.

    Args:
        factory: callable ``(datastack, version) -> CAVEclient``.

    Returns:
        The previously installed factory (None for the default), so callers can restore it.
    """
    global _client_factory
    if factory is not None and not callable(factory):
        raise TypeError(f"factory must be callable (datastack, version) -> CAVEclient, got {factory!r}")
    previous, _client_factory = _client_factory, factory
    return previous


def get_client(datastack: str = DEFAULT_DATASTACK, version: int | None = None, *, auth_token: str | None = None):
    """A ``CAVEclient`` for ``datastack`` pinned to ``version`` (None: the client's default).

    Uses the factory installed with :func:`set_client_factory`, else :func:`default_client_factory`
    (``auth_token`` only applies to the default factory).
    """
    if _client_factory is not None:
        return _client_factory(datastack, version)
    return default_client_factory(datastack, version, auth_token=auth_token)


def _caveclient_version() -> str:
    import caveclient

    return f"caveclient {caveclient.__version__}"


class CaveSource(EmSource):
    """Live CAVE queries for one datastack and materialization version.

    Args:
        datastack: CAVE datastack name.
        version: materialization version; None pins the client's version, else the most recent.
        client: an existing ``CAVEclient`` (default: :func:`get_client`).
        auth_token: token for the default client factory (never stored).
        retry: retry policy for whole-table reads (synapse downloads take their own).
        row_cap: the server's row cap when known; an answer with that many rows counts as
            truncated even without the ``Warning`` header.

    Raises:
        ValueError: ``client`` belongs to another datastack or is pinned to another version.
    """

    source = "cave"

    def __init__(self, datastack: str = DEFAULT_DATASTACK, version: int | None = None, *, client=None,
                 auth_token: str | None = None, retry: RetryPolicy | None = None, row_cap: int | None = None):
        self.client = get_client(datastack, version, auth_token=auth_token) if client is None else client
        if self.client.datastack_name != datastack:
            raise ValueError(f"client is for datastack {self.client.datastack_name!r}, expected {datastack!r}")
        if version is not None and self.client.version not in (None, version):
            raise ValueError(f"client is pinned to version {self.client.version}, expected {version}")
        if self.client.version is None:
            self.client.version = int(version if version is not None else self.client.materialize.most_recent_version())
        self.datastack = datastack
        self.mat_version = int(self.client.version)
        self.timestamp = pd.Timestamp(self.client.timestamp).isoformat() if self.client.timestamp else None
        self.client_version = _caveclient_version()
        self.synapse_table = self.client.materialize.synapse_table or ct.SYNAPSE_TABLE
        self.retry = RetryPolicy() if retry is None else retry
        self.row_cap = row_cap

    def __repr__(self) -> str:
        return f"CaveSource(datastack={self.datastack!r}, version={self.mat_version})"

    def query(self, table: str, **kwargs) -> tuple[pd.DataFrame, bool]:
        """One ``query_table`` call at this version, positions split and in voxels.

        Args:
            table: table name.
            **kwargs: further ``query_table`` arguments (filters, ``select_columns``,
                ``merge_reference``).

        Returns:
            ``(frame, capped)``: the raw frame and whether the server truncated it at its row cap
            (the ``Warning: 201 - "Limited query to N rows`` header, or ``row_cap`` rows).
        """
        materialize = self.client.materialize
        warnings_seen: list[str] = []

        def hook(response, *args, **kw):
            if response.request.method == "POST":
                warnings_seen.append(response.headers.get("Warning", ""))

        hooks = materialize.session.hooks["response"]
        hooks.append(hook)
        try:
            frame = materialize.query_table(
                table, split_positions=True, desired_resolution=list(ct.VOXEL_RESOLUTION),
                materialization_version=self.mat_version, metadata=False, log_warning=False, **kwargs)
        finally:
            hooks.remove(hook)
        capped = any(_CAP_WARNING.search(w) for w in warnings_seen)
        capped |= self.row_cap is not None and len(frame) >= self.row_cap
        return frame, capped

    def read_raw(self, table: str) -> pd.DataFrame:
        """Whole ``table`` (reference tables joined to the nucleus table), with retries.

        Raises:
            CaveDownloadError: retries exhausted, or the answer was truncated at the row cap.
        """
        frame, capped = call_with_retry(lambda: self.query(table), self.retry, table)
        if capped:
            raise CaveDownloadError([table], None, "answer truncated at the server row cap; "
                                                   "query it in filtered parts")
        return frame

    def fetch_synapses(self, pre: np.ndarray, post: np.ndarray) -> tuple[pd.DataFrame, bool]:
        """One synapse query (no client-side autapse removal, so the cap check is exact)."""
        frame, capped = self.query(
            self.synapse_table, merge_reference=False, select_columns=list(ct.SYNAPSE_SELECT),
            filter_in_dict={"pre_pt_root_id": pre.tolist(), "post_pt_root_id": post.tolist()})
        return ct.normalize(frame, ct.SYNAPSES, self.synapse_table), capped
