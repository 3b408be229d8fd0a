"""Trustworthy chunked synapse download and edge aggregation.

The server silently truncates every query at a row cap (docs/cave.md: "query_table") and drops out for hours
(§1.6). :func:`download_synapses` therefore

* splits the pre x post root-id sets into chunks of at most ``chunk_size`` ids per side
  (root id 0, "not on a segment", is never queried: it can be a partner of so many synapses that
  no chunk containing it fits under the cap);
* refetches a chunk whose answer hit the cap as two halves (the longer id list split), down to
  single ids, until every answer is complete;
* retries transient failures (5xx, timeouts, connection errors) with exponential backoff;
* records each complete chunk in a :class:`~nda_ext.sources.cave.progress.ProgressStore`, and a
  capped chunk as split (an empty frame under ``<chunk_id>.split``), so a rerun resumes where
  the last one stopped and never re-requests completed or already-split chunks;
* raises :class:`SynapseDownloadError` naming the failed chunks and the last error once a chunk
  exhausts its retries; nothing is skipped silently.

Chunk ids are content hashes of the sorted id lists, so they are stable across runs and
processes for the same id sets and chunk size.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import requests
from tqdm.auto import tqdm

from nda_ext.sources.cave.progress import InMemoryProgressStore, ProgressStore
from nda_ext.sources.cave.tables import SYNAPSES

logger = logging.getLogger(__name__)

Fetch = Callable[[np.ndarray, np.ndarray], tuple[pd.DataFrame, bool]]
"""``fetch(pre_root_ids, post_root_ids) -> (rows, capped)``: one query; ``capped`` is True when the
server says the answer was truncated at its row cap. Rows use our synapse columns."""


class CaveDownloadError(RuntimeError):
    """A CAVE query could not be completed.

    Attributes:
        chunk_ids: ids of the failed chunks (table names for whole-table reads).
        last_error: the last exception seen (None when the answer was truncated).
    """

    def __init__(self, chunk_ids: list[str], last_error: BaseException | None, detail: str) -> None:
        self.chunk_ids = list(chunk_ids)
        self.last_error = last_error
        super().__init__(f"{self.chunk_ids} failed: {detail}; last error: {last_error!r}")


class SynapseDownloadError(CaveDownloadError):
    """A synapse chunk could not be downloaded completely (``chunk_ids`` names it)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for transient failures.

    Attributes:
        max_retries: retries after the first attempt (so ``max_retries + 1`` attempts per chunk).
        backoff: seconds slept before the first retry.
        factor: multiplier of the sleep after each retry.
        max_backoff: upper bound of one sleep, seconds.
        sleep: the sleeping function (tests pass a no-op).
    """

    max_retries: int = 5
    backoff: float = 2.0
    factor: float = 2.0
    max_backoff: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, retry: int) -> float:
        """Seconds to sleep before retry number ``retry`` (0-based)."""
        return min(self.backoff * self.factor**retry, self.max_backoff)


def is_transient(error: BaseException) -> bool:
    """Whether a request error is worth retrying: 5xx/429 answers, timeouts, connection errors."""
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return error.response.status_code >= 500 or error.response.status_code == 429
    return isinstance(error, (requests.ConnectionError, requests.Timeout, requests.exceptions.RetryError))


def root_id_set(ids, name: str) -> np.ndarray:
    """Sorted unique int64 root ids of ``ids`` (any iterable) without root id 0.

    Raises:
        ValueError: a negative id; the message names the argument ``name``.
    """
    arr = np.unique(np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64).ravel())
    if (arr < 0).any():
        raise ValueError(f"{name} must hold non-negative root ids, got {arr[arr < 0][:5].tolist()}")
    return arr[arr != 0]


@dataclass(frozen=True)
class Chunk:
    """One query: synapses from any of ``pre`` onto any of ``post`` (sorted unique root ids)."""

    pre: np.ndarray
    post: np.ndarray

    @property
    def chunk_id(self) -> str:
        digest = hashlib.sha1(self.pre.tobytes() + b"|" + self.post.tobytes()).hexdigest()
        return f"syn-{len(self.pre)}x{len(self.post)}-{digest[:20]}"

    @property
    def split_id(self) -> str:
        return self.chunk_id + ".split"

    def halves(self) -> tuple[Chunk, Chunk]:
        """Two chunks covering this one, the longer id list cut in half."""
        if len(self.pre) >= len(self.post):
            cut = len(self.pre) // 2
            return Chunk(self.pre[:cut], self.post), Chunk(self.pre[cut:], self.post)
        cut = len(self.post) // 2
        return Chunk(self.pre, self.post[:cut]), Chunk(self.pre, self.post[cut:])


def plan_chunks(pre_root_ids, post_root_ids, chunk_size: int) -> list[Chunk]:
    """Cut the pre x post id sets into chunks of at most ``chunk_size`` ids per side.

    Root id 0 is dropped from both sets (see module docstring).
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    pre = root_id_set(pre_root_ids, "pre_root_ids")
    post = root_id_set(post_root_ids, "post_root_ids")
    pre_blocks = [pre[i:i + chunk_size] for i in range(0, len(pre), chunk_size)]
    post_blocks = [post[i:i + chunk_size] for i in range(0, len(post), chunk_size)]
    return [Chunk(p, q) for p in pre_blocks for q in post_blocks]


