"""The sparse coverage matrix: site options × demand cells, people weighted."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    demand: DemandCells
    people_covered_before: float
    served_before: np.ndarray
    """Demand cells the existing network serves (bool per demand cell)."""

    @property
    def n_options(self) -> int:
        return self.indptr.size - 1

    def covered_by(self, options: np.ndarray) -> np.ndarray:
        """Boolean mask of demand cells covered by any of ``options``."""
        mask = np.zeros(self.weight.size, dtype=bool)
        for i in np.asarray(options, dtype=np.int64):
            mask[self.indices[self.indptr[i] : self.indptr[i + 1]]] = True
        return mask

    def people_per_option(self, options: np.ndarray) -> np.ndarray:
        """People newly covered that each of ``options`` brings, in the given order: a
        demand cell counts for the first option that covers it (no double counting;
        cells the existing network serves weigh 0). Sums to the footprint's people."""
        options = np.asarray(options, dtype=np.int64)
        claimed = np.zeros(self.weight.size, dtype=bool)
        out = np.zeros(options.size)
        for k, i in enumerate(options):
            cells = self.indices[self.indptr[i] : self.indptr[i + 1]]
            new = cells[~claimed[cells]]
            out[k] = float(self.weight[new].sum())
            claimed[new] = True
        return out

    def people_grid(self, demand_mask: np.ndarray, population: np.ndarray) -> np.ndarray:
        """People of every grid cell whose demand cell is in ``demand_mask``; 0 elsewhere."""
        ids = self.demand.cell_demand_id
        inside = ids >= 0
        inside[inside] = demand_mask[ids[inside]]
        return np.where(inside, population, 0.0)


@dataclass(frozen=True)
class DemandCells:
    """People counted on blocks of ``block`` × ``block`` grid cells (the demand grid).

    A block holds the people of its populated land cells (summed: conserved) and is
    represented by its most populous cell: propagation tests that cell, and the block
    is covered when it is.
    """

    block: int
    sample_id: np.ndarray
    """Grid of demand ids at each block's sample cell, -1 elsewhere (what propagation reads)."""
    cell_demand_id: np.ndarray
    """Grid of the demand id of the block every populated land cell belongs to, -1 elsewhere."""
    rows: np.ndarray
    cols: np.ndarray
    """Grid row / column of each demand cell's sample cell."""
    people: np.ndarray
    """People in each demand cell."""
    point_id: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """Demand id of each point given to :func:`demand_cells` (e.g. a school): the point's
    own cell is tested by propagation; a point on a cell with no sample gets a demand
    cell of its own holding no people."""

    @property
    def size(self) -> int:
        return int(self.people.size)


def demand_cells(
    population: np.ndarray,
    land: np.ndarray,
    block: int = 1,
    *,
    point_rows: np.ndarray | None = None,
    point_cols: np.ndarray | None = None,
) -> DemandCells:
    """Group the populated land cells into ``block`` × ``block`` demand cells; the cells
    of the given points (rows, cols on the grid) are tested too (see ``point_id``)."""
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    r, c = np.nonzero(land & (population > 0))
    pop = population[r, c].astype(np.float64)
    n_block_cols = -(-population.shape[1] // block)
    key = (r // block) * n_block_cols + (c // block)
    _, member = np.unique(key, return_inverse=True)
    n = int(member.max()) + 1 if member.size else 0
    people = np.bincount(member, weights=pop, minlength=n)
    first = np.lexsort((r, c, -pop, member))  # per block: most people, then top-left
    head = np.ones(first.size, dtype=bool)
    head[1:] = member[first[1:]] != member[first[:-1]]
    sample = first[head]
    cell_demand_id = np.full(population.shape, -1, dtype=np.int64)
    cell_demand_id[r, c] = member
    sample_id = np.full(population.shape, -1, dtype=np.int64)
    sample_id[r[sample], c[sample]] = member[sample]
    rows, cols = list(r[sample]), list(c[sample])
    people_list = list(people)
    point_id = np.empty(0 if point_rows is None else len(point_rows), dtype=np.int64)
    for k in range(point_id.size):
        pr, pc = int(point_rows[k]), int(point_cols[k])
        if sample_id[pr, pc] < 0:
            sample_id[pr, pc] = len(people_list)
            rows.append(pr)
            cols.append(pc)
            people_list.append(0.0)
        point_id[k] = sample_id[pr, pc]
    return DemandCells(
        block=int(block),
        sample_id=sample_id,
        cell_demand_id=cell_demand_id,
        rows=np.asarray(rows, dtype=np.int64),
        cols=np.asarray(cols, dtype=np.int64),
        people=np.asarray(people_list, dtype=np.float64),
        point_id=point_id,
    )


def build_matrix(
    *,
    demand: DemandCells,
    indptr: np.ndarray,
    indices: np.ndarray,
    served_before: np.ndarray | None,
) -> CoverageMatrix:
    """Assemble the matrix; ``served_before`` marks demand cells the existing network covers."""
    people = demand.people
    before = 0.0
    weight = people.copy()
    if served_before is not None and served_before.any():
        before = float(people[served_before].sum())
        weight[served_before] = 0.0
    return CoverageMatrix(
        indptr=np.asarray(indptr, dtype=np.int64),
        indices=np.asarray(indices, dtype=np.int64),
        weight=weight,
        demand=demand,
        people_covered_before=before,
        served_before=np.zeros(people.size, dtype=bool)
        if served_before is None
        else np.asarray(served_before, dtype=bool),
    )
