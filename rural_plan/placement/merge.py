"""Demand cells covered by exactly the same options, merged: an exact reduction.

Two demand cells listed by the same set of options are covered together by every
choice of options, so one cell carrying their summed people stands for both and every
objective value is unchanged. How much it saves depends on how many cells share a
pattern: the synthetic benchmark instances (sparse demand points between a few
overlapping discs) lose 84–94 % of their non-zeros, the demo and Ngazidja instances
(every grid cell, each under dozens of overlapping sites) about 17 %.

The grouping is :func:`~rural_plan.placement._kernels.merge_cells`, a partition
refinement over the rows in O(nnz + n_cells): exact by construction (no hashing, so
nothing to verify) and deterministic. Merged cells are numbered in order of their
lowest demand cell (the canonical order every caller and test relies on).

* :func:`merge_identical_cells` — the reduction as a SciPy matrix, for the MILP;
* :func:`merged_instance` — the reduction as a :class:`CoverageInstance` with the same
  options (same ids, costs and locations), for the greedy and the local search: a
  choice means the same on both, so option ids map back unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from rural_plan._sparse import sort_row_segments
from rural_plan.errors import PlacementError
from rural_plan.placement._kernels import merge_cells, rows_canonical
from rural_plan.placement.instance import CoverageInstance

if TYPE_CHECKING:
    import scipy.sparse as sp


class MergedCells(NamedTuple):
    """Demand cells merged by identical covering-option sets.

    ``rows`` : (n_options, n_merged) ``scipy.sparse.csr_array`` of ones, option →
    merged cells it covers (column indices sorted in each row).
    ``weight`` : (n_merged,) float64, the summed people of each merged cell.
    ``cell_to_merged`` : (n_cells,) int64, each demand cell's merged cell, −1 for cells
    no option covers (those are dropped). Merged cells are numbered in order of their
    lowest-numbered demand cell.
    """

    rows: sp.csr_array
    weight: np.ndarray
    cell_to_merged: np.ndarray


MAX_CELLS = 2**30
"""The kernel numbers classes with int32 (at most 2 n_cells + 2 live)."""


def _merge(instance: CoverageInstance):
    if instance.n_cells >= MAX_CELLS or instance.n_options >= 2**31:
        raise PlacementError(
            f"cannot merge cells of an instance with {instance.n_cells:,} cells and "
            f"{instance.n_options:,} options (at most {MAX_CELLS - 1:,} cells and "
            f"{2**31 - 1:,} options)"
        )
    indptr = np.ascontiguousarray(instance.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(instance.indices, dtype=np.int64)
    weight = np.ascontiguousarray(instance.weight, dtype=np.float64)
    cell_to_merged, merged_weight, mptr, midx = merge_cells(indptr, indices, weight)
    # Rows sorted in the instance give sorted merged rows (merged ids ascend with their
    # lowest cell); an instance built without from_arrays may not be sorted.
    if not rows_canonical(mptr, midx):
        sort_row_segments(mptr, midx)
    return cell_to_merged, merged_weight, mptr, midx


def merge_identical_cells(instance: CoverageInstance) -> MergedCells:
    """Merge demand cells covered by exactly the same set of options.

    Replacing such cells by one cell with their summed weight leaves every objective
    value unchanged (exact). Cells covered by no option are dropped. A merged cell's
    weight is the sum of its cells' weights in ascending cell order.

    Returns a :class:`MergedCells` (``rows``, ``weight``, ``cell_to_merged``).

    Examples
    --------
    >>> import numpy as np
    >>> inst = CoverageInstance.from_arrays(indptr=[0, 3, 4], indices=[0, 1, 3, 1],
    ...     weight=[1.0, 2.0, 4.0, 8.0], cost_usd=[1.0, 1.0], location=[0, 1])
    >>> m = merge_identical_cells(inst)
    >>> m.cell_to_merged.tolist(), m.weight.tolist()
    ([0, 1, -1, 0], [9.0, 2.0])
    """
    import scipy.sparse as sp

    cell_to_merged, weight, mptr, midx = _merge(instance)
    rows = sp.csr_array((np.ones(midx.size), midx, mptr), shape=(instance.n_options, weight.size))
    return MergedCells(rows, weight, cell_to_merged)


def merged_instance(instance: CoverageInstance) -> CoverageInstance:
    """The same options over merged demand cells (:func:`merge_identical_cells`).

    Option ids, costs and locations are unchanged, so any choice covers the same people
    on both instances (up to rounding in the sums) and a choice found on the merged
    instance is a choice on the original. The cells no option covers become one last
    merged cell, listed by no option, so the total people (which the local search's
    tolerances are relative to) stay those of the original.

    Capacity is not carried over: capped instances need per-cell service
    (:func:`~rural_plan.placement.greedy.select_greedy` works on them unmerged). An
    instance too large for the kernel (``MAX_CELLS``) is returned as it is.
    """
    if instance.n_cells >= MAX_CELLS or instance.n_options >= 2**31:
        return instance
    cell_to_merged, weight, mptr, midx = _merge(instance)
    uncovered = instance.weight[cell_to_merged < 0]
    weight = np.append(weight, uncovered.sum() if uncovered.size else 0.0)
    return CoverageInstance(
        indptr=mptr,
        indices=midx,
        weight=weight,
        cost_usd=instance.cost_usd,
        location=instance.location,
    )
