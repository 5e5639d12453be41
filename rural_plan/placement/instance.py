"""The budgeted maximum-coverage instance: the placement stage's input, and a file format.

An instance is a sparse 0/1 matrix in CSR form whose rows are site options and whose
columns are demand cells (``indptr``, ``indices``), the people each demand cell holds
(``weight``), what each option costs (``cost_usd``) and its location (``location``:
options sharing a location are mutually exclusive). Saved as NPZ with exactly these
array names, it is the standard instance engineers exchange (``rural-plan place``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rural_plan.errors import PlacementError
from rural_plan.io.npz import INTEGER, NUMBER, read_arrays
from rural_plan.io.results import write_file_atomic
from rural_plan.placement._kernels import rows_canonical

ARRAYS = ("indptr", "indices", "weight", "cost_usd", "location")
OPTIONAL_ARRAYS = ("capacity",)
"""``capacity``: people each option can serve at most (inf: no cap)."""
ARRAY_KINDS = {
    "indptr": INTEGER,
    "indices": INTEGER,
    "location": INTEGER,
    "weight": NUMBER,
    "cost_usd": NUMBER,
    "capacity": NUMBER,
}
MAX_PEOPLE_PER_CELL = 1e10
"""A demand cell's people (weight) or an option's capacity: more than everyone on earth
is not a count (a unit mix-up, or garbage)."""
MAX_COST_USD = 1e13
"""An option's cost [USD]: the scenario's largest budget (``budget_usd``)."""
_INT64_MAX = np.iinfo(np.int64).max


def _as_array(name: str, value, dtype, source: str) -> np.ndarray:
    """``value`` as a contiguous ``dtype`` array, refusing what a cast would change:
    booleans, text and complex numbers anywhere, fractions where whole numbers belong,
    whole numbers beyond int64."""
    a = np.asarray(value)
    kind = a.dtype.kind
    wanted = "whole numbers" if dtype is np.int64 else "real numbers"
    if a.size and kind not in ("iu" if dtype is np.int64 else "iuf"):
        cut = " (fractions would be cut off)" if kind == "f" else ""
        raise PlacementError(f"{source}: {name} holds {a.dtype} values; expected {wanted}{cut}")
    if kind == "u" and a.size and int(a.max()) > _INT64_MAX:
        raise PlacementError(f"{source}: {name} holds values beyond int64")
    return np.ascontiguousarray(a, dtype=dtype)


@dataclass(frozen=True)
class CoverageInstance:
    """A budgeted maximum-coverage instance with mutually exclusive options per location."""

    indptr: np.ndarray
    indices: np.ndarray
    weight: np.ndarray
    cost_usd: np.ndarray
    location: np.ndarray
    capacity: np.ndarray | None = None
    """People each option can serve at most (inf: no cap); None: no option is capped."""

    @property
    def capped(self) -> bool:
        """Whether any option has a finite capacity."""
        return self.capacity is not None and bool(np.isfinite(self.capacity).any())

    @property
    def n_options(self) -> int:
        return int(self.indptr.size - 1)

    @property
    def n_cells(self) -> int:
        return int(self.weight.size)

    def row(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def covered(self, options) -> np.ndarray:
        """Boolean mask of the demand cells any of ``options`` covers."""
        mask = np.zeros(self.n_cells, dtype=bool)
        for i in np.asarray(options, dtype=np.int64):
            mask[self.row(i)] = True
        return mask

    def coverage_of(self, options) -> float:
        """People covered by ``options`` (each cell counted once)."""
        return float(self.weight[self.covered(options)].sum())

    @classmethod
    def from_arrays(
        cls,
        *,
        indptr,
        indices,
        weight,
        cost_usd,
        location,
        capacity=None,
        source: str = "instance",
    ) -> CoverageInstance:
        """Build and check an instance; problems raise :class:`PlacementError`.

        Rows are put in canonical form (cells sorted, a cell repeated within a row kept
        once), as every method counts a row's people cell by cell.
        """
        ints = {"indptr": indptr, "indices": indices, "location": location}
        reals = {"weight": weight, "cost_usd": cost_usd, "capacity": capacity}
        arrays = {k: _as_array(k, v, np.int64, source) for k, v in ints.items()}
        arrays |= {
            k: None if v is None else _as_array(k, v, np.float64, source) for k, v in reals.items()
        }
        inst = cls(**arrays)
        inst.check(source)
        return inst._canonical()._dense_locations()

    def _dense_locations(self) -> CoverageInstance:
        """Locations numbered 0..k-1 (the methods index arrays by location): labels such
        as 2**62 keep their meaning (which options exclude each other) without making
        any array that large."""
        loc = self.location
        if loc.size == 0 or int(loc.max()) < max(self.n_options, 1):
            return self
        _, dense = np.unique(loc, return_inverse=True)
        return replace(self, location=np.ascontiguousarray(dense, dtype=np.int64))

    def _canonical(self) -> CoverageInstance:
        ind = self.indices
        if ind.size == 0 or rows_canonical(self.indptr, ind):
            return self  # already sorted and unique within every row (no copy)
        row_of = np.repeat(np.arange(self.n_options), np.diff(self.indptr))
        order = np.lexsort((ind, row_of))
        row_s, ind_s = row_of[order], ind[order]
        keep = np.ones(ind_s.size, dtype=bool)
        keep[1:] = (row_s[1:] != row_s[:-1]) | (ind_s[1:] != ind_s[:-1])
        counts = np.bincount(row_s[keep], minlength=self.n_options)
        indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return replace(self, indptr=indptr, indices=np.ascontiguousarray(ind_s[keep]))

    def check(self, source: str = "instance") -> None:
        n, m = self.n_options, self.n_cells
        problems = []
        if self.indptr.ndim != 1 or self.indptr.size < 1 or self.indptr[0] != 0:
            problems.append("indptr must be 1-D and start at 0")
        elif (np.diff(self.indptr) < 0).any() or self.indptr[-1] != self.indices.size:
            problems.append("indptr must be non-decreasing and end at len(indices)")
        if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= m):
            problems.append(f"indices must lie in [0, {m}) (the length of weight)")
        if self.weight.ndim != 1 or self.indices.ndim != 1:
            problems.append("weight and indices must be 1-D")
        elif (
            not np.isfinite(self.weight).all()
            or (self.weight < 0).any()
            or (self.weight > MAX_PEOPLE_PER_CELL).any()
        ):
            problems.append(
                f"weight must be finite and >= 0 (people per demand cell, at most "
                f"{MAX_PEOPLE_PER_CELL:g})"
            )
        if self.cost_usd.shape != (n,) or self.location.shape != (n,):
            problems.append(f"cost_usd and location need one value per option ({n})")
        elif not np.isfinite(self.cost_usd).all() or (self.cost_usd <= 0).any():
            problems.append("cost_usd must be finite and > 0 (nothing is free)")
        elif (self.cost_usd > MAX_COST_USD).any():
            problems.append(f"cost_usd must be at most {MAX_COST_USD:g} USD per option")
        elif self.location.size and self.location.min() < 0:
            problems.append("location must be >= 0")
        if self.capacity is not None and (
            self.capacity.shape != (n,)
            or np.isnan(self.capacity).any()
            or (self.capacity <= 0).any()
            or (np.isfinite(self.capacity) & (self.capacity > MAX_PEOPLE_PER_CELL)).any()
        ):
            problems.append(
                f"capacity needs one value per option ({n}), > 0 and at most "
                f"{MAX_PEOPLE_PER_CELL:g} people; inf for no cap"
            )
        if problems:
            raise PlacementError(f"{source}: " + "; ".join(problems))

    def save(self, path: Path) -> None:
        """Write the instance as NPZ (arrays named as in ``ARRAYS``), atomically: a
        temporary file beside ``path`` renamed into place once complete."""
        arrays = {k: getattr(self, k) for k in ARRAYS}
        if self.capacity is not None:
            arrays["capacity"] = self.capacity
        write_file_atomic(path, lambda f: np.savez_compressed(f, **arrays))

    @classmethod
    def load(
        cls, path: Path, *, max_bytes: float | None = None, limit_note: str = ""
    ) -> CoverageInstance:
        """Read an NPZ instance; a missing array or bad value is one clear error.

        Nothing large is allocated before the archive's declared array sizes are checked
        (against each other and against ``max_bytes``, the memory the caller can give),
        and only one-dimensional arrays of the right kind are read: whole numbers for
        ``indptr``, ``indices`` and ``location`` (a fraction is never cut off), real
        numbers for ``weight``, ``cost_usd`` and ``capacity``.
        """
        arrays = read_arrays(Path(path), ARRAY_KINDS, required=ARRAYS, max_bytes=max_bytes)
        return cls.from_arrays(**arrays, source=str(path))