def call_with_retry(query: Callable[[], object], retry: RetryPolicy, label: str,
                    error_type: type[CaveDownloadError] = CaveDownloadError):
    """Run ``query()``, retrying transient errors (:func:`is_transient`) per ``retry``.

    Raises:
        error_type: naming ``label`` and the last error, when retries are exhausted or the error
            is not transient.
    """
    last_error = None
    for attempt in range(retry.max_retries + 1):
        if attempt:
            retry.sleep(retry.delay(attempt - 1))
        try:
            return query()
        except Exception as error:  # noqa: BLE001 - classified right below
            if not is_transient(error):
                raise error_type([label], error, "non-retryable error") from error
            last_error = error
            logger.info("%s attempt %d failed: %r", label, attempt + 1, error)
    raise error_type([label], last_error, f"still failing after {retry.max_retries + 1} attempts") from last_error


def empty_synapses() -> pd.DataFrame:
    """An empty frame with our synapse columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=np.float64 if "position" in c else np.int64)
                         for c in SYNAPSES.columns.values()})


def download_synapses(
    fetch: Fetch,
    pre_root_ids,
    post_root_ids,
    *,
    chunk_size: int = 500,
    store: ProgressStore | None = None,
    retry: RetryPolicy | None = None,
    remove_autapses: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """Download every synapse from ``pre_root_ids`` onto ``post_root_ids``, completely.

    Args:
        fetch: one-query function (:data:`Fetch`).
        pre_root_ids: presynaptic root ids (iterable of int; 0 is dropped).
        post_root_ids: postsynaptic root ids (iterable of int; 0 is dropped).
        chunk_size: max ids per side of one query.
        store: progress store; completed chunks found there are not fetched again. Default: a
            fresh in-memory store.
        retry: retry policy for transient errors (default :class:`RetryPolicy`).
        remove_autapses: drop rows with ``pre_pt_root_id == post_pt_root_id`` (after the
            completeness checks, unlike caveclient's ``synapse_query``).
        progress: show a progress bar over the planned chunks.

    Returns:
        Synapse frame (``synapse_id, pre_pt_root_id, post_pt_root_id, size`` (PSD voxels),
        ``ctr_pt_position_x/_y/_z`` (voxels, 4 x 4 x 40 nm)), sorted by ``synapse_id``; only rows
        of the requested sets (stale chunks of other downloads in the store are ignored).

    Raises:
        SynapseDownloadError: a chunk exhausted its retries, failed with a non-retryable error,
            or is capped although it holds a single pre and a single post id.
    """
    store = InMemoryProgressStore() if store is None else store
    retry = RetryPolicy() if retry is None else retry
    chunks = plan_chunks(pre_root_ids, post_root_ids, chunk_size)
    pending = list(reversed(chunks))
    with tqdm(total=len(chunks), desc="synapse chunks", unit="chunk", disable=not progress) as bar:
        while pending:
            chunk = pending.pop()
            if store.done(chunk.chunk_id):
                bar.update()
                continue
            if not store.done(chunk.split_id):
                frame, capped = call_with_retry(lambda c=chunk: fetch(c.pre, c.post), retry, chunk.chunk_id,
                                                SynapseDownloadError)
                if not capped:
                    store.record(chunk.chunk_id, frame)
                    bar.update()
                    continue
                if len(chunk.pre) == 1 and len(chunk.post) == 1:
                    raise SynapseDownloadError([chunk.chunk_id], None, "capped answer for a single id pair")
                store.record(chunk.split_id, frame.iloc[:0])
            bar.total += 1
            pending.extend(reversed(chunk.halves()))
    return select_synapses(store.load_all(), root_id_set(pre_root_ids, "pre_root_ids"),
                           root_id_set(post_root_ids, "post_root_ids"), remove_autapses)


def select_synapses(rows: pd.DataFrame, pre: np.ndarray, post: np.ndarray, remove_autapses: bool) -> pd.DataFrame:
    """Rows from ``pre`` onto ``post`` (root ids), de-duplicated by ``synapse_id`` and sorted by it."""
    if rows.empty:
        return empty_synapses()
    keep = rows["pre_pt_root_id"].isin(pre) & rows["post_pt_root_id"].isin(post)
    if remove_autapses:
        keep &= rows["pre_pt_root_id"] != rows["post_pt_root_id"]
    rows = rows[keep].drop_duplicates("synapse_id")
    return rows.sort_values("synapse_id", kind="stable").reset_index(drop=True)
