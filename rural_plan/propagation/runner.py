"""Point-to-area coverage through the on-disk cache, computed by an executor.

:func:`cached_covered_demand` is what the pipeline calls: it looks the result up in
:mod:`rural_plan.propagation.cache` and hands only a miss to the executor (this process
by default, or a Dask cluster: any object with the :class:`Executor` interface).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from rural_plan.grid.grid import Grid
from rural_plan.propagation import cache
from rural_plan.propagation.point_to_area import SparseCoverage, covered_demand
from rural_plan.propagation.settings import RadioSettings


class Executor(Protocol):
    """Where propagation runs (``rural_plan.pipeline.executors``)."""

    info: dict[str, Any]

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
    ) -> SparseCoverage: ...


def cached_covered_demand(
    use_cache: bool,
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
    executor: Executor | None = None,
) -> SparseCoverage:
    """:func:`~rural_plan.propagation.covered_demand`, through the on-disk propagation
    cache when ``use_cache``; what the cache does not hold is computed by ``executor``
    (default: this process)."""

    def compute() -> SparseCoverage:
        run = covered_demand if executor is None else executor.covered_demand
        return run(
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

    if not use_cache:
        return compute()
    key = cache.key_of(
        grid.elevation_m,
        grid.land,
        repr(tuple(grid.transform)),
        grid.cell_size_m,
        demand_id,
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(h_tx_m, dtype=np.float64),
        np.asarray(max_loss_db, dtype=np.float64),
        np.asarray(pattern_index if pattern_index is not None else [], dtype=np.int64),
        np.asarray(patterns if patterns is not None else [], dtype=np.float32),
        repr(radio),
        *(() if extra_db is None else (np.asarray(extra_db, dtype=np.float64),)),
    )
    hit = cache.load(key)
    if hit is not None:
        if executor is not None:
            executor.info["cache_hits"] = executor.info.get("cache_hits", 0) + 1
        return SparseCoverage(indptr=hit[0], indices=hit[1], seconds=0.0)
    result = compute()
    cache.store(key, result.indptr, result.indices)
    return result
