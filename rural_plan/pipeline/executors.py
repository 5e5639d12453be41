"""Where point-to-area propagation runs: in this process, or on a Dask cluster.

Propagation is cut into chunks of whole candidate locations; each chunk's result is
its sparse rows (the covered demand cells of each of its options). Every executor
runs the same chunks through the same pure function,
:func:`~rural_plan.propagation.point_to_area.chunk_rows`, and joins the rows in option
order, so the coverage matrix is byte for byte the same whichever runs it.

``local``
    This process; locations in parallel over numba threads (the default).
``dask``
    A ``dask.distributed`` cluster: the scheduler at ``executor.dask_address``, or a
    ``LocalCluster`` of ``executor.dask_workers`` worker processes started for the run.
    The terrain, the demand-cell grid and the antenna patterns are scattered to every
    worker once; each task carries only its options and a reference to them. A task
    changes nothing but its result, so the tasks of a worker that dies are simply run
    again elsewhere (the scheduler does so by itself; a chunk still missing after that
    is resubmitted, with the terrain scattered again, up to :data:`RESUBMIT_ROUNDS`
    times).

The on-disk propagation cache stays with the caller (the pipeline): the executor is
only asked for what the cache does not hold.

>>> from rural_plan.scenario.schema import ExecutorSettings
>>> with open_executor(ExecutorSettings(name="local")) as ex:  # doctest: +SKIP
...     sparse = ex.covered_demand(grid, rows, cols, h_tx_m, max_loss_db, demand_id, radio)
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

import numpy as np

from rural_plan._version import __version__
from rural_plan.errors import ExecutorError
from rural_plan.grid.grid import Grid
from rural_plan.pipeline.jit import warm_propagation
from rural_plan.progress import progress
from rural_plan.propagation import cache as propagation_cache
from rural_plan.propagation.point_to_area import (
    SparseCoverage,
    chunk_rows,
    covered_demand,
    join_rows,
    max_chunk_options,
    option_chunks,
    point_to_area_inputs,
)
from rural_plan.propagation.settings import RadioSettings
from rural_plan.scenario.names import EXECUTOR_NAMES
from rural_plan.scenario.schema import ExecutorSettings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
"""How long to try reaching a Dask scheduler (and to wait for its first worker)."""

RESUBMIT_ROUNDS = 3
"""Times chunks that still failed after the scheduler's own retries are submitted again."""

TASKS_PER_WORKER = 8
MAX_AUTO_CHUNK_OPTIONS = 64

TASK_PREFIX = "rural-plan-propagation"
"""Dask task keys are ``{TASK_PREFIX}-{run token}-{round}-{chunk}``."""


class LocalExecutor:
    """Propagation in this process (numba threads over locations)."""

    name = "local"

    def __init__(self, settings: ExecutorSettings) -> None:
        self.settings = settings
        self.info: dict[str, Any] = {"name": self.name}

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def covered_demand(
        self,
        grid: Grid,
        rows: np.ndarray,
        cols: np.ndarray,
        h_tx_m: np.ndarray,
        max_loss_db: np.ndarray,
        demand_id: np.ndarray,
        radio: RadioSettings,
        *,
        pattern_index: np.ndarray | None = None,
        patterns: np.ndarray | None = None,
        extra_db: np.ndarray | None = None,
    ) -> SparseCoverage:
        return covered_demand(
            grid,
            rows,
            cols,
            h_tx_m,
            max_loss_db,
            demand_id,
            radio,
            pattern_index=pattern_index,
            patterns=patterns,
            extra_db=extra_db,
        )


def worker_identity() -> dict[str, str]:
    """What must agree between the client and every worker for identical results: the
    rural_plan version and the fingerprint of the propagation code."""
    return {"rural_plan": __version__, "propagation_code": propagation_cache.code_fingerprint()}


def worker_ready() -> dict[str, Any]:
    """Run on each worker when connecting: its identity."""
    return {"identity": worker_identity()}


