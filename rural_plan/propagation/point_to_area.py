"""Point-to-area path loss from candidate sites over the grid's terrain.

Terrain profiles along radials are extracted once per location and every option
there (site types: antenna heights, patterns) is evaluated from them. Locations
run in parallel (numba threads) in chunks whose loss windows fit in a fixed
memory budget, so memory stays bounded whatever the number of sites.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from rural_plan.errors import PropagationError
from rural_plan.grid.grid import Grid
from rural_plan.placement._kernels import sort_row_segments
from rural_plan.progress import progress
from rural_plan.propagation._radial import covered_cells, locations_windows
from rural_plan.propagation.models import get_model

log = logging.getLogger(__name__)

_WINDOW_BYTES_PER_CHUNK = 256 * 1024 * 1024


@dataclass(frozen=True)
class RadioSettings:
    """What the propagation kernels need beyond the sites themselves."""

    model: str
    f_mhz: float
    h_rx_m: float
    k_factor: float
    radius_m: float
    params: tuple[float, ...] = ()
    """Model parameters, in the order the model's kernel reads them."""

    def radius_cells(self, grid: Grid) -> int:
        # The tolerance keeps float noise (730.0000000001 / 10) from adding a ring of cells.
        return max(1, math.ceil(self.radius_m / grid.cell_size_m - 1e-9))


def omni_patterns(radius_cells: int) -> np.ndarray:
    """A single all-zero attenuation window (omni antennas)."""
    w = 2 * radius_cells + 1
    return np.zeros((1, w, w), dtype=np.float32)


