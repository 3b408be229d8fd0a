"""CAVE (the MICrONS connectome annotation versioning engine) as an EM source.

* :mod:`~nda_ext.sources.cave.client`: :func:`get_client`, :func:`set_client_factory`, :class:`CaveSource`.
* :mod:`~nda_ext.sources.cave.files`: :class:`SnapshotSource` (a folder of table files answering the same methods).
* :mod:`~nda_ext.sources.cave.synapses`, :mod:`~nda_ext.sources.cave.progress`: chunked, resumable synapse download.
* :mod:`~nda_ext.sources.cave.tables`: table names, columns and conventions (``docs/cave.md``).
* :mod:`~nda_ext.sources.cave.materialization`: which source an ``em.Materialization`` row names.
* :mod:`~nda_ext.sources.cave.testing`: the shipped test double (``CAVEclientMock`` + ``responses``).
"""

from nda_ext.compute.em.edges import root_to_nucleus, synapse_edges
from nda_ext.sources.cave.base import EmSource
from nda_ext.sources.cave.client import (
    DEFAULT_DATASTACK,
    CaveSource,
    default_client_factory,
    get_client,
    set_client_factory,
)
from nda_ext.sources.cave.files import SnapshotSource
from nda_ext.sources.cave.progress import DirectoryProgressStore, InMemoryProgressStore, ProgressStore
from nda_ext.sources.cave.synapses import CaveDownloadError, RetryPolicy, SynapseDownloadError

__all__ = [
    "CaveSource", "SnapshotSource", "EmSource", "get_client", "set_client_factory", "default_client_factory",
    "DEFAULT_DATASTACK", "synapse_edges", "root_to_nucleus", "RetryPolicy", "ProgressStore",
    "InMemoryProgressStore", "DirectoryProgressStore", "CaveDownloadError", "SynapseDownloadError",
]