class DaskExecutor:
    """Propagation chunks as tasks on a ``dask.distributed`` cluster.

    Connects on entering (an unreachable scheduler fails before any work is done); a
    ``LocalCluster`` is started only when there is something to compute (a plan served
    from the propagation cache starts none).
    """

    name = "dask"

    def __init__(self, settings: ExecutorSettings) -> None:
        self.settings = settings
        self._client = None
        self._cluster = None
        self._warmed: set[str] = set()
        self.info: dict[str, Any] = {
            "name": self.name,
            "dask_address": settings.dask_address,
            "dask_workers": None if settings.dask_address else settings.dask_workers,
            "chunk_options": settings.chunk_options,
            "tasks": 0,
            "resubmitted_chunks": 0,
        }

    def __enter__(self) -> DaskExecutor:
        if self.settings.dask_address is not None:
            self.client()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def client(self):
        """The connected client (starting a LocalCluster on first use when no address)."""
        if self._client is not None:
            return self._client
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:
            raise ExecutorError(
                f"executor 'dask' needs dask.distributed: pip install 'rural-plan[dask]' ({err})"
            ) from err
        t0 = time.perf_counter()
        address = self.settings.dask_address
        if address is None:
            n = self.settings.dask_workers
            threads = max(1, (os.cpu_count() or 1) // n)
            try:
                self._cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # numba threads per worker: the machine's cores shared, not multiplied
                    env={"NUMBA_NUM_THREADS": str(threads)},
                )
                self._client = Client(self._cluster)
            except (OSError, RuntimeError, TimeoutError) as err:
                self.close()
                raise ExecutorError(
                    f"cannot start a Dask LocalCluster of {n} worker processes "
                    f"({_first_line(err)}); try fewer executor.dask_workers or the local executor"
                ) from err
            self.info["dask_address"] = self._cluster.scheduler_address
            self.info["numba_threads_per_worker"] = threads
        else:
            try:
                self._client = Client(address, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as err:
                raise ExecutorError(
                    f"executor.dask_address: cannot reach a Dask scheduler at {address} "
                    f"within {CONNECT_TIMEOUT_S:g} s ({_first_line(err)}); start one with "
                    "'dask scheduler', or use the local executor"
                ) from err
            try:
                self._client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as err:
                self.close()
                raise ExecutorError(
                    f"executor.dask_address: the Dask scheduler at {address} has no workers "
                    f"(waited {CONNECT_TIMEOUT_S:g} s); start some with 'dask worker {address}'"
                ) from err
        self._check_workers()
        self.info["cluster_start_s"] = round(time.perf_counter() - t0, 3)
        log.info(
            "dask: %d workers at %s (%.1f s to connect)",
            len(self._client.scheduler_info(n_workers=-1)["workers"]),
            self.info["dask_address"],
            self.info["cluster_start_s"],
        )
        return self._client

    def _check_workers(self) -> None:
        """Refuse workers that run other propagation code than this process."""
        mine = worker_identity()
        try:
            ready = self._client.run(worker_ready)
        except Exception as err:  # a worker that cannot import rural_plan, ...
            self.close()
            raise ExecutorError(
                f"dask workers cannot run rural_plan ({_first_line(err)}); install the same "
                "rural_plan version on every worker"
            ) from err
        theirs = {w: r["identity"] for w, r in ready.items()}
        wrong = sorted(w for w, ident in theirs.items() if ident != mine)
        if wrong:
            self.close()
            w = theirs[wrong[0]]
            raise ExecutorError(
                f"dask workers {', '.join(wrong)} run other rural_plan code than this process "
                f"(version {w['rural_plan']}, propagation code {w['propagation_code'][:12]}; "
                f"here {mine['rural_plan']}, {mine['propagation_code'][:12]}); install the "
                "same rural_plan version on every worker"
            )
        self.info["workers"] = len(theirs)

    def _warm_workers(self, model: str) -> None:
        """Load (or compile) the propagation kernels of ``model`` on every worker at once,
        not in the first task of each."""
        if model not in self._warmed:
            ready = self._client.run(warm_propagation, model)
            self._warmed.add(model)
            self.info["worker_warm_up_s"] = round(max(ready.values()), 3)

    def covered_demand(
        self,
        grid: Grid,
        rows: np.ndarray,
        cols: np.ndarray,
        h_tx_m: np.ndarray,
        max_loss_db: np.ndarray,
        demand_id: np.ndarray,
        radio: RadioSettings,
        *,
        pattern_index: np.ndarray | None = None,
        patterns: np.ndarray | None = None,
        extra_db: np.ndarray | None = None,
    ) -> SparseCoverage:
        """:func:`~rural_plan.propagation.covered_demand`, its chunks run as Dask tasks."""
        terrain, options = point_to_area_inputs(
            grid,
            rows,
            cols,
            h_tx_m,
            max_loss_db,
            demand_id,
            radio,
            pattern_index,
            patterns,
            extra_db,
        )
        n = len(options)
        counts = np.zeros(n, dtype=np.int64)
        if n == 0:
            return SparseCoverage(*join_rows(counts, []), seconds=0.0)
        from distributed import as_completed

        client = self.client()
        self._warm_workers(radio.model)
        per_chunk = self.settings.chunk_options or auto_chunk_options(n, self.info["workers"])
        spans = option_chunks(options, min(per_chunk, max_chunk_options(radio, terrain)))
        parts: list[np.ndarray | None] = [None] * len(spans)
        self.info["chunk_options"] = per_chunk
        t0 = time.perf_counter()
        run = uuid.uuid4().hex[:12]
        terrain_f = client.scatter(terrain, broadcast=True, hash=False)
        log.debug("dask: terrain scattered in %.2f s", time.perf_counter() - t0)
        missing, error = list(range(len(spans))), None
        with progress(n, f"propagation ({radio.model}, dask)", unit="option") as bar:
            for attempt in range(RESUBMIT_ROUNDS + 1):
                if attempt:
                    log.warning(
                        "dask: %d chunks failed (%s); submitting them again (%d of %d)",
                        len(missing),
                        error,
                        attempt,
                        RESUBMIT_ROUNDS,
                    )
                    self.info["resubmitted_chunks"] += len(missing)
                    if terrain_f.status != "finished":  # every worker holding it was lost
                        terrain_f = client.scatter(terrain, broadcast=True, hash=False)
                futures = {
                    client.submit(
                        chunk_rows,
                        terrain_f,
                        options.slice(*spans[k]),
                        radio,
                        key=f"{TASK_PREFIX}-{run}-{attempt}-{k}",
                    ): k
                    for k in missing
                }
                self.info["tasks"] += len(futures)
                missing, error = [], None
                for fut in as_completed(futures):
                    k = futures[fut]
                    if fut.status == "finished":
                        lo, hi = spans[k]
                        counts[lo:hi], parts[k] = fut.result()
                        bar.update(hi - lo)
                    else:
                        missing.append(k)
                        error = _first_line(fut.exception())
                    fut.release()
                if not missing:
                    break
            else:
                raise ExecutorError(
                    f"dask: {len(missing)} propagation chunks failed after "
                    f"{RESUBMIT_ROUNDS} resubmissions ({error})"
                )
        client.cancel([terrain_f])
        seconds = time.perf_counter() - t0
        self.info["compute_s"] = round(self.info.get("compute_s", 0.0) + seconds, 3)
        indptr, indices = join_rows(counts, parts)
        log.info(
            "propagation: %d options in %d dask tasks (%s) in %.2f s",
            n,
            len(spans),
            radio.model,
            seconds,
        )
        return SparseCoverage(indptr=indptr, indices=indices, seconds=seconds)


def auto_chunk_options(n_options: int, n_workers: int) -> int:
    """Options per task when the scenario sets none: about :data:`TASKS_PER_WORKER` tasks
    per worker (a worker that finishes early takes another; a lost worker loses little),
    at most :data:`MAX_AUTO_CHUNK_OPTIONS`."""
    per_chunk = -(-n_options // (TASKS_PER_WORKER * max(1, n_workers)))
    return max(1, min(MAX_AUTO_CHUNK_OPTIONS, per_chunk))


Executor = LocalExecutor | DaskExecutor

EXECUTORS: dict[str, type[Executor]] = {
    "local": LocalExecutor,
    "dask": DaskExecutor,
}
"""Executor name → class (names as in :data:`rural_plan.scenario.names.EXECUTOR_NAMES`)."""


def open_executor(settings: ExecutorSettings | None = None) -> Executor:
    """The executor ``settings`` name, to use as a context manager (closes any cluster)."""
    settings = settings or ExecutorSettings()
    try:
        kind = EXECUTORS[settings.name]
    except KeyError:
        raise ExecutorError(
            f"unknown executor {settings.name!r}; valid: {', '.join(EXECUTOR_NAMES)}"
        ) from None
    return kind(settings)


def _first_line(err: BaseException | None) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]
