"""Numba kernels on sparse (CSR) rows that several stages share (propagation writes the
coverage rows, placement merges them): arrays only, no Python objects."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, parallel=True)
def sort_row_segments(indptr, indices):
    """Sort each row's cells in place (rows in parallel)."""
    for i in nb.prange(indptr.shape[0] - 1):
        indices[indptr[i] : indptr[i + 1]] = np.sort(indices[indptr[i] : indptr[i + 1]])
