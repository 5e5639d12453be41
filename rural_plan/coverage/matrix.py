"""The sparse coverage matrix: site options × demand cells, people weighted."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CoverageMatrix:
    """CSR rows (one per site option) over demand cells.

    ``weight`` holds the people each demand cell adds when newly covered: cells that
    the existing network already serves weigh 0, so the objective counts only people
    newly covered.
    """

    indptr: np.ndarray
    indices: np.ndarray
    weight: np.ndarray
    demand_rows: np.ndarray
    demand_cols: np.ndarray
    people_covered_before: float

    @property
    def n_options(self) -> int:
        return self.indptr.size - 1

    def covered_by(self, options: np.ndarray) -> np.ndarray:
        """Boolean mask of demand cells covered by any of ``options``."""
        mask = np.zeros(self.weight.size, dtype=bool)
        for i in np.asarray(options, dtype=np.int64):
            mask[self.indices[self.indptr[i] : self.indptr[i + 1]]] = True
        return mask


def demand_cells(
    population: np.ndarray, land: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(demand_id grid, rows, cols) for every land cell holding people; -1 elsewhere."""
    mask = land & (population > 0)
    rows, cols = np.nonzero(mask)
    demand_id = np.full(population.shape, -1, dtype=np.int64)
    demand_id[rows, cols] = np.arange(rows.size)
    return demand_id, rows, cols


def build_matrix(
    *,
    population: np.ndarray,
    demand_rows: np.ndarray,
    demand_cols: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    served_before: np.ndarray | None,
) -> CoverageMatrix:
    """Assemble the matrix; ``served_before`` marks demand cells the existing network covers."""
    people = population[demand_rows, demand_cols].astype(np.float64)
    before = 0.0
    weight = people.copy()
    if served_before is not None and served_before.any():
        before = float(people[served_before].sum())
        weight[served_before] = 0.0
    return CoverageMatrix(
        indptr=np.asarray(indptr, dtype=np.int64),
        indices=np.asarray(indices, dtype=np.int64),
        weight=weight,
        demand_rows=demand_rows,
        demand_cols=demand_cols,
        people_covered_before=before,
    )