def _location_runs(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Start indices of runs of equal (row, col), with the end appended."""
    if rows.size == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero((np.diff(rows) != 0) | (np.diff(cols) != 0)) + 1
    return np.concatenate([[0], change, [rows.size]]).astype(np.int64)


def _windows(grid: Grid, rows, cols, h_tx_m, radio: RadioSettings, starts, out) -> None:
    model = get_model(radio.model)
    if len(radio.params) != model.n_params:
        raise PropagationError(
            f"model {model.name!r} reads {model.n_params} parameters, got {len(radio.params)}"
        )
    locations_windows(
        np.ascontiguousarray(grid.elevation_m, dtype=np.float64),
        np.ascontiguousarray(rows[starts[:-1]], dtype=np.int64),
        np.ascontiguousarray(cols[starts[:-1]], dtype=np.int64),
        starts - starts[0],
        radio.radius_cells(grid),
        radio.radius_m,
        grid.cell_size_m,
        np.ascontiguousarray(h_tx_m, dtype=np.float64),
        radio.h_rx_m,
        radio.f_mhz,
        radio.k_factor,
        model.code,
        np.asarray(radio.params, dtype=np.float64),
        out,
    )


def site_loss_window(
    grid: Grid, row: int, col: int, h_tx_m: float, radio: RadioSettings
) -> np.ndarray:
    """Path loss [dB] from one site to the (2R+1)² window centred on it (+inf: not reached)."""
    w = 2 * radio.radius_cells(grid) + 1
    out = np.empty((1, w, w), dtype=np.float32)
    _windows(
        grid,
        np.array([row]),
        np.array([col]),
        np.array([h_tx_m], dtype=np.float64),
        radio,
        np.array([0, 1]),
        out,
    )
    return out[0]


@dataclass(frozen=True)
class SparseCoverage:
    """CSR rows: for each option, the demand cells within its loss budget."""

    indptr: np.ndarray
    indices: np.ndarray
    seconds: float


def _chunks(starts: np.ndarray, options_per_chunk: int):
    """Split location runs into chunks of at most ``options_per_chunk`` options (≥ 1 run)."""
    lo = 0
    n_runs = starts.size - 1
    while lo < n_runs:
        hi = lo + 1
        while hi < n_runs and starts[hi + 1] - starts[lo] <= options_per_chunk:
            hi += 1
        yield lo, hi
        lo = hi


def covered_demand(
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
) -> SparseCoverage:
    """For each option (cell, antenna height, loss budget, pattern), the covered demand cells.

    Options at the same location should be adjacent: their terrain profiles are shared.
    ``patterns`` (n_patterns, 2R+1, 2R+1) holds pattern attenuation [dB]; option i uses
    ``patterns[pattern_index[i]]`` (default: omni).
    """
    n = len(rows)
    radius = radio.radius_cells(grid)
    w = 2 * radius + 1
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    h_tx_m = np.ascontiguousarray(h_tx_m, dtype=np.float64)
    max_loss_db = np.ascontiguousarray(max_loss_db, dtype=np.float64)
    if patterns is None:
        patterns = omni_patterns(radius)
        pattern_index = np.zeros(n, dtype=np.int64)
    pattern_index = np.ascontiguousarray(pattern_index, dtype=np.int64)
    demand_id = np.ascontiguousarray(demand_id, dtype=np.int64)
    starts = _location_runs(rows, cols)
    # Memory caps a chunk; about 40 chunks per run keep progress visible (and a chunk of
    # 64 options or more keeps every thread busy).
    per_chunk = max(1, min(_WINDOW_BYTES_PER_CHUNK // (w * w * 4), max(64, n // 40)))
    counts = np.zeros(n, dtype=np.int64)
    parts: list[np.ndarray] = []
    t0 = time.perf_counter()
    with progress(starts.size - 1, f"propagation ({radio.model})", unit="site") as bar:
        for lo, hi in _chunks(starts, per_chunk):
            o_lo, o_hi = starts[lo], starts[hi]
            win = np.empty((o_hi - o_lo, w, w), dtype=np.float32)
            _windows(grid, rows, cols, h_tx_m[o_lo:o_hi], radio, starts[lo : hi + 1], win)
            sl = slice(o_lo, o_hi)
            c = counts[sl]
            args = (
                win,
                rows[sl],
                cols[sl],
                max_loss_db[sl],
                pattern_index[sl],
                patterns,
                demand_id,
            )
            covered_cells(*args, True, c, np.empty(0, dtype=np.int64))
            idx = np.empty(int(c.sum()), dtype=np.int64)
            covered_cells(*args, False, c, idx)
            # rows in cell order: the canonical form the placement stage expects
            sort_row_segments(np.concatenate(([0], np.cumsum(c))), idx)
            parts.append(idx)
            bar.update(hi - lo)
    seconds = time.perf_counter() - t0
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    # Copy the chunks into one array, releasing each as it goes: the peak is the result
    # plus one chunk, not twice the result (national runs hold ~10^8 indices).
    indices = np.empty(sum(p.size for p in parts), dtype=np.int64)
    pos = 0
    for k in range(len(parts)):
        indices[pos : pos + parts[k].size] = parts[k]
        pos += parts[k].size
        parts[k] = None
    log.info(
        "propagation: %d options at %d locations, %d x %d cells each (%s) in %.2f s",
        n,
        starts.size - 1,
        w,
        w,
        radio.model,
        seconds,
    )
    return SparseCoverage(indptr=indptr, indices=indices, seconds=seconds)


def best_server(
    grid: Grid,
    rows: np.ndarray,
    cols: np.ndarray,
    h_tx_m: np.ndarray,
    eirp_dbm: np.ndarray,
    radio: RadioSettings,
    *,
    pattern_index: np.ndarray | None = None,
    patterns: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Best-server received power [dBm] (NaN: no site in range) and its site index (-1)."""
    rx = np.full(grid.shape, -np.inf)
    server = np.full(grid.shape, -1, dtype=np.int64)
    radius = radio.radius_cells(grid)
    if patterns is None:
        patterns = omni_patterns(radius)
        pattern_index = np.zeros(len(rows), dtype=np.int64)
    for i in range(len(rows)):
        loss = site_loss_window(grid, rows[i], cols[i], h_tx_m[i], radio).astype(np.float64)
        loss += patterns[pattern_index[i]]
        r_lo, c_lo = rows[i] - radius, cols[i] - radius
        a0, b0 = max(0, -r_lo), max(0, -c_lo)
        a1 = min(loss.shape[0], grid.shape[0] - r_lo)
        b1 = min(loss.shape[1], grid.shape[1] - c_lo)
        view = (slice(r_lo + a0, r_lo + a1), slice(c_lo + b0, c_lo + b1))
        power = eirp_dbm[i] - loss[a0:a1, b0:b1]
        better = power > rx[view]
        rx[view] = np.where(better, power, rx[view])
        server[view] = np.where(better, i, server[view])
    rx[~np.isfinite(rx)] = np.nan
    return rx, server
