"""Bridge to a legacy (DataJoint 0.12) nda server: attach extension schemas to it, or copy scans from it.

* :func:`attach` opens a legacy nda schema read-only with blobs and decimals decoded
  (:mod:`nda_ext.sources.legacy_nda.attach`); ``nda_ext.activate(nda="microns_phase3_nda")`` uses it.
* :func:`copy_scans` copies chosen scans from a legacy server into the local mirror, chunked and resumable
  (:mod:`nda_ext.sources.legacy_nda.copy`); ``nda-ext ingest nda --from URL --scan S I`` runs it.
* :func:`legacy_ddl` / :func:`fill_legacy_schema` build a legacy-shaped schema
  (:mod:`nda_ext.sources.legacy_nda.schema`).
"""

from nda_ext.sources.legacy_nda.attach import NDA_TABLES, LegacyReadOnlyError, LegacySchemaError, attach
from nda_ext.sources.legacy_nda.copy import CopyVerificationError, copy_scans
from nda_ext.sources.legacy_nda.schema import fill_legacy_schema, legacy_ddl

__all__ = ["NDA_TABLES", "CopyVerificationError", "LegacyReadOnlyError", "LegacySchemaError", "attach",
           "copy_scans", "fill_legacy_schema", "legacy_ddl"]
