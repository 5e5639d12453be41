"""Merging demand cells covered by the same options: the numba partition refinement
against the vectorised NumPy/SciPy hash-and-verify merge it replaced and against a
plain set reference, on Hypothesis instances with empty rows, cells nobody covers,
repeated and unsorted cells within a row; and the merged instance covering the same
people as the original for any choice."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rural_plan.placement._kernels import merge_cells
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.merge import merge_identical_cells, merged_instance
from tests.references import set_reference
from tests.support import to_csr

# --------------------------------------------------------------------------- references


def numpy_merge(instance: CoverageInstance):
    """The vectorised NumPy/SciPy merge the kernel replaced (hash the CSC transpose's
    option sets with random 64-bit keys, group by hash, verify element by element).
    Returns (cell_to_merged, weight, CSR rows over merged cells), merged cells numbered
    by their lowest cell."""
    n, m = instance.n_options, instance.n_cells
    csc = sp.csr_array(
        (np.ones(instance.indices.size, dtype=np.int8), instance.indices, instance.indptr),
        shape=(n, m),
    ).tocsc()
    csc.sum_duplicates()  # a cell listed twice by a row counts once
    colptr = csc.indptr.astype(np.int64)
    opts = csc.indices.astype(np.int64)
    degree = np.diff(colptr)
    cells = np.flatnonzero(degree > 0)
    cell_to_merged = np.full(m, -1, dtype=np.int64)
    if cells.size == 0:
        return cell_to_merged, np.zeros(0), sp.csr_array((n, 0))
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 2**63, size=(2, n), dtype=np.uint64)
    h1, h2 = (np.add.reduceat(k[opts], colptr[cells]) for k in keys)
    order = np.lexsort((h2, h1))
    new_group = np.ones(order.size, dtype=bool)
    new_group[1:] = (h1[order[1:]] != h1[order[:-1]]) | (h2[order[1:]] != h2[order[:-1]])
    group = np.empty(cells.size, dtype=np.int64)
    group[order] = np.cumsum(new_group) - 1
    first = cells[order[new_group]]
    rep = first[group]
    assert (degree[cells] == degree[rep]).all()
    shift = np.repeat(colptr[rep] - colptr[cells], degree[cells])
    assert np.array_equal(opts, opts[np.arange(opts.size) + shift]), "hash collision"
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    group = rank[group]
    first = np.sort(first)
    cell_to_merged[cells] = group
    weight = np.bincount(group, weights=instance.weight[cells], minlength=first.size)
    deg = degree[first]
    lo = np.repeat(colptr[first], deg)
    within = np.arange(lo.size) - np.repeat(np.cumsum(deg) - deg, deg)
    rows = sp.csc_array(
        (np.ones(lo.size), opts[lo + within], np.concatenate(([0], np.cumsum(deg)))),
        shape=(n, first.size),
    ).tocsr()
    rows.sort_indices()
    return cell_to_merged, weight, rows


def raw_instance(rows, weight, *, canonical: bool) -> CoverageInstance:
    """Rows as given (unsorted, repeats) or canonicalised by ``from_arrays``."""
    indptr, indices = to_csr(rows)
    arrays = {
        "indptr": indptr,
        "indices": indices,
        "weight": np.asarray(weight, dtype=np.float64),
        "cost_usd": np.ones(len(rows)),
        "location": np.arange(len(rows), dtype=np.int64),
    }
    if canonical:
        return CoverageInstance.from_arrays(**arrays)
    return CoverageInstance(**arrays)


@st.composite
def row_lists(draw, max_options=14, max_cells=24):
    """Rows over few patterns (so cells merge), with empty rows, cells nobody covers,
    repeated and unsorted cells, zero weights."""
    m = draw(st.integers(0, max_cells))
    n = draw(st.integers(0, max_options))
    cells = st.integers(0, m - 1) if m else st.nothing()
    rows = [draw(st.lists(cells, max_size=2 * m if m else 0)) for _ in range(n)]
    weight = draw(
        st.lists(
            st.sampled_from([0.0, 1.0, 2.5, 0.1, 7.0, 1e6]),
            min_size=m,
            max_size=m,
        )
    )
    return rows, weight


def check_against_sets(rows, weight, inst: CoverageInstance) -> None:
    cell_to_merged, mw, mptr, midx = merge_cells(inst.indptr, inst.indices, inst.weight)
    ref = set_reference(rows, len(weight))
    for k in range(len(weight)):
        assert (cell_to_merged[k] >= 0) == (k in ref)
    # same merged cell <=> same covering set
    group_of: dict[frozenset, int] = {}
    for k, s in ref.items():
        assert group_of.setdefault(s, int(cell_to_merged[k])) == cell_to_merged[k]
    assert len(set(group_of.values())) == len(group_of) == mw.size
    # canonical order: merged cells numbered by their lowest cell
    firsts = [min(k for k in ref if cell_to_merged[k] == g) for g in range(mw.size)]
    assert firsts == sorted(firsts)
    # weights: the sum of the cells' weights in ascending cell order, bit for bit
    expect = np.zeros(mw.size)
    for k in sorted(ref):
        expect[cell_to_merged[k]] += weight[k]
    np.testing.assert_array_equal(mw, expect)
    # rows: option i lists merged g once iff it lists g's cells
    assert mptr.shape == (len(rows) + 1,)
    for i, row in enumerate(rows):
        got = midx[mptr[i] : mptr[i + 1]]
        assert sorted(got.tolist()) == sorted({int(cell_to_merged[k]) for k in row})


# --------------------------------------------------------------------------- kernel


@settings(max_examples=300, deadline=None)
@given(data=row_lists(), canonical=st.booleans())
def test_kernel_matches_set_reference(data, canonical):
    rows, weight = data
    check_against_sets(rows, weight, raw_instance(rows, weight, canonical=canonical))


@settings(max_examples=150, deadline=None)
@given(data=row_lists(), canonical=st.booleans())
def test_same_as_numpy_merge(data, canonical):
    """Same partition, same canonical numbering, bit-identical weights, same rows."""
    rows, weight = data
    inst = raw_instance(rows, weight, canonical=canonical)
    got = merge_identical_cells(inst)
    ref_map, ref_weight, ref_rows = numpy_merge(inst)
    np.testing.assert_array_equal(got.cell_to_merged, ref_map)
    np.testing.assert_array_equal(got.weight, ref_weight)
    assert got.rows.shape == ref_rows.shape
    np.testing.assert_array_equal(got.rows.indptr, ref_rows.indptr)
    np.testing.assert_array_equal(got.rows.indices, ref_rows.indices)
    assert (got.rows.data == 1).all()


def disc_rows(seed: int, n_loc: int, side: int):
    """Two disc types per location on a grid: many cells share a pattern."""
    rng = np.random.default_rng(seed)
    yy, xx = np.divmod(np.arange(side * side), side)
    rows = []
    for _ in range(n_loc):
        x0, y0 = rng.uniform(0, side, 2)
        for radius in (0.1 * side, 0.2 * side):
            r = radius * rng.uniform(0.8, 1.2)
            rows.append(np.flatnonzero((xx - x0) ** 2 + (yy - y0) ** 2 <= r * r))
    weight = rng.lognormal(0.0, 1.0, side * side)
    return rows, weight


@pytest.mark.parametrize("seed", range(4))
def test_same_as_numpy_merge_on_disc_coverage(seed):
    """Hundreds of rows and thousands of cells (classes emptied and reused many times)."""
    rows, weight = disc_rows(seed, n_loc=60, side=90)
    inst = raw_instance(rows, weight, canonical=True)
    got = merge_identical_cells(inst)
    ref_map, ref_weight, ref_rows = numpy_merge(inst)
    assert got.weight.size < (ref_map >= 0).sum() / 4
    np.testing.assert_array_equal(got.cell_to_merged, ref_map)
    np.testing.assert_array_equal(got.weight, ref_weight)
    np.testing.assert_array_equal(got.rows.indptr, ref_rows.indptr)
    np.testing.assert_array_equal(got.rows.indices, ref_rows.indices)


@pytest.mark.parametrize("seed", range(3))
def test_same_as_numpy_merge_when_almost_no_cell_merges(seed):
    """Dense random rows: nearly every cell its own pattern, so the kernel's class
    arrays (sized for a quarter of the cells) grow several times."""
    rng = np.random.default_rng(seed)
    m = 3000
    rows = [np.flatnonzero(rng.random(m) < 0.5) for _ in range(40)]
    rows[3] = np.concatenate((rows[3], rows[3][:50]))  # repeated cells too
    weight = rng.uniform(0.0, 3.0, m)
    inst = raw_instance(rows, weight, canonical=bool(seed % 2))
    got = merge_identical_cells(inst)
    ref_map, ref_weight, ref_rows = numpy_merge(inst)
    assert got.weight.size > 1024 + m // 4
    np.testing.assert_array_equal(got.cell_to_merged, ref_map)
    np.testing.assert_array_equal(got.weight, ref_weight)
    np.testing.assert_array_equal(got.rows.indptr, ref_rows.indptr)
    np.testing.assert_array_equal(got.rows.indices, ref_rows.indices)


def test_every_row_the_same_and_no_rows():
    inst = raw_instance([[2, 0], [0, 2, 2], [2, 0]], [1.0, 5.0, 2.0], canonical=False)
    got = merge_identical_cells(inst)
    assert got.cell_to_merged.tolist() == [0, -1, 0]
    assert got.weight.tolist() == [3.0]
    assert got.rows.indices.tolist() == [0, 0, 0]
    none = merge_identical_cells(raw_instance([], [1.0, 2.0], canonical=True))
    assert none.rows.shape == (0, 0) and none.cell_to_merged.tolist() == [-1, -1]
    empty = merge_identical_cells(raw_instance([[], []], [], canonical=True))
    assert empty.rows.shape == (2, 0) and empty.weight.size == 0


def test_kernel_matches_its_python_function():
    rows, weight = disc_rows(7, n_loc=20, side=30)
    inst = raw_instance(rows, weight, canonical=True)
    args = (inst.indptr, inst.indices, inst.weight)
    for got, ref in zip(merge_cells(*args), merge_cells.py_func(*args), strict=True):
        np.testing.assert_array_equal(got, ref)


# --------------------------------------------------------------------------- merged instance


@settings(max_examples=150, deadline=None)
@given(data=row_lists(), canonical=st.booleans(), pick_seed=st.integers(0, 2**32 - 1))
def test_merged_instance_covers_the_same_people(data, canonical, pick_seed):
    rows, weight = data
    inst = raw_instance(rows, weight, canonical=canonical)
    red = merged_instance(inst)
    red.check()
    assert red.n_options == inst.n_options
    assert red.cost_usd is inst.cost_usd and red.location is inst.location
    # the last merged cell holds the people nobody covers and no option lists it
    assert red.weight.sum() == pytest.approx(inst.weight.sum(), rel=1e-12, abs=1e-12)
    assert not (red.indices == red.n_cells - 1).any()
    rng = np.random.default_rng(pick_seed)
    for _ in range(5):
        chosen = np.flatnonzero(rng.random(inst.n_options) < 0.4)
        assert red.coverage_of(chosen) == pytest.approx(
            inst.coverage_of(chosen), rel=1e-12, abs=1e-12
        )
    # rows canonical: sorted, no repeats
    for i in range(red.n_options):
        r = red.row(i)
        assert (np.diff(r) > 0).all()
