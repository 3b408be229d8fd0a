"""An offline materialization server for tests, benchmarks and demos.

:class:`MockMaterializationServer` answers caveclient's real HTTP calls through the ``responses``
library (docs/cave.md: "Testing with CAVEclientMock"): table metadata (GET), simple and reference-join
queries (POST, pyarrow IPC stream bodies, ``content_type="data.arrow"``), with ``filter_in/notin/equal`` filters,
``select_columns``, ``limit``, ``desired_resolution`` and the server row cap (a truncated answer
carries ``Warning: 201 - "Limited query to N rows``). :func:`mock_client` builds a real
``CAVEclient`` with caveclient's own ``CAVEclientMock``. Failures can be injected per query.

Usage (inside ``responses.activate`` / ``responses.RequestsMock``)::

    server = MockMaterializationServer(tables, row_cap=1000)
    client = mock_client(server)
    server.register()
    CaveSource(client=client).nuclei()

Needs ``responses`` (a test extra).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import responses

from nda_ext.sources.cave import tables as ct

LOCAL_SERVER = "https://local.cave.com"
GLOBAL_SERVER = "https://global.cave.com"
Fault = Callable[[dict], "int | BaseException | None"]


def _arrow_body(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _select(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    keep = [c for c in frame.columns if c in columns or (c[-2:] in ("_x", "_y", "_z") and c[:-2] in columns)]
    return frame[keep]


def _apply_filters(frame: pd.DataFrame, body: dict, table: str) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for key, negate in (("filter_in_dict", False), ("filter_notin_dict", True), ("filter_equal_dict", False)):
        for column, values in (body.get(key) or {}).get(table, {}).items():
            hit = frame[column].isin(np.atleast_1d(values)).to_numpy()
            mask &= ~hit if negate else hit
    return frame[mask]


class MockMaterializationServer:
    """Serves materialization queries from in-memory tables.

    Args:
        tables: table name -> frame as stored by the server (split ``_x/_y/_z`` positions in
            voxels; reference tables hold ``id, valid, target_id`` and their own columns).
        reference_tables: table name -> the table it references (joined by ``target_id``).
        datastack: datastack name.
        mat_version: the one materialization version served.
        row_cap: rows per answer before truncation.
        local_server: base URL of the local services.

    Attributes:
        fault: optional ``fault(body) -> status | exception | None`` called for every query; a
            status (e.g. 503) is answered instead of data, an exception is raised as the transport
            error, None serves the data.
        query_bodies: the JSON bodies of every query received, in order.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], *, reference_tables: dict[str, str] | None = None,
                 datastack: str = "minnie65_public", mat_version: int = 1718, row_cap: int = 500_000,
                 local_server: str = LOCAL_SERVER):
        self.tables = tables
        self.reference_tables = reference_tables or {}
        self.datastack = datastack
        self.mat_version = mat_version
        self.row_cap = row_cap
        self.local_server = local_server
        self.fault: Fault | None = None
        self.query_bodies: list[dict] = []

    @property
    def _base(self) -> str:
        return f"{self.local_server}/materialize/api/v3/datastack/{self.datastack}/version/{self.mat_version}"

    def register(self, mock=responses) -> None:
        """Register metadata and query endpoints on ``mock`` (``responses`` or a RequestsMock)."""
        for table in self.tables:
            meta = {"table_name": table, "reference_table": self.reference_tables.get(table),
                    "voxel_resolution_x": ct.VOXEL_RESOLUTION[0], "voxel_resolution_y": ct.VOXEL_RESOLUTION[1],
                    "voxel_resolution_z": ct.VOXEL_RESOLUTION[2], "id": 1, "schema": "mock", "description": "mock"}
            mock.add(responses.GET, f"{self._base}/table/{table}/metadata", json=meta, status=200)
            mock.add_callback(responses.POST, f"{self._base}/table/{table}/query",
                              callback=lambda request, t=table: self._answer(request, [[t]]))
        mock.add_callback(responses.POST, f"{self._base}/query", callback=lambda request: self._answer(request, None))

    def _answer(self, request, tables):
        body = json.loads(request.body)
        self.query_bodies.append(body)
        failure = self.fault(body) if self.fault is not None else None
        if isinstance(failure, BaseException):
            raise failure
        if failure is not None:
            return failure, {}, json.dumps({"message": f"mock failure {failure}"})
        frame = self._result(body, tables or body["tables"])
        limit = min(body.get("limit", self.row_cap), self.row_cap)
        headers = {}
        if len(frame) >= limit:
            frame = frame.sample(n=limit, random_state=len(self.query_bodies)) if len(frame) > limit else frame
            headers["Warning"] = f'201 - "Limited query to {limit} rows'
        resolution = body.get("desired_resolution")
        if resolution is not None:
            frame = self._rescale(frame, resolution)
            headers["dataframe_resolution"] = ", ".join(str(float(r)) for r in resolution)
        headers["Content-Type"] = "data.arrow"
        return 200, headers, _arrow_body(frame.reset_index(drop=True))

    def _result(self, body: dict, tables: list[list[str]]) -> pd.DataFrame:
        name = tables[0][0]
        frame = _apply_filters(self.tables[name], body, name)
        if len(tables) == 2:
            ref = tables[1][0]
            frame = ct.join_reference(frame, _apply_filters(self.tables[ref], body, ref))
        if body.get("select_columns"):
            frame = _select(frame, body["select_columns"])
        return frame

    @staticmethod
    def _rescale(frame: pd.DataFrame, resolution) -> pd.DataFrame:
        factor = np.asarray(ct.VOXEL_RESOLUTION) / np.asarray(resolution, dtype=np.float64)
        if np.all(factor == 1):
            return frame
        frame = frame.copy()
        for i, axis in enumerate("xyz"):
            for column in [c for c in frame.columns if c.endswith(f"position_{axis}")]:
                frame[column] = frame[column] * factor[i]
        return frame


def mock_client(server: MockMaterializationServer, *, global_server: str = GLOBAL_SERVER):
    """A real ``CAVEclient`` from caveclient's ``CAVEclientMock``, pinned to ``server.mat_version``,
    whose synapse table is ``synapses_pni_2``."""
    from caveclient.tools.testing import CAVEclientMock, default_info

    info = default_info(server.local_server)
    info.update(synapse_table=ct.SYNAPSE_TABLE, soma_table=ct.NUCLEUS_TABLE)
    return CAVEclientMock(datastack_name=server.datastack, global_server=global_server,
                          local_server=server.local_server, info_file=info, materialization=True,
                          available_materialization_versions=[server.mat_version], set_version=server.mat_version)


def server_from_snapshot(path, **kwargs) -> MockMaterializationServer:
    """A server holding the tables of a :func:`~nda_ext.sources.demo.em_snapshot.write_snapshot` folder.

    Reference tables are stored un-joined (as the server stores them): the nucleus columns that
    the snapshot carries from the join are dropped again.
    """
    path = Path(path)
    manifest = json.loads((path / "manifest.json").read_text())
    raw = {name: pd.read_feather(path / entry["file"]) for name, entry in manifest["tables"].items()}
    references = {n: e["reference_table"] for n, e in manifest["tables"].items() if e.get("reference_table")}
    for name, ref in references.items():
        joined = set(raw[ref].columns) - {"id", "valid"}
        raw[name] = raw[name][[c for c in raw[name].columns if c not in joined and not c.endswith("_ref")]]
    kwargs.setdefault("mat_version", manifest["mat_version"])
    kwargs.setdefault("datastack", manifest["datastack"])
    return MockMaterializationServer(raw, reference_tables=references, **kwargs)
